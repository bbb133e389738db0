"""Issue 17, point 5: a warm copilot call reaches Postgres once. The request guards, the tool's query and its audit
row go in one pipelined batch and one transaction, counted here by a TCP proxy between the packaged bootstrap and
Postgres that reads the frontend protocol (one `Sync` per batch), not by anything the function says about itself.
Paths that cannot know their end before the batch (a refused guard, a failed statement) take a second round trip
for the audit row: still exactly one row per call."""
import json
import struct
import urllib.parse
import uuid

import pytest

from conftest import ROOT, SECRET, Emulator, pg_superuser, replay_records, rest_event, sign, snapshot, wait_for
from test_runtime_shutdown import RecordingRelay, relayed_url

TOOLS = ["calculate_health", "get_customer_usage", "get_recent_tickets", "get_contract_info", "generate_email",
         "generate_qbr_outline"]
# Frontend messages that end a batch and wait for the server: Sync (a committed batch) and Flush.
ROUND_TRIP_MESSAGES = {b"S", b"H"}
UNTYPED_REQUESTS = {80877103, 80877104}  # SSLRequest, GSSENCRequest: answered by one byte, then the startup


def frontend_messages(stream):
    """The complete typed frontend messages of one connection's client bytes, as (type, body)."""
    i, started = 0, False
    while True:
        if not started:  # untyped: length, then a code (SSL/GSSENC requests, then the startup message)
            if len(stream) < i + 8:
                return
            length, code = struct.unpack("!II", stream[i:i + 8])
            i, started = i + length, code not in UNTYPED_REQUESTS
            continue
        if len(stream) < i + 5:
            return
        length = struct.unpack("!I", stream[i + 1:i + 5])[0]
        if len(stream) < i + 1 + length:
            return
        yield stream[i:i + 1], stream[i + 5:i + 1 + length]
        i += 1 + length


def round_trip_messages(stream):
    """The Sync and Flush messages among the complete frontend messages of one connection's client bytes."""
    return sum(kind in ROUND_TRIP_MESSAGES for kind, _ in frontend_messages(stream))


def parsed_statements(stream):
    """The (statement name, text) of every Parse message of one connection's client bytes, in order."""
    out = []
    for kind, body in frontend_messages(stream):
        if kind == b"P":
            name, text = body.split(b"\0")[:2]
            out.append((name.decode(), text.decode()))
    return out


class CountingProxy(RecordingRelay):
    """test_runtime_shutdown's relay between the function and Postgres, counting the batches each connection sent
    (one Sync or Flush per batch)."""

    def round_trips(self):
        return sum(round_trip_messages(bytes(sent)) for sent, _ in self.connections())

    def parses(self):
        """Every Parse message sent so far, over all connections: (statement name, text)."""
        return [p for sent, _ in self.connections() for p in parsed_statements(bytes(sent))]


@pytest.fixture
def proxy(function_url):
    p = CountingProxy(("127.0.0.1", urllib.parse.urlsplit(function_url).port))
    yield p
    p.close()


def proxied(url, port):
    parts = urllib.parse.urlsplit(url)
    return parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{port}").geturl()


@pytest.fixture
def owner(db):
    """A tenant with one fully known customer (`known`) and nothing about any other."""
    tenant = f"rt_{uuid.uuid4().hex[:10]}"
    cur = db.cursor()
    cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES ('known', 'Known Co', %s)", (tenant,))
    cur.execute("INSERT INTO contracts (company_external_id, owner_user_id, renewal_date, arr) "
                "VALUES ('known', %s, now() + interval '90 days', 1200)", (tenant,))
    cur.execute("INSERT INTO usage_summaries (company_external_id, owner_user_id, trend, avg_daily_users, sparkline) "
                "VALUES ('known', %s, 'up', 12, '[1,2,3]')", (tenant,))
    cur.execute("INSERT INTO ticket_summaries (company_external_id, owner_user_id, open_tickets, recent_tickets) "
                "VALUES ('known', %s, 1, '[{\"id\": \"T-1\", \"severity\": \"low\"}]')", (tenant,))
    return tenant


def audit_rows(db, request_id):
    cur = db.cursor()
    cur.execute("SELECT tenant, tool, outcome, status FROM audit_events WHERE request_id = %s ORDER BY id", (request_id,))
    return [tuple(r) for r in cur.fetchall()]


