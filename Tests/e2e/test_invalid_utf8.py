"""Invalid UTF-8 in JSON request bodies (issue 14), end to end: raw bytes sent to `warden gateway` serving
template/template.yaml with the real packaged functions (dist/<function>/bootstrap) and Postgres.

API Gateway reads a text body as UTF-8 and replaces each ill-formed sequence with U+FFFD before the function sees
it; only a REST API's `BinaryMediaTypes` (by Content-Type) or, on an HTTP API or Function URL, a content type that
is not text (text/*, JSON, XML, JavaScript) delivers the exact bytes, base64-encoded. Hence:

- the copilot REST API declares `application/json` a binary media type: the signed bytes arrive unchanged, the
  signature verifies, and the copilot's JSON parsing refuses the invalid UTF-8 — 400 INVALID_INPUT, not 401;
- the HTTP API (participants, intent) and the Function URL (participant export) refuse, once the caller is
  authenticated and before any statement, a text body holding U+FFFD and a base64 body that is not UTF-8:
  400 INVALID_INPUT "The request body is not valid UTF-8.", nothing stored, no idempotency key kept;
- valid non-ASCII text (ë, emoji) goes through both APIs unchanged; U+FFFD itself can be sent as the JSON escape.
"""
import base64
import json
import os
import subprocess
import uuid

import pytest

from conftest import SECRET, WARDEN, sign, snapshot
from test_gateway import (ECHO, JWT_SECRET, ORIGIN, PARTICIPANT_TABLES, Gateway, header_values, jwt, raw_get,
                          request)

# Ill-formed UTF-8: a byte that never occurs, an overlong "/", a UTF-16 surrogate encoded as UTF-8, a truncated "€".
INVALID = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"]
IDS = ["ff", "overlong", "surrogate", "truncated"]
USER, ORG = "user_u8_alice", "org_u8_acme"
TABLES = PARTICIPANT_TABLES + ["intent_queries", "idempotency_keys"]
NOT_UTF8 = "The request body is not valid UTF-8."


def signed(body: bytes, client="copilot-frontend"):
    """The copilot's v1 signature (docs/SIGNING.md) over the raw bytes, each call on its own millisecond."""
    return list(sign(body, SECRET, client=client).items())


def envelope(out):
    e = json.loads(out)
    assert set(e) >= {"ok", "data", "error"}, e
    return e


def assert_not_utf8(status, headers, out):
    """The 400 envelope of an invalid UTF-8 body, in JSON text, revealing nothing of the bytes (the copilot's JSON
    parsing and the HTTP APIs' check answer the same message)."""
    assert status == 400, (status, out)
    e = envelope(out)
    assert e["ok"] is False and e["data"] is None and e["error"] == {"code": "INVALID_INPUT", "message": NOT_UTF8}, e
    assert header_values(headers, "Content-Type") == ["application/json"]


@pytest.fixture(scope="module")
def environment(function_url, db):
    db.cursor().execute(
        "INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
        "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (USER, ORG))
    return dict(os.environ, DATABASE_URL=function_url, HMAC_SECRET=SECRET, JWT_SECRET=JWT_SECRET)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, environment):
    gw = Gateway(tmp_path_factory.mktemp("utf8-gateway"),
                 ["--parameter-overrides", f"AllowedOrigin={ORIGIN}", "RateLimitPerMinute=0"], env=environment,
                 name="utf8")
    yield gw
    gw.stop()


@pytest.fixture(scope="module")
def api_key(database_url):
    return subprocess.run([str(WARDEN), "apikey", "create", "--tenant", ORG, "--roles", "intent:score",
                           "--database-url", database_url], check=True, capture_output=True, text=True).stdout.strip()


def bearer(user=USER):
    return [("Authorization", f"Bearer {jwt(user)}")]


def participant(bad: bytes):
    """A participant create body with `bad` inside the display name's JSON string."""
    meeting = f"mtg_u8_{uuid.uuid4().hex[:10]}"
    return (b'{"meetingId":"' + meeting.encode() + b'","email":"zoe.' + meeting.encode() +
            b'@acme.example","displayName":"Zo' + bad + b'"}')


