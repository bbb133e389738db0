"""All six copilot tools over a seeded data set of two tenants covering every branch, compared with an
independent reference written from CONTRACTS.md, every reply checked against the front end's schemas."""
import json
import time

import pytest

from conftest import ROOT, SECRET, Emulator, FRONTEND, VALIDATED, rest_event, sign, snapshot

TOOLS = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
         "generate_qbr_outline"]
OWNER = "user_tools_owner"
DAY = 86400

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


@pytest.fixture(scope="module")
def seeded(db):
    cur = db.cursor()
    for t in ["companies", "contracts", "usage_summaries", "ticket_summaries"]:
        cur.execute(f"DELETE FROM {t}")
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
    cur.execute("SELECT owner_user_id, company_external_id, to_char(renewal_date, 'YYYY-MM-DD\"T\"HH24:MI:SS'), "
                "extract(epoch FROM renewal_date)::bigint FROM contracts")
    return {(r[0], r[1]): (r[2], r[3]) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def functions(seeded, function_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tools")
    started = {t: Emulator(ROOT / "dist" / t / "bootstrap", tmp_path=tmp, name=t,
                           env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url}) for t in TOOLS}
    yield started
    for e in started.values():
        e.stop()


def call(fn, tool, customer, tenant):
    body = {"customerId": customer}
    if tenant != "public":
        body["params"] = {"ownerUserId": tenant}
    raw = json.dumps(body)
    status, _, out = fn.invoke(rest_event(tool, raw, sign(raw)))
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
        return {"renewalDate": contracts[(tenant, customer)][0], "arr": contract[1], "missingData": False}
    if tool == "calculate_health":
        u = {"up": 100, "down": 0}.get(trend, 50)
        t = 100 if open_tickets <= 0 else 80 if open_tickets <= 2 else 50 if open_tickets <= 5 else 20
        epoch = contracts.get((tenant, customer), (None, None))[1]
        days = 180 if epoch is None else max(0, (epoch - int(time.time())) // DAY)
        r = 100 if days > 180 else 70 if days >= 60 else 30
        score = round(u * 0.45 + t * 0.35 + r * 0.20)
        signals = [f"usage_{trend}", "no_tickets" if open_tickets <= 0 else "few_tickets" if open_tickets <= 2 else "many_tickets"]
        if days < 60:
            signals.append("renewal_near")
        elif days > 180:
            signals.append("renewal_far")
        return {"score": score, "riskLevel": "low" if score >= 75 else "medium" if score >= 50 else "high", "signals": signals}
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
        renewal = seeded.get((tenant, customer), (None,))[0]
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
    before = snapshot(db)
    status, env = call(functions["generate_email"], "generate_email", customer, tenant)
    assert status == 404 and env == {"ok": False, "data": None,
                                      "error": {"code": "MISSING_DATA", "message": env["error"]["message"]}}
    assert snapshot(db) == before


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


def test_the_suite_validated_replies_against_the_front_end_schemas():
    assert VALIDATED["replies"] > 100
