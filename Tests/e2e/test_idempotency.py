"""`Idempotency-Key` on every mutating route (issue 8) through the packaged static bootstraps (participants, intent),
the emulator, Postgres and the fake enrichment provider: for each route a retry with the same key and request gets
the first answer back byte for byte (`Idempotency-Replayed: true`) and the database shows exactly one effect; the
same key with another request is `409` and changes nothing; another organization's identical key is independent;
invalid keys are `400` and change nothing; a failed first attempt keeps nothing; an expired key (or the reservation of
a call that died) is free again; concurrent duplicates through two warm processes have one effect; keys built to look
like SQL are stored verbatim; and a participant erased since is never replayed with its personal data.

The request fingerprint is opaque (the documented contract is only that the same key with another method, path or
body is a conflict): tests compare fingerprints with each other, never with a formula of their own. Waits are polls
for evidence, never sleeps, and the concurrent retry is ordered by the provider holding the first call."""
import concurrent.futures
import json
import re
import subprocess
import threading
import time
import uuid
from collections import namedtuple
from datetime import timedelta

import pytest

from conftest import ROOT, WARDEN, Emulator, hs256_token, snapshot, wait_for
from fake_enrichment import API_KEY, FakeProvider
from test_participants import event

PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
INTENT = ROOT / "dist" / "intent" / "bootstrap"
JWT_SECRET = "idempotency-e2e-jwt-secret-0123456789abcdef"
ORIGIN, OTHER_ORIGIN = "http://localhost:3000", "https://app.example"
TIMEOUT = 20  # the functions' timeout: a reservation lives until the invocation's deadline
QUERY = "kubernetes migration observability platform evaluation"

Reply = namedtuple("Reply", "status headers body request_id")


def envelope(reply):
    return json.loads(reply.body)


def jwt(sub):
    return hs256_token(sub, JWT_SECRET)


def call(fn, method, path, who, body=None, key=None, origin=ORIGIN, extra=None):
    """One HTTP API v2 call; `who` is a user id (bearer JWT) or an API key (`wk_…`)."""
    headers = {"Origin": origin}
    headers.update({"X-API-Key": who} if who.startswith("wk_") else {"Authorization": f"Bearer {jwt(who)}"})
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body if isinstance(body, str) else json.dumps(body)
    if key is not None:
        headers["Idempotency-Key"] = key
    headers.update(extra or {})
    _, invoked, out = fn.invoke(event(method, path, headers, body), timeout=60)
    resp = json.loads(out)
    return Reply(resp["statusCode"], {k.lower(): v for k, v in resp["headers"].items()}, resp["body"],
                 {k.lower(): v for k, v in invoked.items()}["x-amzn-requestid"])


def logged_idempotency(fn, reply):
    """The `idempotency` field of the `request` log line of the invocation that answered `reply` (Text format:
    `<time>\t<request id>\tINFO\trequest … idempotency=<value> …`; the field is documented in Idempotency.swift),
    once that line is in the log; `None` when the line has no such field."""
    def line():
        return next((l for l in fn.output().splitlines() if f"\t{reply.request_id}\tINFO\trequest " in l), None)
    found = re.search(r" idempotency=(\S+)", wait_for(line, f"the request log line of {reply.request_id}"))
    return found.group(1) if found else None


def is_fingerprint(value):
    """What the documentation promises of the stored fingerprint: a SHA-256, in hex. How it is derived from the
    request is the implementation's business (tests only compare fingerprints with each other)."""
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def q(db, sql, *args):
    cur = db.cursor()
    cur.execute(sql, args)
    return [list(r) for r in cur.fetchall()] if cur.description else []


# ------------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def provider():
    p = FakeProvider()
    yield p
    p.stop()


