"""docs/SIGNING.md: its vectors, and a client written only from that document, against a real function."""
import hashlib
import hmac
import json
import re

import pytest

from conftest import ROOT, Emulator, rest_event, snapshot

DOC = (ROOT / "docs" / "SIGNING.md").read_text()
CLIENTS = {"reports-job": {"keys": ["reports-job-key-2026-a", "reports-job-key-2026-b"]},
           "copilot-frontend": {"keys": ["copilot-shared-secret"], "schemes": ["v1", "v2"]}}


def vectors():
    block = DOC.split("## Test vectors", 1)[1]
    return json.loads(block.split("```json\n", 1)[1].split("```", 1)[0])


def doc_client():
    """The Python client published in the document, executed as it stands."""
    code = DOC.split("## A client written from this document (Python)", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(code.split("body = json.dumps", 1)[0], namespace)
    return namespace["signed_headers"]


def test_vectors_hold_for_an_independent_implementation():
    for v in vectors():
        key = v["key"].encode()
        if v["scheme"] == "v1":
            msg = f'{v["timestamp"]}.{v["client"]}.{v["body"]}'.encode()
        else:
            msg = "\n".join(["WARDEN-HMAC-SHA256-V2", v["method"], v["path"], v["timestamp"], v["nonce"], v["client"],
                             hashlib.sha256(v["body"].encode()).hexdigest()]).encode()
            assert msg.decode() == v["stringToSign"]
        assert hmac.new(key, msg, hashlib.sha256).hexdigest() == v["signature"]


@pytest.fixture(scope="module")
def fns(function_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signing")
    env = {"WARDEN_CLIENTS": json.dumps(CLIENTS), "DATABASE_URL": function_url}
    started = {t: Emulator(ROOT / "dist" / t / "bootstrap", tmp_path=tmp, name=t, env=env)
               for t in ("calculate_health", "get_contract_info")}
    yield started
    for e in started.values():
        e.stop()


def send(fn, tool, body, headers):
    _, _, out = fn.invoke(rest_event(tool, body.decode(), headers))
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"])


def test_a_client_written_from_the_document_is_accepted_once(fns, db):
    signed_headers = doc_client()
    body = json.dumps({"customerId": "acme"}).encode()
    headers = signed_headers(b"reports-job-key-2026-a", "reports-job", "POST", "/calculate_health", body)
    status, env = send(fns["calculate_health"], "calculate_health", body, headers)
    assert status == 200 and env["ok"] is True
    # The second key of the client works as well (rotation).
    other = signed_headers(b"reports-job-key-2026-b", "reports-job", "POST", "/calculate_health", body)
    assert send(fns["calculate_health"], "calculate_health", body, other)[0] == 200
    before = snapshot(db)
    # Replays: the same request again, to the same tool and to another one, are refused.
    for tool in ("calculate_health", "get_contract_info"):
        status, env = send(fns[tool], tool, body, headers)
        assert status == 401 and env["error"]["code"] == "UNAUTHORIZED"
    assert snapshot(db) == before


def test_v2_binds_method_and_path(fns):
    signed_headers = doc_client()
    body = json.dumps({"customerId": "acme"}).encode()
    # Signed for get_contract_info, sent to calculate_health.
    headers = signed_headers(b"reports-job-key-2026-a", "reports-job", "POST", "/get_contract_info", body)
    assert send(fns["calculate_health"], "calculate_health", body, headers)[0] == 401
    headers = signed_headers(b"reports-job-key-2026-a", "reports-job", "GET", "/calculate_health", body)
    assert send(fns["calculate_health"], "calculate_health", body, headers)[0] == 401


def test_v1_is_accepted_once_per_tool(fns):
    import time
    body = json.dumps({"customerId": "acme"})
    ts = str(int(time.time() * 1000))
    sig = hmac.new(b"copilot-shared-secret", f"{ts}.copilot-frontend.{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Timestamp": ts, "X-Client": "copilot-frontend", "X-Signature": sig}
    assert send(fns["calculate_health"], "calculate_health", body.encode(), headers)[0] == 200
    # The same signature to another tool is the front end's parallel round (docs/SIGNING.md, "Replays"): served
    # once there too; a second arrival at either tool is a replay.
    assert send(fns["get_contract_info"], "get_contract_info", body.encode(), headers)[0] == 200
    assert send(fns["calculate_health"], "calculate_health", body.encode(), headers)[0] == 401
    assert send(fns["get_contract_info"], "get_contract_info", body.encode(), headers)[0] == 401


def test_clients_only_use_their_schemes(fns):
    import time
    body = json.dumps({"customerId": "acme"})
    ts = str(int(time.time() * 1000))
    # reports-job is v2-only: a v1 signature with its key is refused.
    sig = hmac.new(b"reports-job-key-2026-a", f"{ts}.reports-job.{body}".encode(), hashlib.sha256).hexdigest()
    assert send(fns["calculate_health"], "calculate_health", body.encode(),
                {"X-Timestamp": ts, "X-Client": "reports-job", "X-Signature": sig})[0] == 401
