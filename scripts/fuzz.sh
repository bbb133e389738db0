#!/usr/bin/env bash
# `make fuzz` / scripts/fuzz.sh [SECONDS] [TARGET…]: builds the libFuzzer targets (fuzz/README.md) and runs each for
# SECONDS (default $FUZZ_SECONDS, else 600), one after the other, then prints per target: executions, exec/s,
# coverage (edges and features), corpus size and crashes. Targets: event signature jwt validation route apikey
# idempotency v2sign (default: all).
#
# FUZZ_RUNS=N: a deterministic run instead — each target executes exactly N inputs (its seeds included) from the
# random seed FUZZ_SEED (default 1), whatever the time it takes; SECONDS is then ignored. What else would make two
# runs differ is turned off: corpus reloading (time-based), Swift's per-process hash seed, and address-space
# randomization (pointer comparisons feed libFuzzer's comparison tracing), so a run is the same inputs every time. The
# gating run of `make test` (Tests/e2e/test_fuzz.py) uses it; exploration (`make fuzz`) stays time-bound with a new
# seed each run.
#
# New corpus entries go to $FUZZ_WORK/<target>/corpus (default .local/fuzz; never into the committed fuzz/corpus),
# crashes to $FUZZ_WORK/<target>/artifacts, libFuzzer's output to $FUZZ_WORK/<target>/log. Exit status 1 when any
# target crashed (reproduce with: .build-fuzz/release/fuzz-<target> <crash file>; then copy the file into
# fuzz/regressions/<target>/, fix the code, and add a test).
#
# FUZZ_SANITIZERS: `fuzzer,address` (default: AddressSanitizer catches out-of-bounds reads in the release build's
# unchecked buffer code) or `fuzzer` (faster). FUZZ_JOBS: targets run at once (default 1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

seconds="${1:-${FUZZ_SECONDS:-600}}"
[ $# -gt 0 ] && shift
all=(event signature jwt validation route apikey idempotency v2sign)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
jobs="${FUZZ_JOBS:-1}"
runs="${FUZZ_RUNS:-}"
seed="${FUZZ_SEED:-1}"
launch=()
if [ -n "$runs" ]; then
    [[ "$runs" =~ ^[1-9][0-9]*$ && "$seed" =~ ^[0-9]+$ ]] || { echo "fuzz: FUZZ_RUNS and FUZZ_SEED must be whole numbers" >&2; exit 2; }
    budget=(-runs="$runs" -seed="$seed" -reload=0)
    describe="$runs runs, seed $seed"
    export SWIFT_DETERMINISTIC_HASHING=1
    if setarch "$(uname -m)" -R true 2>/dev/null; then launch=(setarch "$(uname -m)" -R); fi
else
    budget=(-max_total_time="$seconds")
    describe="${seconds}s"
fi
work_root="${FUZZ_WORK:-$root/.local/fuzz}"
scratch="$root/.build-fuzz"

# Longest input per target: events are a few KB; signature lines, tokens and bodies are shorter.
max_len() {
    case "$1" in
        event) echo 8192 ;;
        signature) echo 2048 ;;
        jwt) echo 4096 ;;
        validation) echo 4096 ;;
        route) echo 2048 ;;
        apikey) echo 512 ;;
        idempotency) echo 2048 ;;
        v2sign) echo 2048 ;;
        *) echo "fuzz: unknown target $1 (targets: ${all[*]})" >&2; exit 2 ;;
    esac
}

for target in "${targets[@]}"; do max_len "$target" >/dev/null; done
[ -d .deps/prefix/lib ] || bash scripts/deps.sh

# One release build per target in its own scratch directory (the plain .build stays untouched). The flags are the
# same for every product, so the shared modules are compiled once. lld: gold fails on the libFuzzer link.
# -enable-testing: the route, apikey and idempotency targets reach internal parsers with `@testable import`.
build_flags=(--scratch-path "$scratch" -c release -Xswiftc "-sanitize=$sanitizers" -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
    -Xswiftc -enable-testing)
for target in "${targets[@]}"; do
    for attempt in 1 2 3 4 5; do
        if out=$(swift build "${build_flags[@]}" --product "fuzz-$target" 2>&1); then break; fi
        if [ "$attempt" = 5 ] || ! grep -q "lock" <<<"$out"; then echo "$out" | tail -30; echo "fuzz: build of fuzz-$target failed" >&2; exit 1; fi
        sleep 5
    done
done
bin="$(swift build "${build_flags[@]}" --show-bin-path)"

run_target() {
    local target="$1" work="$work_root/$1"
    rm -rf "$work/artifacts"
    mkdir -p "$work/corpus" "$work/artifacts"
    local dict=()
    [ -f "fuzz/dictionaries/$target.dict" ] && dict=("-dict=fuzz/dictionaries/$target.dict")
    # The scratch corpus comes first: libFuzzer writes new inputs to the first directory only. Leak detection is off:
    # the Swift runtime's process-lifetime caches are not leaks, and a leak is not what these targets look for.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "${launch[@]}" "$bin/fuzz-$target" \
        "${budget[@]}" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
        "$work/corpus" "fuzz/corpus/$target" "fuzz/regressions/$target" >"$work/log" 2>&1 || true
}

running=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz/regressions/$target"
    echo "fuzz: running $target for $describe (${sanitizers})"
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

status=0
for target in "${targets[@]}"; do
    work="$work_root/$target"
    final() { grep -m1 "^stat::$1:" "$work/log" | awk '{print $2}'; }
    last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1 || true)
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
    crashes=$(find "$work/artifacts" -type f | wc -l)
    printf 'fuzz %-10s executions %s, %s exec/s, coverage %s edges / %s features, corpus %s, crashes %s\n' \
        "$target" "$(final number_of_executed_units)" "$(final average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
    if [ "$crashes" != 0 ] || ! grep -q '^stat::number_of_executed_units' "$work/log"; then
        status=1
        grep -m3 -E 'ERROR|Fatal error|invariant' "$work/log" || tail -20 "$work/log"
        find "$work/artifacts" -type f -exec echo "  crash input: {}" \;
    fi
done
exit "$status"
