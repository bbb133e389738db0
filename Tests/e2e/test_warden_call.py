"""`warden call`: a signed request from a terminal, to the emulator's invoke endpoint."""
import json
import subprocess

from conftest import ROOT, SECRET, WARDEN, Emulator


def printed(stdout):
    """`warden call`'s output: the status line `HTTP <status>`, then the envelope pretty-printed."""
    status, _, envelope = stdout.partition("\n")
    assert status.startswith("HTTP "), stdout
    return int(status.removeprefix("HTTP ")), json.loads(envelope)


def test_warden_call_signs_and_pretty_prints_the_envelope(function_url, tmp_path):
    e = Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    try:
        url = f"http://127.0.0.1:{e.port}/2015-03-31/functions/function/invocations"
        ok = subprocess.run([str(WARDEN), "call", "calculate_health", "--customer", "nobody", "--owner", "user_call_x",
                             "--endpoint", url, "--secret", SECRET], capture_output=True, text=True, check=True).stdout
        # A customer unknown to its own tenant: flat 22.5 + no tickets 35 + unknown renewal 14 = 71.5 → 72 (even).
        assert printed(ok) == (200, {"ok": True, "error": None, "data": {
            "score": 72, "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]}})
        assert len(ok.splitlines()) > 3, "the envelope is not pretty-printed (one member a line)"
        bad = subprocess.run([str(WARDEN), "call", "calculate_health", "--customer", "nobody", "--endpoint", url,
                              "--secret", "wrong"], capture_output=True, text=True, check=True).stdout
        status, envelope = printed(bad)
        assert (status, envelope["ok"], envelope["data"], envelope["error"]["code"]) == (401, False, None, "UNAUTHORIZED")
    finally:
        e.stop()
