"""Secret scanning of the repository (`scripts/security.sh secrets`), with Yelp's detect-secrets (PyPI, pinned in
scripts/security/requirements.txt) run from .local/security-tools.

What is scanned:
- every tracked file as it is in the work tree (`git ls-files`);
- the history reachable from HEAD, cheaply: the lines that a commit added (`git log -p`) and that no longer stand in
  the same file today (the others are scanned with the tree), each kept with the first commit that added it.

Every finding is compared with the baseline (scripts/security/secrets.baseline, detect-secrets' own format: file,
detector type, SHA-1 of the secret). A finding that is not in the baseline fails the scan: it is printed as
`file:line: type` (with the commit for the history) and never with its value. Every baseline entry must be justified
by a line of scripts/security/secrets-allowed.txt (`path glob | detector type or * | why this is not a secret`);
`--update` rewrites the baseline from a new scan, refusing findings that no justification covers. No detector checks
a secret over the network (detect-secrets' verification filter is off), and inline `pragma: allowlist secret`
comments allow nothing.

Usage: python secrets.py [--root DIR] [--update]
"""
import argparse
import contextlib
import fnmatch
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

from detect_secrets.core import baseline as ds_baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings, get_settings, transient_settings

BASELINE = "scripts/security/secrets.baseline"
ALLOWED = "scripts/security/secrets-allowed.txt"
# Filters left out of the baseline's settings: network verification of candidate secrets (a detector calling the
# service the key belongs to: never from here), and inline `pragma: allowlist secret` comments (the reasons live in
# secrets-allowed.txt, in one place, not beside the values).
VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
INLINE_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"
PROCESSES = 2


def git(root, *args):
    return subprocess.run(["git", "-C", root, "-c", "core.quotepath=off", *args], check=True,
                          capture_output=True).stdout


def tracked_files(root):
    names = [n.decode("utf-8", "surrogateescape") for n in git(root, "ls-files", "-z").split(b"\0") if n]
    return [n for n in names if n not in (BASELINE, ALLOWED) and os.path.isfile(os.path.join(root, n))]


def history_lines(root, files):
    """{path: [(line, commit, line number in that commit)]} for the lines added by the commits reachable from HEAD that
    no longer stand in that file of the work tree."""
    current = {}
    for name in files:
        with open(os.path.join(root, name), "rb") as f:
            current[name] = set(f.read().split(b"\n"))
    out = defaultdict(dict)
    log = git(root, "log", "-p", "-U0", "--no-color", "--no-renames", "--no-ext-diff", "--format=%x00%H", "HEAD")
    commit = path = None
    number = 0
    for raw in log.split(b"\n"):
        if raw.startswith(b"\0"):
            commit, path = raw[1:].decode(), None
        elif raw.startswith(b"+++ "):
            target = raw[4:].strip(b'"')
            path = target[2:].decode("utf-8", "surrogateescape") if target.startswith(b"b/") else None
        elif raw.startswith(b"@@ "):
            # @@ -a,b +c,d @@: the added lines of this hunk are numbered from c in the commit's version of the file.
            number = int(raw.split(b" ")[2][1:].split(b",")[0])
        elif raw.startswith(b"+") and path not in (None, BASELINE, ALLOWED) and commit is not None:
            line = raw[1:]
            if line not in current.get(path, ()) and line not in out[path]:
                out[path][line] = (commit, number)
            number += 1
    return out


def scan_tree(root, files):
    scanned = SecretsCollection(root=root)
    scanned.scan_files(*files, num_processors=PROCESSES)
    # detect-secrets keys the findings by relative path but keeps the absolute one in each finding (which its baseline
    # would then record, and compare): relative everywhere, so the baseline holds on any checkout.
    secrets = SecretsCollection()
    for path, secret in scanned:
        secret.filename = path
        secrets[path].add(secret)
    return secrets


