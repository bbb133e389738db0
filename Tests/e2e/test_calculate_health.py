"""calculate_health end to end: the packaged static bootstrap under `warden emulate`, against real PostgreSQL.

The data are this module's own: two owner tenants of its own, and in the shared guest tenant `public` customer ids
no other module uses (`ch-…`); nothing of another module is read, changed or deleted. Expected scores are worked out
by hand from CONTRACTS.md §1 (functions/calculate_health/README.md), never by re-running the formula."""
import base64
import json
import time

import pytest

from conftest import ROOT, SECRET, assert_only_replay_records_added, guarded_state, rest_event, sign, snapshot, \
    v1_replay_key

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
OWNER_A = "user_ch_a"
OWNER_B = "user_ch_b"
ACME, GLOBEX, INITECH, HOOLI, SECRET_CO = "ch-acme", "ch-globex", "ch-initech", "ch-hooli", "ch-secret-co"
UNKNOWN = "ch-nobody"
# An unknown customer (or one of another tenant): flat 50 × 0.45 = 22.5, no tickets 100 × 0.35 = 35, unknown renewal
# (180 days) 70 × 0.20 = 14: 71.5, half to even → 72, medium.
NOTHING_KNOWN = {"score": 72, "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]}


@pytest.fixture(scope="module")
def data(db):
    cur = db.cursor()
    rows = [
        # owner, customer, trend, open, renewal days (None = no contract)
        ("public", ACME, "up", 0, 365),
        ("public", GLOBEX, "down", 7, 30),
        ("public", INITECH, "flat", 2, 100),
        (OWNER_A, ACME, "down", 4, 20),
        (OWNER_A, HOOLI, "up", 1, None),
        (OWNER_B, SECRET_CO, "up", 0, 400),
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


def call(fn, body_obj=None, raw_body=None, headers=None, signed=True, method="POST", sent=None, **sign_kw):
    """One call; `sent` (a dict) receives the signature headers."""
    body = raw_body if raw_body is not None else json.dumps(body_obj)
    h = dict(headers or {})
    if signed:
        h.update(sign(body, **sign_kw))
        if sent is not None:
            sent.update(h)
    status, _, out = fn.invoke(rest_event("calculate_health", body, h, method=method))
    assert status == 200, out
    resp = json.loads(out)
    env = json.loads(resp["body"]) if resp.get("body") else None
    return resp, env


# usage up 100 / down 0 / else 50 (× 0.45); tickets ≤ 0 → 100, ≤ 2 → 80, ≤ 5 → 50, else 20 (× 0.35); renewal days
# > 180 → 100, ≥ 60 → 70, else 30, 180 when unknown (× 0.20); half to even; ≥ 75 low, ≥ 50 medium, else high.
@pytest.mark.parametrize("body,score,risk,signals", [
    # up, 0 tickets, 365 days: 45 + 35 + 20 = 100
    ({"customerId": ACME}, 100, "low", ["usage_up", "no_tickets", "renewal_far"]),
    # down, 7 tickets, 30 days: 0 + 7 + 6 = 13 (an empty owner is the guest tenant)
    ({"customerId": GLOBEX, "params": {"ownerUserId": ""}}, 13, "high", ["usage_down", "many_tickets", "renewal_near"]),
    # flat, 2 tickets, 100 days: 22.5 + 28 + 14 = 64.5 → 64 (even)
    ({"customerId": INITECH, "params": {}}, 64, "medium", ["usage_flat", "few_tickets"]),
    # owner A's acme: down, 4 tickets, 20 days: 0 + 17.5 + 6 = 23.5 → 24 (even)
    ({"customerId": ACME, "params": {"ownerUserId": OWNER_A}}, 24, "high", ["usage_down", "many_tickets", "renewal_near"]),
    # up, 1 ticket, no contract (180 days): 45 + 28 + 14 = 87; extra params ignored
    ({"customerId": HOOLI, "params": {"ownerUserId": OWNER_A, "periodDays": 7}}, 87, "low", ["usage_up", "few_tickets"]),
    # unknown customer: 22.5 + 35 + 14 = 71.5 → 72 (even)
    ({"customerId": UNKNOWN}, 72, "medium", ["usage_flat", "no_tickets"]),
])
def test_scores_follow_the_formula(fn, body, score, risk, signals):
    resp, env = call(fn, body)
    assert resp["statusCode"] == 200
    assert env == {"ok": True, "data": {"score": score, "riskLevel": risk, "signals": signals}, "error": None}


def test_ties_round_to_even(fn):
    # initech: 22.5 + 28 + 14 = 64.5 → 64 (down); acme/owner A: 0 + 17.5 + 6 = 23.5 → 24 (up).
    assert call(fn, {"customerId": INITECH})[1]["data"]["score"] == 64
    assert call(fn, {"customerId": ACME, "params": {"ownerUserId": OWNER_A}})[1]["data"]["score"] == 24


def test_headers_on_every_response(fn):
    resp, _ = call(fn, {"customerId": ACME}, headers={"Origin": "https://copilot.example.com"})
    h = resp["headers"]
    assert h["Access-Control-Allow-Origin"] == "https://copilot.example.com"
    assert h["Access-Control-Allow-Methods"] == "POST"
    assert h["Access-Control-Allow-Headers"] == "Content-Type,X-Signature,X-Timestamp,X-Client"
    assert h["Vary"] == "Origin"
    assert h["Content-Type"] == "application/json"
    bad, _ = call(fn, {"customerId": ACME}, signed=False)
    assert bad["headers"]["Access-Control-Allow-Origin"] == "https://copilot.example.com"


def test_preflight_is_204_without_signature(fn):
    resp, env = call(fn, raw_body="", signed=False, method="OPTIONS", headers={"Origin": "https://copilot.example.com"})
    assert resp["statusCode"] == 204 and env is None
    assert resp["headers"]["Access-Control-Allow-Methods"] == "POST"


def test_base64_body_is_verified_over_decoded_bytes(fn):
    body = json.dumps({"customerId": ACME})
    h = sign(body)
    status, _, out = fn.invoke(rest_event("calculate_health", base64.b64encode(body.encode()).decode(), h, base64_body=True))
    assert json.loads(json.loads(out)["body"]) == {"ok": True, "error": None, "data": {
        "score": 100, "riskLevel": "low", "signals": ["usage_up", "no_tickets", "renewal_far"]}}


def now_ms():
    return int(time.time() * 1000)


HOSTILE = [
    # (name, kwargs for call, expected status, expected code)
    ("no headers", dict(body_obj={"customerId": ACME}, signed=False), 401, "UNAUTHORIZED"),
    ("bad signature", dict(body_obj={"customerId": ACME}, secret="wrong-secret"), 401, "UNAUTHORIZED"),
    ("6 minutes old", dict(body_obj={"customerId": ACME}, ts_ms=lambda: now_ms() - 360_000), 401, "UNAUTHORIZED"),
    ("6 minutes ahead", dict(body_obj={"customerId": ACME}, ts_ms=lambda: now_ms() + 360_000), 401, "UNAUTHORIZED"),
    ("non-numeric timestamp", dict(body_obj={"customerId": ACME}, ts_ms="soon"), 401, "UNAUTHORIZED"),
    ("malformed JSON", dict(raw_body='{"customerId": "ch-acme"'), 400, "INVALID_INPUT"),
    ("array body", dict(raw_body='[{"customerId": "ch-acme"}]'), 400, "INVALID_INPUT"),
    ("missing customerId", dict(body_obj={"params": {}}), 400, "INVALID_INPUT"),
    ("empty customerId", dict(body_obj={"customerId": ""}), 400, "INVALID_INPUT"),
    ("numeric customerId", dict(body_obj={"customerId": 42}), 400, "INVALID_INPUT"),
    ("params not an object", dict(body_obj={"customerId": ACME, "params": "x"}), 400, "INVALID_INPUT"),
    ("params array", dict(body_obj={"customerId": ACME, "params": [1]}), 400, "INVALID_INPUT"),
    ("empty body", dict(raw_body=""), 400, "INVALID_INPUT"),
    ("oversized body", dict(raw_body=json.dumps({"customerId": ACME, "pad": "x" * 300_000})), 413, "PAYLOAD_TOO_LARGE"),
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
    {"customerId": ACME + "' OR '1'='1"},
    {"customerId": ACME + "'; DROP TABLE contracts; --"},
    {"customerId": ACME, "params": {"ownerUserId": "' OR owner_user_id <> '"}},
    {"customerId": SECRET_CO, "params": {"ownerUserId": "public' OR '1'='1"}},
    {"customerId": "x\\'); DELETE FROM usage_summaries; --", "params": {"ownerUserId": "$1"}},
])
def test_sql_injection_strings_are_plain_identifiers(fn, data, body):
    state, sent = guarded_state(data), {}
    resp, env = call(fn, body, sent=sent)
    assert resp["statusCode"] == 200
    # Nothing matches these literal identifiers: the tenant's own empty answer.
    assert env["data"] == NOTHING_KNOWN
    # An accepted call: its replay record (docs/SIGNING.md) is the only change.
    assert_only_replay_records_added(data, state, {v1_replay_key("calculate_health", sent)})


def test_another_tenants_customer_is_invisible(fn, data):
    state, replay_keys = guarded_state(data), set()
    # secret-co belongs to OWNER_B (up, 0 tickets, 400 days: 45 + 35 + 20 = 100). Public and owner A see nothing of it.
    for params in ({}, {"ownerUserId": OWNER_A}):
        sent = {}
        _, env = call(fn, {"customerId": SECRET_CO, "params": params}, sent=sent)
        assert env["data"] == NOTHING_KNOWN
        replay_keys.add(v1_replay_key("calculate_health", sent))
    sent = {}
    _, env = call(fn, {"customerId": SECRET_CO, "params": {"ownerUserId": OWNER_B}}, sent=sent)
    assert env["data"] == {"score": 100, "riskLevel": "low", "signals": ["usage_up", "no_tickets", "renewal_far"]}
    replay_keys.add(v1_replay_key("calculate_health", sent))
    assert_only_replay_records_added(data, state, replay_keys)


def test_logs_are_json_and_hold_no_secrets(fn, function_url):
    from urllib.parse import urlparse
    call(fn, {"customerId": ACME, "params": {"ownerUserId": OWNER_A}})
    out = fn.output()
    lines = [l for l in out.splitlines() if l.startswith("{")]
    assert lines
    for l in lines:
        rec = json.loads(l)
        # Log records, or the one CloudWatch Embedded Metric Format line per invocation.
        assert "_aws" in rec or ("level" in rec and "timestamp" in rec)
    # Neither the HMAC secret nor the password of the database URL the function was given.
    password = urlparse(function_url).password
    assert password and SECRET not in out and password not in out