def start_participants(tmp_path_factory, function_url, provider, name="participants", **env):
    base = {"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "ENRICHMENT_URL": provider.url,
            "ENRICHMENT_API_KEY": API_KEY, "ENRICHMENT_TIMEOUT_MS": "15000", "ENRICHMENT_PROVIDER_NAME": "fakepdl",
            "ALLOWED_ORIGIN": f"{ORIGIN},{OTHER_ORIGIN}"}
    base.update({k: str(v) for k, v in env.items()})
    return Emulator(PARTICIPANTS, tmp_path=tmp_path_factory.mktemp(name), name="participants", env=base, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def api(tmp_path_factory, function_url, provider):
    fn = start_participants(tmp_path_factory, function_url, provider)
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def api2(tmp_path_factory, function_url, provider):
    """A second warm process of the same function: what a concurrent retry hits in Lambda."""
    fn = start_participants(tmp_path_factory, function_url, provider, name="participants2")
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def intent(tmp_path_factory, function_url):
    fn = Emulator(INTENT, tmp_path=tmp_path_factory.mktemp("intent"), name="intent", timeout=TIMEOUT,
                  env={"DATABASE_URL": function_url, "ALLOWED_ORIGIN": f"{ORIGIN},{OTHER_ORIGIN}"})
    yield fn
    fn.stop()


class Org:
    """A fresh organization with a member (participants) and an API key holding `intent:score` (made on demand)."""

    def __init__(self, db, database_url):
        self.db, self.database_url = db, database_url
        self.id = f"org_idem_{uuid.uuid4().hex[:8]}"
        self.user = f"user_idem_{uuid.uuid4().hex[:8]}"
        q(db, "INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", self.user, self.id)
        self._key = None

    @property
    def api_key(self):
        if self._key is None:
            self._key = subprocess.run(
                [str(WARDEN), "apikey", "create", "--tenant", self.id, "--roles", "intent:score", "--database-url",
                 self.database_url], check=True, capture_output=True, text=True).stdout.strip()
            company = q(self.db, "INSERT INTO intent_companies (organization_id, name, domain, industry, size_band, "
                                 "region) VALUES (%s, 'Northwind', 'northwind.example', 'SaaS', 'mid', 'EMEA') "
                                 "RETURNING id", self.id)[0][0]
            q(self.db, "INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) VALUES "
                       "(%s, %s, now() - interval '3 days', %s)", self.id, company,
              "Northwind started a kubernetes migration and an observability platform evaluation")
        return self._key

    def participant(self, fn, email=None, **extra):
        body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": email or f"p{uuid.uuid4().hex[:6]}@acme.example",
                **extra}
        reply = call(fn, "POST", "/api/participants", self.user, body)
        assert reply.status == 201, reply
        return envelope(reply)["data"]["id"]

    def keys(self):
        return q(self.db, "SELECT key, fingerprint, status, response, expires_at, completed_at, created_at "
                          "FROM idempotency_keys WHERE organization_id = %s ORDER BY created_at", self.id)

    def audit(self, action):
        return q(self.db, "SELECT outcome, status FROM audit_events WHERE tenant = %s AND action = %s ORDER BY id",
                 self.id, action)


@pytest.fixture
def org(db, database_url):
    return lambda: Org(db, database_url)


# -------------------------------------------------------------------------------------------------- the routes
Spec = namedtuple("Spec", "fn method path body other effect")


def ledger(db, org_id):
    return q(db, "SELECT coalesce(sum(cost_cents), 0), count(*) FROM enrichment_ledger WHERE organization_id = %s",
             org_id)[0] + q(db, "SELECT count(*) FROM enrichment_jobs WHERE organization_id = %s", org_id)[0] + \
        q(db, "SELECT count(*) FROM participant_enrichment_history WHERE organization_id = %s", org_id)[0]


def participant_state(db, pid):
    return q(db, "SELECT email, display_name, enrichment_status, updated_at FROM meeting_participants WHERE id = %s",
             pid)


