"""The participant API (CONTRACTS.md §2) through the packaged static bootstrap, the emulator and Postgres: JWT
users scoped to their organization, cursor pagination, rectification, GDPR erasure and export, and proof that
refused calls change nothing."""
import json
import subprocess
import urllib.parse
import uuid

import pytest

from conftest import (ROOT, WARDEN, Emulator, b64url, connect, hs256_token, refused_by_postgres, snapshot,
                      snapshot_changes)

BOOTSTRAP = ROOT / "dist" / "participants" / "bootstrap"
JWT_SECRET = "participants-e2e-jwt-secret-0123456789abcdef"
USERS = {"user_p_alice": "org_p_acme", "user_p_bob": "org_p_globex", "user_p_carol": "org_p_pages"}


def token(sub):
    return hs256_token(sub, JWT_SECRET)


def event(method, path, headers=None, body=None, query=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path,
            "rawQueryString": urllib.parse.urlencode(query or {}),
            "headers": {k.lower(): v for k, v in (headers or {}).items()},
            **({"queryStringParameters": query} if query else {}),
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": body, "isBase64Encoded": False}


@pytest.fixture(scope="module")
def api(db, function_url, tmp_path_factory):
    cur = db.cursor()
    for user, org in USERS.items():
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (user, org))
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("participants"), name="participants",
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET})
    yield fn
    fn.stop()


def call(fn, method, path, user="user_p_alice", body=None, query=None):
    headers = {"Authorization": f"Bearer {token(user)}"} if user else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
        if not isinstance(body, str):
            body = json.dumps(body)
    _, _, out = fn.invoke(event(method, path, headers, body, query))
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


def new(meeting=None, email="jane.doe@acme.example", **extra):
    return {"meetingId": meeting or f"mtg_{uuid.uuid4().hex[:8]}", "email": email, **extra}


def create(fn, user="user_p_alice", **kw):
    status, env = call(fn, "POST", "/api/participants", user, new(**kw))
    assert status == 201, env
    return env["data"]


def test_create_returns_201_and_a_duplicate_409(api, db):
    body = new(meetingTitle="Acme QBR", meetingDateTime="2026-11-24T16:00:00+01:00", meetingPlatform="zoom",
               displayName="Jane Doe", responseStatus="accepted", isOrganizer=True)
    status, env = call(api, "POST", "/api/participants", body=body)
    assert status == 201 and env["ok"] is True and env["error"] is None
    row = env["data"]
    assert isinstance(row["id"], int) and row["organizationId"] == "org_p_acme"
    assert {k: row[k] for k in body} == {**body, "meetingDateTime": "2026-11-24T15:00:00.000Z"}
    assert row["isOptional"] is False and row["enrichmentStatus"] == "pending" and row["contactId"] is None
    assert row["createdAt"].endswith("Z") and row["lastActivityAt"].endswith("Z")
    before = snapshot(db)
    for dup in (body, {**body, "email": "Jane.DOE@acme.example", "displayName": "Other"}):
        status, env = call(api, "POST", "/api/participants", body=dup)
        assert (status, env["ok"], env["error"]["code"]) == (409, False, "CONFLICT")
    assert snapshot(db) == before
    # The same email in another meeting, or in the same meeting of another organization, is fine.
    assert call(api, "POST", "/api/participants", body={**body, "meetingId": body["meetingId"] + "-2"})[0] == 201
    assert call(api, "POST", "/api/participants", "user_p_bob", body=body)[0] == 201


