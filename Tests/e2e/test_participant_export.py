"""The streamed participant export (functions/participant_export, issue 7) through the real packaged static bootstrap,
`warden emulate`'s invoke endpoint (Lambda response streaming: chunked transfer, error trailers) and Postgres.

Every answer is a stream beginning with the Function URL http-integration prelude (JSON, 8 NUL bytes), parsed here
from the raw chunked HTTP response: the whole organization as NDJSON in id order with a summary line, checked byte
for byte against the database; an export over 6 MB arrives whole; other organizations never appear; refused tokens
get the 401 envelope and nothing more; preflight, 405 and the audit rows; and a failure midway (the table locked
after the first chunk, so the next page waits for the function's deadline) ends with the error trailers and no
summary line. An export larger than one response (the byte budget, the invocation's time; 50 000 participants over
20 MiB) comes in parts joined by continuation cursors, every row exactly once; hostile cursors and invalid settings
are refused."""
import base64
import json
import socket
import threading
import time
import urllib.parse
import uuid

import pytest

from conftest import HANG_GUARD, ROOT, Emulator, b64url, check_openapi, connect, hs256_token, snapshot, wait_for

BOOTSTRAP = ROOT / "dist" / "participant_export" / "bootstrap"
PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
JWT_SECRET = "participant-export-e2e-jwt-secret-0123456789"
AUDIENCE = "authenticated"
ORIGIN = "http://localhost:3000"
PATH = "/api/participants/export"
DELIMITER = b"\x00" * 8
TABLES = ["meeting_participants", "participant_enrichment_history"]
USERS = {"user_x_alice": "org_x_acme", "user_x_bob": "org_x_globex", "user_x_big": "org_x_big",
         "user_x_pages": "org_x_pages"}
PAGES_ROWS = 45
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
def token(sub, aud=AUDIENCE, lifetime=600, secret=JWT_SECRET, alg="HS256"):
    """An HS256 token issued 5 s ago; with another `alg` (none), that header and no signature."""
    signed = hs256_token(sub, secret, lifetime, aud=aud, iat=int(time.time()) - 5)
    if alg == "HS256":
        return signed
    return f"{b64url(json.dumps({'alg': alg, 'typ': 'JWT'}).encode())}.{signed.split('.')[1]}."