def spec(route, o, api, intent):
    """The route's first request, a different request on the same key, and what it changes in the database."""
    db = o.db
    if route == "create":
        meeting = f"mtg_{uuid.uuid4().hex[:8]}"
        return Spec(api, "POST", "/api/participants", {"meetingId": meeting, "email": "jane@acme.example",
                                                       "displayName": "Jane Doe"},
                    {"meetingId": meeting, "email": "john@acme.example"},
                    lambda: q(db, "SELECT id, email FROM meeting_participants WHERE organization_id = %s ORDER BY id",
                              o.id))
    if route == "update":
        pid = o.participant(api, displayName="Jane Doe")
        return Spec(api, "PUT", f"/api/participants/{pid}", {"displayName": "Jane Q. Doe"},
                    {"displayName": "Someone Else"}, lambda: participant_state(db, pid))
    if route == "erase":
        pid, other = o.participant(api, displayName="Jane Doe"), o.participant(api, displayName="John Roe")
        # The other request differs by its path: the same key on another participant.
        return Spec(api, "POST", f"/api/participants/{pid}/erase", None, (f"/api/participants/{other}/erase", None),
                    lambda: participant_state(db, pid) + participant_state(db, other))
    if route == "enrich_one":
        pid = o.participant(api, email=f"jane.{uuid.uuid4().hex[:6]}@acme.example")
        return Spec(api, "POST", f"/api/participants/{pid}/enrich", None, "{}",
                    lambda: ledger(db, o.id) + participant_state(db, pid))
    if route == "enrich_batch":
        ids = [o.participant(api) for _ in range(2)]
        return Spec(api, "POST", "/api/participants/enrich", {"participantIds": ids}, {"participantIds": ids[:1]},
                    lambda: ledger(db, o.id))
    if route == "score":
        o.api_key  # noqa: B018  (mints the key and seeds the organization's company)
        return Spec(intent, "POST", "/v1/intent/score", {"query": QUERY, "limit": 5}, {"query": QUERY, "limit": 4},
                    lambda: q(db, "SELECT id, query_text FROM intent_queries WHERE organization_id = %s ORDER BY id",
                              o.id))
    raise AssertionError(route)


ROUTES = ["create", "update", "erase", "enrich_one", "enrich_batch", "score"]


def who(o, s):
    return o.api_key if s.path.startswith("/v1/") else o.user


def send(s, o, key, other=False, origin=ORIGIN):
    path, body = s.path, s.body
    if other:
        path, body = s.other if isinstance(s.other, tuple) else (s.path, s.other)
    return call(s.fn, s.method, path, who(o, s), body, key=key, origin=origin)


# ------------------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("route", ROUTES)
def test_a_retry_replays_the_first_answer_and_changes_nothing(route, api, intent, db, org):
    o = org()
    s = spec(route, o, api, intent)
    key = f"idem-{route}-{uuid.uuid4()}"
    before = s.effect()

    first = send(s, o, key)
    assert 200 <= first.status < 300 and envelope(first)["ok"] is True, first
    assert "idempotency-replayed" not in first.headers
    after_first = s.effect()
    assert after_first != before, "the first call must have changed something"
    tables = snapshot(db)

    # The retry (from another allowed origin): the stored answer, byte for byte, and nothing ran.
    again = send(s, o, key, origin=OTHER_ORIGIN)
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers["idempotency-replayed"] == "true"
    assert again.headers["access-control-allow-origin"] == OTHER_ORIGIN
    assert {k: v for k, v in again.headers.items() if k not in ("idempotency-replayed", "access-control-allow-origin")} \
        == {k: v for k, v in first.headers.items() if k != "access-control-allow-origin"}
    third = send(s, o, key)
    assert third.body == first.body
    assert s.effect() == after_first
    assert snapshot(db) == tables

    # One row for the key: the first answer, kept 24 hours (IDEMPOTENCY_TTL_SECONDS' default) from its completion.
    [(stored_key, fp, status, response, expires, completed, _)] = o.keys()
    assert (stored_key, status, response) == (key, first.status, first.body) and is_fingerprint(fp)
    assert expires - completed == timedelta(seconds=86400)
    # Audited: the first call as `ok`, each retry as `replayed` (not as a second change).
    assert o.audit(f"{s.method} {s.path}") == [["ok", first.status], ["replayed", first.status],
                                                ["replayed", first.status]]
    # Logged as such, each call on its own line, without the key (clients choose it; it may hold anything).
    assert [logged_idempotency(s.fn, r) for r in (first, again, third)] == ["stored", "replayed", "replayed"]
    assert key not in s.fn.output()

    # The same key with another request: 409, nothing about the first call, nothing changed.
    conflict = send(s, o, key, other=True)
    error = envelope(conflict)["error"]
    assert (conflict.status, error["code"]) == (409, "CONFLICT")
    assert error["message"] == "This Idempotency-Key was already used with a different request."
    assert "idempotency-replayed" not in conflict.headers
    assert s.effect() == after_first and snapshot(db) == tables

    # Another organization's identical key is another key.
    o2 = org()
    s2 = spec(route, o2, api, intent)
    before2 = s2.effect()
    theirs = send(s2, o2, key)
    assert 200 <= theirs.status < 300 and "idempotency-replayed" not in theirs.headers
    assert s2.effect() != before2
    assert [r[0] for r in o2.keys()] == [key] and o.keys()[0][1:4] == [fp, first.status, first.body]


