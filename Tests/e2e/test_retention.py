"""The retention function (seeds 002 and 003; CONTRACTS.md §2, §3) through the packaged static bootstrap, the emulator
and Postgres: rows seeded just inside and just outside each period, in several organizations, relative to the clock
the schedule event injects; the whole of every table compared before and after with an independent model of the
rules written here; idempotence; bounded batches; the audit row and log line; malformed events and future clocks
refused with nothing changed; the SQL function's privileges. Idempotency keys (migration 11) are swept too, by both
the schedule's clock and the database's.

The sweep works across every organization, so this module has a database of its own (`module_database`): its `db`
and `function_url` below are that database's. Its sweeps never remove another module's rows, and another module's
rows never enter its expectations (the counts and batches asserted here are this module's alone)."""
import json
import math
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT, Emulator, connect, refused_by_postgres, snapshot, wait_for

BOOTSTRAP = ROOT / "dist" / "retention" / "bootstrap"
TABLES = ["intent_queries", "intent_evidence", "intent_companies", "meeting_participants",
          "participant_enrichment_history", "idempotency_keys"]
ORGS = ["org_r_acme", "org_r_globex", "org_r_initech"]
UTC = timezone.utc
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
# Whole minutes, well in the past: the function refuses clocks ahead of the machine's, and each test takes its own
# clock a little later than the previous one (BASE + n × 10 minutes).
BASE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=6)
CHANGED = object()  # an updated_at the sweep sets to its transaction time


def years_before(t, n):
    """PostgreSQL's `t - interval 'n years'` in UTC: the same day n years earlier (29 February → 28 February)."""
    try:
        return t.replace(year=t.year - n)
    except ValueError:
        return t.replace(year=t.year - n, day=28)


