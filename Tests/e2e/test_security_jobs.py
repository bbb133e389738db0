"""The security jobs of scripts/security.sh (a step of `make test`, which runs them on the repository itself): secret
scanning fails on a planted key, in the tree and in the history, and its baseline pins exact values; the Python audit
fails on a vulnerability, honours a justified ignore and never takes an unaudited package as clean; the native
dependency list must agree with what scripts/deps.sh builds, and a newer bookworm-security release is an advisory.
The fake credentials below are assembled at run time, so that this file itself holds none."""
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".local" / "security-tools" / "bin"
SECRETS = ROOT / "scripts" / "security" / "secrets.py"
AUDIT = ROOT / "scripts" / "security" / "python_audit.py"
NATIVE = ROOT / "scripts" / "security" / "native_deps.py"

# AWS's documented example key pair and a PEM header: what a leaked credential looks like to the detectors.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq98zjl0sZ\n-----END " + "RSA PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def tools():
    if not (TOOLS / "python").exists():
        pytest.fail("the security tools are missing: bash scripts/ensure-tools.sh installs them")
    return TOOLS


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A small git repository with the real baseline, the real justifications and one clean file, committed."""
    repo = tmp_path / "repo"
    (repo / "scripts" / "security").mkdir(parents=True)
    for name in ("secrets.baseline", "secrets-allowed.txt"):
        shutil.copy(ROOT / "scripts" / "security" / name, repo / "scripts" / "security" / name)
    (repo / "app").mkdir()
    (repo / "app" / "config.py").write_text('REGION = "us-east-1"\nTIMEOUT_SECONDS = 10\n')
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "clean")
    return repo


def scan(tools, repo, *extra):
    run = subprocess.run([str(tools / "python"), str(SECRETS), "--root", str(repo), *extra],
                         capture_output=True, text=True, timeout=120)
    return run.returncode, run.stdout + run.stderr


def test_clean_repository_passes(tools, repo):
    rc, out = scan(tools, repo)
    assert rc == 0, out
    assert "secrets: ok: 1 tracked files" in out


def test_planted_aws_key_and_private_key_fail_by_file_line_and_type_without_printing_them(tools, repo):
    # The inline comment detect-secrets would honour allows nothing here: reasons live in secrets-allowed.txt.
    (repo / "app" / "config.py").write_text(f'REGION = "us-east-1"\naws_access_key_id = "{AWS_KEY_ID}"  # pragma: '
                                           f'allowlist secret\naws_secret_access_key = "{AWS_SECRET}"\n')
    (repo / "deploy").mkdir()
    (repo / "deploy" / "id_rsa").write_text(PEM)
    git(repo, "add", "deploy/id_rsa")
    rc, out = scan(tools, repo)
    assert rc == 1, out
    assert "secrets: NEW app/config.py:2: AWS Access Key" in out
    assert "secrets: NEW deploy/id_rsa:1: Private Key" in out
    assert "secrets: FAILED" in out
    for value in (AWS_KEY_ID, AWS_SECRET, "MIIEpAIBAAKCAQEA7bq98zjl0sZ"):
        assert value not in out


def test_untracked_files_are_not_the_repository(tools, repo):
    (repo / "scratch.pem").write_text(PEM)
    rc, out = scan(tools, repo)
    assert rc == 0, out


def test_a_key_removed_by_a_later_commit_is_still_found_in_the_history(tools, repo):
    (repo / "app" / "config.py").write_text(f'REGION = "us-east-1"\naws_access_key_id = "{AWS_KEY_ID}"\n')
    git(repo, "commit", "-q", "-am", "oops")
    leaked = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    (repo / "app" / "config.py").write_text('REGION = "us-east-1"\n')
    git(repo, "commit", "-q", "-am", "remove it")
    rc, out = scan(tools, repo)
    assert rc == 1, out
    assert f"secrets: NEW app/config.py:2: AWS Access Key (history: added by commit {leaked[:12]}" in out


def test_baseline_pins_values_and_update_needs_a_justification(tools, repo, tmp_path):
    # A test secret where secrets-allowed.txt justifies test secrets (`Tests/e2e/*.py | Secret Keyword`).
    (repo / "Tests" / "e2e").mkdir(parents=True)
    (repo / "Tests" / "e2e" / "test_x.py").write_text('SECRET = "x-test-secret-0123456789"\n')
    git(repo, "add", "-A")
    rc, out = scan(tools, repo)
    assert rc == 1 and "secrets: NEW Tests/e2e/test_x.py:1: Secret Keyword" in out, out
    rc, out = scan(tools, repo, "--update")
    assert rc == 0 and "secrets: wrote scripts/security/secrets.baseline" in out, out
    rc, out = scan(tools, repo)
    assert rc == 0, out
    text = (repo / "scripts/security/secrets.baseline").read_text()
    assert str(tmp_path) not in text  # nothing of this checkout: the baseline holds on any other
    baseline = json.loads(text)
    assert [s["is_secret"] for s in baseline["results"]["Tests/e2e/test_x.py"]] == [False]
    assert [s["filename"] for s in baseline["results"]["Tests/e2e/test_x.py"]] == ["Tests/e2e/test_x.py"]
    assert not {f["path"] for f in baseline["filters_used"]} & {
        "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
        "detect_secrets.filters.allowlist.is_line_allowlisted"}
    # Another value in the same justified file is new: the baseline holds values, not files.
    with open(repo / "Tests" / "e2e" / "test_x.py", "a") as f:
        f.write('OTHER_SECRET = "y-test-secret-9876543210"\n')
    rc, out = scan(tools, repo)
    assert rc == 1 and "secrets: NEW Tests/e2e/test_x.py:2: Secret Keyword" in out, out
    # A key where nothing justifies it: --update refuses and leaves the baseline as it was.
    (repo / "app" / "config.py").write_text(f'aws_access_key_id = "{AWS_KEY_ID}"\n')
    before = (repo / "scripts/security/secrets.baseline").read_bytes()
    rc, out = scan(tools, repo, "--update")
    assert rc != 0 and "app/config.py:1: AWS Access Key: no line of scripts/security/secrets-allowed.txt" in out, out
    assert (repo / "scripts/security/secrets.baseline").read_bytes() == before


def test_the_committed_baseline_names_files_of_the_repository_only():
    baseline = json.loads((ROOT / "scripts/security/secrets.baseline").read_text())
    assert baseline["results"]
    for path, entries in baseline["results"].items():
        assert not path.startswith("/") and all(e["filename"] == path and e["is_secret"] is False for e in entries)
    assert not [v for f in baseline["filters_used"] for v in f.values() if str(v).startswith("/")]


# ------------------------------------------------------------------------------------------- Python packages

def audit_report(vulns=(), skipped=()):
    deps = [{"name": "pytest", "version": "9.0.3", "vulns": list(vulns)}]
    deps += [{"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name}"}
             for name in skipped]
    return {"dependencies": deps, "fixes": []}


def audit(tmp_path, report, ignore="", env=None, requirements=None):
    work = tmp_path / "audit"
    (work / "scripts" / "security").mkdir(parents=True, exist_ok=True)
    (work / "scripts" / "security" / "pip-audit-ignore.txt").write_text(ignore)
    (work / "report.json").write_text(json.dumps(report))
    reqs = work / "requirements.txt"
    reqs.write_text(requirements or (ROOT / "Tests" / "requirements.txt").read_text())
    run = subprocess.run([sys.executable, str(AUDIT), "unused-pip-audit", str(reqs), "--from-report",
                          str(work / "report.json")], cwd=work, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "WARDEN_SECURITY_STRICT": "0", **(env or {})})
    return run.returncode, run.stdout + run.stderr


VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["9.0.4"], "description": "x"}


def test_audit_fails_on_a_vulnerability_with_its_id_and_fix(tmp_path):
    rc, out = audit(tmp_path, audit_report([VULN]))
    assert rc == 1, out
    assert "python: VULNERABLE PYSEC-2099-1 (CVE-2099-0001): pytest 9.0.3, fixed in 9.0.4" in out


def test_audit_honours_a_justified_ignore_by_any_of_its_ids_and_reports_stale_ones(tmp_path):
    ignore = "CVE-2099-0001 | pytest | only reachable through a plugin the suite does not load\n" \
             "GHSA-xxxx-yyyy-zzzz | requests | fixed long ago\n"
    rc, out = audit(tmp_path, audit_report([VULN]), ignore)
    assert rc == 0, out
    assert "1 known findings ignored" in out
    assert "ignores GHSA-xxxx-yyyy-zzzz (requests), which no audited package has any more" in out
    # An ignore for the same id on another package does not apply.
    rc, out = audit(tmp_path, audit_report([VULN]), "CVE-2099-0001 | requests | not this one\n")
    assert rc == 1, out


def test_audit_never_takes_what_it_could_not_look_up_as_clean(tmp_path):
    rc, out = audit(tmp_path, audit_report(skipped=["six", "urllib3"]))
    assert rc == 0, out
    assert "python: NOT AUDITED: 2 of " in out and "six, urllib3" in out
    assert "passed WITHOUT a complete audit" in out
    rc, out = audit(tmp_path, audit_report(skipped=["six"]), env={"WARDEN_SECURITY_STRICT": "1"})
    assert rc == 2, out
    rc, out = audit(tmp_path, audit_report())
    assert rc == 0 and "python: ok:" in out and "no known vulnerability" in out, out


def test_audit_refuses_unpinned_or_drifted_requirements(tmp_path):
    rc, out = audit(tmp_path, audit_report(), requirements="pytest>=9\n")
    assert rc != 0 and "is not pinned with ==" in out, out
    rc, out = audit(tmp_path, audit_report(), requirements="pytest==1.0.0\n")
    installed = importlib.metadata.version("pytest")
    assert rc == 1 and f"installed versions differ from the pins: pytest {installed} (pinned ==1.0.0" in out, out


def test_requirements_files_agree_and_cover_what_the_suite_imports():
    pins = {}
    for path in ("Tests/requirements.txt", "bench/requirements.txt"):
        for line in (ROOT / path).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                name, version = line.split("==")
                assert pins.setdefault(name.split("[")[0].lower(), version) == version, f"{name} pinned twice"
    for needed in ("pytest", "pytest-timeout", "pg8000", "cryptography", "awslambdaric", "schemathesis", "checkov"):
        assert needed in pins


# ---------------------------------------------------------------------------------------- native libraries

def native(*args):
    run = subprocess.run([sys.executable, str(NATIVE), "--root", str(ROOT), *args], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "WARDEN_SECURITY_STRICT": "0"})
    return run.returncode, run.stdout + run.stderr


def test_the_list_is_what_deps_sh_builds():
    rc, out = native("--no-refresh")
    assert rc == 0, out
    assert "MISMATCH" not in out
    listed = (ROOT / "scripts" / "deps-versions").read_text()
    out_sh = subprocess.run(["bash", "-c", "source <(sed -n '/^deb_version()/p' scripts/deps.sh); for p in openssl curl "
                             "postgresql-15; do deb_version \"$(ls -d .deps/src/$p-[0-9]* | head -1)\"; done"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for version in out_sh:  # the versions deps.sh itself reads from its source trees
        assert f" | {version} | " in listed


def test_a_list_that_differs_from_the_build_fails(tmp_path):
    text = (ROOT / "scripts" / "deps-versions").read_text()
    wrong = tmp_path / "deps-versions"
    wrong.write_text(text.replace("| curl | 7.88.1-", "| curl | 7.88.0-"))
    rc, out = native("--no-refresh", "--list", str(wrong))
    assert rc == 1 and "native: MISMATCH curl: .deps/src holds curl 7.88.1-" in out, out
    missing = tmp_path / "deps-versions-missing"
    missing.write_text("\n".join(line for line in text.splitlines() if not line.startswith("libpq ")))
    rc, out = native("--no-refresh", "--list", str(missing))
    assert rc == 1 and "scripts/deps.sh fetches ['curl', 'openssl', 'postgresql-15']" in out, out


def test_an_older_version_than_bookworm_security_offers_is_an_advisory(tmp_path):
    text = (ROOT / "scripts" / "deps-versions").read_text()
    old = tmp_path / "deps-versions-old"
    old.write_text(text.replace("| curl | 7.88.1-10+deb12u15 |", "| curl | 7.88.1-10+deb12u1 |"))
    rc, out = native("--list", str(old))
    if "NOT CHECKED" in out:
        pytest.skip("no bookworm-security index younger than a day here: " + out.splitlines()[-1])
    assert "native: ADVISORY curl (curl): bookworm-security has 7.88.1-10+deb12u" in out, out
    assert "https://security-tracker.debian.org/tracker/source-package/curl" in out
