#!/usr/bin/env bash
# `make test`: install what is missing, build the static dependencies, start PostgreSQL, then run every test:
# Swift unit tests, then the end-to-end suite over the packaged static bootstraps, the emulator and Postgres.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

bash scripts/ensure-tools.sh
bash scripts/deps.sh
started_pg=0
if ! bash scripts/pg.sh status >/dev/null 2>&1; then started_pg=1; fi
bash scripts/pg.sh start
cleanup() { [ "$started_pg" = 1 ] && bash scripts/pg.sh stop || true; }
trap cleanup EXIT

mkdir -p .local
# Runs a step with its output in .local/<name>.log; prints the lines that matter, and the tail on failure.
step() {
    local name="$1" filter="$2"; shift 2
    echo "test: $name"
    local rc=0
    "$@" >".local/$name.log" 2>&1 || rc=$?
    grep -E "$filter" ".local/$name.log" | grep -v 'in statically linked applications' || true
    if [ "$rc" != 0 ]; then tail -60 ".local/$name.log"; echo "test: $name failed ($rc)"; exit "$rc"; fi
}
step build 'error:|warning:' swift build --build-tests
step package '^package:|error' bash scripts/package.sh
step unit '✘|error:|Test run' swift test --skip-build --disable-xctest
echo "test: end-to-end"
python3 -m pytest Tests/e2e -q -p no:cacheprovider "$@"
