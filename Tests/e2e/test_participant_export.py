"""The streamed participant export (functions/participant_export, issue 7) through the real packaged static bootstrap,
`warden emulate`'s invoke endpoint (Lambda response streaming: chunked transfer, error trailers) and Postgres.

Every answer is a stream beginning with the Function URL http-integration prelude (JSON, 8 NUL bytes), parsed here
from the raw chunked HTTP response: the whole organization as NDJSON in id order with a summary line, checked byte
for byte against the database; an export over 6 MB arrives whole; other organizations never appear; refused tokens
get the 401 envelope and nothing more; preflight, 405 and the audit rows; and a failure midway (the table locked
after the first chunk, so the next page waits for the function's deadline) ends with the error trailers and no
summary line."""
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid

import pytest

from conftest import ROOT, Emulator, check_openapi, connect, snapshot

BOOTSTRAP = ROOT / "dist" / "participant_export" / "bootstrap"
PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
JWT_SECRET = "participant-export-e2e-jwt-secret-0123456789"
AUDIENCE = "authenticated"
ORIGIN = "http://localhost:3000"
PATH = "/api/participants/export"
DELIMITER = b"\x00" * 8
TABLES = ["meeting_participants", "participant_enrichment_history"]
USERS = {"user_x_alice": "org_x_acme", "user_x_bob": "org_x_globex", "user_x_big": "org_x_big"}
ACME_ROWS = 1234  # three pages of 500
BIG_ROWS = 25_000
SIX_MB = 6 * 1024 * 1024
# The columns of a participant as the API renders them, formatted as the functions select them.
COLUMNS = """id, organization_id, meeting_id, meeting_title,
    to_char(meeting_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), meeting_platform, email,
    display_name, response_status, is_organizer, is_optional, contact_id, enrichment_status, enrichment_source,
    auto_match_confidence::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    to_char(last_activity_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
FIELDS = ["id", "organizationId", "meetingId", "meetingTitle", "meetingDateTime", "meetingPlatform", "email",
          "displayName", "responseStatus", "isOrganizer", "isOptional", "contactId", "enrichmentStatus",
          "enrichmentSource", "autoMatchConfidence", "createdAt", "updatedAt", "lastActivityAt"]


# ------------------------------------------------------------------------------------------------------ helpers
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub, aud=AUDIENCE, lifetime=600, secret=JWT_SECRET, alg="HS256"):
    now = int(time.time())
    h = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    p = b64url(json.dumps({"sub": sub, "aud": aud, "iat": now - 5, "exp": now + lifetime, "role": "authenticated"}).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest() if alg == "HS256" else b""
    return f"{h}.{p}.{b64url(sig)}"


def event(method="GET", path=PATH, headers=None, body=None):
    """A Function URL event (payload format 2.0, routeKey and stage `$default`)."""
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in (headers or {}).items()},
            "requestContext": {"accountId": "anonymous", "apiId": "urlid", "domainName": "urlid.lambda-url.eu-central-1.on.aws",
                               "domainPrefix": "urlid", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                                                 "sourceIp": "127.0.0.1", "userAgent": "e2e"},
                               "requestId": uuid.uuid4().hex, "routeKey": "$default", "stage": "$default",
                               "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": int(time.time() * 1000)},
            "body": body, "isBase64Encoded": False}


def bearer(user, **kw):
    return {"Authorization": f"Bearer {token(user, **kw)}"}


class Streamed:
    """One invocation's raw HTTP answer from the emulator's invoke endpoint, read off the socket: status, headers,
    the chunks as they arrived, the trailers; and the function's stream split into prelude and body."""

    def __init__(self, status, headers, chunks, trailers):
        self.status, self.headers, self.chunks, self.trailers = status, headers, chunks, trailers
        self.raw = b"".join(chunks)
        end = self.raw.find(DELIMITER)
        assert end > 0, f"no http-integration prelude in {self.raw[:300]!r}"
        self.prelude = json.loads(self.raw[:end])
        self.body = self.raw[end + len(DELIMITER):]

    @property
    def code(self):
        return self.prelude["statusCode"]

    @property
    def envelope(self):
        return json.loads(self.body)

    def lines(self):
        assert self.body.endswith(b"\n"), self.body[-200:]
        return self.body.split(b"\n")[:-1]


