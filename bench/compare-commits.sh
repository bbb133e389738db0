#!/usr/bin/env bash
# bench/compare-commits.sh BASE [AFTER]: "did this change make the runtime dearer?", measured.
#
# Builds the echo, the middleware-only function and calculate_health (warden-bench-echo, warden-bench-middleware,
# calculate_health: static release bootstraps, as scripts/package.sh makes them) at commit BASE in a git worktree of
# its own, and the same at AFTER (another commit, built the same way) or, without AFTER, in this working tree as
# `make bench` does (dist/, uncommitted changes included: the title says so). Then `bench/run.sh --compare`
# (fresh bench database, the C harness) measures both sides in one run (bench.py's figure_compare, see
# bench/README.md): user-space instructions per warm invocation under callgrind (two runs with different counts
# after the same warm-up; difference of the totals ÷ difference of the counts) of the echo and the middleware-only
# function, beside the C floor, and the cold start (exec → first GET /next) of calculate_health, both sides in
# alternating rounds. The result goes to bench/results/compare-latest.md (and a timestamped copy).
#
# The worktree (under ${BENCH_WORKTREE_ROOT:-/tmp}) gets .deps as a symlink to this tree's when scripts/deps.sh and
# scripts/deps-check/ are the same at that commit (so nothing is rebuilt, and nothing in .deps is touched), a copy
# otherwise; it is removed once its bootstraps are copied to bench/.build/compare/<sha>/, which later runs reuse.
# Builds run under flock /tmp/warden-build.lock like every build on this machine.
#
#   bash bench/compare-commits.sh 0ba3f16          # before issue 16's runtime change vs this working tree
#   bash bench/compare-commits.sh 0ba3f16 c8c4918  # two commits
#   BENCH_QUICK=1 bash bench/compare-commits.sh …  # smoke run (fewer invocations and cold starts)
#   BENCH_COMPARE_BUILD_ONLY=1 bash bench/compare-commits.sh …  # only build (and cache) the bootstraps
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: bench/compare-commits.sh BASE [AFTER]" >&2; exit 2; }
products=(warden-bench-echo warden-bench-middleware calculate_health)
mkdir -p bench/.build/compare

# build_at REF: builds the products at commit REF in a temporary worktree; their bootstraps end up in
# bench/.build/compare/<sha>/<product>/bootstrap (reused when all are there already).
build_at() {
    local sha out wt
    sha="$(git rev-parse --verify "$1^{commit}")"
    out="bench/.build/compare/$sha"
    local missing=0
    for p in "${products[@]}"; do [ -x "$out/$p/bootstrap" ] || missing=1; done
    if [ "$missing" = 0 ]; then
        echo "compare: $1 ($sha) already built in $out" >&2
        return
    fi
    wt="${BENCH_WORKTREE_ROOT:-/tmp}/warden-bench-${sha:0:12}"
    if [ -e "$wt" ]; then
        git worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
        git worktree prune
    fi
    echo "compare: building ${products[*]} at $1 ($sha) in $wt" >&2
    git worktree add --detach "$wt" "$sha" >/dev/null
    # shellcheck disable=SC2064
    trap "git -C '$root' worktree remove --force '$wt' 2>/dev/null || true" EXIT
    if git diff --quiet "$sha" -- scripts/deps.sh scripts/deps-check; then
        ln -s "$root/.deps" "$wt/.deps"
    else
        echo "compare: scripts/deps.sh differs at $1: building with a copy of .deps" >&2
        cp -a "$root/.deps" "$wt/.deps"
    fi
    local log="bench/.build/compare/build-${sha:0:12}.log"
    if ! (cd "$wt" && flock /tmp/warden-build.lock bash scripts/package.sh "${products[@]}") >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "compare: build at $1 failed ($log)" >&2
        exit 1
    fi
    grep '^package:' "$log" >&2 || true
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    for p in "${products[@]}"; do
        mkdir -p "$out.tmp/$p"
        cp "$wt/dist/$p/bootstrap" "$out.tmp/$p/bootstrap"
    done
    git -C "$wt" log -1 --format='%h %s' >"$out.tmp/commit.txt"
    rm -rf "$out" && mv "$out.tmp" "$out"
    git worktree remove --force "$wt"
    trap - EXIT
}

base_sha="$(git rev-parse --verify "$1^{commit}")"
build_at "$1"
args=(--compare "bench/.build/compare/$base_sha" --compare-label "$(git rev-parse --short "$base_sha")")
if [ $# -eq 2 ]; then
    after_sha="$(git rev-parse --verify "$2^{commit}")"
    build_at "$2"
    args+=(--after "bench/.build/compare/$after_sha" --after-label "$(git rev-parse --short "$after_sha")")
fi
[ "${BENCH_COMPARE_BUILD_ONLY:-0}" = 1 ] && exit 0
# Without AFTER, run.sh packages this working tree's bootstraps into dist/ (as make bench does) and they are the
# "after" side.
exec bash bench/run.sh "${args[@]}"