INVALID_KEYS = ["", "k" * 256, "tab\there", "line\nbreak", "cr\rhere", "nul\x00here", "del\x7f", "bell\x07",
                "caf\u00e9", "\u043a\u043b\u044e\u0447", "emoji\U0001F600", "\u00a0nbsp"]


@pytest.mark.parametrize("route", ROUTES)
def test_invalid_keys_are_refused_and_change_nothing(route, api, intent, db, org):
    o = org()
    s = spec(route, o, api, intent)
    before, tables = s.effect(), snapshot(db)
    for key in INVALID_KEYS:
        reply = send(s, o, key)
        error = envelope(reply)["error"]
        assert (reply.status, error["code"]) == (400, "INVALID_INPUT"), repr(key)
        assert error["message"] == "Idempotency-Key must be 1 to 255 printable ASCII characters."
    # Sent twice with different values (REST payload 1.0 multi-value headers): ambiguous, refused.
    headers = {"Origin": ORIGIN, "Content-Type": "application/json",
               **({"X-API-Key": who(o, s)} if s.path.startswith("/v1/") else {"Authorization": f"Bearer {jwt(o.user)}"})}
    multi = {k: [v] for k, v in headers.items()}
    multi["Idempotency-Key"] = ["one", "two"]
    v1 = {"resource": s.path, "path": s.path, "httpMethod": s.method, "headers": headers, "multiValueHeaders": multi,
          "queryStringParameters": None, "pathParameters": None, "stageVariables": None,
          "requestContext": {"requestId": "idem", "stage": "$default", "httpMethod": s.method, "resourcePath": s.path},
          "body": json.dumps(s.body) if s.body is not None else None, "isBase64Encoded": False}
    _, _, out = s.fn.invoke(v1)
    resp = json.loads(out)
    assert (resp["statusCode"], json.loads(resp["body"])["error"]["code"]) == (400, "INVALID_INPUT")
    assert s.effect() == before and snapshot(db) == tables and o.keys() == []
    # The longest valid key (255 printable characters, spaces and punctuation included) works.
    longest = ("~ !" * 85)[:255]
    assert 200 <= send(s, o, longest).status < 300
    assert [r[0] for r in o.keys()] == [longest]


def test_reading_routes_ignore_the_header(api, org):
    o = org()
    pid = o.participant(api)
    for path in ("/api/participants", f"/api/participants/{pid}/export", "/api/enrichment/budget"):
        for key in ("", "same-key", "ключ"):
            reply = call(api, "GET", path, o.user, key=key)
            assert reply.status == 200 and "idempotency-replayed" not in reply.headers, (path, key)
    assert o.keys() == []


