"""All six copilot tools over a seeded data set of two tenants covering every branch, compared with an
independent reference written from CONTRACTS.md (the health scores worked out by hand, row by row), every reply
checked against the front end's schemas.

The data are this module's own: its owner tenant, and in the shared guest tenant `public` customer ids no other module
uses (`p-…`, `nobody-at-all`); nothing of another module is read, changed or deleted."""
import json

import pytest

from conftest import (ROOT, SECRET, Emulator, FRONTEND, VALIDATED, assert_only_replay_records_added, guarded_state,
                      rest_event, sign, snapshot, v1_replay_key)

TOOLS = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
         "generate_qbr_outline"]
OWNER = "user_tools_owner"

# (tenant, customer, company name | None, usage (trend, avg, sparkline) | None, tickets (open, recent) | None,
#  contract (renewal days from now | None for a NULL date, arr) | None)
DATA = [
    ("public", "p-up-far", "Up Far Inc", ("up", 120, [1, 2, 3.5]), (0, []), (365, 120000)),
    ("public", "p-down-near", "Down Near", ("down", 10, [9, 8, 7]), (7, [{"id": "T-1", "severity": "high"}]), (20, 5000)),
    ("public", "p-flat-mid", "Flat Mid", ("flat", 30, []), (2, [{"id": 17, "severity": "low"}]), (100, 0)),
    ("public", "p-weird-trend", None, ("sideways", 5, ["x", 4, None, 2]), (1, [{"id": "T-9"}, "junk", {"severity": "x"}]), None),
    ("public", "p-only-company", "Only Company", None, None, None),
    ("public", "p-only-usage", None, ("up", 1, [1]), None, None),
    ("public", "p-only-tickets", None, None, (3, []), None),
    ("public", "p-only-contract", None, None, None, (59, 10)),
    ("public", "p-null-renewal", "Null Renewal", ("down", 2, [2]), (6, []), (None, 777)),
    ("public", "p-past-renewal", "Past", ("up", 50, [50]), (5, []), (-10, 1)),
    ("public", "p-edge-60", "Edge 60", ("flat", 9, [9]), (0, []), (60, 1)),
    ("public", "p-edge-180", "Edge 180", ("flat", 9, [9]), (0, []), (180, 1)),
    ("public", "p-edge-181", "Edge 181", ("flat", 9, [9]), (0, []), (181, 1)),
    (OWNER, "o-up-near", "Owner Up Near", ("up", 300, [250, 300]), (4, [{"id": "A", "severity": "medium"}]), (10, 99000)),
    (OWNER, "o-down-far", "Owner Down Far", ("down", 3, [5, 3]), (0, []), (400, 1000)),
    (OWNER, "o-flat-none", "Owner Flat", ("flat", 7, [7, 7]), (8, [{"id": "B", "severity": "high"}, {"id": "C", "severity": "low"}]), None),
    (OWNER, "o-tickets-1", None, ("up", 1, []), (1, [{"id": "D", "severity": "low"}]), (90, 5)),
    (OWNER, "o-tickets-3", None, ("down", 1, []), (3, []), (200, 5)),
    (OWNER, "o-tickets-6", None, ("flat", 1, []), (6, []), (30, 5)),
    (OWNER, "p-up-far", "Same id, other tenant", ("down", 1, [1]), (9, []), (5, 1)),
    (OWNER, "o-unicode", "Ünïcødé GmbH", ("up", 2, [2]), (0, []), (365, 2)),
]
UNKNOWN = [("public", "nobody-at-all"), (OWNER, "o-unknown"), (OWNER, "p-only-company")]


