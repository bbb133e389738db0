"""Every sample event of events/<function>/ does what its name says, through `warden invoke` (README, "Invoking";
`make invoke`) against the function's packaged bootstrap in dist/, with the environment the function needs.

The events run in a database of their own holding `warden migrate --seed`'s demo data (the customers the events
name), so no other test's rows change their answers. The expected answers are written out by hand from the demo data
and the functions' READMEs (the health scores are computed in the comments), not by running the code's formulas.
Events that carry no credentials by design get what their function's README says to add: an HS256 token for
`user_demo_owner` (functions/participants/README.md, "Local calls") or a key from `warden apikey create`
(functions/intent/README.md). A new event without an expectation here fails `test_every_event_has_an_expectation`."""
import json
import subprocess
from pathlib import Path

import pytest

from conftest import (E2E_DATABASE, ROOT, WARDEN, check_openapi, connect, create_database, fn_url, hs256_token,
                      pg_superuser)

EVENTS = ROOT / "events"
SECRET = "events-hmac-secret-0123456789"
JWT_SECRET = "events-jwt-secret-0123456789abcdef0123"
ORIGIN = "http://localhost:3000"  # the Origin every sample API event sends
DB_NAME = f"{E2E_DATABASE}_events"


def token(sub):
    """An HS256 token for `sub`, as functions/participants/README.md mints one (no role claim)."""
    return hs256_token(sub, JWT_SECRET, role=None)


