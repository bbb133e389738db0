"""`warden call`: a signed request from a terminal, to the emulator's invoke endpoint."""
import subprocess

from conftest import ROOT, SECRET, WARDEN, Emulator


def test_warden_call_signs_and_pretty_prints_the_envelope(function_url, tmp_path):
    e = Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    try:
        url = f"http://127.0.0.1:{e.port}/2015-03-31/functions/function/invocations"
        ok = subprocess.run([str(WARDEN), "call", "calculate_health", "--customer", "nobody", "--owner", "user_x",
                             "--endpoint", url, "--secret", SECRET], capture_output=True, text=True, check=True).stdout
        assert ok.startswith("HTTP 200") and '"ok" : true' in ok and '"riskLevel" : "medium"' in ok
        bad = subprocess.run([str(WARDEN), "call", "calculate_health", "--customer", "nobody", "--endpoint", url,
                              "--secret", "wrong"], capture_output=True, text=True, check=True).stdout
        assert bad.startswith("HTTP 401") and '"UNAUTHORIZED"' in bad
    finally:
        e.stop()