def iso(t):
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_event(clock):
    """An EventBridge scheduled event as the scheduler sends it."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": iso(clock) if isinstance(clock, datetime) else clock,
            "region": "eu-west-1", "resources": ["arn:aws:events:eu-west-1:123456789012:rule/warden-retention"],
            "detail": {}}


# ---------------------------------------------------------------------------------------------------------------
# Seeding, reading and the independent model

def add_query(db, org, expires, text="kubernetes migration observability"):
    cur = db.cursor()
    cur.execute("INSERT INTO intent_queries (organization_id, query_text, created_at, expires_at) "
                "VALUES (%s, %s, %s, %s) RETURNING id", (org, text, expires - 90 * DAY, expires))
    return cur.fetchone()[0]


def add_company(db, org, name, created, last_activity=None):
    cur = db.cursor()
    cur.execute("INSERT INTO intent_companies (organization_id, name, domain, industry, created_at, last_activity_at) "
                "VALUES (%s, %s, %s, 'SaaS', %s, %s) RETURNING id",
                (org, name, f"{name.lower().replace(' ', '-')}.example", created, last_activity))
    return cur.fetchone()[0]


def add_evidence(db, org, company, observed, text="evaluating an observability platform"):
    cur = db.cursor()
    cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) VALUES (%s, %s, %s, %s) "
                "RETURNING id", (org, company, observed, text))
    return cur.fetchone()[0]


def add_participant(db, org, last_activity, status="pending", contact=None, name="Jane Doe"):
    cur = db.cursor()
    email = f"{uuid.uuid4().hex[:10]}@acme.example" if status != "deleted" else "[deleted]"
    cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name, "
                "contact_id, enrichment_status, created_at, updated_at, last_activity_at) "
                "VALUES (%s, %s, 'QBR', %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (org, f"mtg_{uuid.uuid4().hex[:8]}", email, name if status != "deleted" else "[deleted]", contact,
                 status, last_activity - 30 * DAY, last_activity, last_activity))
    return cur.fetchone()[0]


def add_history(db, org, participant):
    cur = db.cursor()
    cur.execute("INSERT INTO participant_enrichment_history (organization_id, participant_id, source, cost_cents, "
                "outcome) VALUES (%s, %s, 'pdl', 12, 'enriched') RETURNING id", (org, participant))
    return cur.fetchone()[0]


def add_idempotency_key(db, org, expires, answered=True):
    """A stored answer (or, `answered=False`, the reservation of a call that never answered) expiring at `expires`."""
    key = f"key-{uuid.uuid4().hex[:10]}"
    cur = db.cursor()
    cur.execute("INSERT INTO idempotency_keys (organization_id, key, fingerprint, request_id, status, response, headers, "
                "created_at, completed_at, expires_at) VALUES (%s, %s, %s, 'req', %s, %s, %s, %s, %s, %s)",
                (org, key, "f" * 64, 201 if answered else None, '{"ok":true,"data":{},"error":null}' if answered else None,
                 "{}" if answered else None, expires - DAY, expires - DAY if answered else None, expires))
    return (org, key)


def table(db, name):
    cur = db.cursor()
    cur.execute(f"SELECT * FROM {name}")
    cols = [d[0] for d in cur.description]
    if name == "idempotency_keys":  # keyed by (organization, key)
        return {(row[0], row[1]): dict(zip(cols, row)) for row in cur.fetchall()}
    return {row[0]: dict(zip(cols, row)) for row in cur.fetchall()}


def state(db):
    return {t: table(db, t) for t in TABLES}


def db_now(db):
    cur = db.cursor()
    cur.execute("SELECT now()")
    return cur.fetchone()[0]


def expected_after(before, clock):
    """The rules, applied to every row of every table (this module's database: earlier tests' rows included): what
    must be left, and the counts the function must report."""
    queries = {i: r for i, r in before["intent_queries"].items() if not r["expires_at"] <= clock}
    evidence_cut = years_before(clock, 1)
    gone_evidence = [r for r in before["intent_evidence"].values() if r["observed_at"] < evidence_cut]
    evidence = {i: r for i, r in before["intent_evidence"].items() if not r["observed_at"] < evidence_cut}
    companies = {i: dict(r) for i, r in before["intent_companies"].items()}
    for r in gone_evidence:  # deleted evidence is remembered as the company's last activity
        c = companies[r["company_id"]]
        if r["observed_at"] > max(c["created_at"], c["last_activity_at"] or c["created_at"]):
            c["last_activity_at"] = r["observed_at"]
    company_cut = years_before(clock, 2)
    with_evidence = {r["company_id"] for r in evidence.values()}
    gone_companies = {i for i, c in companies.items()
                      if max(c["created_at"], c["last_activity_at"] or c["created_at"]) < company_cut
                      and i not in with_evidence}
    companies = {i: c for i, c in companies.items() if i not in gone_companies}
    participants, anonymized = {}, 0
    for i, r in before["meeting_participants"].items():
        r = dict(r)
        if r["last_activity_at"] < clock - 90 * DAY and r["enrichment_status"] != "deleted":
            r.update(email="[deleted]", display_name="[deleted]", contact_id=None, enrichment_status="deleted",
                     updated_at=CHANGED)
            anonymized += 1
        participants[i] = r
    # Idempotency keys expired by the clock (the tests' clocks are in the past, so the database's clock agrees).
    keys = {k: r for k, r in before["idempotency_keys"].items() if not r["expires_at"] <= clock}
    after = {"intent_queries": queries, "intent_evidence": evidence, "intent_companies": companies,
             "meeting_participants": participants,
             "participant_enrichment_history": dict(before["participant_enrichment_history"]),
             "idempotency_keys": keys}
    counts = {"deleted": {"queries": len(before["intent_queries"]) - len(queries), "evidence": len(gone_evidence),
                          "companies": len(gone_companies),
                          "idempotency": len(before["idempotency_keys"]) - len(keys)},
              "anonymized": {"participants": anonymized}}
    return after, counts


def assert_state(actual, expected, changed_between):
    """Every table exactly as expected; an updated_at the sweep set lies within its run."""
    lo, hi = changed_between
    for t in TABLES:
        assert set(actual[t]) == set(expected[t]), t
        for i, want in expected[t].items():
            got = actual[t][i]
            for col, value in want.items():
                if value is CHANGED:
                    assert lo <= got[col] <= hi, (t, i, col)
                else:
                    assert got[col] == value, (t, i, col)
            assert set(got) == set(want), (t, i)


def run(fn, clock):
    status, headers, out = fn.invoke(schedule_event(clock))
    assert status == 200 and "x-amz-function-error" not in {k.lower() for k in headers}, out
    return json.loads(out)


def audit_rows(db):
    cur = db.cursor()
    cur.execute("SELECT id, request_id, client_id, tenant, tool, action, outcome, status FROM audit_events "
                "WHERE tool = 'retention' ORDER BY id")
    return cur.fetchall()


def log_lines(fn, message):
    lines = []
    for line in fn.output().splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == message:
                lines.append(record)
    return lines


@pytest.fixture(scope="module")
def db(module_database):
    """The owner's connection to this module's own database (it replaces the run's shared `db` here)."""
    return module_database.conn


@pytest.fixture(scope="module")
def function_url(module_database):
    """The functions' role on this module's own database."""
    return module_database.function_url


@pytest.fixture(scope="module")
def retention(function_url, tmp_path_factory):
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("retention"), name="retention", timeout=30,
                  env={"DATABASE_URL": function_url})
    yield fn
    fn.stop()