def scan_history(root, files):
    """Scans the history-only lines, written to a scratch tree under their own paths (so that the detectors' filters see
    the same file names); returns the findings and, per finding, the commit and line it came from."""
    lines = history_lines(root, files)
    count = sum(len(added) for added in lines.values())
    where = {}
    with tempfile.TemporaryDirectory(prefix="warden-secrets-") as scratch:
        names = []
        for path, added in lines.items():
            if not added:
                continue
            target = os.path.join(scratch, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(b"\n".join(added.keys()) + b"\n")
            origins = list(added.values())
            where[path] = origins
            names.append(path)
        found = SecretsCollection(root=scratch)
        if names:
            found.scan_files(*names, num_processors=PROCESSES)
    history = SecretsCollection()
    origin = {}
    for path, secret in found:
        commit, number = where[path][secret.line_number - 1]
        secret.filename = path
        secret.line_number = number
        history[path].add(secret)
        origin[(path, secret.type, secret.secret_hash)] = commit
    return history, origin, count


def load_allowed(root):
    rules = []
    with open(os.path.join(root, ALLOWED)) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 3 or not all(parts):
                sys.exit(f"secrets: {ALLOWED}:{n}: expected `path glob | detector type or * | reason`")
            rules.append((parts[0], parts[1], n))
    return rules


def justified(rules, path, kind):
    return next((n for glob, rule_kind, n in rules
                 if fnmatch.fnmatchcase(path, glob) and rule_kind in ("*", kind)), None)


def main():
    with contextlib.ExitStack() as stack:
        return run(stack)


def run(stack):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.getcwd(), help="the repository (default: the current directory)")
    parser.add_argument("--update", action="store_true", help="rewrite the baseline from a new scan")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    baseline_path = os.path.join(root, BASELINE)
    rules = load_allowed(root)

    if os.path.exists(baseline_path):
        data = ds_baseline.load_from_file(baseline_path)
        # (detect-secrets' own baseline-file filter would record this checkout's absolute path: the baseline and the
        # justifications are left out of the scan by tracked_files instead.)
        data["filters_used"] = [f for f in data["filters_used"]
                                if f["path"] != "detect_secrets.filters.common.is_baseline_file"]
        known = ds_baseline.load(data)
    else:
        # The first baseline: every detector and filter that detect-secrets enables by default, less verification.
        known = SecretsCollection()
        with default_settings() as settings:
            config = settings.json()
        config["filters_used"] = [f for f in config["filters_used"] if f["path"] not in (VERIFY_FILTER, INLINE_FILTER)]
        stack.enter_context(transient_settings(config))
    for name in (VERIFY_FILTER, INLINE_FILTER):
        if name in get_settings().filters:
            sys.exit(f"secrets: {BASELINE} enables {name}; remove it from filters_used")

    files = tracked_files(root)
    tree = scan_tree(root, files)
    history, origin, history_count = scan_history(root, files)
    found = SecretsCollection()
    for collection in (tree, history):
        for path, secret in collection:
            if secret not in found[path]:
                found[path].add(secret)
    found.data = {k: v for k, v in found.data.items() if v}

    unjustified = [(p, s) for p, s in found if justified(rules, p, s.type) is None]
    if args.update:
        if unjustified:
            for path, secret in sorted(unjustified, key=lambda x: (x[0], x[1].line_number)):
                print(f"secrets: {path}:{secret.line_number}: {secret.type}: no line of {ALLOWED} covers it")
            sys.exit("secrets: baseline not written: remove these or justify them first")
        for _, secret in found:
            secret.is_secret = False
        ds_baseline.save_to_file(found, baseline_path)
        print(f"secrets: wrote {BASELINE}: {sum(1 for _ in found)} allowed findings "
              f"in {len(found.files)} files")
        return 0

    new = found - known
    new_list = sorted(((p, s) for p, s in new), key=lambda x: (x[0], x[1].line_number))
    for path, secret in new_list:
        commit = origin.get((path, secret.type, secret.secret_hash)) if secret not in tree[path] else None
        place = f" (history: added by commit {commit[:12]}, no longer in the tree)" if commit else ""
        print(f"secrets: NEW {path}:{secret.line_number}: {secret.type}{place}")
    bad_rules = [(p, s) for p, s in known if justified(rules, p, s.type) is None]
    for path, secret in bad_rules:
        print(f"secrets: {BASELINE} allows {path}:{secret.line_number} ({secret.type}) "
              f"but no line of {ALLOWED} justifies it")
    used = {justified(rules, p, s.type) for p, s in known}
    for glob, kind, n in rules:
        if n not in used:
            print(f"secrets: note: {ALLOWED}:{n} ({glob} | {kind}) justifies nothing in the baseline any more")
    stale = known - found
    stale_count = sum(1 for _ in stale)
    if stale_count:
        print(f"secrets: note: {stale_count} baseline entries are no longer found (`scripts/security.sh --update-baseline`"
              " prunes them)")
    summary = f"{len(files)} tracked files, {history_count} lines only in the history of HEAD"
    if new_list or bad_rules:
        print(f"secrets: FAILED: {len(new_list)} new finding(s), {len(bad_rules)} unjustified baseline entries "
              f"({summary}). A real secret: remove it (and rotate it; if committed, it stays in the history). A test "
              f"value: justify it in {ALLOWED}, then `bash scripts/security.sh --update-baseline`.")
        return 1
    print(f"secrets: ok: {summary}; {sum(1 for _ in found)} findings, all in the justified baseline "
          f"({sum(1 for _ in history)} of them only in the history)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