def _read_line(sock_file):
    line = sock_file.readline(65537)
    assert line.endswith(b"\r\n"), line
    return line[:-2]


def invoke_stream(fn, ev, on_chunk=None, timeout=60):
    """POSTs `ev` to the invoke endpoint over a raw socket and parses the chunked response (and its trailers)
    itself. `on_chunk(n, chunk)` runs as each chunk arrives."""
    data = json.dumps(ev).encode()
    with socket.create_connection(("127.0.0.1", fn.port), timeout=timeout) as s:
        s.sendall(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        f = s.makefile("rb")
        status = int(_read_line(f).split(b" ")[1])
        headers = {}
        while (line := _read_line(f)):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        chunks, trailers = [], {}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(_read_line(f).split(b";")[0], 16)
                if size == 0:
                    break
                chunk = f.read(size)
                assert len(chunk) == size and f.read(2) == b"\r\n"
                chunks.append(chunk)
                if on_chunk:
                    on_chunk(len(chunks), chunk)
            while (line := _read_line(f)):
                name, _, value = line.decode().partition(":")
                trailers[name.strip().lower()] = value.strip()
        else:
            chunks.append(f.read(int(headers.get("content-length", "0"))))
    assert status == 200 and "x-amz-function-error" not in headers, (status, headers, chunks[:1])
    assert headers["content-type"] == "application/vnd.awslambda.http-integration-response", headers
    result = Streamed(status, headers, chunks, trailers)
    if not trailers:
        # The same conformance check every buffered reply of our HTTP functions gets (conftest's Emulator hook).
        check_openapi("participant_export", json.dumps(ev).encode(), result.raw)
    return result


def expected_line(row):
    """A participant row from the database as the API renders it, serialized as the functions' JSON writer does
    (compact, members in order, only `"`, `\\` and control characters escaped, integral doubles as integers)."""
    obj = {}
    for name, value in zip(FIELDS, row):
        if name == "autoMatchConfidence" and value is not None:
            number = float(value)
            value = int(number) if number.is_integer() else number
        obj[name] = value
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def database_rows(db, org):
    cur = db.cursor()
    cur.execute(f"SELECT {COLUMNS} FROM meeting_participants WHERE organization_id = %s ORDER BY id", (org,))
    return cur.fetchall()


def audit_rows(db, request_id):
    cur = db.cursor()
    cur.execute("SELECT client_id, tenant, tool, action, outcome, status FROM audit_events WHERE request_id = %s",
                (request_id,))
    return [tuple(r) for r in cur.fetchall()]


# ------------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def seeded(db):
    cur = db.cursor()
    for user, org in USERS.items():
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (user, org))
    cur.execute("DELETE FROM organization_members WHERE user_id = 'user_x_nobody'")
    # acme: titles and names that need escaping (quotes, backslash, newline, tab, non-ASCII), nulls, booleans,
    # confidences (integral and not), meeting dates; a few rows are already erased.
    cur.execute("""
        INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, meeting_date_time, meeting_platform,
            email, display_name, response_status, is_organizer, is_optional, contact_id, enrichment_status,
            enrichment_source, auto_match_confidence)
        SELECT 'org_x_acme', 'mtg_' || mod(g, 97), CASE WHEN mod(g, 5) = 0 THEN NULL ELSE
                   'Acme "QBR" \\ review ' || g || E'\\n\\tnext — Größe ✓' END,
               CASE WHEN mod(g, 3) = 0 THEN NULL ELSE timestamptz '2026-11-24 16:00:00+01' + g * interval '1 hour' END,
               CASE WHEN mod(g, 2) = 0 THEN 'zoom' END, 'person' || g || '@acme.example',
               CASE WHEN mod(g, 7) = 0 THEN NULL ELSE 'Person ' || g END, 'accepted', mod(g, 11) = 0, mod(g, 13) = 0,
               CASE WHEN mod(g, 4) = 0 THEN 'contact_' || g END,
               (ARRAY['pending','matched','enriched','unknown'])[1 + mod(g, 4)],
               CASE WHEN mod(g, 4) = 0 THEN 'apollo' END,
               CASE WHEN mod(g, 4) = 0 THEN mod(g, 9) / 8.0 END
        FROM generate_series(1, %s) g""", (ACME_ROWS,))
    cur.execute("""
        UPDATE meeting_participants SET email = '[deleted]', display_name = '[deleted]', contact_id = NULL,
               enrichment_status = 'deleted'
        WHERE organization_id = 'org_x_acme' AND meeting_id = 'mtg_5'""")
    cur.execute("""
        INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name)
        SELECT 'org_x_globex', 'mtg_' || g, 'Globex secret planning ' || g, 'secret' || g || '@globex.example', 'Hidden ' || g
        FROM generate_series(1, 300) g""")
    # big: 25 000 participants with long titles, well over the 6 MB of a buffered response (under the 20 MiB
    # streaming limit of `warden emulate`, as of Lambda's default).
    cur.execute("""
        INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name, response_status)
        SELECT 'org_x_big', 'mtg_' || mod(g, 500), repeat('Quarterly business review and renewal planning ', 3) || g,
               'attendee' || g || '@big.example', 'Attendee ' || g, 'needsAction'
        FROM generate_series(1, %s) g""", (BIG_ROWS,))
    return db


