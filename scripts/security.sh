#!/usr/bin/env bash
# Security jobs (`make security`; a step of `make test`), each a script in scripts/security/:
#   secrets  detect-secrets over every tracked file and the lines the history of HEAD added; a finding that is not in
#            the justified baseline (scripts/security/secrets.baseline, reasons in secrets-allowed.txt) fails.
#   python   pip-audit (PyPI's vulnerability data) over Tests/requirements.txt, bench/requirements.txt and all they
#            pull in; a vulnerability not in scripts/security/pip-audit-ignore.txt fails; what could not be looked
#            up is named as NOT AUDITED.
#   native   scripts/deps-versions (OpenSSL, curl, libpq, c-ares, zlib) against what scripts/deps.sh built (a
#            disagreement fails) and against Debian's bookworm-security (a newer release is printed as ADVISORY).
# WARDEN_SECURITY_STRICT=1 also fails on an incomplete audit or an advisory (for a machine that reaches everything).
# Usage: bash scripts/security.sh [secrets|python|native ...]; bash scripts/security.sh --update-baseline rewrites the
# secrets baseline after a justified change. The tools: scripts/ensure-tools.sh (.local/security-tools).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
tools=.local/security-tools/bin
[ -x "$tools/detect-secrets" ] && [ -x "$tools/pip-audit" ] || { echo "security: tools missing: run scripts/ensure-tools.sh" >&2; exit 1; }
if [ "${1:-}" = --update-baseline ]; then
    exec "$tools/python" scripts/security/secrets.py --update
fi
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(secrets python native)
rc=0
for job in "${jobs[@]}"; do
    start=$SECONDS
    case "$job" in
        secrets) "$tools/python" scripts/security/secrets.py || rc=1 ;;
        python) python3 scripts/security/python_audit.py "$tools/pip-audit" Tests/requirements.txt bench/requirements.txt \
                    --report .local/pip-audit.json || rc=1 ;;
        native) python3 scripts/security/native_deps.py || rc=1 ;;
        *) echo "security: unknown job $job (secrets, python, native)" >&2; exit 2 ;;
    esac
    echo "security: $job took $((SECONDS - start)) s"
done
if [ "$rc" != 0 ]; then echo "security: FAILED (what to do: README.md, \"Security jobs\")"; fi
exit "$rc"