def event(method="GET", path=PATH, headers=None, body=None, query=None):
    """A Function URL event (payload format 2.0, routeKey and stage `$default`)."""
    return {"version": "2.0", "routeKey": "$default", "rawPath": path,
            "rawQueryString": urllib.parse.urlencode(query or {}),
            **({"queryStringParameters": query} if query else {}),
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
    # pages: titles of varying length, so that a small byte budget ends responses at different rows of a page.
    cur.execute("""
        INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name)
        SELECT 'org_x_pages', 'mtg_' || mod(g, 4), 'Pages ' || repeat('é', mod(g * 37, 200)) || ' ' || g,
               'page' || g || '@pages.example', 'Page ' || g
        FROM generate_series(1, %s) g""", (PAGES_ROWS,))
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
    # Lambda's longest timeout (15 min): no response here ends for want of time however slow the machine (a
    # response that runs short of time has its own test), so what the tests see never depends on its speed.
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("export"), name="participant_export", timeout=900,
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
    got = invoke_stream(export, event(headers=bearer("user_x_big")))
    assert got.code == 200 and not got.trailers
    assert SIX_MB < len(got.body) < 20 * 1024 * 1024, len(got.body)
    expected = b"".join(expected_line(r) for r in rows) + b'{"exportComplete":true,"participants":%d}\n' % BIG_ROWS
    assert got.body == expected
    assert len(got.chunks) > BIG_ROWS // 500, len(got.chunks)
    assert max(len(c) for c in got.chunks) < 1024 * 1024  # a page at a time, never the whole export


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


def lock_waiters(conn, table):
    """Sessions of this database waiting for a lock on `table`."""
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", (table,))
    return cur.fetchone()[0]


def test_a_failure_midway_ends_with_the_error_trailers(seeded, function_url, database_url, tmp_path):
    """After the first page arrived, another connection locks the table: the next page waits on the lock until the
    function cancels it at the statement timeout it derives from its deadline (4 s here), the stream ends with the
    error trailers while the lock is still held, the summary line never comes, and what did arrive is a correct
    prefix of the export. The same process then exports fine."""
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export", timeout=4,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       # The time reserve would end the response with a continuation before the blocked page.
                       "EXPORT_PAGE_SIZE": "100", "EXPORT_TIME_RESERVE_MS": "0"})
    rows = database_rows(seeded, "org_x_big")
    watcher = connect(database_url)
    watcher.autocommit = True
    try:
        for attempt in range(3):
            locker = connect(database_url)
            locked, over, waited = threading.Event(), threading.Event(), threading.Event()

            def lock(n, chunk):
                # Chunk 1 is the prelude, chunk 2 the first page: lock before the function reads much further.
                if n == 2 and not locked.is_set():
                    cur = locker.cursor()
                    cur.execute("LOCK TABLE meeting_participants IN ACCESS EXCLUSIVE MODE")
                    locked.set()

            def watch():
                """Records whether the function's next page waited on the lock while the stream was open."""
                if locked.wait(HANG_GUARD):
                    while not over.is_set():
                        if lock_waiters(watcher, "meeting_participants"):
                            waited.set()
                            return
                        over.wait(0.02)

            watching = threading.Thread(target=watch, daemon=True)
            watching.start()
            try:
                got = invoke_stream(fn, event(headers=bearer("user_x_big")), on_chunk=lock)
                over.set()
                watching.join(HANG_GUARD)
                # The stream ended while the lock was still held: the waiting statement was cancelled.
                still_waiting = lock_waiters(watcher, "meeting_participants")
            finally:
                over.set()
                locker.rollback()
                locker.close()
            if got.trailers or attempt == 2:
                break  # else the whole export was sent before the lock was taken: try again
        assert got.code == 200 and locked.is_set()
        assert got.trailers["lambda-runtime-function-error-type"] == "Warden.StreamInterrupted", got.trailers
        report = json.loads(base64.b64decode(got.trailers["lambda-runtime-function-error-body"]))
        assert report["errorType"] == "Warden.StreamInterrupted"
        assert report["errorMessage"] == "The response stream was interrupted; retry the request."
        text = json.dumps(report).lower()
        assert not any(w in text for w in ("lock", "timeout", "statement", "cancel", "sql", "postgres", "meeting"))
        # Waited for the deadline and was not killed: the next page's statement waited on the lock, the function
        # cancelled it (it waits no more, the lock still held) and ended the stream itself — its log says why, and
        # the emulator's REPORT has no timeout.
        assert waited.is_set() and still_waiting == 0, (waited.is_set(), still_waiting)
        rid = got.headers["x-amzn-requestid"]
        own = [line.split("\t", 2)[2] for line in fn.output().splitlines()
               if line.count("\t") >= 3 and line.split("\t")[1] == rid]
        assert any(line.startswith("ERROR\tstream interrupted") and "error.code=timeout" in line for line in own), own
        report = wait_for(lambda: next((line for line in fn.output().splitlines()
                                        if line.startswith(f"REPORT RequestId: {rid}\t")), None), "the REPORT line")
        assert "Status:" not in report, report
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
        watcher.close()
        fn.stop()


# ------------------------------------------------------------------------------------------- continuation (issue 14)
def cursor_after(pid):
    """The cursor as the function spells it (opaque to clients; here to aim past the end)."""
    return b64url(b"export:%d" % pid)


def export_in_parts(fn, user, max_parts=100):
    """Follows the continuation cursors from the first response to the complete one: the responses, in order."""
    parts, query = [], None
    for _ in range(max_parts):
        got = invoke_stream(fn, event(headers=bearer(user), query=query))
        assert got.code == 200 and not got.trailers, (got.code, got.trailers, got.body[-300:])
        parts.append(got)
        final = json.loads(got.lines()[-1])
        if final["exportComplete"]:
            return parts
        query = {"cursor": final["nextCursor"]}
    raise AssertionError(f"no complete response in {max_parts}")