# ---------------------------------------------------------------------------------------------------------------

def seed_boundaries(db, clock, org):
    """One organization's rows just inside and just outside every period; returns what must go."""
    gone = {"queries": [], "evidence": [], "companies": [], "participants": [], "idempotency": []}
    for expires, expired in ((clock - SECOND, True), (clock, True), (clock + SECOND, False), (clock - 30 * DAY, True),
                             (clock + 89 * DAY, False)):
        qid = add_query(db, org, expires)
        if expired:
            gone["queries"].append(qid)

    year = years_before(clock, 1)
    recent = add_company(db, org, "Northwind", clock - 10 * DAY)
    for observed, expired in ((year - SECOND, True), (year, False), (year + SECOND, False), (clock - 5 * DAY, False),
                              (clock - 400 * DAY, True)):
        eid = add_evidence(db, org, recent, observed)
        if expired:
            gone["evidence"].append(eid)

    two = years_before(clock, 2)
    gone["companies"].append(add_company(db, org, "Old Idle", two - SECOND))           # created just over 2 years ago
    add_company(db, org, "Exactly Two", two)                                            # exactly 2 years: stays
    add_company(db, org, "Just Inside", two + SECOND)
    kept_by_evidence = add_company(db, org, "Kept By Evidence", clock - 3 * 365 * DAY)
    gone["evidence"].append(add_evidence(db, org, kept_by_evidence, two + timedelta(hours=1)))
    idle = add_company(db, org, "Idle With Evidence", clock - 3 * 365 * DAY)
    gone["companies"].append(idle)
    gone["evidence"].append(add_evidence(db, org, idle, two - timedelta(hours=1)))
    gone["evidence"].append(add_evidence(db, org, idle, clock - 800 * DAY))
    add_company(db, org, "Recently Active", clock - 3 * 365 * DAY, last_activity=clock - 365 * DAY)
    gone["companies"].append(add_company(db, org, "Stale Activity", clock - 3 * 365 * DAY,
                                         last_activity=two - SECOND))

    ninety = clock - 90 * DAY
    gone["participants"].append(add_participant(db, org, ninety - SECOND))
    add_participant(db, org, ninety)                                                    # exactly 90 days: stays
    add_participant(db, org, ninety + DAY)
    add_participant(db, org, clock + DAY)
    add_participant(db, org, clock - 200 * DAY, status="deleted")                       # erased before: untouched
    enriched = add_participant(db, org, ninety - DAY, status="enriched", contact="ct_42", name="John Roe")
    gone["participants"].append(enriched)
    add_history(db, org, enriched)

    for expires, answered, expired in ((clock - SECOND, True, True), (clock, True, True), (clock + SECOND, True, False),
                                       (clock - DAY, False, True), (clock + 2 * DAY, False, False)):
        key = add_idempotency_key(db, org, expires, answered)
        if expired:
            gone["idempotency"].append(key)
    return gone, kept_by_evidence


