#!/usr/bin/env python3
"""`bash scripts/layout-profile.sh` (which builds, starts Postgres and seeds a database first): which functions the
copilot tools run, for scripts/text-order.txt, the link's section order (scripts/package.sh).

Each tool's release build (symbols kept, debug info dropped: valgrind cannot read Swift's DWARF 5) runs under
callgrind through `warden emulate`, serving what figure 4 of bench/bench.py sends it: a call for every seeded
customer, the two with odd stored data, an unknown customer, then warm calls, and a CORS preflight. Every function
that ran at all (start-up included) is hot: `.text.<symbol>` for the linker, since every function is a section of
its own (-function-sections for our code, -ffunction-sections for the C libraries of scripts/deps.sh), in name order
(which keeps a module's functions together: the zip compresses them better than in order of instructions, and the
list does not depend on the layout of the build it profiled); then `.text` (the sections no symbol names: the Swift standard library's one section, glibc's,
OpenSSL's assembly), then everything else. The code a warm call touches is then a few hundred contiguous KiB instead
of pages all over the 7 MB of text, which the kernel maps 64 KiB at a time (fault-around): see scripts/package.sh.

Writes the order to stdout. Environment as for bench/bench.py (BENCH_DATABASE_URL, BENCH_OWNER_URL)."""
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

SCRATCH = bench.WORK / "layout"
WARM_ROUNDS = 5  # warm calls: this many rounds over the seeded customers


def executed(callgrind_out):
    """Exclusive instructions per function name in a callgrind profile (written with --compress-strings=no)."""
    ir, fn, skip = Counter(), None, False
    with open(callgrind_out, errors="replace") as f:
        for line in f:
            if line.startswith("fn="):
                fn, skip = line[3:].rstrip("\n"), False
            elif line.startswith("calls="):
                skip = True  # the cost line after a call is the callee's inclusive cost
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip:
                    skip = False
                    continue
                parts = line.split()
                if fn and len(parts) >= 2:
                    ir[fn] += int(parts[1])
    out = Counter()
    for name, n in ir.items():
        name = name.split("'")[0]  # callgrind's recursion marks: name'2
        if n > 0 and not name.startswith(("0x", "(")):
            out[name] += n
    return out


def profile(tool, binary):
    """The functions `tool` runs (name → instructions) over the training calls."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    symbols = SCRATCH / tool
    subprocess.run(["strip", "--strip-debug", "-o", str(symbols), str(binary)], check=True)
    out = SCRATCH / f"{tool}.callgrind"
    out.unlink(missing_ok=True)
    wrapper = SCRATCH / f"{tool}.sh"
    wrapper.write_text(f"#!/bin/sh\nexec valgrind --tool=callgrind --dump-instr=no --compress-strings=no "
                       f"--compress-pos=no --demangle=no --callgrind-out-file={out} {symbols}\n")
    wrapper.chmod(0o755)
    calls = bench.CUSTOMERS + bench.ODD + [bench.UNKNOWN] + bench.CUSTOMERS * WARM_ROUNDS
    emu = bench.Emulator(wrapper, f"layout-{tool}")
    try:
        for tenant, customer in calls:
            status, body = emu.conn.invoke(bench.Invoker.request(bench.signed_event(customer, tenant, tool)))
            if (tenant, customer) == bench.UNKNOWN and tool == "generate_email":
                if status != 200 or b"MISSING_DATA" not in body:
                    raise bench.Failed(f"{tool}: unknown customer: {body[:200]!r}")
            else:
                bench.check(status, body, tool)
        status, body = emu.conn.invoke(bench.Invoker.request(bench.preflight_event(tool)))
        if status != 200 or bench.PREFLIGHT_MARK.encode() not in body:
            raise bench.Failed(f"{tool}: preflight: {body[:200]!r}")
    finally:
        emu.stop()
    for _ in range(100):  # callgrind writes its profile as the process exits
        if out.exists() and out.stat().st_size > 0:
            break
        time.sleep(0.1)
    return executed(out)


def main():
    owner = bench.owner_connection()
    try:
        owner.cursor().execute(bench.ODD_DATA)
    finally:
        owner.close()
    total = Counter()
    for tool in bench.TOOLS:
        binary = bench.ROOT / ".build-static" / "release" / tool
        ran = profile(tool, binary)
        print(f"layout: {tool}: {len(ran)} functions ran", file=sys.stderr)
        total.update(ran)
    names = sorted(total)
    sys.stdout.write("".join(f".text.{name}\n" for name in names) + ".text\n.text.*\n")


if __name__ == "__main__":
    main()
