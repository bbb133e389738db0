"""The hostile-input catalogue: every case across the six tools gets the right status and envelope code, no
tenant row changes (row counts and a checksum of every tenant table), and no secret, signature or e-mail value
reaches any log line."""
import base64
import json
import time
import uuid

import pytest

from conftest import (ROOT, SECRET, Emulator, assert_only_replay_records_added, guarded_state, replay_records,
                      rest_event, sign, snapshot, snapshot_changes, v1_replay_key, v2_signature)

TOOLS = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
         "generate_qbr_outline"]
ORIGIN = "https://copilot.example.com"
V2_KEY = "catalogue-v2-client-key"
SENT_SECRETS = set()  # every signature sent, to look for in the logs afterwards


@pytest.fixture(scope="module")
def fns(function_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalogue")
    clients = {"copilot-frontend": {"keys": [SECRET], "schemes": ["v1", "v2"]}, "v2-client": {"keys": [V2_KEY]}}
    env = {"WARDEN_CLIENTS": json.dumps(clients), "DATABASE_URL": function_url, "ALLOWED_ORIGIN": ORIGIN,
           "AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}
    started = {t: Emulator(ROOT / "dist" / t / "bootstrap", tmp_path=tmp, name=t, env=env) for t in TOOLS}
    yield started
    for e in started.values():
        e.stop()


def signed(body, **kw):
    h = sign(body, **kw)
    SENT_SECRETS.add(h["X-Signature"])
    return h


def v2_headers(tool, body, method="POST", path=None, nonce=None, client="v2-client", key=V2_KEY):
    ts = str(int(time.time() * 1000))
    nonce = nonce or uuid.uuid4().hex
    sig = v2_signature(key, method, path or f"/{tool}", ts, nonce, client, body)
    SENT_SECRETS.add(sig)
    return {"X-Client": client, "X-Timestamp": ts, "X-Nonce": nonce, "X-Signature": f"v2={sig}"}


OK = json.dumps({"customerId": "acme"})


def ev(tool, body=OK, headers=None, **kw):
    return rest_event(tool, body, headers, **kw)


def with_multi(event, name, values):
    event["multiValueHeaders"] = {**(event.get("multiValueHeaders") or {}), name: values}
    return event


def deep(n):
    return '{"customerId":"a","params":' + '{"x":' * n + "1" + "}" * n + "}"


# name → (builder(tool) → event, status, code). Builders run at call time, so timestamps are fresh.
CASES = {
    "no headers": (lambda t: ev(t, headers={}), 401, "UNAUTHORIZED"),
    "bad signature": (lambda t: ev(t, headers=signed(OK, secret="wrong-secret")), 401, "UNAUTHORIZED"),
    "signature of another body": (lambda t: ev(t, body=json.dumps({"customerId": "globex"}), headers=signed(OK)), 401, "UNAUTHORIZED"),
    "timestamp 6 minutes old": (lambda t: ev(t, headers=signed(OK, ts_ms=int(time.time() * 1000) - 360_000)), 401, "UNAUTHORIZED"),
    "timestamp 6 minutes ahead": (lambda t: ev(t, headers=signed(OK, ts_ms=int(time.time() * 1000) + 360_000)), 401, "UNAUTHORIZED"),
    "non-numeric timestamp": (lambda t: ev(t, headers=signed(OK, ts_ms="17800000x0000")), 401, "UNAUTHORIZED"),
    "timestamp in seconds": (lambda t: ev(t, headers=signed(OK, ts_ms=int(time.time()))), 401, "UNAUTHORIZED"),
    "empty signature": (lambda t: ev(t, headers={**signed(OK), "X-Signature": ""}), 401, "UNAUTHORIZED"),
    "truncated signature": (lambda t: ev(t, headers={**(h := signed(OK)), "X-Signature": h["X-Signature"][:-2]}), 401, "UNAUTHORIZED"),
    "duplicate signature headers": (lambda t: with_multi(ev(t, headers=signed(OK)), "X-Signature", ["0" * 64, "1" * 64]), 401, "UNAUTHORIZED"),
    "differently-cased duplicate signature": (lambda t: ev(t, headers={**signed(OK), "x-signature": "f" * 64}), 401, "UNAUTHORIZED"),
    "duplicate client headers": (lambda t: ev(t, headers={**signed(OK), "x-client": "intruder"}), 401, "UNAUTHORIZED"),
    "huge client header": (lambda t: ev(t, headers={**signed(OK), "X-Client": "c" * 10_000}), 401, "UNAUTHORIZED"),
    "huge signature header": (lambda t: ev(t, headers={**signed(OK), "X-Signature": "a" * 20_000}), 401, "UNAUTHORIZED"),
    "control character in client": (lambda t: ev(t, headers={**signed(OK), "X-Client": "copilot\u0007frontend"}), 401, "UNAUTHORIZED"),
    "v2 unknown client": (lambda t: ev(t, headers=v2_headers(t, OK, client="stranger")), 401, "UNAUTHORIZED"),
    "v2 signed for another path": (lambda t: ev(t, headers=v2_headers(t, OK, path="/generate_email" if t != "generate_email" else "/calculate_health")), 401, "UNAUTHORIZED"),
    "v2 signed for another method": (lambda t: ev(t, headers=v2_headers(t, OK, method="PUT")), 401, "UNAUTHORIZED"),
    "v2 short nonce": (lambda t: ev(t, headers=v2_headers(t, OK, nonce="abc")), 401, "UNAUTHORIZED"),
    "v2 wrong key": (lambda t: ev(t, headers=v2_headers(t, OK, key="not-the-v2-client-key")), 401, "UNAUTHORIZED"),
    "malformed JSON": (lambda t: ev(t, body='{"customerId": "acme"', headers=signed('{"customerId": "acme"')), 400, "INVALID_INPUT"),
    "JSON array body": (lambda t: ev(t, body='[{"customerId":"acme"}]', headers=signed('[{"customerId":"acme"}]')), 400, "INVALID_INPUT"),
    "JSON string body": (lambda t: ev(t, body='"acme"', headers=signed('"acme"')), 400, "INVALID_INPUT"),
    "JSON null body": (lambda t: ev(t, body="null", headers=signed("null")), 400, "INVALID_INPUT"),
    "empty body": (lambda t: ev(t, body="", headers=signed("")), 400, "INVALID_INPUT"),
    "missing customerId": (lambda t: ev(t, body=(b := '{"params":{}}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "empty customerId": (lambda t: ev(t, body=(b := '{"customerId":""}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "numeric customerId": (lambda t: ev(t, body=(b := '{"customerId":7}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "object customerId": (lambda t: ev(t, body=(b := '{"customerId":{"$ne":""}}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "overlong customerId": (lambda t: ev(t, body=(b := json.dumps({"customerId": "x" * 300})), headers=signed(b)), 400, "INVALID_INPUT"),
    "NUL in customerId": (lambda t: ev(t, body=(b := '{"customerId":"ac\\u0000me"}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "params a string": (lambda t: ev(t, body=(b := '{"customerId":"a","params":"x"}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "params an array": (lambda t: ev(t, body=(b := '{"customerId":"a","params":[]}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "params null": (lambda t: ev(t, body=(b := '{"customerId":"a","params":null}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "numeric ownerUserId": (lambda t: ev(t, body=(b := '{"customerId":"a","params":{"ownerUserId":1}}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "object ownerUserId": (lambda t: ev(t, body=(b := '{"customerId":"a","params":{"ownerUserId":{"x":1}}}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "overlong ownerUserId": (lambda t: ev(t, body=(b := json.dumps({"customerId": "a", "params": {"ownerUserId": "u" * 300}})), headers=signed(b)), 400, "INVALID_INPUT"),
    "duplicate customerId keys": (lambda t: ev(t, body=(b := '{"customerId":"a","customerId":"b"}'), headers=signed(b)), 400, "INVALID_INPUT"),
    "params nested past the limit": (lambda t: ev(t, body=(b := deep(1000)), headers=signed(b)), 400, "INVALID_INPUT"),
    "non-UTF-8 body": (lambda t: rest_event(t, base64.b64encode(b'{"customerId":"\xff\xfe"}').decode(),
                                            signed_bytes(b'{"customerId":"\xff\xfe"}'), base64_body=True), 400, "INVALID_INPUT"),
    "invalid base64 body": (lambda t: rest_event(t, "%%%not base64%%%", signed("%%%not base64%%%"), base64_body=True), 400, "INVALID_INPUT"),
    "body over 256 KiB": (lambda t: ev(t, body=(b := json.dumps({"customerId": "a", "pad": "p" * 270_000})), headers=signed(b)), 413, "PAYLOAD_TOO_LARGE"),
    "text/plain content type": (lambda t: ev(t, headers={**signed(OK), "Content-Type": "text/plain"}), 415, "UNSUPPORTED_MEDIA_TYPE"),
    "form content type": (lambda t: ev(t, headers={**signed(OK), "Content-Type": "application/x-www-form-urlencoded"}), 415, "UNSUPPORTED_MEDIA_TYPE"),
    "foreign origin POST": (lambda t: ev(t, headers={**signed(OK), "Origin": "https://evil.example.net"}), 403, "FORBIDDEN"),
    "foreign origin preflight": (lambda t: ev(t, body=None, headers={"Origin": "https://evil.example.net"}, method="OPTIONS"), 403, "FORBIDDEN"),
    "origin that only starts like an allowed one": (lambda t: ev(t, headers={**signed(OK), "Origin": ORIGIN + ".evil.net"}), 403, "FORBIDDEN"),
    "GET instead of POST": (lambda t: ev(t, method="GET", headers=signed(OK)), 405, "METHOD_NOT_ALLOWED"),
    "DELETE instead of POST": (lambda t: ev(t, method="DELETE", headers=signed(OK)), 405, "METHOD_NOT_ALLOWED"),
    "not an API Gateway event": (lambda t: {"customerId": "acme"}, 400, "INVALID_INPUT"),
    "event with a numeric body": (lambda t: {**ev(t, headers=signed("")), "body": 42}, 400, "INVALID_INPUT"),
}


def signed_bytes(raw):
    h = sign(raw, ts_ms=int(time.time() * 1000))
    SENT_SECRETS.add(h["X-Signature"])
    return h


def answer(fn, event):
    status, _, out = fn.invoke(event)
    assert status == 200, out
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(fns, db, name):
    build, status, code = CASES[name]
    tool = TOOLS[list(CASES).index(name) % len(TOOLS)]
    before = snapshot(db)
    got_status, env = answer(fns[tool], build(tool))
    assert (got_status, env["error"]["code"] if env else None) == (status, code), env
    assert env["ok"] is False and env["data"] is None and set(env["error"]) == {"code", "message"}
    for leak in ("Postgres", "SQLSTATE", "libpq", "Error(", "/work", "HMAC_SECRET", "DATABASE_URL", "WARDEN_CLIENTS", "Swift"):
        assert leak not in env["error"]["message"]
    assert snapshot(db) == before


@pytest.mark.parametrize("tool", TOOLS)
def test_deep_but_valid_params_are_ignored_and_the_limit_is_named(fns, db, tool):
    # Valid JSON within the size limit is a valid request, however deep its extra params (up to 1000 levels, the
    # whole body counted); past that, the message says what the limit is.
    body = deep(999).replace('"customerId":"a"', '"customerId":"acme"')
    status, env = answer(fns[tool], ev(tool, body=body, headers=signed(body)))
    assert status in (200, 404) and (env["ok"] or env["error"]["code"] == "MISSING_DATA"), env
    before = snapshot(db)
    status, env = answer(fns[tool], ev(tool, body=(b := deep(1000)), headers=signed(b)))
    assert (status, env["error"]) == (400, {"code": "INVALID_INPUT",
                                            "message": "The request body nests arrays and objects deeper than 1000 levels."})
    assert snapshot(db) == before


def nonce_count(db):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM request_nonces")
    return cur.fetchone()[0]


@pytest.mark.parametrize("tool", TOOLS)
def test_a_replay_is_refused_on_every_tool(fns, db, tool):
    headers = signed(OK)
    first, _ = answer(fns[tool], ev(tool, headers=headers))
    assert first in (200, 404)  # generate_email answers MISSING_DATA for an unknown customer
    before, nonces = snapshot(db), nonce_count(db)
    status, env = answer(fns[tool], ev(tool, headers=headers))
    assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    assert snapshot(db) == before and nonce_count(db) == nonces


@pytest.mark.parametrize("tool", TOOLS)
def test_one_v1_signature_serves_each_tool_once(fns, db, tool):
    # The front end's parallel round: the same timestamp, body and signature to every tool (CONTRACTS.md §1). Each
    # tool serves it once; a second arrival at the same tool is a replay.
    headers = signed(OK)
    others = [t for t in TOOLS if t != tool]
    for t in [tool, *others]:
        status, env = answer(fns[t], ev(t, headers=headers))
        assert status in (200, 404) and (env["ok"] or env["error"]["code"] == "MISSING_DATA"), (t, env)
    before, nonces = snapshot(db), nonce_count(db)
    for t in [tool, *others]:
        status, env = answer(fns[t], ev(t, headers=headers))
        assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED"), t
    assert snapshot(db) == before and nonce_count(db) == nonces


@pytest.mark.parametrize("body", [
    {"customerId": "acme' OR '1'='1"},
    {"customerId": "acme'; DROP TABLE contracts; --"},
    {"customerId": "acme", "params": {"ownerUserId": "' OR owner_user_id <> '"}},
    {"customerId": "x", "params": {"ownerUserId": "public' UNION SELECT * FROM audit_events --"}},
    {"customerId": "jane.doe@example.com", "params": {"ownerUserId": "john.roe@example.org"}},
])
def test_injection_strings_are_plain_identifiers_on_every_tool(fns, db, body):
    raw = json.dumps(body)
    state, replay_keys = guarded_state(db), set()
    for tool in TOOLS:
        headers = signed(raw)
        status, env = answer(fns[tool], ev(tool, body=raw, headers=headers))
        if tool == "generate_email":
            assert (status, env["error"]["code"]) == (404, "MISSING_DATA")
        else:
            assert status == 200 and env["ok"] is True
        replay_keys.add(v1_replay_key(tool, headers))
    # Accepted calls (a tool's 404 included, docs/SIGNING.md "Replays"): each one's replay record is the only change.
    assert_only_replay_records_added(db, state, replay_keys)


def test_over_rate_burst(function_url, db, tmp_path):
    e = Emulator(ROOT / "dist" / "generate_qbr_outline" / "bootstrap", tmp_path=tmp_path, name="generate_qbr_outline",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": "3"})
    try:
        tenant = "burst_" + uuid.uuid4().hex[:8]
        before, records = snapshot(db), replay_records(db)
        cur = db.cursor()
        cur.execute("SELECT key FROM rate_buckets")
        buckets = {r[0] for r in cur.fetchall()}
        codes, admitted = [], set()
        for i in range(6):
            if i == 3:
                after_admitted = snapshot(db)
            raw = json.dumps({"customerId": f"c{i}", "params": {"ownerUserId": tenant}})
            headers = signed(raw)
            status, env = answer(e, ev("generate_qbr_outline", body=raw, headers=headers))
            codes.append(env["error"]["code"] if env and not env["ok"] else status)
            if status == 200:
                admitted.add(v1_replay_key("generate_qbr_outline", headers))
        assert codes == [200, 200, 200, "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"]
        # The refused calls changed nothing at all: not the bucket, no replay record.
        assert snapshot(db) == after_admitted
        # The admitted ones (documented: README "Security properties", docs/ARCHITECTURE.md "Request guards"): their
        # replay records, and the tenant's new bucket, emptied by their three tokens.
        assert snapshot_changes(before, after_admitted) == ["rate_buckets", "request_nonces"]
        assert set(replay_records(db)) - set(records) == admitted
        cur.execute("SELECT key, tokens FROM rate_buckets")
        new_buckets = [(k, tokens) for k, tokens in cur.fetchall() if k not in buckets]
        assert len(new_buckets) == 1 and tenant in new_buckets[0][0] and new_buckets[0][1] < 1, new_buckets
    finally:
        e.stop()


def request_log_lines(fn, start, count, deadline_seconds=30):
    """The JSON `request` lines `fn` printed after offset `start` of its output, once there are `count` of them (the
    emulator forwards a function's output as it comes, possibly after the answer); fails at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        text = fn.output()[start:]
        found = [json.loads(l) for l in text.splitlines() if l.startswith("{") and '"message":"request"' in l]
        if len(found) >= count or time.monotonic() > deadline:
            return text, found


def test_every_call_logs_its_request_line_and_no_secret_signature_or_email(fns):
    """Every call — refused ones included — writes its JSON `request` line, in order, with the status and error code it
    answered; and no line of any function holds a secret, a signature sent or an e-mail address (the bodies below
    carry two). The test makes its own calls (each catalogue case on its tool, then a signed body with e-mail
    addresses on every tool), so it needs no other test to have run first, and a line that vanished fails it."""
    starts = {tool: len(fns[tool].output()) for tool in TOOLS}
    answered = {tool: [] for tool in TOOLS}
    for i, (build, _, _) in enumerate(CASES.values()):
        tool = TOOLS[i % len(TOOLS)]
        status, env = answer(fns[tool], build(tool))
        answered[tool].append((status, env["error"]["code"] if env and not env["ok"] else None))
    raw = json.dumps({"customerId": "jane.doe@example.com", "params": {"ownerUserId": "john.roe@example.org"}})
    for tool in TOOLS:
        status, env = answer(fns[tool], ev(tool, body=raw, headers=signed(raw)))
        answered[tool].append((status, env["error"]["code"] if env and not env["ok"] else None))
    texts = []
    for tool in TOOLS:
        text, lines = request_log_lines(fns[tool], starts[tool], len(answered[tool]))
        texts.append(text)
        assert [(l["status"], l.get("error.code")) for l in lines] == answered[tool], tool
        assert all(l["tool"] == tool and l["level"] == "INFO" and l["requestId"] for l in lines), tool
        for line in text.splitlines():
            if line.startswith("{"):
                json.loads(line)  # every record is one JSON line
    text = "\n".join(texts)
    for value in [SECRET, V2_KEY, "warden-app-local-password", "jane.doe@example.com", "john.roe@example.org", *SENT_SECRETS]:
        assert value not in text
    assert "@" not in "".join(l for l in text.splitlines() if l.startswith("{"))
