#!/usr/bin/env bash
# Installs what the build and the tests need when it is missing (Debian packages and PyPI), quietly.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need_apt=()
# chromium: the headless browser of Tests/e2e/test_browser_cors.py (CORS as a real browser enforces it);
# python3-venv: the security tools' own environment (below); valgrind: Tests/e2e/test_constant_time.py counts instructions.
for pkg in build-essential zip unzip advancecomp file openssl dnsmasq-base binutils libssl-dev zlib1g-dev libc-ares-dev postgresql-15 postgresql-client-15 python3-pip python3-venv util-linux chromium valgrind; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "tools: apt-get install ${need_apt[*]}"
    apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q "${need_apt[@]}" >/dev/null; }
fi
py=python3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The Python packages of the tests and the benchmarks, pinned in Tests/requirements.txt and bench/requirements.txt
# (what each is for is said there); installed from them when one is missing or at another version. sam and checkov
# are large: the version check keeps this idempotent and quick.
reqs=("$root/Tests/requirements.txt" "$root/bench/requirements.txt")
if ! "$py" - "${reqs[@]}" <<'PY'
import importlib.metadata as md, re, sys
bad = []
for path in sys.argv[1:]:
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", line).groups()
            try:
                if md.version(name) != version:
                    bad.append(line)
            except md.PackageNotFoundError:
                bad.append(line)
sys.exit(1 if bad else 0)
PY
then
    echo "tools: pip install -r Tests/requirements.txt -r bench/requirements.txt"
    "$py" -m pip install -q --disable-pip-version-check -r "${reqs[0]}" -r "${reqs[1]}" 2>&1 | grep -vi 'running pip as the' || true
fi
# The security jobs' tools (scripts/security.sh): detect-secrets and pip-audit in a virtual environment of their own,
# pinned by scripts/security/requirements.txt (why apart: see there); re-created when that file changes.
venv="$root/.local/security-tools"
want="$(sha256sum "$root/scripts/security/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]; then
    echo "tools: security tools (detect-secrets, pip-audit) into .local/security-tools"
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/scripts/security/requirements.txt" 2>&1 |
        grep -vi 'running pip as the' || true
    "$venv/bin/detect-secrets" --version >/dev/null && "$venv/bin/pip-audit" --version >/dev/null
    echo "$want" >"$venv/.requirements"
fi