def check_parts(parts, rows):
    """Every row exactly once, in id order, byte for byte; each response's final line counts its own rows and only
    the last one says complete."""
    body = b""
    for number, got in enumerate(parts, 1):
        lines = got.lines()
        final = json.loads(lines[-1])
        complete = number == len(parts)
        assert final["exportComplete"] is complete and final["participants"] == len(lines) - 1, (number, final)
        if complete:
            assert final == {"exportComplete": True, "participants": len(lines) - 1}
        else:
            assert set(final) == {"exportComplete", "participants", "nextCursor"} and final["participants"] >= 1
        body += b"".join(line + b"\n" for line in lines[:-1])
    assert body == b"".join(expected_line(r) for r in rows)


def test_an_export_over_the_byte_budget_continues_with_a_cursor_until_complete(seeded, function_url, tmp_path):
    """Red-team finding (issue 14): Lambda ends a streamed response at 20 MiB mid-row. Each response stops at a row
    boundary before its byte budget (here 2 KiB instead of 16 MiB) with a cursor; following the cursors yields every
    row exactly once, in order, and the last response says complete."""
    budget = 2048
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export", timeout=30,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       "EXPORT_RESPONSE_BUDGET_BYTES": str(budget), "EXPORT_PAGE_SIZE": "7"})
    try:
        rows = database_rows(seeded, "org_x_pages")
        assert len(rows) == PAGES_ROWS
        before = snapshot(seeded, TABLES)
        parts = export_in_parts(fn, "user_x_pages")
        assert len(parts) >= 3, [len(p.body) for p in parts]  # at least two continuations
        assert all(len(p.body) <= budget for p in parts), [len(p.body) for p in parts]
        # Responses end mid-page too (the rest of the page comes with the next response).
        assert any(json.loads(p.lines()[-1])["participants"] % 7 for p in parts[:-1])
        check_parts(parts, rows)
        assert snapshot(seeded, TABLES) == before
        # Each response is audited as a successful call.
        assert all(audit_rows(seeded, p.headers["x-amzn-requestid"]) ==
                   [("user:user_x_pages", "org_x_pages", "participant_export", f"GET {PATH}", "ok", 200)] for p in parts)
        # A cursor past the last participant: the export is complete, with no row.
        last = cursor_after(rows[-1][0])
        got = invoke_stream(fn, event(headers=bearer("user_x_pages"), query={"cursor": last}))
        assert got.code == 200 and got.body == b'{"exportComplete":true,"participants":0}\n'
    finally:
        fn.stop()


def test_50000_participants_over_20_mib_export_whole_in_parts_at_the_default_budget(export, seeded):
    """The red team's case: 50 000 participants, about 24 MB of NDJSON, more than Lambda's (and `warden emulate`'s)
    20 MiB per streamed response. With the default budget (16 MiB) the first response stops at a row boundary with a
    cursor, the second completes the export; no response is cut."""
    cur = seeded.cursor()
    cur.execute("""
        INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name, response_status)
        SELECT 'org_x_huge', 'mtg_' || mod(g, 700), repeat('Annual enterprise renewal negotiation and roadmap ', 3) || g,
               'attendee' || g || '@huge.example', 'Attendee ' || g, 'accepted'
        FROM generate_series(1, 50000) g""")
    cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES ('user_x_huge', 'org_x_huge') "
                "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id")
    rows = database_rows(seeded, "org_x_huge")
    expected = b"".join(expected_line(r) for r in rows)
    assert len(expected) > 20 * 1024 * 1024, len(expected)
    parts = export_in_parts(export, "user_x_huge")
    assert len(parts) == 2, [len(p.body) for p in parts]
    assert len(parts[0].body) <= 16 * 1024 * 1024 < len(parts[0].body) + 1024, len(parts[0].body)
    check_parts(parts, rows)


