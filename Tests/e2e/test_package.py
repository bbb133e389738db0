"""The deployable artifacts: dist/<function>.zip, static, and runnable alone in an empty chroot."""
import json
import os
import shutil
import stat
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
