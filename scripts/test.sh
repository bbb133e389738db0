#!/usr/bin/env bash
# `make test`: install what is missing, check the style, build the static dependencies, start PostgreSQL, then run
# every test: Swift unit tests, then the end-to-end suite over the packaged static bootstraps, the emulator and
# Postgres. Each long step says what it does and how far along it is (scripts/progress.sh); its whole output is in
# .local/<step>.log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
source scripts/progress.sh

mkdir -p .local
# Runs a step with its output in .local/<name>.log; prints as it goes the lines that match FILTER and how far along
# it is (QUIET=quiet: no "still running" lines, the step reports itself), and the tail on failure.
step() {
    local name="$1" filter="$2" quiet="$3"; shift 3
    echo "test: $name"
    local rc=0 start=$SECONDS
    set +e
    "$@" 2>&1 | tee ".local/$name.log" | progress_filter "test: $name" "$filter" "$quiet"
    rc=${PIPESTATUS[0]}
    set -e
    if [ "$rc" != 0 ]; then tail -60 ".local/$name.log"; echo "test: $name failed ($rc)"; exit "$rc"; fi
    echo "test: $name done ($(progress_clock $((SECONDS - start))))"
}

bash scripts/ensure-tools.sh
# The style check first: seconds, where the build takes minutes.
step lint 'warning:|error:|^lint:' '' bash scripts/lint.sh
# scripts/deps.sh's own steps ("deps: [curl] make …"), and a line now and then while one of them runs long.
bash scripts/deps.sh | progress_filter "deps:" '.'
# Secret scanning, the audit of the tests' Python packages and the native libraries against Debian's security suite
# (scripts/security.sh; after deps, whose .deps/src the native check compares with scripts/deps-versions): findings,
# NOT AUDITED and ADVISORY lines are printed as they come.
step security '^security:|^secrets:|^python:|^native:' '' bash scripts/security.sh
started_pg=0
if ! bash scripts/pg.sh status >/dev/null 2>&1; then started_pg=1; fi
bash scripts/pg.sh start
cleanup() { [ "$started_pg" = 1 ] && bash scripts/pg.sh stop || true; }
trap cleanup EXIT

step build 'error:|warning:' '' swift build --build-tests
# scripts/package.sh reports each function and its build's progress itself ("package: [3/11] …").
step package '^package:|error' quiet bash scripts/package.sh
step unit '✘|error:|Test run' '' swift test --skip-build --disable-xctest
# The end-to-end suite prints a line per test file with how far along the whole run is ("… ..F..   [ 42%]"), the
# failures in full and the summary line at the end.
e2e=(-p no:cacheprovider --no-header -o console_output_style=progress)
echo "test: end-to-end"
if [ $# -gt 0 ]; then
    exec python3 -m pytest Tests/e2e "${e2e[@]}" "$@"
fi
# The Terraform apply against moto_server spends most of its ~3 minutes in the AWS provider's fixed waits: it runs
# beside the rest of the suite (its own database and moto process), and its result counts the same.
echo "test: terraform on moto_server runs beside the suite (.local/terraform-moto.log)"
WARDEN_E2E_DATABASE=warden_e2e_terraform python3 -m pytest Tests/e2e/test_terraform_moto.py -q -p no:cacheprovider \
    >.local/terraform-moto.log 2>&1 &
moto_pid=$!
rc=0
python3 -m pytest Tests/e2e "${e2e[@]}" --ignore=Tests/e2e/test_terraform_moto.py || rc=$?
moto_rc=0
wait "$moto_pid" || moto_rc=$?
echo "test: terraform on moto_server (.local/terraform-moto.log)"
tail -3 .local/terraform-moto.log
if [ "$moto_rc" != 0 ]; then tail -80 .local/terraform-moto.log; echo "test: terraform on moto_server failed ($moto_rc)"; fi
[ "$rc" = 0 ] && [ "$moto_rc" = 0 ]
