"""The static C libraries of the bootstraps against Debian's security suite (`scripts/security.sh native`).

1. scripts/deps-versions is what is built: each source package there is one that scripts/deps.sh fetches (and no
   other), its version is the one unpacked in .deps/src (deps.sh builds from that tree); each copied archive's
   package is installed at the listed version and .deps/prefix/lib holds the same bytes as the system's copy.
   A disagreement fails (exit 1): the list is the one record of what the bootstraps contain.
2. Advisories: bookworm-security's source index (apt, refreshed when older than six hours) is asked for each
   package; a newer version there than the listed one is a Debian security release, i.e. a fixed advisory. It is
   printed as ADVISORY with the tracker link, whether the mirror already serves it, and how to take it. With
   WARDEN_SECURITY_STRICT=1 an advisory fails (exit 2); without, the job passes and says so.
   If the index cannot be refreshed and is older than a day, the advisory part says NOT CHECKED (strict: exit 2).

Usage: python3 native_deps.py [--root DIR] [--list FILE] [--no-refresh]
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

SUITE = "bookworm-security"
TRACKER = "https://security-tracker.debian.org/tracker/source-package/"
INRELEASE = "/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_InRelease"
STRICT = os.environ.get("WARDEN_SECURITY_STRICT") == "1"


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check).stdout


def read_list(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if len(parts) != 5 or not all(parts):
                sys.exit(f"native: {path}:{n}: expected `library | source package | version | suite | how`")
            library, source, version, suite, how = parts
            copied = re.search(r"(\S+\.a) copied from the installed (\S+)", how)
            rows.append({"library": library, "source": source, "version": version, "suite": suite,
                         "archive": copied and copied.group(1), "binary": copied and copied.group(2), "line": n})
    return rows


def newer(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "gt", b]).returncode == 0


def agreement(root, rows, list_path):
    """The list against scripts/deps.sh and .deps; returns the problems."""
    problems = []
    with open(os.path.join(root, "scripts/deps.sh")) as f:
        script = f.read()
    fetched = set(re.findall(r"^fetch_source (\S+)$", script, re.M))
    copied = set(re.search(r"^for a in ([^;]+); do", script, re.M).group(1).split())
    built = {r["source"] for r in rows if not r["archive"]}
    if fetched != built:
        problems.append(f"scripts/deps.sh fetches {sorted(fetched)}, {list_path} lists {sorted(built)} as built")
    if copied != {r["archive"] for r in rows if r["archive"]}:
        problems.append(f"scripts/deps.sh copies {sorted(copied)}, {list_path} lists "
                        f"{sorted(r['archive'] for r in rows if r['archive'])}")
    for r in rows:
        if r["archive"]:
            have = sh("dpkg-query", "-W", "-f=${Version}", r["binary"], check=False).strip() or "not installed"
            if have != r["version"]:
                problems.append(f"{r['library']}: {r['binary']} is {have}, {list_path}:{r['line']} says {r['version']}")
            system = os.path.join("/usr/lib/x86_64-linux-gnu", r["archive"])
            ours = os.path.join(root, ".deps/prefix/lib", r["archive"])
            if os.path.exists(ours) and os.path.exists(system) and open(ours, "rb").read() != open(system, "rb").read():
                problems.append(f"{r['library']}: .deps/prefix/lib/{r['archive']} differs from the installed "
                                f"{r['binary']}'s: rebuild with scripts/deps.sh")
            continue
        trees = sorted(glob.glob(os.path.join(root, ".deps/src", r["source"] + "-[0-9]*", "debian/changelog")))
        if not trees:
            problems.append(f"{r['library']}: no .deps/src/{r['source']}-* (run scripts/deps.sh first)")
            continue
        have = sh("dpkg-parsechangelog", "-l", trees[0], "-S", "Version").strip()
        if have != r["version"]:
            problems.append(f"{r['library']}: .deps/src holds {r['source']} {have}, {list_path}:{r['line']} says "
                            f"{r['version']} (a new build took a newer version: record it here; or an old .deps/src: "
                            f"remove .deps/src/{r['source']}-* and run scripts/deps.sh)")
    return problems


def refresh_index(root, allow):
    """(fresh enough?, what to say) for bookworm-security's index. apt leaves InRelease untouched when the mirror
    answers "not modified", so a successful update is also recorded in .local/security-apt-updated."""
    stamp = os.path.join(root, ".local", "security-apt-updated")

    def elapsed():
        times = [os.path.getmtime(p) for p in (INRELEASE, stamp) if os.path.exists(p)]
        return time.time() - max(times) if times and os.path.exists(INRELEASE) else None

    if elapsed() is not None and elapsed() < 6 * 3600:
        return True, f"index checked {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(time.time() - elapsed()))}"
    if allow:
        ok = subprocess.run(["apt-get", "update", "-q"], capture_output=True, text=True, timeout=240).returncode == 0
        if ok and os.path.exists(INRELEASE):
            os.makedirs(os.path.dirname(stamp), exist_ok=True)
            with open(stamp, "w") as f:
                f.write(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
            return True, "index refreshed now (apt-get update)"
    age = elapsed()
    if age is not None and age < 24 * 3600:
        return True, f"index {age / 3600:.0f} h old (apt-get update failed or was not run)"
    return False, "no bookworm-security index younger than a day (apt-get update failed or was not run)"


def security_versions(source):
    out = []
    for line in sh("apt-cache", "madison", source, check=False).splitlines():
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 3 and fields[2].endswith("Sources") and f" {SUITE}/" in f" {fields[2]}":
            out.append(fields[1])
    return out


def downloadable(r, version):
    """Whether the mirror serves that version (its .dsc, or the .deb of the copied package): HEAD on the URL apt names."""
    if r["archive"]:
        uris = sh("apt-get", "download", "--print-uris", f"{r['binary']}={version}", check=False)
    else:
        uris = sh("apt-get", "source", "--print-uris", f"{r['source']}={version}", check=False)
    url = next((m for m in re.findall(r"'([^']+)'", uris) if m.endswith((".dsc", ".deb"))), None)
    if url is None:
        return None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=20) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False
    except OSError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.getcwd())
    parser.add_argument("--list", default="scripts/deps-versions")
    parser.add_argument("--no-refresh", action="store_true", help="never run apt-get update")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    rows = read_list(os.path.join(root, args.list))

    problems = agreement(root, rows, args.list)
    for p in problems:
        print(f"native: MISMATCH {p}")

    fresh, index = refresh_index(root, allow=not args.no_refresh)
    advisories = 0
    if fresh:
        for r in rows:
            later = [v for v in security_versions(r["source"]) if newer(v, r["version"])]
            if not later:
                continue
            advisories += 1
            top = later[0]
            for v in later[1:]:
                top = v if newer(v, top) else top
            served = downloadable(r, top)
            how = ("the mirror serves it: remove .deps/src/" + r["source"] + "-* and run scripts/deps.sh, then record "
                   "the new version here" if not r["archive"] else
                   f"the mirror serves it: apt-get install {r['binary']}, rebuild .deps, record the version")
            if served is False:
                how = "this mirror does not serve it yet (404): it cannot be built here until it does"
            elif served is None:
                how = "whether the mirror serves it could not be checked"
            print(f"native: ADVISORY {r['library']} ({r['source']}): {SUITE} has {top}, the bootstraps have "
                  f"{r['version']}; {how}. Details: {TRACKER}{r['source']}")
    summary = ", ".join(f"{r['library']} {r['version']}" for r in rows)
    if problems:
        print(f"native: FAILED: {args.list} does not agree with what scripts/deps.sh builds ({len(problems)} problems)")
        return 1
    if not fresh:
        print(f"native: NOT CHECKED for advisories: {index}. Listed: {summary}")
        return 2 if STRICT else 0
    if advisories:
        print(f"native: {advisories} advisories ({SUITE}, {index}); the list agrees with .deps ({summary})"
              + ("" if STRICT else "; passing (WARDEN_SECURITY_STRICT=1 fails on advisories)"))
        return 2 if STRICT else 0
    print(f"native: ok: {summary}; nothing newer in {SUITE} ({index})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