@pytest.fixture(scope="module")
def export(seeded, function_url, tmp_path_factory):
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("export"), name="participant_export", timeout=30,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       "ALLOWED_ORIGIN": ORIGIN})
    yield fn
    fn.stop()


# ------------------------------------------------------------------------------------------------------- tests
def test_the_whole_organization_streams_in_id_order_byte_for_byte(export, seeded):
    rows = database_rows(seeded, "org_x_acme")
    assert len(rows) == ACME_ROWS and any(r[6] == "[deleted]" for r in rows)
    before = snapshot(seeded, TABLES)
    got = invoke_stream(export, event(headers={**bearer("user_x_alice"), "Origin": ORIGIN}))
    assert got.code == 200 and not got.trailers
    assert got.prelude["headers"]["Content-Type"] == "application/x-ndjson"
    assert got.prelude["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert got.prelude["headers"]["Cache-Control"] == "no-store" and got.prelude["cookies"] == []
    # Every row exactly once, in id order, exactly as the database holds it; then the summary.
    expected = b"".join(expected_line(r) for r in rows) + b'{"exportComplete":true,"participants":%d}\n' % len(rows)
    assert got.body == expected
    lines = [json.loads(line) for line in got.lines()]
    assert [line["id"] for line in lines[:-1]] == sorted(r[0] for r in rows)
    assert {line["organizationId"] for line in lines[:-1]} == {"org_x_acme"}
    erased = [line for line in lines[:-1] if line["enrichmentStatus"] == "deleted"]
    assert erased and all(e["email"] == e["displayName"] == "[deleted]" and e["contactId"] is None for e in erased)
    # Streamed in pages: the prelude, then a chunk per page of 500, then the summary.
    assert len(got.chunks) >= 4, [len(c) for c in got.chunks]
    assert snapshot(seeded, TABLES) == before


def test_another_organization_never_appears(export, seeded):
    got = invoke_stream(export, event(headers=bearer("user_x_bob")))
    lines = [json.loads(line) for line in got.lines()]
    assert got.code == 200 and lines[-1] == {"exportComplete": True, "participants": 300}
    assert {line["organizationId"] for line in lines[:-1]} == {"org_x_globex"}
    alice = invoke_stream(export, event(headers=bearer("user_x_alice")))
    assert b"globex" not in alice.body.lower() and b"secret" not in alice.body
    assert b"acme" not in got.body


def test_an_export_larger_than_6_mb_arrives_whole(export, seeded):
    rows = database_rows(seeded, "org_x_big")
    started = time.monotonic()
    got = invoke_stream(export, event(headers=bearer("user_x_big")))
    elapsed = time.monotonic() - started
    assert got.code == 200 and not got.trailers
    assert SIX_MB < len(got.body) < 20 * 1024 * 1024, len(got.body)
    expected = b"".join(expected_line(r) for r in rows) + b'{"exportComplete":true,"participants":%d}\n' % BIG_ROWS
    assert got.body == expected
    assert len(got.chunks) > BIG_ROWS // 500, len(got.chunks)
    assert max(len(c) for c in got.chunks) < 1024 * 1024  # a page at a time, never the whole export
    assert elapsed < 25, elapsed


@pytest.mark.parametrize("case", ["none", "garbage", "wrong signature", "expired", "wrong audience", "alg none",
                                  "not bearer"])
def test_refused_tokens_get_the_401_envelope_and_nothing_else(export, seeded, case):
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not.a.token"},
        "wrong signature": bearer("user_x_alice", secret="another-secret-0123456789abcdef0123456789"),
        "expired": bearer("user_x_alice", lifetime=-120),
        "wrong audience": bearer("user_x_alice", aud="someone-else"),
        "alg none": bearer("user_x_alice", alg="none"),
        "not bearer": {"Authorization": f"Basic {token('user_x_alice')}"},
    }[case]
    before = snapshot(seeded, TABLES)
    got = invoke_stream(export, event(headers=headers))
    assert got.code == 401 and not got.trailers
    assert got.prelude["headers"]["Content-Type"] == "application/json"
    assert got.envelope == {"ok": False, "data": None,
                            "error": {"code": "UNAUTHORIZED", "message": "Missing, invalid or expired token."}}
    assert got.body == json.dumps(got.envelope, separators=(",", ":")).encode()  # nothing beyond the envelope
    assert b"person" not in got.raw and b"acme" not in got.raw
    assert snapshot(seeded, TABLES) == before
    assert audit_rows(seeded, got.headers["x-amzn-requestid"]) == [
        (None, None, "participant_export", f"GET {PATH}", "UNAUTHORIZED", 401)]


