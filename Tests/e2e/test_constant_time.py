"""Secrets are compared in constant time (`Crypto.constantTimeEqual`: HMAC signatures, HS256 JWT signatures, API-key
hashes, tenant ids). Timing is noise on a shared machine, so this counts instructions instead: a small program built
against the real `WardenCrypto` module (the debug build `make test` makes first) compares two 32-byte values many
times under valgrind's callgrind, once differing in their first byte and once in their last. A comparison that
stops at the first difference costs more the later the difference comes; `constantTimeEqual` must cost the same.
The control is Swift's own `==` on the same arrays, which must show the difference, so the method can see one."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

ROUNDS = 20000
PROBE = r"""
import WardenCrypto

let arguments = CommandLine.arguments
let mode = arguments[1]
let rounds = Int(arguments[2]) ?? 0
let a = [UInt8](repeating: 0x41, count: 32)
var b = a
if mode.hasSuffix("first") { b[0] = 0x42 }
if mode.hasSuffix("last") { b[31] = 0x42 }
var equal = 0
if mode.hasPrefix("naive") {
    for _ in 0..<rounds where a == b { equal += 1 }
} else {
    for _ in 0..<rounds where Crypto.constantTimeEqual(a, b) { equal += 1 }
}
print(equal)
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """The probe program, linked with the built WardenCrypto and the static libcrypto of .deps (symbols kept,
    debug info stripped: valgrind cannot read Swift's)."""
    assert shutil.which("valgrind"), "valgrind is missing (scripts/ensure-tools.sh installs it)"
    env = {**os.environ, "PATH": f"/opt/swift/usr/bin:{os.environ.get('PATH', '')}"}
    debug = Path(subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, capture_output=True, text=True, env=env,
                                timeout=120).stdout.strip())
    objects = [debug / "WardenCrypto.build" / "Crypto.swift.o", debug / "CCrypto.build" / "shim.c.o"]
    assert all(o.exists() for o in objects), f"no debug build of WardenCrypto in {debug}: run `swift build`"
    work = tmp_path_factory.mktemp("constant-time")
    (work / "main.swift").write_text(PROBE)
    binary = work / "probe"
    subprocess.run(["swiftc", "-O", str(work / "main.swift"), "-I", str(debug / "Modules"),
                    "-Xcc", f"-fmodule-map-file={debug / 'CCrypto.build' / 'module.modulemap'}",
                    "-I", str(ROOT / "Sources" / "CCrypto" / "include"), "-I", str(ROOT / ".deps" / "prefix" / "include"),
                    *map(str, objects), "-L", str(ROOT / ".deps" / "prefix" / "lib"), "-lcrypto", "-o", str(binary)],
                   check=True, env=env, timeout=300, capture_output=True)
    subprocess.run(["strip", "--strip-debug", str(binary)], check=True, timeout=60)
    return binary


def instructions(probe, mode):
    """User-space instructions of one run of the probe (callgrind's total), which compares ROUNDS times."""
    out = probe.parent / f"callgrind-{mode}.out"
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(probe), mode, str(ROUNDS)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "0", run.stderr[-2000:]
    totals = [line for line in out.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    return int(totals[0].split()[1])


def test_the_comparison_costs_the_same_wherever_the_values_differ(probe):
    first, last = instructions(probe, "first"), instructions(probe, "last")
    # Less than one instruction per comparison between the two (what remains is the start-up's own noise).
    assert abs(first - last) < ROUNDS, (first, last)


def test_the_method_sees_a_comparison_that_stops_early(probe):
    first, last = instructions(probe, "naive-first"), instructions(probe, "naive-last")
    # Swift's `==` on arrays stops at the first difference: tens of instructions more per comparison for the last byte.
    assert last - first > 20 * ROUNDS, (first, last)