def test_a_sweep_removes_exactly_what_expired_in_every_organization(retention, db):
    clock = BASE
    seeded = {org: seed_boundaries(db, clock, org) for org in ORGS}
    before = state(db)
    expected, counts = expected_after(before, clock)
    audits = len(audit_rows(db))

    t0 = db_now(db)
    reply = run(retention, clock)
    t1 = db_now(db)
    after = state(db)
    assert_state(after, expected, (t0, t1))

    # Independently of the model: exactly the rows named when seeding went, in every organization.
    for org, (gone, kept_by_evidence) in seeded.items():
        for ids, t in ((gone["queries"], "intent_queries"), (gone["evidence"], "intent_evidence"),
                       (gone["companies"], "intent_companies")):
            assert len(ids) == {"intent_queries": 3, "intent_evidence": 5, "intent_companies": 3}[t]
            assert not set(ids) & set(after[t]), (org, t)
            assert set(before[t]) - set(after[t]) >= set(ids)
        for pid in gone["participants"]:
            p = after["meeting_participants"][pid]
            assert (p["email"], p["display_name"], p["contact_id"], p["enrichment_status"]) == \
                ("[deleted]", "[deleted]", None, "deleted")
            assert p["meeting_id"] == before["meeting_participants"][pid]["meeting_id"]   # aggregates kept
            assert p["last_activity_at"] == before["meeting_participants"][pid]["last_activity_at"]
        company = after["intent_companies"][kept_by_evidence]
        assert company["last_activity_at"] == years_before(clock, 2) + timedelta(hours=1)
        live = [p for p in after["meeting_participants"].values()
                if p["organization_id"] == org and p["enrichment_status"] != "deleted"]
        assert len(live) == 3 and all(p["email"].endswith("@acme.example") for p in live)
        assert len(gone["idempotency"]) == 3 and not set(gone["idempotency"]) & set(after["idempotency_keys"])
        assert len([k for k in after["idempotency_keys"] if k[0] == org]) == 2
    assert set(after["participant_enrichment_history"]) == set(before["participant_enrichment_history"])

    assert reply["ok"] is True and reply["error"] is None
    data = reply["data"]
    assert data["now"] == clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert {"deleted": data["deleted"], "anonymized": data["anonymized"]} == counts
    assert counts["deleted"]["queries"] >= 9 and counts["deleted"]["evidence"] >= 15
    assert counts["deleted"]["companies"] >= 9 and counts["anonymized"]["participants"] >= 6
    assert counts["deleted"]["idempotency"] >= 9
    assert data["complete"] is True and data["batchSize"] == 500 and data["batches"] == 5

    # Audited once, counts only; and one log line with the same counts.
    rows = audit_rows(db)
    assert len(rows) == audits + 1
    _, request_id, client, tenant, tool, action, outcome, status = rows[-1]
    assert (client, tenant, tool, outcome, status) == (None, None, "retention", "ok", 200)
    assert action == (f"sweep now={data['now']} batch=500 batches=5 queries={counts['deleted']['queries']} "
                      f"evidence={counts['deleted']['evidence']} companies={counts['deleted']['companies']} "
                      f"participants={counts['anonymized']['participants']} "
                      f"idempotency={counts['deleted']['idempotency']} complete=true")
    assert "@" not in action and "Jane" not in action
    lines = [r for r in log_lines(retention, "retention sweep") if r.get("requestId") == request_id]
    assert len(lines) == 1
    line = lines[0]
    assert (line["level"], line["function"], line["now"], line["outcome"], line["batches"]) == \
        ("INFO", "retention", data["now"], "ok", 5)
    assert (line["deleted.queries"], line["deleted.evidence"], line["deleted.companies"],
            line["anonymized.participants"], line["deleted.idempotency"]) == \
        (counts["deleted"]["queries"], counts["deleted"]["evidence"], counts["deleted"]["companies"],
         counts["anonymized"]["participants"], counts["deleted"]["idempotency"])

    # Idempotent: the same clock again changes nothing at all (updated_at included).
    again = run(retention, clock)
    assert state(db) == after
    assert again["data"] == {**data, "batches": 0,
                             "deleted": {"queries": 0, "evidence": 0, "companies": 0, "idempotency": 0},
                             "anonymized": {"participants": 0}}
    assert len(audit_rows(db)) == audits + 2


