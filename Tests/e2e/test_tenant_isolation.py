"""Tenant isolation mode, defence in depth (issue 16, docs/TENANCY.md): with `LAMBDA_TENANT_MATCH=required` every
HTTP function — the six copilot tools, the participant API, intent scoring and the streamed participant export —
serves a request only when its authenticated tenant is the tenant Lambda runs the invocation for, over the real
packaged bootstraps, `warden emulate` (whose invoke endpoint hands the Invoke API's `X-Amz-Tenant-Id` to the
function as `Lambda-Runtime-Aws-Tenant-Id`) and Postgres.

The authenticated tenant: the signed copilot request's `params.ownerUserId` (or `public`), the bearer JWT user's
organization, the API key's tenant. A request of another tenant, or one arriving without any tenant id, is refused
`403 FORBIDDEN` with a message naming nothing, after authentication (an unsigned request still gets 401) and before
its first statement: the audit row records the refusal, and no other table changes (row counts and checksums of every
table: no replay record, no rate-limit token, no row). Without the setting (or `off`) nothing changes, whatever the
tenant id; an invalid value fails the function's initialization.

Last, template/template.yaml with `TenantIsolation=true` through `warden gateway` (which models how API Gateway maps a
client request header to `X-Amz-Tenant-Id` and how Lambda refuses a tenant id it cannot use): CopilotTenantApi passes
the caller's `X-Tenant-Id`, the function serves its own tenant and refuses another, API Gateway's validator refuses a
call without the header, preflights run under their fixed tenant id; with the default (`false`) the header is
ignored."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import (ROOT, SECRET, WARDEN, Emulator, GatewayProcess, hs256_token, rest_event, sign, snapshot,
                      snapshot_changes)
from emulator_helpers import http_call

TOOLS = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
         "generate_qbr_outline"]
API_FUNCTIONS = ["participants", "intent", "participant_export"]
ALICE, BOB = "user_ten_alice", "user_ten_bob"  # copilot owners (tenants)
USERS = {"user_ten_carol": "org_ten_acme", "user_ten_dave": "org_ten_globex"}  # JWT users and their organizations
CUSTOMER = "ten-acme"
JWT_SECRET = "tenant-isolation-e2e-jwt-secret-0123456789"
REFUSAL = {"code": "FORBIDDEN", "message": "This request may not be served here."}
# Every accepted call takes a token, so a refusal that took one would show in `rate_buckets`.
ENV = {"HMAC_SECRET": SECRET, "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_PER_MINUTE": "100000",
       "AWS_LAMBDA_LOG_FORMAT": "JSON"}


def http_event(method, path, headers, body=None):
    """An HTTP API / Function URL event (payload format 2.0)."""
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": body, "isBase64Encoded": False}


def mint(database_url, tenant, roles):
    return subprocess.run([str(WARDEN), "apikey", "create", "--tenant", tenant, "--roles", roles, "--database-url",
                           database_url], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def seeded(db, database_url):
    cur = db.cursor()
    for owner, arr in ((ALICE, 111), (BOB, 222)):
        cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, %s, %s)",
                    (CUSTOMER, f"Acme of {owner}", owner))
        cur.execute("INSERT INTO usage_summaries VALUES (%s, %s, 'up', 12, '[10, 12]'::jsonb)", (CUSTOMER, owner))
        cur.execute("INSERT INTO ticket_summaries VALUES (%s, %s, 1, '[{\"id\": \"T-1\", \"severity\": \"low\"}]'::jsonb)",
                    (CUSTOMER, owner))
        cur.execute("INSERT INTO contracts VALUES (%s, %s, now() + interval '90 days', %s)", (CUSTOMER, owner, arr))
    for user, org in USERS.items():
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (user, org))
    return {"acme": mint(database_url, "org_ten_acme", "intent:score"),
            "acme_reader": mint(database_url, "org_ten_acme", "things:read")}


def start(tmp, function_url, names, **env):
    return {n: Emulator(ROOT / "dist" / n / "bootstrap", tmp_path=tmp, name=n,
                        env={"DATABASE_URL": function_url, **ENV, **env}) for n in names}


@pytest.fixture(scope="module")
def required(seeded, function_url, tmp_path_factory):
    """Every HTTP function with LAMBDA_TENANT_MATCH=required."""
    started = start(tmp_path_factory.mktemp("tenant-required"), function_url, TOOLS + API_FUNCTIONS,
                    LAMBDA_TENANT_MATCH="required")
    yield started
    for e in started.values():
        e.stop()


@pytest.fixture(scope="module")
def unset(seeded, function_url, tmp_path_factory):
    """The same functions without the setting, and one copilot tool with it `off` explicitly."""
    tmp = tmp_path_factory.mktemp("tenant-unset")
    started = start(tmp, function_url, ["calculate_health"] + API_FUNCTIONS)
    started["get_contract_info"] = start(tmp, function_url, ["get_contract_info"], LAMBDA_TENANT_MATCH="off")["get_contract_info"]
    yield started
    for e in started.values():
        e.stop()


# --- calls: each returns (status, envelope or None, Lambda request id) ------------------------------------------------

def invoke(fn, event, lambda_tenant):
    headers = {"X-Amz-Tenant-Id": lambda_tenant} if lambda_tenant is not None else {}
    status, response_headers, out = fn.invoke(event, headers=headers)
    assert status == 200, out
    request_id = {k.lower(): v for k, v in response_headers.items()}["x-amzn-requestid"]
    return out, request_id


def copilot(fn, tool, owner, lambda_tenant, signed=True):
    body = json.dumps({"customerId": CUSTOMER, **({"params": {"ownerUserId": owner}} if owner != "public" else {})})
    out, request_id = invoke(fn, rest_event(tool, body, sign(body) if signed else {}), lambda_tenant)
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]), request_id


def api(fn, method, path, headers, lambda_tenant, body=None):
    """A call to participants or intent (buffered), or to participant_export (a stream: prelude, 8 NULs, body)."""
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    out, request_id = invoke(fn, http_event(method, path, headers, body), lambda_tenant)
    if out.startswith(b'{"statusCode"') and b"\x00" * 8 in out:
        prelude, _, rest = out.partition(b"\x00" * 8)
        status = json.loads(prelude)["statusCode"]
        lines = rest.decode().splitlines()
        envelope = json.loads(rest) if rest.startswith(b'{"ok"') else [json.loads(line) for line in lines]
        return status, envelope, request_id
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None, request_id


def bearer(user):
    return {"Authorization": f"Bearer {hs256_token(user, JWT_SECRET)}"}


def participants_list(fns, user, lambda_tenant):
    return api(fns["participants"], "GET", "/api/participants", bearer(user), lambda_tenant)


def participants_create(fns, user, lambda_tenant):
    body = json.dumps({"meetingId": f"mtg_ten_{uuid.uuid4().hex[:8]}", "email": "jane.doe@acme.example"})
    return api(fns["participants"], "POST", "/api/participants", bearer(user), lambda_tenant, body)


def intent_score(fns, key, lambda_tenant):
    return api(fns["intent"], "POST", "/v1/intent/score", {"X-API-Key": key}, lambda_tenant,
               json.dumps({"query": "observability platform evaluation"}))


def export(fns, user, lambda_tenant):
    return api(fns["participant_export"], "GET", "/api/participants/export", bearer(user), lambda_tenant)


def audit_rows(db, request_id):
    cur = db.cursor()
    cur.execute("SELECT client_id, tenant, tool, action, outcome, status FROM audit_events WHERE request_id = %s",
                (request_id,))
    return [tuple(r) for r in cur.fetchall()]


def refusal_logs(fn, request_id):
    """The function's JSON log records of the tenant refusal of one invocation."""
    found = []
    for line in fn.output().splitlines():
        start = line.find("{")
        if start < 0 or "tenant isolation" not in line:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if record.get("requestId") == request_id and record.get("message") == "tenant isolation: request refused":
            found.append(record)
    return found


