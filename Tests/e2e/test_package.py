"""The deployable artifacts: dist/<function>.zip, static, and runnable alone in an empty chroot."""
import json
import os
import shutil
import stat
import struct
import subprocess
import zipfile

import pytest

from conftest import ROOT, SECRET, Emulator, rest_event, sign

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/main.swift"))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_zip_holds_exactly_one_static_bootstrap(fn):
    z = ROOT / "dist" / f"{fn}.zip"
    with zipfile.ZipFile(z) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["bootstrap"]
        mode = infos[0].external_attr >> 16
        assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o755
    bootstrap = ROOT / "dist" / fn / "bootstrap"
    assert "statically linked" in subprocess.run(["file", str(bootstrap)], capture_output=True, text=True).stdout
    ldd = subprocess.run(["ldd", str(bootstrap)], capture_output=True, text=True)
    assert "not a dynamic executable" in (ldd.stdout + ldd.stderr)


@pytest.fixture
def chroot_dir(tmp_path):
    root = tmp_path / "jail"
    root.mkdir()
    with zipfile.ZipFile(ROOT / "dist" / "calculate_health.zip") as zf:
        zf.extract("bootstrap", root)
    os.chmod(root / "bootstrap", 0o755)
    (root / "proc").mkdir()
    (root / "tmp").mkdir()
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    yield root
    subprocess.run(["umount", "-l", str(root / "proc")], check=False)


def test_bootstrap_alone_in_an_empty_chroot_serves_and_reaches_postgres(chroot_dir, function_url, db, tmp_path):
    assert sorted(p.name for p in chroot_dir.iterdir()) == ["bootstrap", "proc", "tmp"]
    cur = db.cursor()
    cur.execute("DELETE FROM usage_summaries WHERE owner_user_id = 'chroot'")
    cur.execute("INSERT INTO usage_summaries (company_external_id, owner_user_id, trend) VALUES ('jailco', 'chroot', 'up')")
    launcher = tmp_path / "launch.sh"
    launcher.write_text(f"#!/bin/sh\nexec chroot {chroot_dir} /bootstrap\n")
    launcher.chmod(0o755)
    e = Emulator(launcher, tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    try:
        body = json.dumps({"customerId": "jailco", "params": {"ownerUserId": "chroot"}})
        status, _, out = e.invoke(rest_event("calculate_health", body, sign(body)))
        assert status == 200, out
        env = json.loads(json.loads(out)["body"])
        # up (100·0.45) + no tickets (35) + unknown renewal (14) = 94: the row was read from Postgres.
        assert env == {"ok": True, "data": {"score": 94, "riskLevel": "low", "signals": ["usage_up", "no_tickets"]},
                       "error": None}
    finally:
        e.stop()
        cur.execute("DELETE FROM usage_summaries WHERE owner_user_id = 'chroot'")


def test_rebuild_from_scratch_is_byte_identical(tmp_path):
    """A clean release build in another place yields the very same zip bytes."""
    env = dict(os.environ, WARDEN_STATIC_SCRATCH=str(tmp_path / "scratch"), WARDEN_DIST=str(tmp_path / "dist"))
    subprocess.run(["bash", "scripts/package.sh", "calculate_health"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    assert (tmp_path / "dist" / "calculate_health.zip").read_bytes() == (ROOT / "dist" / "calculate_health.zip").read_bytes()


def _load_segments(path):
    """(flags, offset, vaddr) of each PT_LOAD program header of a 64-bit little-endian ELF file."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    for i in range(phnum):
        p_type, p_flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            out.append((p_flags, p_offset, p_vaddr))
    return out


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_text_segment_cannot_be_mapped_in_2mib_pages(fn):
    """scripts/package.sh starts the text 4 KiB past a 2 MiB boundary: a 2 MiB page-cache folio of it is never mapped
    whole (its address and file offset would have to agree modulo 2 MiB), which would make 2 MiB resident for the
    little code a call runs in it."""
    text = [(offset, vaddr) for flags, offset, vaddr in _load_segments(ROOT / "dist" / fn / "bootstrap") if flags & 1]
    assert len(text) == 1
    offset, vaddr = text[0]
    assert (vaddr - offset) % (2 << 20) != 0


def test_warm_path_code_is_linked_together():
    """The functions scripts/text-order.txt names (those the copilot tools' calls ran) come first in the text,
    together: in calculate_health's unstripped build, four in five of them within its first 1.5 MiB (the others are
    the Swift standard library's, which is one section, linked right after them; without the order, fewer than one
    in three)."""
    hot = {line[len(".text."):] for line in (ROOT / "scripts" / "text-order.txt").read_text().splitlines()
           if line.startswith(".text.") and line != ".text.*"}
    binary = ROOT / os.environ.get("WARDEN_STATIC_SCRATCH", ".build-static") / "release" / "calculate_health"
    nm = subprocess.run(["nm", "--defined-only", "-S", str(binary)], capture_output=True, text=True, check=True).stdout
    text_start, placed = None, []
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTW":
            address, size = int(parts[0], 16), int(parts[1], 16)
            text_start = address if text_start is None else min(text_start, address)
            if parts[3] in hot:
                placed.append(address + size)
    assert len(placed) > len(hot) // 2  # most of the list names functions this build has
    near = sum(1 for end in placed if end - text_start <= 1536 * 1024)
    assert near >= 0.75 * len(placed), f"{near} of {len(placed)}"
