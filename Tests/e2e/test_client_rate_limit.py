"""`CLIENT_RATE_LIMIT_PER_MINUTE`: a token bucket per signing client (`X-Client`), across tenants and across the copilot
functions, next to the tenant's bucket, through the real packaged bootstraps. A client over its limit gets
`429 RATE_LIMITED` with `Retry-After` and `meta.rateLimit`, and its refused request changes nothing (not its own
bucket, not the tenant's, no replay record); another client is served meanwhile.

The limit is 2 a minute: one token comes back every 30 s, so three calls in a row meet an empty bucket unless 30 s
pass between the first and the third (a hang guard, not a timing assertion: nothing here measures time)."""
import json
import uuid

import pytest

from conftest import ROOT, Emulator, rest_event, sign, snapshot, snapshot_changes

LIMIT = 2
RUN = uuid.uuid4().hex[:8]
# Clients of this module only (buckets are keyed by client id in a shared database).
CLIENT_A, CLIENT_B = f"rl-client-a-{RUN}", f"rl-client-b-{RUN}"
KEYS = {CLIENT_A: "client-a-key-0123456789abcdef", CLIENT_B: "client-b-key-0123456789abcdef"}
TOOLS = ["get_contract_info", "calculate_health"]


def start(tool, tmp_path, function_url, client_limit):
    """The tool's packaged bootstrap with both clients' keys, a wide tenant limit and the client limit given."""
    env = {"WARDEN_CLIENTS": json.dumps({c: {"keys": [k], "schemes": ["v1", "v2"]} for c, k in KEYS.items()}),
           "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": "600",
           "CLIENT_RATE_LIMIT_PER_MINUTE": str(client_limit)}
    return Emulator(ROOT / "dist" / tool / "bootstrap", tmp_path=tmp_path, name=tool, env=env)


@pytest.fixture(scope="module")
def fns(function_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("client-rate-limit")
    started = {tool: start(tool, tmp, function_url, LIMIT) for tool in TOOLS}
    yield started
    for e in started.values():
        e.stop()


def call(fn, tool, client, tenant):
    body = json.dumps({"customerId": f"rl-{uuid.uuid4().hex[:6]}", "params": {"ownerUserId": tenant}})
    _, _, out = fn.invoke(rest_event(tool, body, sign(body, secret=KEYS[client], client=client)))
    resp = json.loads(out)
    return resp["statusCode"], resp["headers"], json.loads(resp["body"])


def bucket(db, key):
    cur = db.cursor()
    cur.execute("SELECT tokens, updated_at FROM rate_buckets WHERE key = %s", (key,))
    return [tuple(r) for r in cur.fetchall()]


def audit_rows(db, client):
    cur = db.cursor()
    cur.execute("SELECT tool, tenant, outcome, status FROM audit_events WHERE client_id = %s ORDER BY id", (client,))
    return [tuple(r) for r in cur.fetchall()]


def test_a_client_over_its_limit_is_refused_while_another_client_is_served(fns, db):
    tenant = f"rl_tenant_{uuid.uuid4().hex[:8]}"
    tool = "get_contract_info"
    for _ in range(LIMIT):
        status, _, env = call(fns[tool], tool, CLIENT_A, tenant)
        assert (status, env["ok"]) == (200, True), env
    # The client's bucket and the tenant's exist, the client's holds less than one token.
    assert len(bucket(db, f"client:{CLIENT_A}")) == 1 and len(bucket(db, f"tenant:{tenant}")) == 1
    assert bucket(db, f"client:{CLIENT_A}")[0][0] < 1

    before = snapshot(db)
    status, headers, env = call(fns[tool], tool, CLIENT_A, tenant)
    assert (status, env["ok"], env["error"]["code"]) == (429, False, "RATE_LIMITED"), env
    assert env["error"]["message"] == "Too many requests; retry later."
    rate = env["meta"]["rateLimit"]
    assert rate["remaining"] == 0 and rate["resetAt"].endswith("Z")
    # One token every 60/LIMIT seconds: the wait is at most that, and whole seconds.
    assert 1 <= int(headers["Retry-After"]) <= 60 // LIMIT
    assert snapshot_changes(before, snapshot(db)) == [], "the refused request changed the database"

    # Another client of the same tenant is served at once: the refusal was the client's bucket, not the tenant's.
    a_bucket = bucket(db, f"client:{CLIENT_A}")
    status, _, env = call(fns[tool], tool, CLIENT_B, tenant)
    assert (status, env["ok"]) == (200, True), env
    assert bucket(db, f"client:{CLIENT_A}") == a_bucket, "serving B touched A's bucket"
    assert len(bucket(db, f"client:{CLIENT_B}")) == 1

    # Cause and order in the audit trail: A admitted twice, then refused; B admitted.
    assert [r[2:] for r in audit_rows(db, CLIENT_A) if r[1] == tenant] == [("ok", 200)] * LIMIT + [("RATE_LIMITED", 429)]
    assert [r[2:] for r in audit_rows(db, CLIENT_B) if r[1] == tenant] == [("ok", 200)]


def test_the_client_limit_follows_the_client_across_tenants_and_functions(fns, db):
    """After the test above, or alone: exhaust the client here first. A's bucket is one for every tenant it signs
    for and every function it calls."""
    tool = "get_contract_info"
    client = CLIENT_A
    first_tenant = f"rl_first_{uuid.uuid4().hex[:8]}"
    for _ in range(LIMIT + 1):
        status, _, env = call(fns[tool], tool, client, first_tenant)
    assert (status, env["error"]["code"]) == (429, "RATE_LIMITED"), env
    before = snapshot(db)
    for other_tool, tenant in [(tool, f"rl_other_{uuid.uuid4().hex[:8]}"), ("calculate_health", first_tenant)]:
        status, headers, env = call(fns[other_tool], other_tool, client, tenant)
        assert (status, env["error"]["code"]) == (429, "RATE_LIMITED"), (other_tool, env)
        assert "Retry-After" in headers
    assert snapshot_changes(before, snapshot(db)) == []


def test_without_the_setting_there_is_no_client_bucket(db, function_url, tmp_path):
    """The default is off: a client far beyond any small limit is served, and no `client:` bucket is written."""
    client = f"rl-unlimited-{uuid.uuid4().hex[:8]}"
    KEYS[client] = "unlimited-key-0123456789abcdef"
    fn = start("get_contract_info", tmp_path, function_url, 0)
    try:
        tenant = f"rl_unlimited_{uuid.uuid4().hex[:8]}"
        statuses = [call(fn, "get_contract_info", client, tenant)[0] for _ in range(LIMIT + 3)]
        assert statuses == [200] * (LIMIT + 3)
        assert bucket(db, f"client:{client}") == []
        assert len(bucket(db, f"tenant:{tenant}")) == 1
    finally:
        fn.stop()
        del KEYS[client]


def test_the_refusal_names_the_limit_of_the_bucket_that_refused(fns, db):
    tool = "get_contract_info"
    tenant = f"rl_named_{uuid.uuid4().hex[:8]}"
    for _ in range(LIMIT + 1):
        status, _, env = call(fns[tool], tool, CLIENT_A, tenant)
    assert (status, env["error"]["code"]) == (429, "RATE_LIMITED"), env
    assert env["meta"]["rateLimit"]["limit"] == LIMIT, env["meta"]