# ------------------------------------------------------------------------------------------- the local gateway
@pytest.fixture(scope="module")
def echo_gateway(tmp_path_factory, environment):
    """template/template.yaml with the echo function (Tests/e2e/fixtures/echo_runtime.py) behind one copilot route
    and the participant API: the events the deployed APIs would build."""
    gw = Gateway(tmp_path_factory.mktemp("utf8-echo"),
                 ["--parameter-overrides", f"AllowedOrigin={ORIGIN}", "RateLimitPerMinute=0",
                  "--bootstrap", f"get_customer_usage={ECHO}", "--bootstrap", f"participants={ECHO}"],
                 env=environment, name="utf8-echo")
    yield gw
    gw.stop()


@pytest.mark.parametrize("bad", INVALID, ids=IDS)
def test_events_of_the_template_apis_carry_what_api_gateway_passes(echo_gateway, bad):
    port = echo_gateway.port
    body = b'{"customerId":"Zo' + bad + b'","params":{}}'
    # REST API, application/json a binary media type: base64, the exact bytes — also with a charset parameter.
    for content_type in ("application/json", "application/json; charset=utf-8"):
        status, headers, out = request(port, "POST", "/prod/get_customer_usage",
                                       [("Content-Type", content_type), ("Accept", "application/json")], body)
        # The function's text response comes back as JSON text although Accept names a binary media type.
        assert status == 200 and header_values(headers, "Content-Type") == ["application/json"], out
        event = json.loads(out)["event"]
        assert event["isBase64Encoded"] is True, (content_type, event["body"])
        assert base64.b64decode(event["body"]) == body
    # HTTP API, application/json is text: UTF-8 with each ill-formed sequence replaced by U+FFFD (Unicode's maximal
    # subparts, as Python's "replace"); without a Content-Type the body is binary: base64, the exact bytes.
    status, _, out = request(port, "POST", "/prod/api/participants", [("Content-Type", "application/json")], body)
    event = json.loads(out)["event"]
    assert status == 200 and event["isBase64Encoded"] is False and event["body"] == body.decode("utf-8", "replace")
    assert "\ufffd" in event["body"]
    status, _, out = request(port, "POST", "/prod/api/participants", [], body)
    event = json.loads(out)["event"]
    assert status == 200 and event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == body


# ------------------------------------------------------------------------------------------ copilot, REST API
def copilot(port, tool, body, headers=()):
    return request(port, "POST", f"/prod/{tool}", [("Content-Type", "application/json"), *headers, *signed(body)], body)


def test_copilot_verifies_the_raw_bytes_invalid_utf8_is_400_and_text_still_works(gateway):
    port = gateway.port
    for bad in INVALID:
        body = b'{"customerId":"Zo' + bad + b'","params":{}}'
        status, headers, out = copilot(port, "get_customer_usage", body)
        # The signature verified (not 401); the copilot's JSON parsing refuses the bytes.
        assert_not_utf8(status, headers, out)
        # The same bytes with a wrong signature are 401: authentication first.
        forged = [(k, "0" * 64 if k == "X-Signature" else v) for k, v in signed(body)]
        status, _, out = request(port, "POST", "/prod/get_customer_usage",
                                 [("Content-Type", "application/json"), *forged], body)
        assert status == 401 and envelope(out)["error"]["code"] == "UNAUTHORIZED"
    # Valid non-ASCII text, whatever the client accepts: a JSON text answer (never base64).
    for customer in ("Zoë", "Zoë 😀 日本"):
        body = json.dumps({"customerId": customer, "params": {}}, ensure_ascii=False).encode()
        for accept in ("application/json", "*/*"):
            status, headers, out = copilot(port, "get_customer_usage", body, [("Accept", accept)])
            assert status == 200, (customer, accept, out)
            assert envelope(out) == {"ok": True, "error": None, "data": {"trend": "flat", "avgDailyUsers": 0,
                                                                           "sparkline": [], "missingData": True}}
            assert header_values(headers, "Content-Type") == ["application/json"]
    # The bytes of U+FFFD itself, signed: an ordinary character for the copilot (its signature proves them).
    body = json.dumps({"customerId": "Zo\ufffd"}, ensure_ascii=False).encode()
    status, _, out = copilot(port, "calculate_health", body)
    assert status == 200 and envelope(out)["ok"] is True, out
    # The preflight is unchanged.
    status, headers, out = request(port, "OPTIONS", "/prod/get_customer_usage",
                                   [("Origin", ORIGIN), ("Access-Control-Request-Method", "POST")])
    assert status == 204 and out == b"" and header_values(headers, "Access-Control-Allow-Origin") == [ORIGIN]


