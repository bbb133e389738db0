"""calculate_health end to end: the packaged static bootstrap under `warden emulate`, against real PostgreSQL."""
import base64
import json
import time

import pytest

from conftest import ROOT, SECRET, rest_event, sign, snapshot

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
DAY = 86400
OWNER_A = "user_e2e_a"
OWNER_B = "user_e2e_b"


@pytest.fixture(scope="module")
def data(db):
    cur = db.cursor()
    for t in ["companies", "contracts", "usage_summaries", "ticket_summaries", "messages"]:
        cur.execute(f"DELETE FROM {t}")
    rows = [
        # owner, customer, trend, open, renewal days (None = no contract)
        ("public", "acme", "up", 0, 365),
        ("public", "globex", "down", 7, 30),
        ("public", "initech", "flat", 2, 100),
        (OWNER_A, "acme", "down", 4, 20),
        (OWNER_A, "hooli", "up", 1, None),
        (OWNER_B, "secret-co", "up", 0, 400),
    ]
    for owner, cust, trend, open_tickets, days in rows:
        cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, %s, %s)", (cust, cust.title(), owner))
        cur.execute("INSERT INTO usage_summaries (company_external_id, owner_user_id, trend, avg_daily_users, sparkline) "
                    "VALUES (%s, %s, %s, 10, '[1,2,3]')", (cust, owner, trend))
        cur.execute("INSERT INTO ticket_summaries (company_external_id, owner_user_id, open_tickets, recent_tickets) "
                    "VALUES (%s, %s, %s, '[]')", (cust, owner, open_tickets))
        if days is not None:
            cur.execute("INSERT INTO contracts (company_external_id, owner_user_id, renewal_date, arr) VALUES "
                        "(%s, %s, (now() AT TIME ZONE 'UTC') + make_interval(days => %s) + interval '1 hour', 1000)",
                        (cust, owner, days))
    return db


@pytest.fixture(scope="module")
def fn(data, function_url, tmp_path_factory):
    from conftest import Emulator
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("ch"), name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "ALLOWED_ORIGIN": "https://copilot.example.com",
                      "AWS_LAMBDA_LOG_FORMAT": "JSON"})
    yield e
    e.stop()


def call(fn, body_obj=None, raw_body=None, headers=None, signed=True, method="POST", **sign_kw):
    body = raw_body if raw_body is not None else json.dumps(body_obj)
    h = dict(headers or {})
    if signed:
        h.update(sign(body, **sign_kw))
    status, _, out = fn.invoke(rest_event("calculate_health", body, h, method=method))
    assert status == 200, out
    resp = json.loads(out)
    env = json.loads(resp["body"]) if resp.get("body") else None
    return resp, env


def expected_score(u, t, r):
    return round(u * 0.45 + t * 0.35 + r * 0.20)  # Python's round: ties to even, as the original


@pytest.mark.parametrize("body,score,risk,signals", [
    ({"customerId": "acme"}, expected_score(100, 100, 100), "low", ["usage_up", "no_tickets", "renewal_far"]),
    ({"customerId": "globex", "params": {"ownerUserId": ""}}, expected_score(0, 20, 30), "high",
     ["usage_down", "many_tickets", "renewal_near"]),
    ({"customerId": "initech", "params": {}}, expected_score(50, 80, 70), "medium", ["usage_flat", "few_tickets"]),
    ({"customerId": "acme", "params": {"ownerUserId": OWNER_A}}, expected_score(0, 50, 30), "high",
     ["usage_down", "many_tickets", "renewal_near"]),
    ({"customerId": "hooli", "params": {"ownerUserId": OWNER_A, "periodDays": 7}}, expected_score(100, 80, 70), "low",
     ["usage_up", "few_tickets"]),
    # Unknown customer: flat, no tickets, unknown renewal (180 days).
    ({"customerId": "nobody"}, expected_score(50, 100, 70), "medium", ["usage_flat", "no_tickets"]),
])
def test_scores_follow_the_formula(fn, body, score, risk, signals):
    resp, env = call(fn, body)
    assert resp["statusCode"] == 200
    assert env == {"ok": True, "data": {"score": score, "riskLevel": risk, "signals": signals}, "error": None}


def test_ties_round_to_even(fn):
    # initech: 22.5 + 28 + 14 = 64.5 → 64; acme/owner A: 0 + 17.5 + 6 = 23.5 → 24.
    assert call(fn, {"customerId": "initech"})[1]["data"]["score"] == 64
    assert call(fn, {"customerId": "acme", "params": {"ownerUserId": OWNER_A}})[1]["data"]["score"] == 24


def test_headers_on_every_response(fn):
    resp, _ = call(fn, {"customerId": "acme"}, headers={"Origin": "https://copilot.example.com"})
    h = resp["headers"]
    assert h["Access-Control-Allow-Origin"] == "https://copilot.example.com"
    assert h["Access-Control-Allow-Methods"] == "POST"
    assert h["Access-Control-Allow-Headers"] == "Content-Type,X-Signature,X-Timestamp,X-Client"
    assert h["Vary"] == "Origin"
    assert h["Content-Type"] == "application/json"
    bad, _ = call(fn, {"customerId": "acme"}, signed=False)
    assert bad["headers"]["Access-Control-Allow-Origin"] == "https://copilot.example.com"