# The authenticated tenants of the API calls below, and who they are in the audit trail.
CAROL, ACME, GLOBEX = "user_ten_carol", "org_ten_acme", "org_ten_globex"


def api_calls(fns, keys):
    """(function, audit action, expected audit client id (None: any key), call(lambda tenant)) for each API route
    exercised, all authenticated as organization org_ten_acme."""
    return [
        ("participants", "GET /api/participants", f"user:{CAROL}", lambda t: participants_list(fns, CAROL, t)),
        ("participants", "POST /api/participants", f"user:{CAROL}", lambda t: participants_create(fns, CAROL, t)),
        ("intent", "POST /v1/intent/score", None, lambda t: intent_score(fns, keys["acme"], t)),
        ("participant_export", "GET /api/participants/export", f"user:{CAROL}", lambda t: export(fns, CAROL, t)),
    ]


# --- tests ----------------------------------------------------------------------------------------------------------

def test_the_matching_tenant_is_served(required, seeded, db):
    """The signed owner in its own environment, a guest in `public`'s, the organization's user and API key in the
    organization's: served as without the setting, writing what they always write."""
    for tool in TOOLS:
        status, env, _ = copilot(required[tool], tool, ALICE, ALICE)
        assert status == 200 and env["ok"] is True, (tool, env)
        # The guests have no data for this customer: generate_email says so (404), the others answer missingData.
        status, env, _ = copilot(required[tool], tool, "public", "public")
        missing = tool == "generate_email" and (status, env["error"]["code"]) == (404, "MISSING_DATA")
        assert missing or (status, env["ok"]) == (200, True), (tool, env)
    # Alice's own data, not Bob's (the same customer id).
    assert copilot(required["get_contract_info"], "get_contract_info", ALICE, ALICE)[1]["data"]["arr"] == 111
    assert copilot(required["get_contract_info"], "get_contract_info", BOB, BOB)[1]["data"]["arr"] == 222

    before = snapshot(db)
    status, env, _ = participants_create(required, CAROL, ACME)
    assert status == 201 and env["data"]["organizationId"] == ACME
    created = env["data"]["id"]
    status, env, _ = participants_list(required, CAROL, ACME)
    assert status == 200 and created in [r["id"] for r in env["data"]]
    assert {r["organizationId"] for r in env["data"]} == {ACME}
    status, env, _ = intent_score(required, seeded["acme"], ACME)
    assert status == 200 and env["ok"] is True, env
    status, lines, _ = export(required, CAROL, ACME)
    assert status == 200 and lines[-1]["exportComplete"] is True
    assert created in [line["id"] for line in lines[:-1]]
    # An accepted call changes the database (the row, the tokens, the recorded query): the snapshot shows it.
    changed = snapshot_changes(before, snapshot(db))
    assert {"meeting_participants", "rate_buckets", "intent_queries"} <= set(changed), changed


