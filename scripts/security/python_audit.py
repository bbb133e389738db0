"""Audit of the Python packages that the tests and the benchmarks run on (`scripts/security.sh python`).

1. Reads the pinned requirements (Tests/requirements.txt, bench/requirements.txt) and checks that the interpreter
   running this script (the one the tests use) has exactly those versions installed.
2. Lists what they pull in, as installed: the requirement closure (extras and markers evaluated), `name==version`.
3. Runs pip-audit (from .local/security-tools) on that list with PyPI's vulnerability service (`-s pypi`, no
   resolution: every version is already pinned) and reads its JSON report.

Outcome:
- a vulnerability not in scripts/security/pip-audit-ignore.txt fails (exit 1), printed with its id, the package,
  the installed version and the fixed versions;
- packages that the service could not look up (unreachable, or PyPI's per-release JSON not served, as on a mirror
  that only has the project pages) are NOT audited: they are counted and named, never taken as clean. With
  WARDEN_SECURITY_STRICT=1 that is a failure (exit 2); otherwise the run ends with a loud "NOT AUDITED" line;
- an ignore entry that matches nothing is reported, so the list does not rot.

Usage: python3 python_audit.py PIP_AUDIT REQUIREMENTS... [--report FILE]
"""
import argparse
import importlib.metadata as md
import json
import os
import subprocess
import sys
import tempfile

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

IGNORE = "scripts/security/pip-audit-ignore.txt"


def pins(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                req = Requirement(line)
                spec = list(req.specifier)
                if len(spec) != 1 or spec[0].operator != "==":
                    sys.exit(f"python: {path}:{n}: `{line}` is not pinned with ==")
                name = canonicalize_name(req.name)
                if name in out and out[name][0].specifier != req.specifier:
                    sys.exit(f"python: {path}:{n}: {req.name} pinned differently in two files")
                out[name] = (req, f"{path}:{n}")
    return out


def closure(pinned):
    """{name: version} of the pinned packages and everything they require, as installed here."""
    seen = {}
    todo = [(req, frozenset(req.extras)) for req, _ in pinned.values()]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen and extras <= seen[name]:
            continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            sys.exit(f"python: {req.name} (required through the pins) is not installed: run scripts/ensure-tools.sh")
        seen[name] = seen.get(name, frozenset()) | extras
        environments = [{"extra": e} for e in (seen[name] or {""})]
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append((sub, frozenset(sub.extras)))
    return {name: md.version(name) for name in sorted(seen)}


def load_ignores():
    out = {}
    with open(IGNORE) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 3 or not all(parts):
                sys.exit(f"python: {IGNORE}:{n}: expected `vulnerability id | package | why it does not apply`")
            out[parts[0]] = (canonicalize_name(parts[1]), n)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pip_audit")
    parser.add_argument("requirements", nargs="+")
    parser.add_argument("--report", help="where to keep pip-audit's JSON report")
    parser.add_argument("--from-report", help="read this pip-audit JSON report instead of running pip-audit (tests)")
    args = parser.parse_args()

    pinned = pins(args.requirements)
    wrong = []
    for name, (req, where) in pinned.items():
        try:
            have = md.version(req.name)
        except md.PackageNotFoundError:
            have = None
        if have is None or not req.specifier.contains(have, prereleases=True):
            wrong.append(f"{req.name} {have or 'missing'} (pinned {req.specifier} at {where})")
    if wrong:
        print("python: installed versions differ from the pins: " + "; ".join(wrong))
        print("python: FAILED: run scripts/ensure-tools.sh (it installs the pins)")
        return 1
    packages = closure(pinned)
    ignores = load_ignores()

    if args.from_report:
        with open(args.from_report) as f:
            report = json.load(f)
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="warden-audit-") as reqs:
            reqs.write("".join(f"{name}=={version}\n" for name, version in packages.items()))
            reqs.flush()
            # -s pypi: PyPI's JSON API per release; --no-deps/--disable-pip: the list is complete and pinned, so
            # pip-audit resolves nothing and installs nothing. Exit status 1 only means "vulnerabilities found".
            run = subprocess.run([args.pip_audit, "-s", "pypi", "--no-deps", "--disable-pip", "--progress-spinner",
                                  "off", "-f", "json", "-r", reqs.name], capture_output=True, text=True, timeout=300)
        try:
            report = json.loads(run.stdout)
        except json.JSONDecodeError:
            print(run.stderr.strip()[-2000:])
            print(f"python: FAILED: pip-audit gave no report (exit {run.returncode})")
            return 1
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f, indent=1)

    found, ignored, skipped = [], set(), []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append((dep["name"], dep.get("skip_reason", "")))
            continue
        for vuln in dep.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            hit = next((i for i in ids if i in ignores and ignores[i][0] == canonicalize_name(dep["name"])), None)
            if hit:
                ignored.add(hit)
                continue
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            found.append(f"{vuln['id']} ({', '.join(vuln.get('aliases', [])) or 'no alias'}): {dep['name']} "
                         f"{dep['version']}, fixed in {fixed}")
    for vid, (name, n) in ignores.items():
        if vid not in ignored:
            print(f"python: note: {IGNORE}:{n} ignores {vid} ({name}), which no audited package has any more")
    audited = len(report.get("dependencies", [])) - len(skipped)
    for line in found:
        print(f"python: VULNERABLE {line}")
    summary = (f"{len(packages)} packages ({len(pinned)} pinned and what they require), {audited} audited against "
               f"PyPI's vulnerability data, {len(ignored)} known findings ignored")
    if found:
        print(f"python: FAILED: {len(found)} vulnerabilities; {summary}. Raise the pin to a fixed version in the "
              f"requirements file (then scripts/ensure-tools.sh), or, if it cannot apply here, add the id to {IGNORE} "
              "with the reason.")
        return 1
    if skipped:
        reasons = sorted({reason.split(":")[0].removesuffix(" and could not be audited") for _, reason in skipped})
        names = ", ".join(name for name, _ in skipped[:8]) + (", …" if len(skipped) > 8 else "")
        print(f"python: NOT AUDITED: {len(skipped)} of {len(packages)} packages could not be looked up "
              f"({'; '.join(reasons)}: {names}). PyPI's per-release JSON (pypi.org/pypi/NAME/VERSION/json) must be "
              "reachable; nothing is known about these packages, they are not taken as clean.")
        if os.environ.get("WARDEN_SECURITY_STRICT") == "1":
            print("python: FAILED: WARDEN_SECURITY_STRICT=1 and the audit is incomplete")
            return 2
        print(f"python: passed WITHOUT a complete audit: {summary} (WARDEN_SECURITY_STRICT=1 fails instead)")
        return 0
    print(f"python: ok: {summary}; no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