def test_a_failed_first_attempt_keeps_nothing(api, db, org):
    o = org()
    key = f"fail-{uuid.uuid4()}"
    # Invalid body: 400, no reservation left; the key then works for a valid request.
    reply = call(api, "POST", "/api/participants", o.user, {"meetingId": "m", "email": "not-an-address"}, key=key)
    assert reply.status == 400 and o.keys() == []
    meeting = f"mtg_{uuid.uuid4().hex[:8]}"
    created = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "a@acme.example"}, key=key)
    assert created.status == 201 and [r[0] for r in o.keys()] == [key]

    # A conflict the route itself answers (the meeting already has the address; its reservation had committed with
    # the statement): 409, the reservation is given back, and the key works afterwards.
    key2 = f"dup-{uuid.uuid4()}"
    dup = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "a@acme.example"}, key=key2)
    assert (dup.status, envelope(dup)["error"]["message"]) == (409, "This meeting already has a participant with this email.")
    assert [r[0] for r in o.keys()] == [key]
    ok = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "b@acme.example"}, key=key2)
    assert ok.status == 201 and "idempotency-replayed" not in ok.headers

    # Not found and an erased participant: 404 / 409 from the route, nothing kept.
    key3 = f"gone-{uuid.uuid4()}"
    assert call(api, "PUT", "/api/participants/999999999", o.user, {"displayName": "x"}, key=key3).status == 404
    erased = o.participant(api)
    assert call(api, "POST", f"/api/participants/{erased}/erase", o.user).status == 200
    assert call(api, "POST", f"/api/participants/{erased}/enrich", o.user, key=key3).status == 409
    assert sorted(r[0] for r in o.keys()) == sorted([key, key2])
    assert ledger(db, o.id) == [0, 0, 0, 0]


def backends(db):
    return {r[0] for r in q(db, "SELECT pid FROM pg_stat_activity WHERE application_name = 'warden'")}


def test_a_route_refusal_under_a_key_rolls_back_without_losing_the_connection(api, db, org):
    """A route that refuses after its statements ran (404 on an unknown participant) ends its transaction with a
    ROLLBACK on the same connection: no reservation kept, and no new database session needed afterwards."""
    o = org()
    call(api, "GET", "/api/participants", o.user)  # the connection exists before we look
    before = backends(db)
    key = f"rollback-{uuid.uuid4()}"
    for _ in range(3):
        assert call(api, "PUT", "/api/participants/999999999", o.user, {"displayName": "x"}, key=key).status == 404
    assert o.keys() == []
    assert call(api, "POST", "/api/participants", o.user, {"meetingId": "m-rb", "email": "rb@acme.example"},
                key=key).status == 201
    assert backends(db) == before


def test_the_change_commits_only_together_with_its_stored_answer(api, db, org):
    """The route's change, the key's reservation and the stored answer are one transaction: when storing the answer
    fails, the participant is not created either (the caller gets a failure and may retry), so no change ever exists
    whose retry would run it a second time. Storing is made to fail with a trigger of the test's own."""
    o = org()
    key = f"atomic-{uuid.uuid4()}"
    body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": "atomic@acme.example"}
    q(db, "CREATE OR REPLACE FUNCTION e2e_refuse_answer() RETURNS trigger LANGUAGE plpgsql AS "
          "$$BEGIN RAISE EXCEPTION 'no answer today'; END$$")
    q(db, "CREATE TRIGGER e2e_refuse_answer BEFORE UPDATE ON idempotency_keys FOR EACH ROW "
          "WHEN (NEW.key LIKE 'atomic-%%') EXECUTE FUNCTION e2e_refuse_answer()")
    try:
        failed = call(api, "POST", "/api/participants", o.user, body, key=key)
        assert failed.status == 500 and envelope(failed)["error"]["code"] == "TOOL_FAILURE"
        assert "no answer" not in failed.body and "idempotency" not in failed.body.lower()
        assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[0]]
        assert o.keys() == []
    finally:
        q(db, "DROP TRIGGER e2e_refuse_answer ON idempotency_keys")
        q(db, "DROP FUNCTION e2e_refuse_answer()")
    created = call(api, "POST", "/api/participants", o.user, body, key=key)
    assert created.status == 201 and "idempotency-replayed" not in created.headers
    again = call(api, "POST", "/api/participants", o.user, body, key=key)
    assert again.body == created.body and again.headers["idempotency-replayed"] == "true"
    assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[1]]