# calculate_health for every row above and every unknown customer, worked out by hand from CONTRACTS.md §1 (never
# by re-running the formula): usage up 100 / down 0 / anything else or missing 50 (× 0.45); open tickets ≤ 0 → 100,
# ≤ 2 → 80, ≤ 5 → 50, else 20 (× 0.35); renewal in whole days, never below 0, 180 when unknown: > 180 → 100,
# ≥ 60 → 70, else 30 (× 0.20); the sum rounded half to even; risk ≥ 75 low, ≥ 50 medium, else high; signals usage_*,
# then no_tickets (exactly 0) / few_tickets (≤ 2) / many_tickets, then renewal_near (< 60 days) or renewal_far
# (> 180 days). Each contract's renewal is `days` days and 2 hours ahead, so its whole days are exactly `days`.
HEALTH = {
    # tenant, customer: (score, risk, signals)                     usage + tickets + renewal
    ("public", "p-up-far"): (100, "low", ["usage_up", "no_tickets", "renewal_far"]),           # 45 + 35 + 20 = 100
    ("public", "p-down-near"): (13, "high", ["usage_down", "many_tickets", "renewal_near"]),   # 0 + 7 + 6 = 13
    ("public", "p-flat-mid"): (64, "medium", ["usage_flat", "few_tickets"]),    # 22.5 + 28 + 14 = 64.5 → 64 (even)
    ("public", "p-weird-trend"): (64, "medium", ["usage_flat", "few_tickets"]),  # sideways = flat; no contract: 180
                                                                                 # days; 22.5 + 28 + 14 = 64.5 → 64
    ("public", "p-only-company"): (72, "medium", ["usage_flat", "no_tickets"]),  # 22.5 + 35 + 14 = 71.5 → 72 (even)
    ("public", "p-only-usage"): (94, "low", ["usage_up", "no_tickets"]),         # 45 + 35 + 14 = 94
    ("public", "p-only-tickets"): (54, "medium", ["usage_flat", "many_tickets"]),  # 3 tickets: 22.5 + 17.5 + 14 = 54
    ("public", "p-only-contract"): (64, "medium", ["usage_flat", "no_tickets", "renewal_near"]),  # 59 days:
                                                                                 # 22.5 + 35 + 6 = 63.5 → 64 (even)
    ("public", "p-null-renewal"): (21, "high", ["usage_down", "many_tickets"]),  # NULL date: 180 days; 0 + 7 + 14 = 21
    ("public", "p-past-renewal"): (68, "medium", ["usage_up", "many_tickets", "renewal_near"]),  # −10 days → 0;
                                                                                 # 45 + 17.5 + 6 = 68.5 → 68 (even)
    ("public", "p-edge-60"): (72, "medium", ["usage_flat", "no_tickets"]),       # 60 days: ≥ 60, not near;
                                                                                 # 22.5 + 35 + 14 = 71.5 → 72
    ("public", "p-edge-180"): (72, "medium", ["usage_flat", "no_tickets"]),      # 180 days: not > 180; 71.5 → 72
    ("public", "p-edge-181"): (78, "low", ["usage_flat", "no_tickets", "renewal_far"]),  # 181 days:
                                                                                 # 22.5 + 35 + 20 = 77.5 → 78 (even)
    (OWNER, "o-up-near"): (68, "medium", ["usage_up", "many_tickets", "renewal_near"]),  # 4 tickets, 10 days:
                                                                                 # 45 + 17.5 + 6 = 68.5 → 68
    (OWNER, "o-down-far"): (55, "medium", ["usage_down", "no_tickets", "renewal_far"]),  # 0 + 35 + 20 = 55
    (OWNER, "o-flat-none"): (44, "high", ["usage_flat", "many_tickets"]),        # 8 tickets, no contract:
                                                                                 # 22.5 + 7 + 14 = 43.5 → 44 (even)
    (OWNER, "o-tickets-1"): (87, "low", ["usage_up", "few_tickets"]),            # 90 days: 45 + 28 + 14 = 87
    (OWNER, "o-tickets-3"): (38, "high", ["usage_down", "many_tickets", "renewal_far"]),  # 200 days:
                                                                                 # 0 + 17.5 + 20 = 37.5 → 38 (even)
    (OWNER, "o-tickets-6"): (36, "high", ["usage_flat", "many_tickets", "renewal_near"]),  # 30 days:
                                                                                 # 22.5 + 7 + 6 = 35.5 → 36 (even)
    (OWNER, "p-up-far"): (13, "high", ["usage_down", "many_tickets", "renewal_near"]),  # 9 tickets, 5 days:
                                                                                 # 0 + 7 + 6 = 13 (not public's 100)
    (OWNER, "o-unicode"): (100, "low", ["usage_up", "no_tickets", "renewal_far"]),  # 45 + 35 + 20 = 100
    # Unknown customers: flat, no tickets, unknown renewal (180 days): 22.5 + 35 + 14 = 71.5 → 72.
    ("public", "nobody-at-all"): (72, "medium", ["usage_flat", "no_tickets"]),
    (OWNER, "o-unknown"): (72, "medium", ["usage_flat", "no_tickets"]),
    (OWNER, "p-only-company"): (72, "medium", ["usage_flat", "no_tickets"]),   # public's customer, not the owner's
}


