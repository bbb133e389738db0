"""`make run` (scripts/run.sh) serves every function with demo data through `warden gateway`: a signed copilot call
(headers from scripts/sign-request.py, as the printed curl makes them) and a bearer-JWT participant call answer."""
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import ROOT, free_port, wait_for, wait_for_port


# The first `make run` on a fresh machine builds the static dependencies and every function before it serves.
@pytest.mark.timeout(900, method="signal")
def test_make_run_serves_the_template_through_the_gateway(tmp_path):
    port = free_port()
    url_port = free_port()
    env = dict(os.environ, WARDEN_RUN_PORT=str(port), WARDEN_RUN_URL_PORT=str(url_port), HMAC_SECRET="run-secret",
               JWT_SECRET="run-jwt-secret-0123456789abcdef0123")
    env.pop("DATABASE_URL", None)
    env.pop("RATE_LIMIT_PER_MINUTE", None)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port, timeout=600)  # a hang guard: the first `make run` builds the static dependencies
        body = json.dumps({"customerId": "globex", "params": {}})
        signed = subprocess.run(["python3", "scripts/sign-request.py", body], cwd=ROOT, env=env, capture_output=True,
                                text=True, check=True).stdout
        headers = dict(line.split(": ", 1) for line in signed.splitlines())
        assert set(headers) == {"X-Timestamp", "X-Client", "X-Signature"}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/prod/calculate_health", data=body.encode(),
                                     headers={"Content-Type": "application/json", **headers}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200 and r.headers["x-amzn-RequestId"]  # through the REST API of the gateway
            out = json.loads(r.read())
        # Seeded globex: down (0), 7 open tickets (20), renewal in 29 days (30) → 0 + 7 + 6 = 13.
        assert out == {"ok": True, "data": {"score": 13, "riskLevel": "high",
                                            "signals": ["usage_down", "many_tickets", "renewal_near"]}, "error": None}

        # The same call with a wrong secret is refused by the function.
        bad = subprocess.run(["python3", "scripts/sign-request.py", "--secret", "not-the-secret", body], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        req = urllib.request.Request(f"http://127.0.0.1:{port}/calculate_health", data=body.encode(),
                                     headers={"Content-Type": "application/json",
                                              **dict(line.split(": ", 1) for line in bad.splitlines())}, method="POST")
        try:
            urllib.request.urlopen(req, timeout=30)
            raise AssertionError("a badly signed call was accepted")
        except urllib.error.HTTPError as e:
            assert e.code == 401 and json.loads(e.read())["error"]["code"] == "UNAUTHORIZED"

        token = subprocess.run(["python3", "scripts/sign-request.py", "--jwt", "user_demo_owner"], cwd=ROOT, env=env,
                               capture_output=True, text=True, check=True).stdout.strip()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/prod/api/participants",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200 and r.headers["Apigw-Requestid"]  # through the HTTP API of the gateway
            listed = json.loads(r.read())
        assert listed["ok"] is True and isinstance(listed["data"], list)

        # The same printed token is accepted by the MCP endpoint for the copilot tenant user_demo_owner (its default
        # audience is the one make run configures), through the official MCP SDK.
        import anyio
        import httpx2
        from mcp.client.client import Client
        from mcp.client.streamable_http import streamable_http_client

        async def mcp_call():
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
                async with Client(streamable_http_client(f"http://127.0.0.1:{port}/prod/mcp", http_client=http),
                                  mode="auto") as client:
                    return await client.call_tool("calculate_health", {"customerId": "hooli"})

        result = anyio.run(mcp_call)
        # Seeded hooli of user_demo_owner: up (45), 1 open ticket (28), no renewal date (180 days: 14) → 87.
        assert result.is_error is False and result.structured_content == {
            "score": 87, "riskLevel": "low", "signals": ["usage_up", "few_tickets"]}

        def instructions():
            text = (tmp_path / "run.log").read_text(errors="replace")
            return text if "Ctrl-C stops everything" in text else None

        printed = wait_for(instructions, lambda: "make run printing its instructions:\n"
                                                 + (tmp_path / "run.log").read_text(errors="replace")[-3000:])
        assert f"http://127.0.0.1:{port}/prod/calculate_health" in printed and "sign-request.py" in printed
        assert f"http://127.0.0.1:{port}/prod/mcp" in printed
        assert "warden gateway: ready" in printed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