def test_an_expired_key_is_free_again(api, db, org):
    o = org()
    key = f"expiring-{uuid.uuid4()}"
    meeting = f"mtg_{uuid.uuid4().hex[:8]}"
    first = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "a@acme.example"}, key=key)
    assert first.status == 201
    [(_, first_fingerprint, *_)] = o.keys()
    q(db, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE organization_id = %s AND key = %s",
      o.id, key)
    # Expired: a different request on the key is no conflict, it runs and becomes the key's answer.
    second = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "b@acme.example"}, key=key)
    assert second.status == 201 and "idempotency-replayed" not in second.headers
    assert envelope(second)["data"]["id"] != envelope(first)["data"]["id"]
    [(k, fp, status, response, *_)] = o.keys()
    assert (k, status, response) == (key, 201, second.body) and is_fingerprint(fp) and fp != first_fingerprint
    again = call(api, "POST", "/api/participants", o.user, {"meetingId": meeting, "email": "b@acme.example"}, key=key)
    assert again.body == second.body and again.headers["idempotency-replayed"] == "true"
    assert len(q(db, "SELECT 1 FROM meeting_participants WHERE organization_id = %s", o.id)) == 2


def test_the_reservation_of_a_call_that_died_expires_at_its_deadline(api, db, org):
    """A reservation left by an invocation that never answered (as a crash leaves it: no status, expiring at the
    invocation's deadline) refuses retries until then, and frees the key afterwards. The reservation is made from a
    real call's row (its fingerprint stays opaque), and time passes by moving its expiry (a test clock), not by
    sleeping."""
    o = org()
    key = f"crashed-{uuid.uuid4()}"
    body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": "a@acme.example"}
    assert call(api, "POST", "/api/participants", o.user, body, key=key).status == 201
    # Back to the state a crash leaves: the participant never committed, the key reserved by a dead invocation.
    q(db, "DELETE FROM meeting_participants WHERE organization_id = %s", o.id)
    q(db, "UPDATE idempotency_keys SET status = NULL, response = NULL, headers = NULL, completed_at = NULL, "
          "request_id = 'dead-invocation', expires_at = now() + interval '1 hour' WHERE organization_id = %s AND key = %s",
      o.id, key)
    busy = call(api, "POST", "/api/participants", o.user, body, key=key)
    assert (busy.status, envelope(busy)["error"]["message"]) == \
        (409, "A request with this Idempotency-Key is still in progress; retry later.")
    assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[0]]
    # The dead invocation's deadline passes.
    q(db, "UPDATE idempotency_keys SET expires_at = now() - interval '1 millisecond' WHERE organization_id = %s "
          "AND key = %s", o.id, key)
    done = call(api, "POST", "/api/participants", o.user, body, key=key)
    assert done.status == 201 and "idempotency-replayed" not in done.headers
    assert [(r[0], r[2]) for r in o.keys()] == [(key, 201)]
    assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[1]]


