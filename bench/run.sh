#!/usr/bin/env bash
# `make bench`: build what the benchmark needs, give it a fresh seeded database, then run bench/bench.py, which
# measures the Swift functions beside the Python (awslambdaric) baseline and prints one table (also saved to
# bench/results/latest.md). Exits 0 whether or not targets are met; non-zero only if something could not be measured.
#
# Arguments go to bench.py: `bash bench/run.sh --only instructions,managed` runs those figures alone (figures 8 and 9;
# see `bench/bench.py --help`), `--compare DIR …` is what bench/compare-commits.sh runs; with arguments, intent scoring
# (bench/intent_bench.py) is skipped.
#
# Environment: BENCH_QUICK=1 for a short smoke run. Uses the same local PostgreSQL as `make test` (scripts/pg.sh),
# with its own database `warden_bench`, and stops the server again if it was not running before. BENCH_WARDEN=path
# measures through another build of `warden` (emulator and gateway) than the release build made here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
work=bench/.build  # scratch (ignored by git)
mkdir -p "$work"

bash scripts/ensure-tools.sh
bash scripts/deps.sh
# wrk loads the gateway (figure 7).
if ! command -v wrk >/dev/null; then
    echo "bench: apt-get install wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
    }
fi
command -v wrk >/dev/null || { echo "bench: wrk is missing and could not be installed" >&2; exit 1; }
# valgrind (callgrind) counts the instructions per warm invocation (figure 8, bench/compare-commits.sh).
if ! command -v valgrind >/dev/null; then
    echo "bench: apt-get install valgrind"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null
    }
fi
command -v valgrind >/dev/null || { echo "bench: valgrind is missing and could not be installed" >&2; exit 1; }
# Every build holds the machine's build lock (builds of other sessions share .build and the CPUs); measuring does not.
build_lock=(flock "${WARDEN_BUILD_LOCK:-/tmp/warden-build.lock}")
echo "bench: building (release static bootstraps, the warden tool, the C harness)"
# The six copilot tools (figure 4 measures each of them: keep in step with TOOLS in bench.py) and the echo function
# of figures 1 and 3. Named here rather than taken from scripts/functions.sh, which also lists non-copilot functions.
"${build_lock[@]}" bash scripts/package.sh calculate_health get_customer_usage get_recent_tickets get_contract_info generate_email \
    generate_qbr_outline warden-bench-echo warden-bench-middleware
"${build_lock[@]}" swift build --product warden 2>&1 | grep -E 'error|warning:' || true
[ -x .build/debug/warden ] || { echo "bench: build of warden failed" >&2; exit 1; }
# The emulator and the gateway that every figure but 1 and 2 runs through: a release build of warden (the debug one
# costs several times the CPU per call, which would be measured with the functions). In a scratch directory of its
# own (.build-bench, ignored by git like every .build*), so it neither waits for the debug builds others run in .build
# nor invalidates package.sh's static builds in .build-static. Should it fail, bench.py measures through the debug
# build and its title says so.
if [ -z "${BENCH_WARDEN:-}" ]; then
    log="$work/release-warden.log"
    if "${build_lock[@]}" swift build -c release --scratch-path .build-bench --product warden >"$log" 2>&1; then
        grep -E 'warning:' "$log" || true
        export BENCH_RELEASE_WARDEN="$root/.build-bench/release/warden"
    else
        grep -E 'error:' "$log" | head -20 >&2 || true
        echo "bench: release build of warden failed ($log); measuring through the debug build" >&2
    fi
fi
command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is missing" >&2; exit 1; }
gcc -O2 -Wall -o "$work/rapi" bench/harness/rapi.c
# The floor is linked fully static like our bootstraps (glibc's warnings about NSS functions libcurl never calls here
# are expected and hidden).
# Two builds: the floor (URLs parsed once, as our runtime does) and, with -DFLOOR_STRING_URLS, the floor issue 17's
# targets were first measured against (URL strings libcurl parses on every transfer).
for variant in floor:"" floor-strings:-DFLOOR_STRING_URLS; do
    gcc -O2 -Wall -static ${variant#*:} -I.deps/prefix/include bench/floor/floor.c -o "$work/${variant%%:*}" \
        -L.deps/prefix/lib -lcurl -lcares -lssl -lcrypto -lz -lpthread 2>&1 |
        grep -vE 'statically linked applications|: in function' || true
    [ -x "$work/${variant%%:*}" ] || { echo "bench: build of the ${variant%%:*} failed" >&2; exit 1; }
done

started_pg=0
bash scripts/pg.sh status >/dev/null 2>&1 || started_pg=1
bash scripts/pg.sh start >/dev/null
cleanup() { if [ "$started_pg" = 1 ]; then bash scripts/pg.sh stop || true; fi; }
trap cleanup EXIT
bash scripts/pg.sh psql -c "DROP DATABASE IF EXISTS warden_bench WITH (FORCE)"
bash scripts/pg.sh psql -c "CREATE DATABASE warden_bench OWNER warden"
# Migrated and seeded as the schema owner; the functions (Swift and Python alike) connect as the functions' role
# (warden_app, member of warden_fn: row-level security applies, audit_events is insert-only).
.build/debug/warden migrate --seed --database-url "$(bash scripts/pg.sh url warden_bench)" >/dev/null
BENCH_DATABASE_URL="$(bash scripts/pg.sh fn-url warden_bench)"
BENCH_OWNER_URL="$(bash scripts/pg.sh url warden_bench)"
export BENCH_DATABASE_URL BENCH_OWNER_URL

# The interpreter that has awslambdaric and pg8000 (resolved, so a pyenv shim's start-up is not measured).
WARDEN_BENCH_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
export WARDEN_BENCH_PYTHON
"$WARDEN_BENCH_PYTHON" bench/bench.py "$@"
[ $# -eq 0 ] || exit 0

# Intent scoring at scale (bench/intent_bench.py, see bench/README.md): 10 000 companies and 100 000 evidence rows
# seeded into the same database, the packaged intent bootstrap beside its scan baseline; its tables go to
# bench/results/intent-latest.md.
"${build_lock[@]}" bash scripts/package.sh intent
"$WARDEN_BENCH_PYTHON" bench/intent_bench.py