def test_a_user_without_organization_is_forbidden(export, seeded):
    got = invoke_stream(export, event(headers=bearer("user_x_nobody")))
    assert got.code == 403 and got.envelope["error"]["code"] == "FORBIDDEN" and not got.trailers


def test_the_audit_row_records_the_export(export, seeded):
    got = invoke_stream(export, event(headers=bearer("user_x_bob")))
    assert got.code == 200
    assert audit_rows(seeded, got.headers["x-amzn-requestid"]) == [
        ("user:user_x_bob", "org_x_globex", "participant_export", f"GET {PATH}", "ok", 200)]


def test_preflight_foreign_origin_wrong_method_and_path(export, seeded):
    before = snapshot(seeded, TABLES)
    pre = invoke_stream(export, event("OPTIONS", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}))
    assert pre.code == 204 and pre.body == b"" and not pre.trailers
    assert pre.prelude["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in pre.prelude["headers"]["Access-Control-Allow-Headers"]
    foreign = invoke_stream(export, event(headers={**bearer("user_x_alice"), "Origin": "https://evil.example"}))
    assert foreign.code == 403 and foreign.envelope["error"]["code"] == "FORBIDDEN"
    assert b"person" not in foreign.raw
    post = invoke_stream(export, event("POST", headers={**bearer("user_x_alice"), "Content-Type": "application/json"},
                                       body="{}"))
    assert post.code == 405 and post.envelope["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert post.prelude["headers"]["Allow"] == "GET, OPTIONS"
    missing = invoke_stream(export, event(path="/api/participants/exports", headers=bearer("user_x_alice")))
    assert missing.code == 404 and missing.envelope["error"]["code"] == "NOT_FOUND"
    not_event = invoke_stream(export, {"hello": "world"})
    assert not_event.code == 400 and not_event.envelope["error"]["code"] == "INVALID_INPUT"
    assert snapshot(seeded, TABLES) == before


def test_the_tenant_rate_limit_refuses_before_the_first_row(seeded, function_url, tmp_path):
    """The organization's token bucket is charged with the first page, before anything is sent: over the limit, the
    answer is `429` with `Retry-After` and `meta.rateLimit`, and no row."""
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export", timeout=10,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       "RATE_LIMIT_PER_MINUTE": "1"})
    try:
        first = invoke_stream(fn, event(headers=bearer("user_x_bob")))
        assert first.code == 200 and json.loads(first.lines()[-1])["exportComplete"] is True
        before = snapshot(seeded, TABLES)
        refused = invoke_stream(fn, event(headers=bearer("user_x_bob")))
        assert refused.code == 429 and not refused.trailers
        assert refused.envelope["error"]["code"] == "RATE_LIMITED"
        assert refused.envelope["meta"]["rateLimit"]["limit"] == 1 and refused.envelope["meta"]["rateLimit"]["remaining"] == 0
        assert int(refused.prelude["headers"]["Retry-After"]) >= 1
        assert b"globex.example" not in refused.raw
        assert snapshot(seeded, TABLES) == before
        assert audit_rows(seeded, refused.headers["x-amzn-requestid"]) == [
            ("user:user_x_bob", "org_x_globex", "participant_export", f"GET {PATH}", "RATE_LIMITED", 429)]
    finally:
        fn.stop()


def test_rows_render_exactly_as_the_participant_api_renders_them(export, seeded, function_url, tmp_path):
    """The export's copy of the row rendering matches functions/participants' (its own export of one participant)."""
    participants = Emulator(PARTICIPANTS, tmp_path=tmp_path, name="participants",
                            env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET})
    try:
        got = invoke_stream(export, event(headers=bearer("user_x_alice")))
        lines = {json.loads(line)["id"]: line for line in got.lines()[:-1]}
        picks = [i for i in sorted(lines) if i % 4 == 0][:3] + [next(i for i, l in lines.items() if b"[deleted]" in l)]
        for pid in picks:
            path = f"/api/participants/{pid}/export"
            ev = event(path=path, headers=bearer("user_x_alice"))
            _, _, out = participants.invoke(ev)
            reply = json.loads(out)
            assert reply["statusCode"] == 200, reply
            single = json.loads(reply["body"])["data"]["participant"]
            assert json.dumps(single, separators=(",", ":"), ensure_ascii=False).encode() == lines[pid]
    finally:
        participants.stop()


def test_a_failure_midway_ends_with_the_error_trailers(seeded, function_url, database_url, tmp_path):
    """After the first page arrived, another connection locks the table: the next page waits for the statement
    timeout the function derives from its deadline (4 s here), the stream ends with the error trailers, the summary
    line never comes, and what did arrive is a correct prefix of the export. The same process then exports fine."""
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export", timeout=4,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       "EXPORT_PAGE_SIZE": "100"})
    rows = database_rows(seeded, "org_x_big")
    try:
        for attempt in range(3):
            locker = connect(database_url)
            locked = threading.Event()

            def lock(n, chunk):
                # Chunk 1 is the prelude, chunk 2 the first page: lock before the function reads much further.
                if n == 2 and not locked.is_set():
                    cur = locker.cursor()
                    cur.execute("LOCK TABLE meeting_participants IN ACCESS EXCLUSIVE MODE")
                    locked.set()

            started = time.monotonic()
            try:
                got = invoke_stream(fn, event(headers=bearer("user_x_big")), on_chunk=lock)
            finally:
                locker.rollback()
                locker.close()
            elapsed = time.monotonic() - started
            if got.trailers or attempt == 2:
                break  # else the whole export was sent before the lock was taken: try again
        assert got.code == 200 and locked.is_set()
        assert got.trailers["lambda-runtime-function-error-type"] == "Warden.StreamInterrupted", got.trailers
        report = json.loads(base64.b64decode(got.trailers["lambda-runtime-function-error-body"]))
        assert report["errorType"] == "Warden.StreamInterrupted"
        assert report["errorMessage"] == "The response stream was interrupted; retry the request."
        text = json.dumps(report).lower()
        assert not any(w in text for w in ("lock", "timeout", "statement", "cancel", "sql", "postgres", "meeting"))
        assert 2.5 < elapsed < 10, elapsed  # waited for the deadline, not killed and not instant
        lines = got.lines()
        assert lines and b"exportComplete" not in got.body
        assert got.body == b"".join(expected_line(r) for r in rows[:len(lines)])
        assert len(lines) < BIG_ROWS
        audit = audit_rows(seeded, got.headers["x-amzn-requestid"])
        assert audit == [("user:user_x_big", "org_x_big", "participant_export", f"GET {PATH}", "TOOL_FAILURE", 200)]
        assert "Warden.StreamInterrupted" in fn.output() and "Sandbox.Timedout" not in fn.output()
        # The same process (its connection survived the cancelled statement) serves the next export whole.
        again = invoke_stream(fn, event(headers=bearer("user_x_alice")))
        assert again.code == 200 and not again.trailers
        assert json.loads(again.lines()[-1]) == {"exportComplete": True, "participants": ACME_ROWS}
    finally:
        fn.stop()