@pytest.fixture(scope="module")
def seeded(db):
    cur = db.cursor()
    for tenant, cust, name, usage, tickets, contract in DATA:
        if name:
            cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, %s, %s)", (cust, name, tenant))
        if usage:
            cur.execute("INSERT INTO usage_summaries VALUES (%s, %s, %s, %s, %s::jsonb)",
                        (cust, tenant, usage[0], usage[1], json.dumps(usage[2])))
        if tickets:
            cur.execute("INSERT INTO ticket_summaries VALUES (%s, %s, %s, %s::jsonb)",
                        (cust, tenant, tickets[0], json.dumps(tickets[1])))
        if contract:
            days, arr = contract
            if days is None:
                cur.execute("INSERT INTO contracts VALUES (%s, %s, NULL, %s)", (cust, tenant, arr))
            else:
                cur.execute("INSERT INTO contracts VALUES (%s, %s, date_trunc('second', now() AT TIME ZONE 'UTC') "
                            "+ make_interval(days => %s) + interval '2 hours', %s)", (cust, tenant, days, arr))
    cur.execute("SELECT owner_user_id, company_external_id, to_char(renewal_date, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
                "FROM contracts WHERE (owner_user_id, company_external_id) IN "
                "(SELECT * FROM unnest(%s::text[], %s::text[]))", ([d[0] for d in DATA], [d[1] for d in DATA]))
    return {(r[0], r[1]): r[2] for r in cur.fetchall()}


@pytest.fixture(scope="module")
def functions(seeded, function_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tools")
    started = {t: Emulator(ROOT / "dist" / t / "bootstrap", tmp_path=tmp, name=t,
                           env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url}) for t in TOOLS}
    yield started
    for e in started.values():
        e.stop()


def call(fn, tool, customer, tenant, sent=None):
    """A signed call; `sent` (a list) receives the signature headers."""
    body = {"customerId": customer}
    if tenant != "public":
        body["params"] = {"ownerUserId": tenant}
    raw = json.dumps(body)
    headers = sign(raw)
    if sent is not None:
        sent.append(headers)
    status, _, out = fn.invoke(rest_event(tool, raw, headers))
    assert status == 200, out
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"])


def row(tenant, customer):
    return next((d for d in DATA if d[0] == tenant and d[1] == customer), (tenant, customer, None, None, None, None))


def expected(tool, tenant, customer, contracts):
    _, _, name, usage, tickets, contract = row(tenant, customer)
    trend = usage[0] if usage and usage[0] in ("up", "down", "flat") else "flat"
    open_tickets = tickets[0] if tickets else 0
    if tool == "get_customer_usage":
        if not usage:
            return {"trend": "flat", "avgDailyUsers": 0, "sparkline": [], "missingData": True}
        return {"trend": trend, "avgDailyUsers": usage[1],
                "sparkline": [x for x in usage[2] if isinstance(x, (int, float))], "missingData": False}
    if tool == "get_recent_tickets":
        if not tickets:
            return {"openTickets": 0, "recentTickets": [], "missingData": True}
        recent = [{"id": str(t["id"]), "severity": t.get("severity", "unknown")}
                  for t in tickets[1] if isinstance(t, dict) and "id" in t]
        return {"openTickets": tickets[0], "recentTickets": recent, "missingData": False}
    if tool == "get_contract_info":
        if not contract:
            return {"renewalDate": None, "arr": 0, "missingData": True}
        return {"renewalDate": contracts[(tenant, customer)], "arr": contract[1], "missingData": False}
    if tool == "calculate_health":
        score, risk, signals = HEALTH[(tenant, customer)]
        return {"score": score, "riskLevel": risk, "signals": signals}
    raise AssertionError(tool)