def test_list_is_newest_first_with_cursor_pagination(api):
    ids = [create(api, "user_p_carol", email=f"p{i}@pages.example")["id"] for i in range(3)]
    status, env = call(api, "GET", "/api/participants", "user_p_carol")
    assert status == 200 and [r["id"] for r in env["data"]] == ids[::-1]
    assert env["meta"]["pagination"] == {"limit": 20, "nextCursor": None, "hasMore": False}

    status, env = call(api, "GET", "/api/participants", "user_p_carol", query={"limit": "2"})
    assert status == 200 and [r["id"] for r in env["data"]] == [ids[2], ids[1]]
    page = env["meta"]["pagination"]
    assert page["limit"] == 2 and page["hasMore"] is True and isinstance(page["nextCursor"], str)
    status, env = call(api, "GET", "/api/participants", "user_p_carol", query={"limit": "2", "cursor": page["nextCursor"]})
    assert status == 200 and [r["id"] for r in env["data"]] == [ids[0]]
    assert env["meta"]["pagination"] == {"limit": 2, "nextCursor": None, "hasMore": False}
    # The cursor's documented form (docs/openapi.yaml, `Cursor`: base64url of the last id, no padding).
    assert page["nextCursor"] == b64url(str(ids[1]).encode())

    for query in ({"limit": "0"}, {"limit": "101"}, {"limit": "two"}, {"limit": "-1"}, {"cursor": "!!"},
                  {"cursor": b64url(b"abc")}, {"cursor": b64url(b"0")}, {"cursor": "MQ=="}):
        status, env = call(api, "GET", "/api/participants", "user_p_carol", query=query)
        assert (status, env["error"]["code"]) == (400, "INVALID_INPUT"), query


def test_update_rectifies_the_given_fields(api, db):
    row = create(api, email="rect@acme.example", displayName="Rec Tify", responseStatus="needsAction")
    path = f"/api/participants/{row['id']}"
    status, env = call(api, "PUT", path, body={"displayName": "Rect Ify", "email": "Fixed@Acme.example",
                                                 "responseStatus": "accepted", "isOptional": True})
    assert status == 200
    got = env["data"]
    assert (got["displayName"], got["email"], got["responseStatus"], got["isOptional"]) == \
        ("Rect Ify", "fixed@acme.example", "accepted", True)
    assert got["meetingId"] == row["meetingId"] and got["createdAt"] == row["createdAt"]
    # Only the members present change; null clears the display name.
    status, env = call(api, "PUT", path, body={"displayName": None})
    assert status == 200 and env["data"]["displayName"] is None and env["data"]["email"] == "fixed@acme.example"
    # Rectifying into another participant's email of the same meeting is a conflict; nothing changes.
    other = create(api, meeting=row["meetingId"], email="taken@acme.example")
    before = snapshot(db)
    status, env = call(api, "PUT", path, body={"email": "taken@acme.example"})
    assert (status, env["error"]["code"]) == (409, "CONFLICT")
    for body in ({}, {"email": "nope"}, {"isOptional": "yes"}, {"isOptional": None}, {"meetingId": "x"}, [1]):
        status, env = call(api, "PUT", path, body=body)
        assert (status, env["error"]["code"]) == (400, "INVALID_INPUT"), body
    for missing in ("999999999", "abc", "0", "-1", "1.5"):
        status, env = call(api, "PUT", f"/api/participants/{missing}", body={"displayName": "x"})
        assert (status, env["error"]["code"]) == (404, "NOT_FOUND"), missing
    assert snapshot(db) == before
    assert other["email"] == "taken@acme.example"


def test_another_organization_never_sees_or_changes_the_rows(api, db):
    row = create(api, email="secret@acme.example", displayName="Se Cret")
    theirs = create(api, "user_p_bob", email="own@globex.example")  # bob's list is not empty on its own account
    cur = db.cursor()
    cur.execute("INSERT INTO participant_enrichment_history (organization_id, participant_id, source, cost_cents, outcome) "
                "VALUES ('org_p_acme', %s, 'clearbit', 12, 'matched')", (row["id"],))
    status, env = call(api, "GET", "/api/participants", "user_p_bob", query={"limit": "100"})
    assert status == 200 and theirs["id"] in [r["id"] for r in env["data"]]
    assert all(r["organizationId"] == "org_p_globex" for r in env["data"])
    assert row["id"] not in [r["id"] for r in env["data"]]
    assert "secret@acme.example" not in json.dumps(env)
    before = snapshot(db)
    path = f"/api/participants/{row['id']}"
    for method, p, body in (("PUT", path, {"displayName": "Hijacked", "email": "evil@globex.example"}),
                            ("POST", path + "/erase", None), ("GET", path + "/export", None)):
        status, env = call(api, method, p, "user_p_bob", body=body)
        assert (status, env["error"]["code"]) == (404, "NOT_FOUND"), (method, p)
        assert "secret" not in json.dumps(env)
    assert snapshot(db) == before
    # The owner still sees it unchanged.
    status, env = call(api, "GET", path + "/export")
    assert status == 200 and env["data"]["participant"] == row