def test_a_response_ends_with_a_cursor_when_the_invocation_runs_short_of_time(seeded, function_url, tmp_path):
    """No page is read once less than `EXPORT_TIME_RESERVE_MS` is left of the invocation (here always: the reserve
    exceeds the timeout), so each response carries its first page and a cursor; the cursors still yield the whole
    export."""
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export", timeout=3,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_AUDIENCE": AUDIENCE,
                       "EXPORT_PAGE_SIZE": "10", "EXPORT_TIME_RESERVE_MS": "900000"})
    try:
        rows = database_rows(seeded, "org_x_pages")
        parts = export_in_parts(fn, "user_x_pages")
        assert [json.loads(p.lines()[-1])["participants"] for p in parts] == [10, 10, 10, 10, 5]
        check_parts(parts, rows)
    finally:
        fn.stop()


HOSTILE_CURSORS = [
    "", "!!", "a" * 65, "' OR 1=1 --", "../../etc/passwd", "ZXhwb3J0OjU=", "ZXhwb3J0OjV",  # padding; non-canonical bits
    b64url(b"5"), b64url(b"12"),                                   # the list's cursor (counts downwards)
    b64url(b"export:0"), b64url(b"export:-3"), b64url(b"export:007"), b64url(b"export:abc"), b64url(b"export:"),
    b64url(b"export:99999999999999999999"), b64url(b"export:5 "), b64url(b"export:5\x00"), b64url(b"export:\xff"),
    b64url(b"Export:5"), base64.b64encode(b"export:5>>?").decode(),  # + and / of standard base64
    "\uff3a\uff38",                                                 # full-width letters
]


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS)
def test_a_hostile_cursor_is_refused_and_changes_nothing(export, seeded, cursor):
    before = snapshot(seeded, TABLES)
    got = invoke_stream(export, event(headers=bearer("user_x_pages"), query={"cursor": cursor}))
    assert got.code == 400 and not got.trailers
    assert got.prelude["headers"]["Content-Type"] == "application/json"
    assert got.envelope == {"ok": False, "data": None,
                            "error": {"code": "INVALID_INPUT", "message": "The cursor is not valid."}}
    assert b"page" not in got.body
    assert snapshot(seeded, TABLES) == before
    assert audit_rows(seeded, got.headers["x-amzn-requestid"]) == [
        ("user:user_x_pages", "org_x_pages", "participant_export", f"GET {PATH}", "INVALID_INPUT", 400)]


@pytest.mark.parametrize("name,value", [
    ("EXPORT_RESPONSE_BUDGET_BYTES", "0"), ("EXPORT_RESPONSE_BUDGET_BYTES", "1023"),
    ("EXPORT_RESPONSE_BUDGET_BYTES", "16777217"), ("EXPORT_RESPONSE_BUDGET_BYTES", "20MiB"),
    ("EXPORT_TIME_RESERVE_MS", "-1"), ("EXPORT_TIME_RESERVE_MS", "900001"), ("EXPORT_TIME_RESERVE_MS", "5s"),
    ("EXPORT_PAGE_SIZE", "0"), ("EXPORT_PAGE_SIZE", "5001"), ("EXPORT_PAGE_SIZE", " 500"),
])
def test_an_invalid_setting_fails_initialization(seeded, function_url, tmp_path, name, value):
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participant_export-bad", timeout=10,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, name: value})
    try:
        before = snapshot(seeded, TABLES)
        _, _, out = fn.invoke(event(headers=bearer("user_x_pages")))
        error = json.loads(out)
        assert error["errorType"] == "Runtime.ConfigurationError", error
        low, high = {"EXPORT_RESPONSE_BUDGET_BYTES": (1024, 16777216), "EXPORT_TIME_RESERVE_MS": (0, 900000),
                     "EXPORT_PAGE_SIZE": (1, 5000)}[name]
        assert error["errorMessage"] == f"Configuration error: {name} must be a whole number from {low} to {high}"
        assert snapshot(seeded, TABLES) == before
    finally:
        fn.stop()