@pytest.mark.parametrize("tool", ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health"])
def test_data_tools_match_the_reference(functions, seeded, tool):
    for tenant, customer, *_ in DATA + [(t, c, None, None, None, None) for t, c in UNKNOWN]:
        status, env = call(functions[tool], tool, customer, tenant)
        assert status == 200 and env["ok"] is True, (tenant, customer, env)
        assert env["data"] == expected(tool, tenant, customer, seeded), (tenant, customer)


def test_generate_email_uses_the_customers_data(functions, seeded):
    fn = functions["generate_email"]
    for tenant, customer, name, usage, tickets, contract in DATA:
        status, env = call(fn, "generate_email", customer, tenant)
        assert status == 200 and env["ok"], (customer, env)
        subject, body = env["data"]["subject"], env["data"]["body"]
        assert (name or customer) in subject
        renewal = seeded.get((tenant, customer))
        if renewal:
            assert renewal[:10] in subject and renewal[:10] in body
        if usage:
            assert f"{usage[1]} " in body
        open_tickets = tickets[0] if tickets else 0
        assert ("no open support tickets" in body) == (open_tickets <= 0)
        if open_tickets > 1:
            assert f"{open_tickets} open support tickets" in body


@pytest.mark.parametrize("tenant,customer", [("public", "nobody-at-all"), (OWNER, "o-unknown"), (OWNER, "p-only-tickets")])
def test_generate_email_for_an_unknown_customer_is_missing_data(functions, db, tenant, customer):
    state, sent = guarded_state(db), []
    status, env = call(functions["generate_email"], "generate_email", customer, tenant, sent)
    assert status == 404 and env == {"ok": False, "data": None,
                                      "error": {"code": "MISSING_DATA", "message": env["error"]["message"]}}
    # The tool ran and answered (a 404 is not a server error): the call's replay record is its only trace.
    assert_only_replay_records_added(db, state, {v1_replay_key("generate_email", sent[0])})


def test_qbr_outline_follows_trend_and_tickets(functions):
    fn = functions["generate_qbr_outline"]
    for tenant, customer, _, usage, tickets, _ in DATA + [("public", "nobody-at-all", None, None, None, None)]:
        status, env = call(fn, "generate_qbr_outline", customer, tenant)
        assert status == 200
        sections = env["data"]["sections"]
        trend = usage[0] if usage and usage[0] in ("up", "down") else "flat"
        open_tickets = tickets[0] if tickets else 0
        assert sections[0] == "Executive summary" and len(sections) == 6
        assert {"up": "trending up", "down": "trending down", "flat": "steady usage"}[trend] in sections[1]
        if open_tickets <= 0:
            assert sections[2] == "Support: no open tickets"
        else:
            assert f"{open_tickets} open tickets" in sections[2]
            assert sections[2].startswith("Support escalations") == (open_tickets > 2)


def test_same_customer_id_in_two_tenants_stays_apart(functions, seeded):
    _, pub = call(functions["get_customer_usage"], "get_customer_usage", "p-up-far", "public")
    _, own = call(functions["get_customer_usage"], "get_customer_usage", "p-up-far", OWNER)
    assert pub["data"]["trend"] == "up" and own["data"]["trend"] == "down"


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_refuses_hostile_input_without_changing_anything(functions, db, tool):
    before = snapshot(db)
    fn = functions[tool]
    raw = json.dumps({"customerId": "p-up-far"})
    cases = [
        (rest_event(tool, raw, {}), 401, "UNAUTHORIZED"),
        (rest_event(tool, raw, sign(raw, secret="nope")), 401, "UNAUTHORIZED"),
        (rest_event(tool, "[1]", sign("[1]")), 400, "INVALID_INPUT"),
        (rest_event(tool, '{"customerId": ""}', sign('{"customerId": ""}')), 400, "INVALID_INPUT"),
    ]
    for event, status, code in cases:
        _, _, out = fn.invoke(event)
        resp = json.loads(out)
        env = json.loads(resp["body"])
        assert resp["statusCode"] == status and env["error"]["code"] == code
    assert snapshot(db) == before


def test_preflight_on_every_tool(functions):
    for tool in TOOLS:
        _, _, out = functions[tool].invoke(rest_event(tool, None, {"Origin": "http://localhost:3000"}, method="OPTIONS"))
        resp = json.loads(out)
        assert resp["statusCode"] == 204 and resp["body"] == ""


def test_every_reply_is_validated_against_the_front_end_schemas(functions, seeded):
    """Every reply of every tool, for every row, goes through the front end's schemas (`check_frontend_shape`, in
    `Emulator.invoke`): the count of validated replies grows by exactly the number of calls made here."""
    before = VALIDATED["replies"]
    calls = 0
    for tool in TOOLS:
        for tenant, customer, *_ in DATA:
            status, env = call(functions[tool], tool, customer, tenant)
            assert status in (200, 404), (tool, customer, env)
            calls += 1
    assert calls == len(TOOLS) * len(DATA) and VALIDATED["replies"] == before + calls