def test_erase_then_export_holds_only_deleted_markers(api, db):
    row = create(api, email="forget.me@acme.example", displayName="Forget Me", responseStatus="accepted")
    cur = db.cursor()
    cur.execute("UPDATE meeting_participants SET contact_id = 'contact_42', enrichment_status = 'enriched', "
                "enrichment_source = 'apollo', auto_match_confidence = 0.875 WHERE id = %s", (row["id"],))
    for source, cents in (("apollo", 25), ("clearbit", 40)):
        cur.execute("INSERT INTO participant_enrichment_history (organization_id, participant_id, source, cost_cents, outcome) "
                    "VALUES ('org_p_acme', %s, %s, %s, 'enriched')", (row["id"], source, cents))
    path = f"/api/participants/{row['id']}"
    status, env = call(api, "GET", path + "/export")
    assert status == 200 and env["data"]["participant"]["email"] == "forget.me@acme.example"
    assert env["data"]["participant"]["autoMatchConfidence"] == 0.875

    status, env = call(api, "POST", path + "/erase")
    assert status == 200
    erased = env["data"]
    assert (erased["email"], erased["displayName"], erased["enrichmentStatus"], erased["contactId"]) == \
        ("[deleted]", "[deleted]", "deleted", None)
    assert erased["meetingId"] == row["meetingId"]
    # Idempotent: erasing again answers the same and changes nothing.
    before = snapshot(db)
    status, env = call(api, "POST", path + "/erase")
    assert status == 200 and env["data"] == erased
    assert snapshot(db) == before

    status, env = call(api, "GET", path + "/export")
    assert status == 200
    data = env["data"]
    assert data["participant"] == erased
    assert [(h["source"], h["costCents"], h["outcome"]) for h in data["enrichmentHistory"]] == \
        [("apollo", 25, "enriched"), ("clearbit", 40, "enriched")]
    text = json.dumps(env)
    assert "forget.me" not in text and "Forget Me" not in text and "contact_42" not in text
    cur.execute("SELECT email, display_name, contact_id FROM meeting_participants WHERE id = %s", (row["id"],))
    assert cur.fetchone() == ["[deleted]", "[deleted]", None]
    # An erased participant cannot be rectified back into existence.
    status, env = call(api, "PUT", path, body={"email": "forget.me@acme.example"})
    assert (status, env["error"]["code"]) == (409, "CONFLICT")
    assert snapshot(db) == before
    # Two erased participants of one meeting do not collide, and the address may be added again.
    second = create(api, meeting=row["meetingId"], email="forget.me@acme.example")
    assert call(api, "POST", f"/api/participants/{second['id']}/erase")[0] == 200


def test_invalid_bodies_are_refused_without_echo(api, db):
    before = snapshot(db)
    bad = [
        "[]", '"text"', "42", "not json", '{"meetingId": "m", "email": "a@b.co", "meetingId": "n"}',
        {"email": "a@b.example"},
        {"meetingId": "", "email": "a@b.example"},
        {"meetingId": 7, "email": "a@b.example"},
        {"meetingId": "m"},
        {"meetingId": "m", "email": None},
        {"meetingId": "m", "email": "x" * 250 + "@b.example"},
        {"meetingId": "m" * 501, "email": "a@b.example"},
        {"meetingId": "m", "email": "a@b.example", "displayName": "d" * 501},
        {"meetingId": "m", "email": "a@b.example", "displayName": "line\nbreak"},
        {"meetingId": "m", "email": "a@b.example", "isOrganizer": "true"},
        {"meetingId": "m", "email": "a@b.example", "meetingDateTime": "tomorrow"},
        {"meetingId": "m", "email": "a@b.example", "meetingDateTime": "2026-11-24"},
        {"meetingId": "m", "email": "a@b.example", "meetingDateTime": "2026-13-01T10:00:00Z"},
        {"meetingId": "m", "email": "a@b.example", "meetingDateTime": "2026-02-30T10:00:00Z"},
        {"meetingId": "m", "email": "a@b.example", "organizationId": "org_p_globex"},
    ] + [{"meetingId": "m", "email": e} for e in (
        "plainaddress", "@acme.example", "jane@", "jane@localhost", "jane@@acme.example", "ja@ne@acme.example",
        "jane doe@acme.example", "jane@.example", "jane@acme.", "jane@acme.example\u0000", 12)]
    for body in bad:
        status, env = call(api, "POST", "/api/participants", body=body)
        assert (status, env["ok"], env["error"]["code"]) == (400, False, "INVALID_INPUT"), body
        assert "plainaddress" not in env["error"]["message"] and "ddd" not in env["error"]["message"]
    status, env = call(api, "POST", "/api/participants")
    assert (status, env["error"]["code"]) == (400, "INVALID_INPUT")
    assert snapshot(db) == before


