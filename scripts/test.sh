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
if [ $# -gt 0 ]; then
    exec python3 -m pytest Tests/e2e -q -p no:cacheprovider "$@"
fi
# The Terraform apply against moto_server spends most of its ~3 minutes in the AWS provider's fixed waits: it runs
# beside the rest of the suite (its own database and moto process), and its result counts the same.
WARDEN_E2E_DATABASE=warden_e2e_terraform python3 -m pytest Tests/e2e/test_terraform_moto.py -q -p no:cacheprovider \
    >.local/terraform-moto.log 2>&1 &
moto_pid=$!
rc=0
python3 -m pytest Tests/e2e -q -p no:cacheprovider --ignore=Tests/e2e/test_terraform_moto.py || rc=$?
moto_rc=0
wait "$moto_pid" || moto_rc=$?
echo "test: terraform on moto_server (.local/terraform-moto.log)"
tail -3 .local/terraform-moto.log
if [ "$moto_rc" != 0 ]; then tail -80 .local/terraform-moto.log; echo "test: terraform on moto_server failed ($moto_rc)"; fi
[ "$rc" = 0 ] && [ "$moto_rc" = 0 ]