# ------------------------------------------------------------------------------ participants, intent: HTTP API
@pytest.mark.parametrize("bad", INVALID, ids=IDS)
def test_participant_create_with_invalid_utf8_is_400_and_stores_nothing(gateway, db, bad):
    before = snapshot(db, TABLES)
    # As text (API Gateway's U+FFFD), with an Idempotency-Key, and as base64 (no Content-Type: the exact bytes).
    for headers in ([("Content-Type", "application/json")],
                    [("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", uuid.uuid4().hex)],
                    []):
        assert_not_utf8(*request(gateway.port, "POST", "/prod/api/participants", bearer() + headers, participant(bad)))
    # Rectification too (the chain is shared; the id does not even need to exist).
    assert_not_utf8(*request(gateway.port, "PUT", f"/prod/api/participants/{uuid.uuid4()}",
                             bearer() + [("Content-Type", "application/json")], b'{"displayName":"Zo' + bad + b'"}'))
    assert snapshot(db, TABLES) == before
    # Authentication first: without a valid token the answer is 401, whatever the body.
    status, _, out = request(gateway.port, "POST", "/prod/api/participants",
                             [("Content-Type", "application/json")], participant(bad))
    assert status == 401 and envelope(out)["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("bad", INVALID, ids=IDS)
def test_intent_query_with_invalid_utf8_is_400_and_stores_nothing(gateway, db, api_key, bad):
    before = snapshot(db, TABLES)
    body = b'{"query":"cloud migration Zo' + bad + b'"}'
    for headers in ([("Content-Type", "application/json")], []):
        assert_not_utf8(*request(gateway.port, "POST", "/prod/v1/intent/score",
                                 [("Authorization", f"Bearer {api_key}"), *headers], body))
    assert snapshot(db, TABLES) == before


def test_non_ascii_participant_is_stored_exactly_and_the_replacement_character_needs_its_escape(gateway, db):
    cur = db.cursor()
    for name in ("Zoë", "Zoë 😀 日本", "Zo\ufffd"):
        meeting = f"mtg_u8_{uuid.uuid4().hex[:10]}"
        # U+FFFD is what API Gateway leaves of invalid bytes: sent raw it is refused, as the escape it is data.
        raw = name != "Zo\ufffd"
        body = json.dumps({"meetingId": meeting, "email": f"z.{meeting}@acme.example", "displayName": name},
                          ensure_ascii=not raw).encode()
        status, headers, out = request(gateway.port, "POST", "/prod/api/participants",
                                       bearer() + [("Content-Type", "application/json")], body)
        assert status == 201, (name, out)
        assert envelope(out)["data"]["displayName"] == name
        assert header_values(headers, "Content-Type") == ["application/json"]
        cur.execute("SELECT display_name FROM meeting_participants WHERE meeting_id = %s", (meeting,))
        assert [tuple(row) for row in cur.fetchall()] == [(name,)]
    before = snapshot(db, TABLES)
    body = json.dumps({"meetingId": "mtg_u8_raw_fffd", "email": "raw@acme.example", "displayName": "Zo\ufffd"},
                      ensure_ascii=False).encode()
    assert b"\xef\xbf\xbd" in body
    assert_not_utf8(*request(gateway.port, "POST", "/prod/api/participants",
                             bearer() + [("Content-Type", "application/json")], body))
    assert snapshot(db, TABLES) == before


# --------------------------------------------------------------------------- participant export: Function URL
@pytest.mark.parametrize("bad", INVALID[:2], ids=IDS[:2])
def test_function_url_refuses_invalid_utf8_body(gateway, db, bad):
    before = snapshot(db, TABLES)
    for headers in ([("Content-Type", "application/json")], []):
        status, out_headers, out = request(gateway.url_port, "GET", "/api/participants/export", bearer() + headers,
                                           b'{"note":"Zo' + bad + b'"}')
        assert_not_utf8(status, out_headers, out)
    assert snapshot(db, TABLES) == before
    # Without a body the export streams as before.
    status, _, body, trailers, _, _ = raw_get(gateway.url_port, "/api/participants/export", bearer())
    assert status == 200 and trailers == [] and json.loads(body.decode().splitlines()[-1])["exportComplete"] is True