def test_no_token_is_401_everywhere(api, db):
    row = create(api, email="auth@acme.example")
    before = snapshot(db)
    path = f"/api/participants/{row['id']}"
    for method, p, body in (("GET", "/api/participants", None), ("POST", "/api/participants", new()),
                            ("PUT", path, {"displayName": "x"}), ("POST", path + "/erase", None), ("GET", path + "/export", None)):
        status, env = call(api, method, p, user=None, body=body)
        assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED"), (method, p)
        status, env = call(api, method, p, user="user_p_nobody", body=body)
        assert (status, env["error"]["code"]) == (403, "FORBIDDEN"), (method, p)
    assert snapshot(db) == before


def test_with_a_rate_limit_only_calls_that_reach_the_routes_statements_take_a_token(db, function_url, tmp_path):
    """The tenant's token bucket rides on the route's first statement (`APIChain.guarded`): a call the route refuses
    after its statements ran (404 unknown participant, 409 duplicate) has taken its token — that token is its only
    change — while a call refused before any statement (400 invalid body, 401, 403) takes none and changes nothing,
    even once the bucket is empty (it is refused for its own reason, not 429)."""
    org, user = f"org_p_rl_{uuid.uuid4().hex[:6]}", f"user_p_rl_{uuid.uuid4().hex[:6]}"
    db.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", (user, org))
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participants",
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_PER_MINUTE": "3"})
    cur = db.cursor()

    def buckets():
        cur.execute("SELECT key, tokens FROM rate_buckets")
        return dict(cur.fetchall())

    def uncharged_refusals():
        before = snapshot(db)
        for method, path, who, body, want in (
                ("POST", "/api/participants", user, {"meetingId": "m", "email": "not-an-address"}, (400, "INVALID_INPUT")),
                ("PUT", "/api/participants/1", user, {"isOptional": "yes"}, (400, "INVALID_INPUT")),
                ("GET", "/api/participants", None, None, (401, "UNAUTHORIZED")),
                ("GET", "/api/participants", "user_p_rl_stranger", None, (403, "FORBIDDEN"))):
            status, env = call(fn, method, path, who, body)
            assert (status, env["error"]["code"]) == want, (method, path, body)
        assert snapshot(db) == before

    try:
        uncharged_refusals()
        known = buckets()
        before = snapshot(db)
        status, env = call(fn, "PUT", "/api/participants/999999999", user, {"displayName": "x"})
        assert (status, env["error"]["code"]) == (404, "NOT_FOUND")
        assert snapshot_changes(before, snapshot(db)) == ["rate_buckets"]
        [(key, tokens)] = [(k, t) for k, t in buckets().items() if k not in known]
        assert org in key and tokens == 2  # a new bucket holds 3 tokens; the 404 took one
        row = create(fn, user=user, meeting="mtg_rl", email="rl@acme.example")
        before, tokens = snapshot(db), buckets()[key]
        status, env = call(fn, "POST", "/api/participants", user, new(meeting="mtg_rl", email="rl@acme.example"))
        assert (status, env["error"]["code"]) == (409, "CONFLICT")
        # One token less (what trickled back in between two consecutive calls, 3 a minute, is far below one).
        assert snapshot_changes(before, snapshot(db)) == ["rate_buckets"] and buckets()[key] < tokens
        # The bucket empty (set so, rather than spending a clock's worth of calls): a call that reaches the route is
        # 429 and changes nothing; the refusals before any statement are still their own, uncharged.
        cur.execute("UPDATE rate_buckets SET tokens = 0, updated_at = now() WHERE key = %s", (key,))
        before = snapshot(db)
        status, env = call(fn, "GET", f"/api/participants/{row['id']}/export", user)
        assert (status, env["error"]["code"]) == (429, "RATE_LIMITED")
        assert snapshot(db) == before
        uncharged_refusals()
    finally:
        fn.stop()