def test_another_tenant_is_refused_audited_and_changes_nothing(required, seeded, db):
    before = snapshot(db)
    refused = []  # (function, request id, Lambda tenant, expected audit row)
    for tool in TOOLS:
        # Alice's signed request in Bob's environment, in the guests' one; a guest's in Alice's.
        for owner, lambda_tenant in ((ALICE, BOB), (ALICE, "public"), ("public", ALICE)):
            status, env, rid = copilot(required[tool], tool, owner, lambda_tenant)
            assert (status, env["ok"], env["data"], env["error"]) == (403, False, None, REFUSAL), (tool, owner, env)
            refused.append((required[tool], rid, lambda_tenant,
                            ("copilot-frontend", owner, tool, "invoke", "FORBIDDEN", 403)))
    for fn, action, client, call in api_calls(required, seeded):
        for lambda_tenant in (GLOBEX, "org_ten_acme2", "ORG_TEN_ACME"):
            status, env, rid = call(lambda_tenant)
            assert (status, env["ok"], env["data"], env["error"]) == (403, False, None, REFUSAL), (action, env)
            refused.append((required[fn], rid, lambda_tenant, (client, ACME, fn, action, "FORBIDDEN", 403)))

    assert snapshot_changes(before, snapshot(db)) == []
    for fn, rid, lambda_tenant, expected in refused:
        rows = audit_rows(db, rid)
        assert len(rows) == 1, (expected, rows)
        if expected[0] is None:
            assert rows[0][0].startswith("key:") and rows[0][1:] == expected[1:], rows
        else:
            assert rows[0] == expected
        logs = refusal_logs(fn, rid)
        assert len(logs) == 1, (expected, fn.output()[-2000:])
        assert logs[0]["tenantId"] == lambda_tenant and logs[0]["level"] == "WARN"
        assert logs[0]["reason"] == "authenticated tenant differs from Lambda's tenant id"


