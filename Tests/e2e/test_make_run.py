"""`make run` (scripts/run.sh) serves every function with demo data: a signed call for a seeded customer answers."""
import json
import os
import signal
import subprocess
import time
import urllib.request

from conftest import ROOT, free_port, wait_for_port


def test_make_run_serves_a_signed_calculate_health_call(tmp_path):
    port = free_port()
    env = dict(os.environ, WARDEN_RUN_PORT=str(port), HMAC_SECRET="run-secret")
    env.pop("DATABASE_URL", None)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port, timeout=300)
        event = subprocess.run(["python3", "scripts/sign-event.py", "events/calculate_health/public-globex.json",
                                "run-secret"], cwd=ROOT, capture_output=True, check=True).stdout
        req = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations", data=event)
        with urllib.request.urlopen(req, timeout=30) as r:
            out = json.loads(r.read())
        # Seeded globex: down (0), 7 open tickets (20), renewal in 29 days (30) → 0 + 7 + 6 = 13.
        assert json.loads(out["body"]) == {"ok": True, "data": {"score": 13, "riskLevel": "high",
                                           "signals": ["usage_down", "many_tickets", "renewal_near"]}, "error": None}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