def test_the_functions_role_may_not_delete_or_cross_tenants(api, function_url):
    conn = connect(function_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT set_config('app.tenant_id', 'org_p_acme', false)")
        cur.execute("SELECT count(*) FROM meeting_participants WHERE organization_id <> 'org_p_acme'")
        assert cur.fetchone()[0] == 0
        # It may insert (the API creates participants), but row-level security refuses another organization's row.
        with refused_by_postgres("42501", "new row violates row-level security policy"):
            cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, email) VALUES ('org_p_globex', 'm', 'a@b.example')")
        conn.rollback()
        # It may not delete at all (erasure is an UPDATE): no privilege.
        with refused_by_postgres("42501", "permission denied for table meeting_participants"):
            cur.execute("DELETE FROM meeting_participants")
        conn.rollback()
    finally:
        conn.close()


def stored(email):
    """An address as the API stores it: as sent, but for A-Z lower-cased."""
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in email)


def live_rows(db, org, meeting):
    cur = db.cursor()
    cur.execute("SELECT id, email FROM meeting_participants WHERE organization_id = %s AND meeting_id = %s "
                "AND enrichment_status <> 'deleted' ORDER BY id", (org, meeting))
    return [tuple(r) for r in cur.fetchall()]


# (first address, variants that are the same address up to case and Unicode normalization)
FOLDED = [
    ("\u00d6rjan@acme.example", [                 # Ö precomposed (NFC)
        "\u00f6rjan@acme.example",                 # ö: Unicode case
        "O\u0308rjan@acme.example",                # O + combining diaeresis (NFD)
        "o\u0308RJAN@Acme.Example",                # NFD, lower case, ASCII case elsewhere
        "\u00d6RJAN@ACME.EXAMPLE",                 # ASCII case
    ]),
    ("e\u0301mile@acme.example", [                 # é decomposed (NFD) first
        "\u00e9mile@acme.example",                 # é precomposed (NFC)
        "\u00c9mile@acme.example",                 # É (NFC, upper case)
        "E\u0301MILE@acme.example",                # É decomposed
    ]),
    ("stra\u00dfe.\u03c3\u03bf\u03c6\u03af\u03b1@acme.example", [  # non-Latin lower case
        "STRA\u00dfE.\u03a3\u039f\u03a6\u038a\u0391@acme.example",     # Greek capitals (Ί precomposed)
    ]),
    ("karl.fiona@acme.example", [
        "\u212aarl.fiona@acme.example",             # KELVIN SIGN (compatibility equivalent of K)
        "karl.\ufb01ona@acme.example",              # the ligature ﬁ
        "\uff4barl.fiona@acme.example",             # full-width k
    ]),
]


@pytest.mark.parametrize("first,variants", FOLDED, ids=["nfc-o-umlaut", "nfd-e-acute", "greek-sharp-s", "compat"])
def test_duplicates_fold_unicode_case_and_normalization(api, db, first, variants):
    """Red-team finding (issue 14): an address is the same whatever its case, in Unicode too, and whatever its Unicode
    normalization; each variant is a 409 that changes nothing. The stored address stays as it was sent."""
    meeting = f"mtg_fold_{uuid.uuid4().hex[:8]}"
    row = create(api, meeting=meeting, email=first)
    assert row["email"] == stored(first)
    before = snapshot(db)
    for email in variants:
        status, env = call(api, "POST", "/api/participants", body=new(meeting=meeting, email=email, displayName="Dup"))
        assert (status, env["ok"], env["data"], (env["error"] or {}).get("code")) == (409, False, None, "CONFLICT"), email
        assert env["error"]["message"] == "This meeting already has a participant with this email."
        assert snapshot(db) == before, email
    assert live_rows(db, "org_p_acme", meeting) == [(row["id"], stored(first))]
    # Rectifying another participant of the meeting into a variant is the same conflict; nothing changes.
    other = create(api, meeting=meeting, email="someone.else@acme.example")
    before = snapshot(db)
    for email in variants:
        status, env = call(api, "PUT", f"/api/participants/{other['id']}", body={"email": email})
        assert (status, env["ok"], (env["error"] or {}).get("code")) == (409, False, "CONFLICT"), email
        assert snapshot(db) == before, email
    # Another meeting, or the same meeting of another organization, is a different participant.
    for email in variants[:1]:
        assert call(api, "POST", "/api/participants", body=new(meeting=meeting + "-2", email=email))[0] == 201
        assert call(api, "POST", "/api/participants", "user_p_bob", body=new(meeting=meeting, email=email))[0] == 201
    # The participant may rectify its own address into a variant (no one else's), stored as sent.
    status, env = call(api, "PUT", f"/api/participants/{row['id']}", body={"email": variants[0]})
    assert status == 200 and env["data"]["email"] == stored(variants[0])
    assert live_rows(db, "org_p_acme", meeting) == [(row["id"], stored(variants[0])), (other["id"], other["email"])]
    # Once erased, the address is free again.
    assert call(api, "POST", f"/api/participants/{row['id']}/erase")[0] == 200
    assert create(api, meeting=meeting, email=variants[-1])["email"] == stored(variants[-1])