def logged_round_trips(e, request_id):
    """`db.roundTrips` of the invocation's `request` log line (what the function reports about itself; text format:
    time, request id, level, then the message and its `key=value` fields)."""
    messages = [l.split("\t", 3)[3].split(" ") for l in e.output().splitlines()
                if l.count("\t") >= 3 and l.split("\t")[1] == request_id]
    return [int(dict(f.split("=", 1) for f in m[1:] if "=" in f)["db.roundTrips"]) for m in messages if m[0] == "request"]


def call(e, proxy, tool, body, signature=None):
    """One invocation; returns (envelope, request id, round trips the proxy saw for it)."""
    before = proxy.round_trips()
    status, headers, out = e.invoke(rest_event(tool, body, signature or sign(body)))
    assert status == 200, out
    envelope = json.loads(json.loads(out)["body"])
    return envelope, headers["X-Amzn-RequestId"], proxy.round_trips() - before


def start(tmp_path, proxy, function_url, tool, **env):
    return Emulator(ROOT / "dist" / tool / "bootstrap", tmp_path=tmp_path, name=tool,
                    env={"HMAC_SECRET": SECRET, "DATABASE_URL": proxied(function_url, proxy.port), **env})


@pytest.mark.parametrize("tool", TOOLS)
def test_a_warm_call_is_one_round_trip_with_its_audit_row(db, proxy, function_url, owner, tmp_path, tool):
    e = start(tmp_path, proxy, function_url, tool)
    try:
        body = json.dumps({"customerId": "known", "params": {"ownerUserId": owner}})
        first, _, _ = call(e, proxy, tool, body)  # connects
        assert first["ok"] is True, first
        prepared = proxy.parses()
        # The first call prepared its statements, each under a name of its own, in its one batch.
        assert prepared and all(name for name, _ in prepared) and len({n for n, _ in prepared}) == len(prepared)
        envelope, rid, trips = call(e, proxy, tool, body)
        assert envelope["ok"] is True, envelope
        assert trips == 1
        assert proxy.parses() == prepared  # the warm call sent no statement text: Bind/Execute of prepared ones
        assert audit_rows(db, rid) == [(owner, tool, "ok", 200)]
        assert len(proxy.connections()) == 1
    finally:
        e.stop()


def test_missing_data_is_recorded_by_the_same_round_trip(db, proxy, function_url, owner, tmp_path):
    e = start(tmp_path, proxy, function_url, "generate_email")
    try:
        call(e, proxy, "generate_email", json.dumps({"customerId": "known", "params": {"ownerUserId": owner}}))
        before = snapshot(db)
        body = json.dumps({"customerId": "nobody", "params": {"ownerUserId": owner}})
        envelope, rid, trips = call(e, proxy, "generate_email", body)
        assert envelope["error"]["code"] == "MISSING_DATA"
        assert trips == 1
        assert audit_rows(db, rid) == [(owner, "generate_email", "MISSING_DATA", 404)]
        # Only the guards' own bookkeeping moved (the signature's replay record, the tenant's rate-limit bucket).
        changed = {t for t in before if snapshot(db, [t])[t] != before[t]}
        assert changed <= {"request_nonces", "rate_buckets"}
        wait_for(lambda: logged_round_trips(e, rid), "the request's log line")
        assert logged_round_trips(e, rid) == [1]
    finally:
        e.stop()


def test_a_refused_guard_costs_a_second_round_trip_for_its_one_audit_row(db, proxy, function_url, owner, tmp_path):
    e = start(tmp_path, proxy, function_url, "calculate_health")
    try:
        body = json.dumps({"customerId": "known", "params": {"ownerUserId": owner}})
        signature = sign(body)
        envelope, _, _ = call(e, proxy, "calculate_health", body, signature)
        assert envelope["ok"] is True
        before = snapshot(db)
        replayed, rid, trips = call(e, proxy, "calculate_health", body, signature)
        assert replayed["ok"] is False and replayed["error"]["code"] == "UNAUTHORIZED"
        assert trips == 2  # the refused batch, then the audit row alone
        assert [row[2:] for row in audit_rows(db, rid)] == [("UNAUTHORIZED", 401)]
        assert snapshot(db) == before
    finally:
        e.stop()


def terminate_sessions(application_name):
    """Ends the function's session from the server side, as an administrator would (the superuser: the schema
    owner may not signal another role's backend)."""
    out = pg_superuser("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       f"WHERE application_name = '{application_name}'")
    assert out.strip() == "1"


def session_alive(db, application_name):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application_name,))
    return cur.fetchone()[0] > 0