def test_no_lambda_tenant_id_is_refused(required, seeded, db):
    """With the setting on, an invocation without a tenant id means the function is not in tenant isolation mode
    (or was invoked around it): refused like another tenant's."""
    before = snapshot(db)
    refused = []
    for tool in TOOLS:
        for owner in (ALICE, "public"):
            status, env, rid = copilot(required[tool], tool, owner, None)
            assert (status, env["error"]) == (403, REFUSAL), (tool, env)
            refused.append((required[tool], rid, ("copilot-frontend", owner, tool, "invoke", "FORBIDDEN", 403)))
    for fn, action, client, call in api_calls(required, seeded):
        status, env, rid = call(None)
        assert (status, env["error"]) == (403, REFUSAL), (action, env)
        refused.append((required[fn], rid, (client, ACME, fn, action, "FORBIDDEN", 403)))
    assert snapshot_changes(before, snapshot(db)) == []
    for fn, rid, expected in refused:
        rows = audit_rows(db, rid)
        assert len(rows) == 1 and (rows[0] if expected[0] else rows[0][1:]) == (expected if expected[0] else expected[1:]), rows
        logs = refusal_logs(fn, rid)
        assert len(logs) == 1 and "tenantId" not in logs[0] and logs[0]["reason"] == "no Lambda tenant id", logs


def test_authentication_comes_first_and_the_tenant_before_the_key_role(required, seeded, db):
    """An unauthenticated caller learns nothing from the tenant check (401 as ever); an API key of another tenant
    is refused for its tenant before its roles are looked at; in its own tenant, the role check is as before."""
    before = snapshot(db)
    for tool in TOOLS:
        status, env, _ = copilot(required[tool], tool, ALICE, BOB, signed=False)
        assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED"), env
    status, env, _ = participants_list(required, "user_ten_nobody", GLOBEX)
    assert (status, env["error"]["code"]) == (403, "FORBIDDEN") and env["error"] != REFUSAL  # no organization
    status, env, _ = api(required["participants"], "GET", "/api/participants", {}, GLOBEX)
    assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    status, env, _ = intent_score(required, "wk_000000000000_" + "0" * 48, GLOBEX)
    assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    status, env, _ = intent_score(required, seeded["acme_reader"], GLOBEX)
    assert (status, env["error"]) == (403, REFUSAL)
    status, env, _ = intent_score(required, seeded["acme_reader"], ACME)
    assert (status, env["error"]) == (403, {"code": "FORBIDDEN", "message": "This key may not use this route."})
    assert snapshot_changes(before, snapshot(db)) == []


def test_preflights_need_no_tenant(required):
    """A CORS preflight authenticates nobody and reads nothing: answered whatever the tenant id (the templates give
    it a fixed one, `cors-preflight`), with the usual headers."""
    for lambda_tenant in (None, "cors-preflight", ALICE):
        out, _ = invoke(required["calculate_health"], rest_event("calculate_health", None, {"Origin": "http://localhost:3000"},
                                                                method="OPTIONS"), lambda_tenant)
        resp = json.loads(out)
        assert resp["statusCode"] == 204
        assert resp["headers"]["Access-Control-Allow-Headers"] == "Content-Type,X-Signature,X-Timestamp,X-Client"
        out, _ = invoke(required["participants"], http_event("OPTIONS", "/api/participants",
                                                             {"Origin": "http://localhost:3000",
                                                              "Access-Control-Request-Method": "GET"}), lambda_tenant)
        assert json.loads(out)["statusCode"] == 204


def test_without_the_setting_nothing_changes(unset, seeded):
    """Unset (or `off`): Lambda's tenant id, another tenant's or none, plays no part in the answer."""
    for lambda_tenant in (BOB, "public", None):
        status, env, _ = copilot(unset["calculate_health"], "calculate_health", ALICE, lambda_tenant)
        assert status == 200 and env["ok"] is True, env
        status, env, _ = copilot(unset["get_contract_info"], "get_contract_info", ALICE, lambda_tenant)
        assert status == 200 and env["data"]["arr"] == 111, env
    for fn, action, _, call in api_calls(unset, seeded):
        for lambda_tenant in (GLOBEX, None):
            status, env, _ = call(lambda_tenant)
            assert status in (200, 201), (action, env)