@pytest.fixture(scope="module")
def sample_db():
    """A database of its own with the demo data; (owner URL, functions' URL)."""
    owner = create_database(DB_NAME, seed=True)
    fn = fn_url(DB_NAME)
    conn = connect(owner)
    conn.autocommit = True
    cur = conn.cursor()
    # Two intent queries of the demo organization around the retention event's clock (2026-11-23T03:00:00Z): only the
    # one expired by then is swept, whatever the real date.
    cur.execute("INSERT INTO intent_queries (organization_id, query_text, created_at, expires_at) VALUES "
                "('org_demo', 'expired by the event', '2026-08-01T00:00:00Z', '2026-11-22T00:00:00Z'), "
                "('org_demo', 'still kept at the event', '2026-09-01T00:00:00Z', '2026-11-24T00:00:00Z')")
    yield owner, fn, conn
    conn.close()
    pg_superuser(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def invoke(function, event_path, env, event=None):
    """`warden invoke FUNCTION EVENT` on dist/FUNCTION/bootstrap: (exit status, the answer as JSON, the raw event).
    With `event`, that event is written to `event_path` first (a sample with what its README says to add)."""
    if event is not None:
        Path(event_path).write_text(json.dumps(event))
    args = [str(WARDEN), "invoke", function, str(event_path), "--bootstrap", str(ROOT / "dist" / function / "bootstrap"),
            "--secret", SECRET]
    for k, v in env.items():
        args += ["--env", f"{k}={v}"]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode in (0, 1), f"warden invoke could not run ({out.returncode}): {out.stderr[-2000:]}"
    return out.returncode, json.loads(out.stdout), Path(event_path).read_bytes()


def proxy(function, event_bytes, answer):
    """The proxy response's status, headers and envelope, checked against docs/openapi.yaml."""
    check_openapi(function, event_bytes, json.dumps(answer).encode())
    body = answer.get("body")
    return answer["statusCode"], answer.get("headers") or {}, json.loads(body) if body else None


def renewal_dates(conn):
    """The demo data's renewal dates as seeded (UTC midnight of the seeding day plus 365 and 30 days, DemoData.swift),
    read back rather than recomputed, so a run across midnight does not move them."""
    cur = conn.cursor()
    cur.execute("SELECT company_external_id, renewal_date FROM contracts WHERE owner_user_id = 'public' "
                "AND company_external_id IN ('acme', 'globex')")
    dates = {f"public-{name}": value for name, value in cur.fetchall()}
    assert (dates["public-acme"] - dates["public-globex"]).days == 335
    assert all(d.time().isoformat() == "00:00:00" for d in dates.values())
    return {sample: d.strftime("%Y-%m-%d") for sample, d in dates.items()}


COPILOT = ["calculate_health", "generate_email", "generate_qbr_outline", "get_contract_info", "get_customer_usage",
           "get_recent_tickets"]

# What each copilot event's customer is in the demo data (DemoData.swift) and what each tool answers for it.
# calculate_health (functions/calculate_health/README.md): usage up 100 / down 0 / flat or missing 50 (× 0.45);
# tickets ≤0 100, ≤2 80, ≤5 50, else 20 (× 0.35); renewal days >180 100, ≥60 70, else 30, missing = 180 days (× 0.20).
HEALTH = {
    # hooli (owner): up, 1 ticket, no renewal date: 45 + 28 + 14 = 87 → low
    "owner-hooli": {"score": 87, "riskLevel": "low", "signals": ["usage_up", "few_tickets"]},
    # acme (public): up, 0 tickets, renewal in 365 days: 45 + 35 + 20 = 100 → low
    "public-acme": {"score": 100, "riskLevel": "low", "signals": ["usage_up", "no_tickets", "renewal_far"]},
    # globex (public, empty owner): down, 7 tickets, renewal in 30 days: 0 + 7 + 6 = 13 → high
    "public-globex": {"score": 13, "riskLevel": "high", "signals": ["usage_down", "many_tickets", "renewal_near"]},
    # unknown: flat, 0 tickets, 180 days: 22.5 + 35 + 14 = 71.5 → 72 (half to even) → medium
    "unknown-customer": {"score": 72, "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]},
}
USAGE = {
    "owner-hooli": {"trend": "up", "avgDailyUsers": 300, "sparkline": [250, 262, 270, 281, 290, 296, 300], "missingData": False},
    "public-acme": {"trend": "up", "avgDailyUsers": 120, "sparkline": [90, 95, 101, 110, 118, 120, 131], "missingData": False},
    "public-globex": {"trend": "down", "avgDailyUsers": 40, "sparkline": [70, 66, 58, 51, 47, 44, 40], "missingData": False},
    "unknown-customer": {"trend": "flat", "avgDailyUsers": 0, "sparkline": [], "missingData": True},
}
TICKETS = {
    "owner-hooli": {"openTickets": 1, "recentTickets": [{"id": "T-401", "severity": "low"}], "missingData": False},
    "public-acme": {"openTickets": 0, "recentTickets": [], "missingData": False},
    "public-globex": {"openTickets": 7, "recentTickets": [{"id": "T-101", "severity": "high"},
                                                          {"id": "T-102", "severity": "medium"}], "missingData": False},
    "unknown-customer": {"openTickets": 0, "recentTickets": [], "missingData": True},
}

# generate_qbr_outline: the adoption section by the trend, the support section by the open tickets (README); an unknown
# customer gets steady usage and no tickets.
QBR = {
    "owner-hooli": ["Adoption wins: usage trending up", "Support: 1 open tickets and their status"],
    "public-acme": ["Adoption wins: usage trending up", "Support: no open tickets"],
    "public-globex": ["Adoption risks: usage trending down and recovery plan",
                      "Support escalations: 7 open tickets and remediation plan"],
    "unknown-customer": ["Adoption review: steady usage and growth opportunities", "Support: no open tickets"],
}


def contract(sample, renewals):
    # A zone-less timestamp with zero microseconds renders as YYYY-MM-DDTHH:MM:SS (get_contract_info's README).
    return {
        "owner-hooli": {"renewalDate": None, "arr": 250000, "missingData": False},
        "public-acme": {"renewalDate": renewals["public-acme"] + "T00:00:00", "arr": 120000, "missingData": False},
        "public-globex": {"renewalDate": renewals["public-globex"] + "T00:00:00", "arr": 45000, "missingData": False},
        "unknown-customer": {"renewalDate": None, "arr": 0, "missingData": True},
    }[sample]


def check_copilot(tool, sample, renewals, status, headers, envelope):
    if sample == "preflight":
        # A browser's preflight from the allowed origin: 204, no body, the CORS answer for the signed POST.
        assert status == 204 and envelope is None
        assert headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "POST" in headers["Access-Control-Allow-Methods"]
        allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
        assert {"content-type", "x-signature", "x-timestamp", "x-client"} <= allowed
        return
    if tool == "generate_email" and sample == "unknown-customer":
        assert (status, envelope["error"]["code"]) == (404, "MISSING_DATA"), envelope
        return
    assert (status, envelope["ok"], envelope["error"]) == (200, True, None), envelope
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    data = envelope["data"]
    if tool == "calculate_health":
        assert data == HEALTH[sample]
    elif tool == "get_customer_usage":
        assert data == USAGE[sample]
    elif tool == "get_recent_tickets":
        assert data == TICKETS[sample]
    elif tool == "get_contract_info":
        assert data == contract(sample, renewals)
    elif tool == "generate_email":
        name = {"owner-hooli": "Hooli", "public-acme": "Acme Corp", "public-globex": "Globex"}[sample]
        assert data["subject"].startswith(f"{name}: ") and data["body"].startswith(f"Hi {name} team,")
        renewal = renewals.get(sample)
        if renewal:
            assert renewal in data["subject"] and renewal in data["body"]
        else:
            assert "renewal" not in data["subject"]
        users = {"owner-hooli": 300, "public-acme": 120, "public-globex": 40}[sample]
        assert f"{users}" in data["body"]
    elif tool == "generate_qbr_outline":
        assert data["sections"] == ["Executive summary", *QBR[sample], "Renewal and commercial outlook",
                                    "Goals and success metrics for next quarter", "Action items and owners"]


def copilot_cases():
    return [(tool, path.stem) for tool in COPILOT for path in sorted((EVENTS / tool).glob("*.json"))]


@pytest.mark.parametrize("tool,sample", copilot_cases(), ids=[f"{t}/{s}" for t, s in copilot_cases()])
def test_copilot_events(sample_db, tool, sample):
    _, fn_url, conn = sample_db
    env = {"DATABASE_URL": fn_url, "ALLOWED_ORIGIN": ORIGIN, "RATE_LIMIT_PER_MINUTE": "0"}
    code, answer, event = invoke(tool, EVENTS / tool / f"{sample}.json", env)
    assert code == 0, answer
    check_copilot(tool, sample, renewal_dates(conn), *proxy(tool, event, answer))


PARTICIPANT_ORDER = ["create", "list", "list-page", "update", "export", "erase"]


def test_participant_events_in_their_order(sample_db, tmp_path):
    """create → list → list-page → update → export → erase, each with `user_demo_owner`'s token added (the events carry
    none, by design): the sample participant is created with id 1 (a fresh database), which the other events name."""
    _, fn_url, _ = sample_db
    assert sorted(PARTICIPANT_ORDER) == sorted(p.stem for p in (EVENTS / "participants").glob("*.json"))
    env = {"DATABASE_URL": fn_url, "JWT_SECRET": JWT_SECRET, "ALLOWED_ORIGIN": ORIGIN, "RATE_LIMIT_PER_MINUTE": "0"}
    answers = {}
    for name in PARTICIPANT_ORDER:
        event = json.loads((EVENTS / "participants" / f"{name}.json").read_text())
        event["headers"]["authorization"] = "Bearer " + token("user_demo_owner")
        code, answer, raw = invoke("participants", tmp_path / f"{name}.json", env, event=event)
        assert code == 0, answer
        answers[name] = proxy("participants", raw, answer)
    status, _, created = answers["create"]
    sample = json.loads(json.loads((EVENTS / "participants" / "create.json").read_text())["body"])
    assert status == 201, created
    participant = created["data"]
    assert participant["id"] == 1 and participant["organizationId"] == "org_demo"
    # As sent, but the meeting time in the API's form (UTC with milliseconds, README).
    assert {k: participant[k] for k in sample} == {**sample, "meetingDateTime": "2026-11-24T15:00:00.000Z"}
    status, _, listed = answers["list"]
    assert status == 200 and [p["id"] for p in listed["data"]] == [1]
    assert listed["meta"]["pagination"] == {"limit": 20, "nextCursor": None, "hasMore": False}
    status, _, page = answers["list-page"]  # limit 2 after the cursor of id 3: ids below 3
    assert status == 200 and [p["id"] for p in page["data"]] == [1] and page["meta"]["pagination"]["limit"] == 2
    status, _, updated = answers["update"]
    assert status == 200 and (updated["data"]["displayName"], updated["data"]["responseStatus"]) == ("Jane Q. Doe", "tentative")
    assert updated["data"]["email"] == sample["email"]
    status, _, exported = answers["export"]
    assert status == 200 and exported["data"]["participant"]["displayName"] == "Jane Q. Doe"
    assert exported["data"]["enrichmentHistory"] == []
    status, _, erased = answers["erase"]
    assert status == 200 and (erased["data"]["email"], erased["data"]["displayName"]) == ("[deleted]", "[deleted]")


def test_participant_events_without_a_token_are_refused(sample_db):
    """As shipped, the events carry no `Authorization`: each is a 401 envelope, and nothing is created."""
    _, fn_url, conn = sample_db
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM meeting_participants")
    before = cur.fetchone()[0]
    env = {"DATABASE_URL": fn_url, "JWT_SECRET": JWT_SECRET, "ALLOWED_ORIGIN": ORIGIN, "RATE_LIMIT_PER_MINUTE": "0"}
    for name in PARTICIPANT_ORDER:
        code, answer, raw = invoke("participants", EVENTS / "participants" / f"{name}.json", env)
        status, _, envelope = proxy("participants", raw, answer)
        assert (code, status, envelope["error"]["code"]) == (0, 401, "UNAUTHORIZED"), (name, envelope)
    cur.execute("SELECT count(*) FROM meeting_participants")
    assert cur.fetchone()[0] == before


def test_intent_events(sample_db, tmp_path):
    """With a key of the demo organization in `x-api-key` (the events hold a placeholder): the scoring request is
    answered (the demo organization has no companies: no results, the query recorded), the one with a consumer
    e-mail address is a 400 that records nothing."""
    owner, fn_url, conn = sample_db
    key = subprocess.run([str(WARDEN), "apikey", "create", "--tenant", "org_demo", "--roles", "intent:score",
                          "--database-url", owner], check=True, capture_output=True, text=True).stdout.strip()
    assert key.startswith("wk_")
    env = {"DATABASE_URL": fn_url, "ALLOWED_ORIGIN": ORIGIN, "RATE_LIMIT_PER_MINUTE": "0"}
    cur = conn.cursor()
    answers = {}
    for name in ["score", "score-personal-data"]:
        event = json.loads((EVENTS / "intent" / f"{name}.json").read_text())
        assert event["headers"]["x-api-key"].startswith("wk_REPLACE")
        event["headers"]["x-api-key"] = key
        cur.execute("SELECT count(*) FROM intent_queries WHERE organization_id = 'org_demo'")
        before = cur.fetchone()[0]
        code, answer, raw = invoke("intent", tmp_path / f"{name}.json", env, event=event)
        assert code == 0, answer
        answers[name] = proxy("intent", raw, answer)
        cur.execute("SELECT count(*) FROM intent_queries WHERE organization_id = 'org_demo'")
        answers[name] += (cur.fetchone()[0] - before,)
    status, _, scored, recorded = answers["score"]
    assert status == 200 and scored["data"]["results"] == [] and isinstance(scored["data"]["query"]["id"], int)
    assert recorded == 1
    status, _, refused, recorded = answers["score-personal-data"]
    assert (status, refused["error"]["code"]) == (400, "INVALID_INPUT") and recorded == 0
    assert "gmail" not in refused["error"]["message"] and "@" not in refused["error"]["message"]


def test_retention_events(sample_db):
    """scheduled.json sweeps as of its own `time` (2026-11-23T03:00:00Z): the query expired by then goes, the one
    expiring a day later stays although the real date is later still; no-time.json is an invocation error that
    sweeps nothing."""
    _, fn_url, conn = sample_db
    cur = conn.cursor()
    env = {"DATABASE_URL": fn_url}
    code, answer, _ = invoke("retention", EVENTS / "retention" / "no-time.json", env)
    assert code == 1 and answer["errorType"] == "Retention.InvalidEvent"
    cur.execute("SELECT query_text FROM intent_queries WHERE query_text IN ('expired by the event', "
                "'still kept at the event') ORDER BY 1")
    assert [r[0] for r in cur.fetchall()] == ["expired by the event", "still kept at the event"]
    code, answer, _ = invoke("retention", EVENTS / "retention" / "scheduled.json", env)
    assert code == 0 and answer["ok"] is True, answer
    data = answer["data"]
    assert (data["now"], data["complete"], data["batchSize"]) == ("2026-11-23T03:00:00.000Z", True, 500)
    assert data["deleted"] == {"queries": 1, "evidence": 0, "companies": 0, "idempotency": 0}
    assert data["anonymized"] == {"participants": 0}
    cur.execute("SELECT query_text FROM intent_queries WHERE query_text IN ('expired by the event', "
                "'still kept at the event') ORDER BY 1")
    assert [r[0] for r in cur.fetchall()] == ["still kept at the event"]


def test_enrichment_worker_event(sample_db):
    """The schedule's event on a database without jobs: a run that finds nothing due and calls nobody."""
    _, fn_url, _ = sample_db
    code, answer, _ = invoke("enrichment_worker", EVENTS / "enrichment_worker" / "scheduled.json", {"DATABASE_URL": fn_url})
    assert code == 0 and answer == {"ok": True, "data": {"due": 0, "attempted": 0, "waiting": 0, "calls": 0, "errors": 0},
                                    "error": None}


def test_mcp_events(sample_db, tmp_path):
    """With an HS256 token for `user_demo_owner` whose `aud` is the function's audience (functions/mcp/README.md; the
    events hold a placeholder): the tool list names the six tools, calculate_health of hooli is the REST tool's `data`
    for the owner, initialize answers the 2025-06-18 handshake; without a token: `401` with the RFC 9728 challenge;
    the metadata route needs none. Nothing but audit rows is written."""
    _, fn_url, conn = sample_db
    env = {"DATABASE_URL": fn_url, "ALLOWED_ORIGIN": ORIGIN, "RATE_LIMIT_PER_MINUTE": "0", "JWT_SECRET": JWT_SECRET,
           "JWT_AUDIENCE": "warden-mcp", "MCP_RESOURCE_URL": "https://api.example.com/mcp"}
    bearer = "Bearer " + hs256_token("user_demo_owner", JWT_SECRET, role=None, aud="warden-mcp")
    answers = {}
    for name in ["tools-list", "call-health-hooli", "initialize", "no-token", "resource-metadata"]:
        event = json.loads((EVENTS / "mcp" / f"{name}.json").read_text())
        if "authorization" in event["headers"]:
            assert event["headers"]["authorization"].startswith("Bearer REPLACE")
            event["headers"]["authorization"] = bearer
        code, answer, raw = invoke("mcp", tmp_path / f"{name}.json", env, event=event)
        assert code == 0, answer
        answers[name] = proxy("mcp", raw, answer)
    status, _, listed = answers["tools-list"]
    assert status == 200 and [t["name"] for t in listed["result"]["tools"]] == [
        "get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
        "generate_qbr_outline"]
    status, _, called = answers["call-health-hooli"]
    assert status == 200 and called["result"]["isError"] is False
    assert called["result"]["structuredContent"] == HEALTH["owner-hooli"]
    status, _, init = answers["initialize"]
    assert status == 200 and init["result"]["protocolVersion"] == "2025-06-18"
    status, headers, refused = answers["no-token"]
    assert (status, refused["error"]["code"]) == (401, "UNAUTHORIZED")
    assert headers["WWW-Authenticate"] == 'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"'
    status, _, metadata = answers["resource-metadata"]
    assert status == 200 and metadata["resource"] == "https://api.example.com/mcp"


EXPECTED = ({f"{tool}/{sample}" for tool, sample in copilot_cases()}
            | {f"participants/{n}" for n in PARTICIPANT_ORDER}
            | {"intent/score", "intent/score-personal-data", "retention/scheduled", "retention/no-time",
               "enrichment_worker/scheduled"}
            | {f"mcp/{n}" for n in ["tools-list", "call-health-hooli", "initialize", "no-token", "resource-metadata"]})


def test_every_event_has_an_expectation():
    files = {f"{p.parent.name}/{p.stem}" for p in EVENTS.glob("*/*.json")}
    assert sorted(files - EXPECTED) == [], "sample events no test invokes"
    assert sorted(EXPECTED - files) == [], "expectations for events that are gone"
    for tool in COPILOT:
        assert sorted(p.stem for p in (EVENTS / tool).glob("*.json")) == sorted(
            ["owner-hooli", "preflight", "public-acme", "public-globex", "unknown-customer"]), tool