def test_small_batches_take_several_statements_and_remove_exactly_the_expired_rows(db, function_url, tmp_path):
    clock = BASE + timedelta(minutes=10)
    two, year, ninety = years_before(clock, 2), years_before(clock, 1), clock - 90 * DAY
    for k in range(7):
        org = ORGS[k % 3]
        add_query(db, org, clock - k * SECOND)                  # expired
        add_query(db, org, clock + (k + 1) * SECOND)            # not yet
    for k in range(3):
        org = ORGS[k % 3]
        company = add_company(db, org, f"Batch {k}", clock - 20 * DAY)
        add_evidence(db, org, company, year - (k + 1) * SECOND)  # expired
        add_evidence(db, org, company, year + (k + 1) * SECOND)  # kept
        add_company(db, org, f"Batch Idle {k}", two - (k + 1) * SECOND)          # expired
        add_company(db, org, f"Batch Fresh {k}", two + (k + 1) * SECOND)         # kept
        idle = add_company(db, org, f"Batch Idle Evidence {k}", two - DAY)
        add_evidence(db, org, idle, two - (k + 1) * SECOND)      # expired, and so is its company
        add_evidence(db, org, idle, two - DAY)
    for k in range(5):
        org = ORGS[k % 3]
        add_participant(db, org, ninety - (k + 1) * SECOND)     # anonymized
        add_participant(db, org, ninety + (k + 1) * SECOND)     # kept
        add_idempotency_key(db, org, clock - k * SECOND, answered=k % 2 == 0)      # expired
        add_idempotency_key(db, org, clock + (k + 1) * SECOND)                      # not yet
    before = state(db)
    expected, counts = expected_after(before, clock)
    assert counts["deleted"]["queries"] >= 7 and counts["deleted"]["evidence"] >= 9
    assert counts["deleted"]["companies"] >= 6 and counts["anonymized"]["participants"] >= 5
    assert counts["deleted"]["idempotency"] >= 5

    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="retention", timeout=30,
                  env={"DATABASE_URL": function_url, "RETENTION_BATCH_SIZE": "2"})
    try:
        t0 = db_now(db)
        reply = run(fn, clock)
        t1 = db_now(db)
        assert_state(state(db), expected, (t0, t1))
        data = reply["data"]
        assert {"deleted": data["deleted"], "anonymized": data["anonymized"]} == counts
        # A batch is one statement of at most 2 rows; a short batch ends its category.
        want_batches = sum(math.ceil(n / 2) for n in [*counts["deleted"].values(), counts["anonymized"]["participants"]])
        assert data["batchSize"] == 2 and data["complete"] is True and data["batches"] == want_batches >= 18
        line = log_lines(fn, "retention sweep")[-1]
        assert (line["batchSize"], line["batches"]) == (2, want_batches)

        after = state(db)
        again = run(fn, clock)
        assert state(db) == after and again["data"]["batches"] == 0
    finally:
        fn.stop()


NOT_AN_OBJECT = "The event is not a JSON object."
NO_VALID_TIME = "The event has no valid `time` (an RFC 3339 timestamp such as 2026-11-23T03:00:00Z)."
IN_THE_FUTURE = "The event's `time` is in the future."
# (event, the refusal's exact message)
MALFORMED = [
    (b"not json", NOT_AN_OBJECT),
    (b"", NOT_AN_OBJECT),
    (b"[]", NOT_AN_OBJECT),
    (b'"2026-11-23T03:00:00Z"', NOT_AN_OBJECT),
    (b"{}", NO_VALID_TIME),
    (b'{"time": null}', NO_VALID_TIME),
    (b'{"time": 1763866800}', NO_VALID_TIME),
    (b'{"time": ""}', NO_VALID_TIME),
    (b'{"time": "yesterday"}', NO_VALID_TIME),
    (b'{"time": "now"}', NO_VALID_TIME),
    (b'{"time": "infinity"}', NO_VALID_TIME),
    (b'{"time": "2026-13-01T00:00:00Z"}', NO_VALID_TIME),
    (b'{"time": "2026-02-29T00:00:00Z"}', NO_VALID_TIME),
    (b'{"time": "2026-11-23 03:00:00Z"}', NO_VALID_TIME),
    (b'{"time": "2026-11-23T03:00:00"}', NO_VALID_TIME),
    (b'{"time": "2026-11-23T03:00:60Z"}', NO_VALID_TIME),
    (b'{"time": "2026-11-23T03:00:00Z "}', NO_VALID_TIME),
    (b'{"time": "1969-12-31T23:59:59Z"}', NO_VALID_TIME),
    (b'{"time": "2026-11-23T03:00:00Z", "time": "2026-11-23T03:00:00Z"}', NOT_AN_OBJECT),
    (b'{"time": "2026-11-23T03:00:00Z"', NOT_AN_OBJECT),
]