def test_distinct_addresses_stay_distinct(api):
    """Folding is no wider than case and normalization: addresses that differ otherwise are two participants."""
    meeting = f"mtg_fold_{uuid.uuid4().hex[:8]}"
    for email in ("o\u0308rjan@acme.example", "orjan@acme.example", "\u00f8rjan@acme.example", "strasse@acme.example",
                  "stra\u00dfe@acme.example", "\u0131lker@acme.example", "ilker@acme.example"):
        status, env = call(api, "POST", "/api/participants", body=new(meeting=meeting, email=email))
        assert status == 201 and env["data"]["email"] == email, email


def test_migration_13_stops_on_existing_folded_duplicates_and_changes_nothing(private_cluster):
    """Migration 13 on a database that already holds live participants whose addresses differ only in case or
    normalization (possible before it): the migration stops, names the colliding participants by id only, and
    changes nothing; once the organization has resolved them, it applies."""
    conn = connect(private_cluster.owner_url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("DROP INDEX meeting_participants_org_meeting_email_key_uq")
    cur.execute("DELETE FROM warden_schema_migrations WHERE version = 13")
    cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, email) VALUES "
                "('org_m', 'm1', %s), ('org_m', 'm1', %s), ('org_m', 'm1', 'other@acme.example'), "
                "('org_m', 'm2', %s), ('org_n', 'm1', %s) RETURNING id",
                ("\u00d6rjan@acme.example", "o\u0308rjan@acme.example", "\u00f6rjan@acme.example", "\u00f6rjan@acme.example"))
    ids = [r[0] for r in cur.fetchall()]
    before = snapshot(conn)

    def migrate():
        return subprocess.run([str(WARDEN), "migrate", "--database-url", private_cluster.owner_url],
                              capture_output=True, text=True)

    def indexes():
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'meeting_participants' AND indexname LIKE '%email%'")
        return sorted(r[0] for r in cur.fetchall())

    out = migrate()
    assert out.returncode != 0 and "applied" not in out.stdout
    assert "orjan" not in (out.stdout + out.stderr).lower()
    # The reason is in the server's log: the count and the ids, never an address.
    log = (private_cluster.dir / "log").read_text(errors="replace")
    assert f"migration 13: 1 group(s) of live participants of one meeting have e-mail addresses that differ only in " \
           f"case or Unicode normalization (participant ids: {ids[0]}, {ids[1]})" in log
    cur.execute("SELECT count(*) FROM warden_schema_migrations WHERE version = 13")
    assert cur.fetchone()[0] == 0
    assert indexes() == ["meeting_participants_org_meeting_email_uq"]
    assert snapshot(conn) == before
    # Resolved (one of the two erased, as the API's erase does): the migration applies, and the index folds.
    cur.execute("UPDATE meeting_participants SET email = '[deleted]', display_name = '[deleted]', "
                "enrichment_status = 'deleted' WHERE id = %s", (ids[1],))
    out = migrate()
    assert out.returncode == 0 and "applied 13" in out.stdout, out.stderr
    assert indexes() == ["meeting_participants_org_meeting_email_key_uq", "meeting_participants_org_meeting_email_uq"]
    with refused_by_postgres("23505", 'duplicate key value violates unique constraint "meeting_participants_org_meeting_email_key_uq"'):
        cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, email) VALUES ('org_m', 'm1', %s)",
                    ("\u00d6RJAN@acme.example",))
    conn.close()