def test_concurrent_duplicates_through_two_processes_have_one_effect(api, api2, db, org, provider):
    o = org()
    email = f"slow.{uuid.uuid4().hex[:6]}@acme.example"
    pid = o.participant(api, email=email)
    provider.hold()  # the first call's provider request (a `slow…` address) waits until the retry has been answered
    key = f"race-{uuid.uuid4()}"
    path = f"/api/participants/{pid}/enrich"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        submitted = time.time()
        first = pool.submit(call, api, "POST", path, o.user, None, key)
        try:
            # The enrich route reserves the key with its first statement, then calls the provider: once the provider
            # holds the call, the reservation has committed.
            wait_for(lambda: provider.calls_for(email), "the first call reaching the provider")
            [(k, _, status, response, expires, _, _)] = o.keys()
            seen = time.time()
            assert (k, status, response) == (key, None, None)
            # It lives until the first invocation's deadline, TIMEOUT after the emulator took the call (between our
            # submitting it and seeing the row; 1 ms for the deadline's whole milliseconds).
            assert submitted + TIMEOUT - 0.001 <= expires.timestamp() <= seen + TIMEOUT
            busy = call(api2, "POST", path, o.user, key=key)
            assert (busy.status, envelope(busy)["error"]["code"]) == (409, "CONFLICT")
            assert envelope(busy)["error"]["message"] == \
                "A request with this Idempotency-Key is still in progress; retry later."
            # Order, not speed: the retry was answered while the first call was still held inside the provider.
            assert not first.done(), "the retry waited for the first call"
        finally:
            provider.release()
        done = first.result()
    assert done.status == 200 and envelope(done)["data"]["job"]["status"] == "succeeded"
    replay = call(api2, "POST", path, o.user, key=key)
    assert (replay.status, replay.body, replay.headers["idempotency-replayed"]) == (200, done.body, "true")
    assert len(provider.calls_for(email)) == 1
    assert ledger(db, o.id)[:3] == [10, 1, 1]

    # A burst of identical creates across both processes: one row, one fresh 201, the rest 409 or the replay.
    body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": "burst@acme.example"}
    key = f"burst-{uuid.uuid4()}"
    barrier = threading.Barrier(8)

    def one(i):
        barrier.wait()
        return call((api, api2)[i % 2], "POST", "/api/participants", o.user, body, key=key)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(one, range(8)))
    fresh = [r for r in replies if r.status == 201 and "idempotency-replayed" not in r.headers]
    replayed = [r for r in replies if r.status == 201 and "idempotency-replayed" in r.headers]
    refused = [r for r in replies if r.status == 409]
    assert len(fresh) == 1 and len(fresh) + len(replayed) + len(refused) == 8, [r.status for r in replies]
    assert all(r.body == fresh[0].body for r in replayed)
    assert all(envelope(r)["error"]["code"] == "CONFLICT" for r in refused)
    assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s AND email = 'burst@acme.example'",
             o.id) == [[1]]


SQL_KEYS = ["'; DROP TABLE idempotency_keys; --", "' OR '1'='1", "x'); DELETE FROM meeting_participants; --",
            "$1", "$2::int", "%s%s%n", '{"json": true}', "\\x00\\'", "\" OR \"\"=\"", "a' || pg_sleep(5) || '",
            "key with spaces and ~!@#%^&*()_+`-=[]{}|;:,.<>/?"]


def test_keys_that_look_like_sql_are_stored_verbatim_and_harmless(api, db, org):
    o = org()
    created = {}
    for i, key in enumerate(SQL_KEYS):
        body = {"meetingId": f"mtg_sql_{i}", "email": f"p{i}@acme.example"}
        reply = call(api, "POST", "/api/participants", o.user, body, key=key)
        assert reply.status == 201, key
        again = call(api, "POST", "/api/participants", o.user, body, key=key)
        assert again.body == reply.body and again.headers["idempotency-replayed"] == "true", key
        created[key] = envelope(reply)["data"]["id"]
        assert key not in reply.body
    stored = {r[0]: json.loads(r[3])["data"]["id"] for r in o.keys()}
    assert stored == created
    assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[len(SQL_KEYS)]]
    assert q(db, "SELECT to_regclass('public.idempotency_keys') IS NOT NULL") == [[True]]


def test_a_replay_never_brings_erased_personal_data_back(api, db, org):
    o = org()
    body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": "forget.me@acme.example", "displayName": "Forget Me"}
    created = call(api, "POST", "/api/participants", o.user, body, key="create-then-erase")
    pid = envelope(created)["data"]["id"]
    rectified = call(api, "PUT", f"/api/participants/{pid}", o.user, {"displayName": "Forget Me Too"}, key="rectify")
    enriched = call(api, "POST", f"/api/participants/{pid}/enrich", o.user, key="enrich")
    assert (created.status, rectified.status, enriched.status) == (201, 200, 200)
    assert call(api, "POST", f"/api/participants/{pid}/erase", o.user).status == 200
    replays = [call(api, "POST", "/api/participants", o.user, body, key="create-then-erase"),
               call(api, "PUT", f"/api/participants/{pid}", o.user, {"displayName": "Forget Me Too"}, key="rectify"),
               call(api, "POST", f"/api/participants/{pid}/enrich", o.user, key="enrich")]
    for reply, row in zip(replays, (lambda e: e["data"], lambda e: e["data"], lambda e: e["data"]["participant"])):
        assert reply.headers["idempotency-replayed"] == "true"
        data = row(envelope(reply))
        assert (data["id"], data["email"], data["displayName"], data["enrichmentStatus"], data["contactId"]) == \
            (pid, "[deleted]", "[deleted]", "deleted", None)
        assert "forget.me" not in reply.body and "Forget Me" not in reply.body and "Provider Person" not in reply.body
    assert not any("forget.me" in r[3] or "Forget Me" in r[3] for r in o.keys())