def test_preflight_is_204_without_signature(fn):
    resp, env = call(fn, raw_body="", signed=False, method="OPTIONS", headers={"Origin": "https://copilot.example.com"})
    assert resp["statusCode"] == 204 and env is None
    assert resp["headers"]["Access-Control-Allow-Methods"] == "POST"


def test_base64_body_is_verified_over_decoded_bytes(fn):
    body = json.dumps({"customerId": "acme"})
    h = sign(body)
    status, _, out = fn.invoke(rest_event("calculate_health", base64.b64encode(body.encode()).decode(), h, base64_body=True))
    assert json.loads(json.loads(out)["body"])["ok"] is True


def now_ms():
    return int(time.time() * 1000)


HOSTILE = [
    # (name, kwargs for call, expected status, expected code)
    ("no headers", dict(body_obj={"customerId": "acme"}, signed=False), 401, "UNAUTHORIZED"),
    ("bad signature", dict(body_obj={"customerId": "acme"}, secret="wrong-secret"), 401, "UNAUTHORIZED"),
    ("6 minutes old", dict(body_obj={"customerId": "acme"}, ts_ms=lambda: now_ms() - 360_000), 401, "UNAUTHORIZED"),
    ("6 minutes ahead", dict(body_obj={"customerId": "acme"}, ts_ms=lambda: now_ms() + 360_000), 401, "UNAUTHORIZED"),
    ("non-numeric timestamp", dict(body_obj={"customerId": "acme"}, ts_ms="soon"), 401, "UNAUTHORIZED"),
    ("malformed JSON", dict(raw_body='{"customerId": "acme"'), 400, "INVALID_INPUT"),
    ("array body", dict(raw_body='[{"customerId": "acme"}]'), 400, "INVALID_INPUT"),
    ("missing customerId", dict(body_obj={"params": {}}), 400, "INVALID_INPUT"),
    ("empty customerId", dict(body_obj={"customerId": ""}), 400, "INVALID_INPUT"),
    ("numeric customerId", dict(body_obj={"customerId": 42}), 400, "INVALID_INPUT"),
    ("params not an object", dict(body_obj={"customerId": "acme", "params": "x"}), 400, "INVALID_INPUT"),
    ("params array", dict(body_obj={"customerId": "acme", "params": [1]}), 400, "INVALID_INPUT"),
    ("empty body", dict(raw_body=""), 400, "INVALID_INPUT"),
    ("oversized body", dict(raw_body=json.dumps({"customerId": "acme", "pad": "x" * 300_000})), 413, "PAYLOAD_TOO_LARGE"),
]


@pytest.mark.parametrize("name,kw,status,code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_refused_and_changes_nothing(fn, data, name, kw, status, code):
    before = snapshot(data)
    # Timestamps are made when the test runs (a "6 minutes ahead" made at import drifts into the window).
    resp, env = call(fn, **{k: v() if callable(v) else v for k, v in kw.items()})
    assert resp["statusCode"] == status
    assert env["ok"] is False and env["data"] is None and env["error"]["code"] == code
    assert set(env["error"]) == {"code", "message"}
    for leak in ("Postgres", "SQL", "Error(", "/work", "HMAC_SECRET", "DATABASE_URL", "Swift"):
        assert leak not in env["error"]["message"]
    assert snapshot(data) == before


@pytest.mark.parametrize("body", [
    {"customerId": "acme' OR '1'='1"},
    {"customerId": "acme'; DROP TABLE contracts; --"},
    {"customerId": "acme", "params": {"ownerUserId": "' OR owner_user_id <> '"}},
    {"customerId": "secret-co", "params": {"ownerUserId": "public' OR '1'='1"}},
    {"customerId": "x\\'); DELETE FROM usage_summaries; --", "params": {"ownerUserId": "$1"}},
])
def test_sql_injection_strings_are_plain_identifiers(fn, data, body):
    before = snapshot(data)
    resp, env = call(fn, body)
    assert resp["statusCode"] == 200
    # Nothing matches these literal identifiers: the tenant's own empty answer.
    assert env["data"] == {"score": expected_score(50, 100, 70), "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]}
    assert snapshot(data) == before


def test_another_tenants_customer_is_invisible(fn, data):
    before = snapshot(data)
    # secret-co belongs to OWNER_B (up, 0 tickets, far renewal → 100). Public and owner A see nothing of it.
    for params in ({}, {"ownerUserId": OWNER_A}):
        _, env = call(fn, {"customerId": "secret-co", "params": params})
        assert env["data"]["score"] == expected_score(50, 100, 70)
    _, env = call(fn, {"customerId": "secret-co", "params": {"ownerUserId": OWNER_B}})
    assert env["data"]["score"] == 100
    assert snapshot(data) == before


def test_logs_are_json_and_hold_no_secrets(fn):
    call(fn, {"customerId": "acme", "params": {"ownerUserId": OWNER_A}})
    out = fn.output()
    lines = [l for l in out.splitlines() if l.startswith("{")]
    assert lines
    for l in lines:
        rec = json.loads(l)
        # Log records, or the one CloudWatch Embedded Metric Format line per invocation.
        assert "_aws" in rec or ("level" in rec and "timestamp" in rec)
    assert SECRET not in out
    assert "warden-local-password" not in out