def test_prepared_statements_start_over_on_a_new_connection_and_after_an_aborted_batch(db, proxy, function_url, owner,
                                                                                      tmp_path):
    """The prepared statements belong to the connection, and a statement is known only once its Parse succeeded. The
    server ends the function's session; the next call is a replay, refused by its first guard on the new connection,
    so the Parse of every later statement of that batch (the scope, the tool's query, the audit row) is skipped: the
    audit row's own round trip and the next good call must prepare them anew, not Bind statements that do not
    exist. Each call still ends as before, with exactly one audit row."""
    name = f"prep_{uuid.uuid4().hex[:8]}"
    e = start(tmp_path, proxy, function_url, "calculate_health",
              DATABASE_URL=relayed_url(function_url, proxy.port, name))
    try:
        body = json.dumps({"customerId": "known", "params": {"ownerUserId": owner}})
        signature = sign(body)
        first, _, _ = call(e, proxy, "calculate_health", body, signature)
        assert first["ok"] is True, first
        terminate_sessions(name)
        wait_for(lambda: not session_alive(db, name), "the session's end")
        before = snapshot(db)
        replayed, rid, _ = call(e, proxy, "calculate_health", body, signature)
        assert replayed["ok"] is False and replayed["error"]["code"] == "UNAUTHORIZED"
        assert [row[2:] for row in audit_rows(db, rid)] == [("UNAUTHORIZED", 401)]
        assert snapshot(db) == before
        assert len(proxy.connections()) == 2
        new_connection = proxy.connections()[1][0]
        # On the new connection: the refused batch, then the audit row alone. (The old connection may have seen the
        # batch too, when the server's goodbye had not been read before it went out: nothing of it committed.)
        assert round_trip_messages(bytes(new_connection)) == 2
        audit_parses = [text for _, text in parsed_statements(bytes(new_connection)) if "audit_events" in text]
        assert len(audit_parses) == 2  # in the refused batch (skipped), then again for the audit row's round trip
        prepared = len(parsed_statements(bytes(new_connection)))
        envelope, rid, trips = call(e, proxy, "calculate_health", body)
        assert envelope["data"] == first["data"]
        assert trips == 1
        assert audit_rows(db, rid) == [(owner, "calculate_health", "ok", 200)]
        # The statements the refused batch had skipped were prepared by this call; the audit row's was known.
        again = [text for _, text in parsed_statements(bytes(new_connection))[prepared:]]
        assert again and not any("audit_events" in text for text in again)
        assert len(proxy.connections()) == 2
    finally:
        e.stop()


def test_a_schema_change_between_calls_is_followed_by_the_prepared_statements(db, proxy, function_url, owner, tmp_path):
    """A migration between two calls: a change that keeps a prepared statement's result (a new column) is replanned
    by the server unseen; one that changes it (a column's type) makes the server refuse the cached statement
    ("cached plan must not change result type"), which rolls its batch back whole: the function prepares it afresh
    and sends the batch once more (a second round trip), so the call answers as before with one audit row, one
    replay record."""
    e = start(tmp_path, proxy, function_url, "calculate_health")
    cur = db.cursor()
    try:
        body = json.dumps({"customerId": "known", "params": {"ownerUserId": owner}})
        first, _, _ = call(e, proxy, "calculate_health", body)
        assert first["ok"] is True, first
        cur.execute("ALTER TABLE companies ADD COLUMN prepared_probe int")
        envelope, rid, trips = call(e, proxy, "calculate_health", body)
        assert (envelope["data"], trips) == (first["data"], 1)
        assert audit_rows(db, rid) == [(owner, "calculate_health", "ok", 200)]
        for kind in ("varchar(200)", "text"):  # and back: the result type changes twice
            cur.execute(f"ALTER TABLE companies ALTER COLUMN name TYPE {kind}")
            nonces = replay_records(db)
            envelope, rid, trips = call(e, proxy, "calculate_health", body)
            assert (envelope["data"], trips) == (first["data"], 2)
            assert audit_rows(db, rid) == [(owner, "calculate_health", "ok", 200)]
            # The refused batch left nothing: the batch sent again recorded the same replay record without conflict.
            assert len(replay_records(db)) == len(nonces) + 1
            envelope, _, trips = call(e, proxy, "calculate_health", body)
            assert (envelope["data"], trips) == (first["data"], 1)  # prepared afresh: warm again
        assert len(proxy.connections()) == 1
    finally:
        e.stop()
        cur.execute("ALTER TABLE companies DROP COLUMN IF EXISTS prepared_probe")
        cur.execute("ALTER TABLE companies ALTER COLUMN name TYPE text")