def test_malformed_events_and_future_clocks_are_refused_and_change_nothing(retention, db):
    # Rows that any sweep with a real clock would remove, so a function that ignored the refusal would be caught.
    now = db_now(db)
    org = ORGS[0]
    add_query(db, org, now - DAY)
    add_evidence(db, org, add_company(db, org, "Refusal Evidence", now - DAY), years_before(now, 1) - DAY)
    add_company(db, org, "Refusal Idle", years_before(now, 2) - DAY)
    add_participant(db, org, now - 100 * DAY)
    before, tables = state(db), snapshot(db)
    audits = len(audit_rows(db))
    future = [(json.dumps(schedule_event(now + timedelta(minutes=10))).encode(), IN_THE_FUTURE),
              (json.dumps(schedule_event(now + 365 * DAY)).encode(), IN_THE_FUTURE),
              (json.dumps(schedule_event("9999-12-31T23:59:59Z")).encode(), IN_THE_FUTURE)]
    for payload, message in MALFORMED + future:
        status, headers, out = retention.invoke(payload)
        assert status == 200 and {k.lower(): v for k, v in headers.items()}.get("x-amz-function-error") == "Unhandled", payload
        error = json.loads(out)
        assert (error["errorType"], error["errorMessage"]) == ("Retention.InvalidEvent", message), payload
        assert state(db) == before and snapshot(db) == tables, payload
    rows = audit_rows(db)[audits:]
    assert len(rows) == len(MALFORMED) + len(future)
    assert {(r[5], r[6], r[7]) for r in rows} == {("sweep refused", "INVALID_INPUT", 400)}

    # A valid clock afterwards does remove those rows: the refusals above were real refusals.
    reply = run(retention, now.replace(microsecond=0))
    assert reply["data"]["deleted"]["queries"] >= 1 and reply["data"]["deleted"]["evidence"] >= 1
    assert reply["data"]["deleted"]["companies"] >= 1 and reply["data"]["anonymized"]["participants"] >= 1


def test_the_sweep_function_is_for_the_functions_role_only_and_refuses_future_clocks(db, function_url):
    cur = db.cursor()
    cur.execute("SELECT p.prosecdef, pg_get_userbyid(p.proowner), "
                "has_function_privilege('warden_app', p.oid, 'EXECUTE'), "
                "EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0), p.proconfig "
                "FROM pg_proc p WHERE p.proname = 'warden_retention_sweep'")
    definer, owner, app_may, public_may, config = cur.fetchone()
    assert definer is True and owner == "warden" and app_may is True and public_may is False
    assert "search_path=public, pg_temp" in config and "row_security=off" in config

    fn_db = connect(function_url)
    fn_db.autocommit = True
    try:
        before = snapshot(db)
        c = fn_db.cursor()
        # The function's own refusals (22023, invalid parameter value, with its message), then the role's missing
        # privileges (42501): each statement fails for exactly its reason.
        for sql, code, message in (
                ("SELECT warden_retention_sweep(now() + interval '1 hour', 'queries', 10)", "22023",
                 "warden_retention_invalid_clock"),
                ("SELECT warden_retention_sweep('infinity', 'evidence', 10)", "22023", "warden_retention_invalid_clock"),
                ("SELECT warden_retention_sweep(now(), 'everything', 10)", "22023", "warden_retention_unknown_category"),
                ("SELECT warden_retention_sweep(now(), 'queries', 0)", "22023", "warden_retention_invalid_batch"),
                ("SELECT warden_retention_sweep(now(), 'queries', 100000)", "22023", "warden_retention_invalid_batch"),
                ("SELECT warden_retention_sweep(now() + interval '1 hour', 'idempotency', 10)", "22023",
                 "warden_retention_invalid_clock"),
                ("DELETE FROM intent_queries", "42501", "permission denied for table intent_queries"),
                ("DELETE FROM intent_evidence", "42501", "permission denied for table intent_evidence"),
                ("DELETE FROM meeting_participants", "42501", "permission denied for table meeting_participants")):
            with refused_by_postgres(code, message):
                c.execute(sql)
        # Idempotency keys are the functions' own (row-level security): without a tenant it reaches none.
        c.execute("DELETE FROM idempotency_keys")
        assert c.rowcount == 0
        assert snapshot(db) == before
    finally:
        fn_db.close()