def test_the_ttl_setting(tmp_path_factory, function_url, provider, db, org):
    fn = start_participants(tmp_path_factory, function_url, provider, name="participants-ttl", IDEMPOTENCY_TTL_SECONDS=120)
    try:
        o = org()
        reply = call(fn, "POST", "/api/participants", o.user, {"meetingId": "m-ttl", "email": "t@acme.example"}, key="ttl")
        assert reply.status == 201
        [(_, _, _, _, expires, completed, _)] = o.keys()
        assert expires - completed == timedelta(seconds=120)
    finally:
        fn.stop()
    for bad in ("0", "-5", "soon", "604801"):
        fn = start_participants(tmp_path_factory, function_url, provider, name="participants-bad-ttl",
                                IDEMPOTENCY_TTL_SECONDS=bad)
        try:
            before = snapshot(db)
            _, _, out = fn.invoke(event("GET", "/api/participants", {"Authorization": "Bearer x"}, None))
            error = json.loads(out)
            assert error["errorType"] == "Runtime.ConfigurationError" and "IDEMPOTENCY_TTL_SECONDS" in error["errorMessage"]
            assert snapshot(db) == before
        finally:
            fn.stop()


def test_the_functions_role_sees_only_its_organizations_keys(api, org, function_url):
    from conftest import connect
    a, b = org(), org()
    for o in (a, b):
        assert call(api, "POST", "/api/participants", o.user, {"meetingId": "m", "email": "x@acme.example"},
                    key="shared-key").status == 201
    conn = connect(function_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM idempotency_keys")
        assert cur.fetchone()[0] == 0  # no tenant set: nothing
        cur.execute("SELECT set_config('app.tenant_id', %s, false)", (a.id,))
        cur.execute("SELECT DISTINCT organization_id FROM idempotency_keys")
        assert [list(r) for r in cur.fetchall()] == [[a.id]]
        cur.execute("UPDATE idempotency_keys SET response = 'x' WHERE organization_id = %s", (b.id,))
        assert cur.rowcount == 0
        cur.execute("DELETE FROM idempotency_keys WHERE organization_id = %s", (b.id,))
        assert cur.rowcount == 0
        conn.rollback()
    finally:
        conn.close()
    assert [r[0] for r in b.keys()] == ["shared-key"]


def test_replays_count_against_the_rate_limit_and_a_refusal_reserves_nothing(tmp_path_factory, function_url, provider,
                                                                             db, org):
    fn = start_participants(tmp_path_factory, function_url, provider, name="participants-rl", RATE_LIMIT_PER_MINUTE=2)
    try:
        o = org()
        body = {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": "rl@acme.example"}
        first = call(fn, "POST", "/api/participants", o.user, body, key="rl-1")
        replay = call(fn, "POST", "/api/participants", o.user, body, key="rl-1")
        assert (first.status, replay.status, replay.headers["idempotency-replayed"]) == (201, 201, "true")
        # The bucket (2 a minute) is empty: a replay and a new keyed call are both refused, and nothing is kept.
        for key, b in (("rl-1", body), ("rl-2", {**body, "email": "rl2@acme.example"})):
            refused = call(fn, "POST", "/api/participants", o.user, b, key=key)
            assert (refused.status, envelope(refused)["error"]["code"]) == (429, "RATE_LIMITED")
            assert "idempotency-replayed" not in refused.headers and int(refused.headers["retry-after"]) >= 1
        assert [r[0] for r in o.keys()] == ["rl-1"]
        assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", o.id) == [[1]]
        assert [row[0] for row in o.audit("POST /api/participants")] == ["ok", "replayed", "RATE_LIMITED", "RATE_LIMITED"]
    finally:
        fn.stop()