@pytest.mark.parametrize("value", ["require", "Required", "on", "true", " required"])
def test_an_invalid_setting_fails_initialization(seeded, function_url, db, tmp_path, value):
    """Never a silent `off`: the function does not start, and says which setting is wrong (not the value)."""
    started = start(tmp_path, function_url, ["calculate_health", "participants", "participant_export"],
                    LAMBDA_TENANT_MATCH=value)
    try:
        before = snapshot(db)
        calls = {"calculate_health": rest_event("calculate_health", '{"customerId":"a"}', sign('{"customerId":"a"}')),
                 "participants": http_event("GET", "/api/participants", bearer(CAROL)),
                 "participant_export": http_event("GET", "/api/participants/export", bearer(CAROL))}
        for name, event in calls.items():
            _, _, out = started[name].invoke(event, headers={"X-Amz-Tenant-Id": ACME})
            error = json.loads(out)
            assert error["errorType"] == "Runtime.ConfigurationError", (name, error)
            assert error["errorMessage"] == "Configuration error: LAMBDA_TENANT_MATCH must be off or required"
        assert snapshot_changes(before, snapshot(db)) == []
    finally:
        for e in started.values():
            e.stop()


# --- the SAM template through warden gateway -------------------------------------------------------------------------

def template_gateway(tmp_path, function_url, *overrides):
    env = dict(os.environ, DATABASE_URL=function_url, HMAC_SECRET=SECRET, JWT_SECRET=JWT_SECRET)
    args = ["--template", str(ROOT / "template" / "template.yaml")]
    if overrides:
        args += ["--parameter-overrides", *overrides]
    return GatewayProcess(tmp_path / f"gateway-{'-'.join(overrides) or 'default'}.log", args, env=env)


def gateway_call(g, tool, owner, tenant_header):
    body = json.dumps({"customerId": CUSTOMER, "params": {"ownerUserId": owner}})
    headers = {"Content-Type": "application/json", **sign(body)}
    if tenant_header is not None:
        headers["X-Tenant-Id"] = tenant_header
    status, _, out = http_call("POST", f"http://127.0.0.1:{g.port}/prod/{tool}", body.encode(), headers)
    return status, json.loads(out)


def test_the_sam_template_in_tenant_isolation_mode(seeded, function_url, db, tmp_path):
    g = template_gateway(tmp_path, function_url, "TenantIsolation=true")
    try:
        before = snapshot(db)
        for tool in ("calculate_health", "get_contract_info"):
            status, env = gateway_call(g, tool, ALICE, BOB)
            assert (status, env["error"]) == (403, REFUSAL), (tool, env)
            # API Gateway's request validator: no tenant, no invocation.
            status, env = gateway_call(g, tool, ALICE, None)
            assert (status, env) == (400, {"message": "Missing required request parameters: [X-Tenant-Id]"}), env
        assert snapshot_changes(before, snapshot(db)) == []
        status, env = gateway_call(g, "get_contract_info", ALICE, ALICE)
        assert status == 200 and env["data"]["arr"] == 111, env
        status, env = gateway_call(g, "get_contract_info", BOB, BOB)
        assert status == 200 and env["data"]["arr"] == 222, env
        status, headers, _ = http_call("OPTIONS", f"http://127.0.0.1:{g.port}/prod/calculate_health", None,
                                       {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
        assert status == 204 and headers["access-control-allow-origin"] == "http://localhost:3000"
    finally:
        g.stop()


def test_the_sam_template_by_default_ignores_the_tenant_header(seeded, function_url, tmp_path):
    g = template_gateway(tmp_path, function_url)
    try:
        for tenant_header in (BOB, None):
            status, env = gateway_call(g, "get_contract_info", ALICE, tenant_header)
            assert status == 200 and env["data"]["arr"] == 111, env
    finally:
        g.stop()