def test_a_run_stops_before_its_deadline_and_the_next_runs_finish(db, function_url, tmp_path):
    clock = BASE + timedelta(minutes=30)
    cur = db.cursor()
    cur.execute("INSERT INTO intent_queries (organization_id, query_text, created_at, expires_at) "
                "SELECT 'org_r_bulk', 'bulk query ' || g, %s, %s FROM generate_series(1, 60000) g",
                (clock - 91 * DAY, clock - DAY))
    before = state(db)
    expected, counts = expected_after(before, clock)
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="retention", timeout=2,
                  env={"DATABASE_URL": function_url, "RETENTION_BATCH_SIZE": "3"})
    try:
        replies = []
        t0 = db_now(db)
        for _ in range(100):
            replies.append(run(fn, clock))   # never killed by the timeout: it answers with what it did
            if replies[-1]["data"]["complete"]:
                break
        t1 = db_now(db)
        assert len(replies) >= 2 and replies[0]["data"]["complete"] is False and replies[-1]["data"]["complete"]
        assert "Task timed out" not in fn.output()
        assert sum(r["data"]["deleted"]["queries"] for r in replies) == counts["deleted"]["queries"] >= 60000
        assert_state(state(db), expected, (t0, t1))
    finally:
        fn.stop()


@pytest.mark.parametrize("size", ["0", "-1", "ten", "10001"])
def test_an_invalid_batch_size_fails_initialization(size, function_url, db, tmp_path):
    before = snapshot(db)
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="retention",
                  env={"DATABASE_URL": function_url, "RETENTION_BATCH_SIZE": size})
    try:
        status, headers, out = fn.invoke(schedule_event(BASE))
        error = json.loads(out)
        assert error["errorType"] == "Runtime.ConfigurationError" and "RETENTION_BATCH_SIZE" in error["errorMessage"]
        assert snapshot(db) == before
    finally:
        fn.stop()


def test_the_sample_events(retention, db):
    """events/retention: the scheduler's event is swept, the one without a time refused."""
    raw = (ROOT / "events" / "retention" / "scheduled.json").read_bytes()
    ok = json.loads(raw)
    assert ok["detail-type"] == "Scheduled Event" and ok["source"] == "aws.events"
    status, headers, out = retention.invoke(raw)
    assert status == 200 and "x-amz-function-error" not in {k.lower() for k in headers}, out
    reply = json.loads(out)
    assert reply["ok"] is True and reply["data"]["now"] == ok["time"].replace("Z", ".000Z")
    before = snapshot(db)
    status, headers, out = retention.invoke((ROOT / "events" / "retention" / "no-time.json").read_bytes())
    assert json.loads(out)["errorType"] == "Retention.InvalidEvent" and snapshot(db) == before
    # One metric line per run, the refused one included (an error, nothing spent).
    from test_metrics import emf_lines
    # The output reaches the emulator's log asynchronously: wait for the refused run's line. One process writes the
    # lines in order and the run before these two was a valid one, so a last line that is a refusal is this test's.
    def metric_docs():
        return [doc for _, doc in emf_lines(retention)]
    wait_for(lambda: metric_docs() and metric_docs()[-1]["Outcome"] == "INVALID_INPUT", "the refused run's metric line")
    docs = metric_docs()[-2:]
    assert [(d["Function"], d["Outcome"], d["Errors"], d["BudgetSpentCents"]) for d in docs] == \
        [("retention", "ok", 0, 0), ("retention", "INVALID_INPUT", 0, 0)]


def test_idempotency_keys_expire_by_both_clocks(retention, db):
    """A schedule clock up to 5 minutes ahead is accepted, but it never frees an idempotency key before the database's
    own clock says it has expired (a retry arriving in between would otherwise run twice)."""
    now = db_now(db)
    org = ORGS[1]
    soon_answer = add_idempotency_key(db, org, now + 2 * 60 * SECOND)
    soon_reservation = add_idempotency_key(db, org, now + 60 * SECOND, answered=False)
    expired = add_idempotency_key(db, org, now - SECOND)
    reply = run(retention, now.replace(microsecond=0) + 4 * 60 * SECOND)
    keys = table(db, "idempotency_keys")
    assert soon_answer in keys and soon_reservation in keys and expired not in keys
    assert reply["data"]["deleted"]["idempotency"] >= 1
