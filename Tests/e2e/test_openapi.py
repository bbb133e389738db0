"""docs/openapi.yaml: a valid OpenAPI 3.1 document that describes exactly the routes the functions declare, whose
error codes are the Swift ones, and a validator (openapi_check.py, run on every response the suite sees) that
really rejects wrong responses — checked on synthetic replies and on replies of the real packaged binaries."""
import copy
import json
import re
import uuid

import pytest
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.versions.consts import OPENAPIV31
from openapi_spec_validator.versions.shortcuts import get_spec_version

import openapi_check
from conftest import ROOT, SECRET, Emulator, rest_event, sign

DOC = yaml.safe_load(openapi_check.DOCUMENT.read_text())
FUNCTIONS = ROOT / "functions"


COPILOT_SOURCES = "\n".join(f.read_text() for f in sorted((ROOT / "Sources" / "Copilot").glob("*.swift")))


def declared_routes():
    """{(function, METHOD, path)} of every HTTP function in functions/*/: the `APIRoute("M", "/p", …)` of an
    `APIHandler.main(name: "…")` function (in any of its Swift files), and `POST /{name}` of a `CopilotTool` (declared
    in the Copilot library, `Sources/Copilot`, and run by its function's `main.swift` as `Tool.main(Tool())`); each
    path also answers the CORS preflight (`OPTIONS`)."""
    routes = set()
    for directory in sorted(p for p in FUNCTIONS.iterdir() if (p / "main.swift").exists()):
        sources = "\n".join(f.read_text() for f in sorted(directory.glob("*.swift")))
        api = re.search(r'\b(?:Streaming)?(?:APIHandler|MCPHandler)\.main\(\s*name:\s*"([^"]+)"', sources)
        if api:
            for method, path in re.findall(r'\b(?:Streaming)?APIRoute\(\s*"([A-Z]+)"\s*,\s*"([^"]+)"', sources):
                routes |= {(api.group(1), method, path), (api.group(1), "OPTIONS", path)}
        runs = re.search(r'\b(\w+)\.main\(\s*\1\(\)\s*\)', sources)
        tool = runs and re.search(r'struct\s+' + runs.group(1) + r'\s*:\s*CopilotTool\s*\{[^}]*?static let name\s*=\s*"([^"]+)"',
                                  COPILOT_SOURCES, re.S)
        if tool:
            assert tool.group(1) == directory.name, f"{directory.name}: the tool's name must be its directory's"
            routes |= {(tool.group(1), "POST", f"/{tool.group(1)}"), (tool.group(1), "OPTIONS", f"/{tool.group(1)}")}
    return routes


def documented_routes():
    return {(op.function, op.method, op.template) for op in openapi_check.document().operations}


def test_the_document_is_valid_openapi_3_1():
    assert DOC["openapi"] == "3.1.0"
    assert get_spec_version(DOC) == OPENAPIV31
    validate(DOC, cls=OpenAPIV31SpecValidator)
    ids = [op.operation_id for op in openapi_check.document().operations]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for op in openapi_check.document().operations:
        assert (FUNCTIONS / op.function / "main.swift").exists(), f"{op.operation_id}: no function {op.function}"
        assert op.payload_format in ("1.0", "2.0"), op.operation_id
        assert op.raw["tags"] == [op.function], f"{op.operation_id}: tagged with its function"


def test_every_declared_route_is_documented_and_nothing_more():
    declared, documented = declared_routes(), documented_routes()
    copilot = {r for r in declared if not r[2].startswith(("/api/", "/v1/")) and r[0] != "mcp"}
    assert {r[0] for r in copilot} == {"get_customer_usage", "get_recent_tickets", "get_contract_info",
                                       "calculate_health", "generate_email", "generate_qbr_outline"}
    assert any(r[0] == "participants" for r in declared) and any(r[0] == "intent" for r in declared)
    assert {r for r in declared if r[0] == "mcp"} == {("mcp", "POST", "/mcp"), ("mcp", "OPTIONS", "/mcp"),
                                                     ("mcp", "GET", "/.well-known/oauth-protected-resource"),
                                                     ("mcp", "OPTIONS", "/.well-known/oauth-protected-resource")}
    assert declared - documented == set(), "routes the functions declare but docs/openapi.yaml does not describe"
    assert documented - declared == set(), "operations in docs/openapi.yaml no function declares"


def test_the_error_codes_are_the_swift_ones_with_their_statuses():
    # The framework's codes (Sources/Middleware/ErrorCode.swift) and those feature libraries add (`extension ErrorCode`).
    swift = "\n".join(f.read_text() for f in sorted((ROOT / "Sources").glob("*/*.swift")))
    declared = re.findall(r'static let (\w+) = ErrorCode\("([A-Z_]+)", status: (\d{3})\)', swift)
    statuses = {code: int(status) for _, code, status in declared}
    assert len(statuses) == len(declared) >= 13
    code = DOC["components"]["schemas"]["ErrorCode"]
    assert sorted(code["enum"]) == sorted(statuses)
    assert code["x-warden-status"] == statuses
    # Every documented error response names codes of its own status.
    doc = openapi_check.document()
    for op in doc.operations:
        for status, response in op.raw["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            resolved, _ = doc.resolve(response, "")
            schema, _ = doc.resolve(resolved["content"]["application/json"]["schema"], "")
            # The MCP endpoint answers some errors as JSON-RPC errors (their codes are JSON-RPC's), others in the
            # envelope: each envelope alternative must name codes of its status.
            branches = [doc.resolve(b, "")[0] for b in schema["oneOf"]] if "oneOf" in schema else [schema]
            envelopes = [b for b in branches if "allOf" in b]
            assert envelopes or (op.function == "mcp" and branches == [DOC["components"]["schemas"]["JsonRpcError"]]), \
                (op.operation_id, status)
            for branch in envelopes:
                codes = json.dumps(branch["allOf"][1]["properties"]["error"])
                named = set(re.findall(r'"([A-Z_]{5,})"', codes))
                assert named and all(statuses[c] == int(status) for c in named), (op.operation_id, status, named)


def test_every_operation_documents_the_errors_of_the_shared_chain():
    for op in openapi_check.document().operations:
        statuses = set(op.raw["responses"])
        if op.method == "OPTIONS":
            assert statuses == {"204", "403"}, op.operation_id
        else:
            assert {"401", "403", "413", "415", "429", "500"} <= statuses, op.operation_id
            assert op.raw["security"], op.operation_id


# ------------------------------------------------------------------------------------------ the validator itself
HEADERS_COPILOT = {
    "Access-Control-Allow-Origin": "http://localhost:3000", "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type,X-Signature,X-Timestamp,X-Client", "Vary": "Origin",
    "Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin", "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains", "Cache-Control": "no-store",
}
HEADERS_API = {**HEADERS_COPILOT, "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE",
               "Access-Control-Allow-Headers": "Authorization,Content-Type,Idempotency-Key,X-API-Key"}
HEALTH = {"ok": True, "data": {"score": 74, "riskLevel": "medium", "signals": ["usage_flat", "no_tickets"]}, "error": None}
PARTICIPANT = {"id": 7, "organizationId": "org_x", "meetingId": "m", "meetingTitle": None, "meetingDateTime": None,
               "meetingPlatform": None, "email": "a@b.example", "displayName": None, "responseStatus": None,
               "isOrganizer": False, "isOptional": False, "contactId": None, "enrichmentStatus": "pending",
               "enrichmentSource": None, "autoMatchConfidence": None, "createdAt": "2026-01-02T03:04:05.678Z",
               "updatedAt": "2026-01-02T03:04:05.678Z", "lastActivityAt": "2026-01-02T03:04:05.678Z"}


def proxy(status, body, headers=HEADERS_COPILOT):
    return json.dumps({"statusCode": status, "headers": headers, "body": json.dumps(body) if body is not None else "",
                       "isBase64Encoded": False})


def v2(method, path):
    return {"version": "2.0", "rawPath": path, "requestContext": {"http": {"method": method, "path": path}}}


def rejects(function, event, response, *fragments):
    with pytest.raises(openapi_check.OpenAPIMismatch) as info:
        openapi_check.check_invocation(function, event, response)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return str(info.value)


def test_a_correct_response_passes():
    ev = rest_event("calculate_health", "{}")
    assert openapi_check.check_invocation("calculate_health", ev, proxy(200, HEALTH)) == "calculateHealth"
    assert openapi_check.check_invocation("calculate_health", rest_event("calculate_health", None, method="OPTIONS"),
                                          proxy(204, None)) == "calculateHealthPreflight"
    created = {"ok": True, "data": PARTICIPANT, "error": None}
    assert openapi_check.check_invocation("participants", v2("POST", "/api/participants"),
                                          proxy(201, created, HEADERS_API)) == "createParticipant"
    refused = {"ok": False, "data": None, "error": {"code": "RATE_LIMITED", "message": "Too many requests; retry later."},
               "meta": {"rateLimit": {"limit": 100, "remaining": 0, "resetAt": "2026-01-02T03:04:05.678Z"}}}
    assert openapi_check.check_invocation("participants", v2("GET", "/api/participants"),
                                          proxy(429, refused, {**HEADERS_API, "Retry-After": "2"})) == "listParticipants"
    not_allowed = {"ok": False, "data": None, "error": {"code": "METHOD_NOT_ALLOWED", "message": "Only POST is supported."}}
    assert openapi_check.check_invocation("calculate_health", rest_event("calculate_health", "{}", method="GET"),
                                          proxy(405, not_allowed)) == "generic"


@pytest.mark.parametrize("case", [
    "wrong type", "missing field", "extra field", "undocumented status", "status of another code", "missing header",
    "wrong header value", "non-integer Retry-After", "missing Retry-After on 429", "missing meta on 429", "meta on 400", "body on a preflight",
    "wrong content type", "not JSON", "success for an unknown path", "success for a non-event",
    "wrong list meta", "timestamp without milliseconds", "not a proxy response",
])
def test_the_validator_rejects_a_wrong_response(case):
    ev = rest_event("calculate_health", "{}")
    bad_health = copy.deepcopy(HEALTH)
    if case == "wrong type":
        bad_health["data"]["score"] = "74"
        rejects("calculate_health", ev, proxy(200, bad_health), "/data/score", "not of type 'integer'")
    elif case == "missing field":
        del bad_health["data"]["signals"]
        rejects("calculate_health", ev, proxy(200, bad_health), "'signals' is a required property")
    elif case == "extra field":
        bad_health["data"]["debug"] = "select 1"
        rejects("calculate_health", ev, proxy(200, bad_health), "Additional properties")
    elif case == "undocumented status":
        missing = {"ok": False, "data": None, "error": {"code": "MISSING_DATA", "message": "No data."}}
        rejects("calculate_health", ev, proxy(404, missing), "status 404 is not documented", "calculateHealth")
    elif case == "status of another code":
        wrong = {"ok": False, "data": None, "error": {"code": "NOT_FOUND", "message": "x"}}
        rejects("calculate_health", ev, proxy(400, wrong), "INVALID_INPUT")
    elif case == "missing header":
        rejects("calculate_health", ev, proxy(200, HEALTH, {k: v for k, v in HEADERS_COPILOT.items() if k != "Vary"}),
                "required header Vary is missing")
    elif case == "wrong header value":
        rejects("calculate_health", ev, proxy(200, HEALTH, {**HEADERS_COPILOT, "Access-Control-Allow-Methods": "GET"}),
                "Access-Control-Allow-Methods")
    elif case == "non-integer Retry-After":
        refused = {"ok": False, "data": None, "error": {"code": "RATE_LIMITED", "message": "x"},
                   "meta": {"rateLimit": {"limit": 1, "remaining": 0, "resetAt": "2026-01-02T03:04:05.678Z"}}}
        rejects("calculate_health", ev, proxy(429, refused, {**HEADERS_COPILOT, "Retry-After": "soon"}), "Retry-After")
    elif case == "missing meta on 429":
        refused = {"ok": False, "data": None, "error": {"code": "RATE_LIMITED", "message": "x"}}
        rejects("calculate_health", ev, proxy(429, refused, {**HEADERS_COPILOT, "Retry-After": "1"}),
                "'meta' is a required property")
    elif case == "missing Retry-After on 429":
        refused = {"ok": False, "data": None, "error": {"code": "RATE_LIMITED", "message": "x"},
                   "meta": {"rateLimit": {"limit": 1, "remaining": 0, "resetAt": "2026-01-02T03:04:05.678Z"}}}
        rejects("calculate_health", ev, proxy(429, refused), "required header Retry-After is missing")
    elif case == "meta on 400":
        invalid = {"ok": False, "data": None, "error": {"code": "INVALID_INPUT", "message": "x"},
                   "meta": {"rateLimit": {"limit": 1, "remaining": 0, "resetAt": "2026-01-02T03:04:05.678Z"}}}
        rejects("calculate_health", ev, proxy(400, invalid), "meta")
    elif case == "body on a preflight":
        rejects("calculate_health", rest_event("calculate_health", None, method="OPTIONS"), proxy(204, HEALTH),
                "has no body")
    elif case == "wrong content type":
        rejects("calculate_health", ev, proxy(200, HEALTH, {**HEADERS_COPILOT, "Content-Type": "text/html"}),
                "Content-Type")
    elif case == "not JSON":
        raw = json.dumps({"statusCode": 200, "headers": HEADERS_COPILOT, "body": "<html>", "isBase64Encoded": False})
        rejects("calculate_health", ev, raw, "not JSON")
    elif case == "success for an unknown path":
        rejects("participants", v2("GET", "/api/nothing"), proxy(200, {"ok": True, "data": [], "error": None}, HEADERS_API),
                "error envelope was expected")
    elif case == "success for a non-event":
        rejects("calculate_health", {"customerId": "acme"}, proxy(400, HEALTH), "ErrorEnvelope")
    elif case == "wrong list meta":
        page = {"ok": True, "data": [PARTICIPANT], "error": None,
                "meta": {"pagination": {"limit": 20, "nextCursor": None}}}
        rejects("participants", v2("GET", "/api/participants"), proxy(200, page, HEADERS_API), "'hasMore' is a required")
    elif case == "timestamp without milliseconds":
        row = {**PARTICIPANT, "createdAt": "2026-01-02T03:04:05Z"}
        rejects("participants", v2("POST", "/api/participants"),
                proxy(201, {"ok": True, "data": row, "error": None}, HEADERS_API), "/data/createdAt")
    elif case == "not a proxy response":
        rejects("calculate_health", ev, json.dumps({"score": 74}), "not an API Gateway proxy response")


STREAM_EVENT = v2("GET", "/api/participants/export")
SUMMARY = {"exportComplete": True, "participants": 2}


def streamed(status, body, headers=HEADERS_API, content_type=None):
    """A streamed Function URL answer: the http-integration prelude, 8 NUL bytes, the body."""
    headers = {**headers, **({"Content-Type": content_type} if content_type else {})}
    prelude = json.dumps({"statusCode": status, "headers": headers, "cookies": []}).encode()
    return prelude + b"\x00" * 8 + (body if isinstance(body, bytes) else body.encode())


def ndjson(*lines):
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_a_streamed_export_validates_line_by_line():
    rows = [PARTICIPANT, {**PARTICIPANT, "id": 8, "email": "[deleted]", "enrichmentStatus": "deleted"}]
    ok = streamed(200, ndjson(*rows, SUMMARY), content_type="application/x-ndjson")
    assert openapi_check.check_invocation("participant_export", STREAM_EVENT, ok) == "exportParticipants"
    # Cut short (no summary) is documented: the client must treat it as incomplete.
    cut = streamed(200, ndjson(*rows), content_type="application/x-ndjson")
    assert openapi_check.check_invocation("participant_export", STREAM_EVENT, cut) == "exportParticipants"
    empty = streamed(200, ndjson({"exportComplete": True, "participants": 0}), content_type="application/x-ndjson")
    assert openapi_check.check_invocation("participant_export", STREAM_EVENT, empty) == "exportParticipants"
    refused = {"ok": False, "data": None, "error": {"code": "UNAUTHORIZED", "message": "Missing, invalid or expired token."}}
    assert openapi_check.check_invocation("participant_export", STREAM_EVENT,
                                          streamed(401, json.dumps(refused))) == "exportParticipants"
    assert openapi_check.check_invocation("participant_export", v2("OPTIONS", "/api/participants/export"),
                                          streamed(204, b"")) == "exportParticipantsPreflight"
    not_allowed = {"ok": False, "data": None, "error": {"code": "METHOD_NOT_ALLOWED", "message": "x"}}
    assert openapi_check.check_invocation("participant_export", v2("POST", "/api/participants/export"),
                                          streamed(405, json.dumps(not_allowed), {**HEADERS_API, "Allow": "GET, OPTIONS"})) == "generic"


@pytest.mark.parametrize("case", ["proxy response", "prelude elsewhere", "bad row", "summary not last", "wrong count",
                                  "partial line", "json content type", "not a line"])
def test_the_validator_rejects_a_wrong_stream(case):
    x = "application/x-ndjson"
    if case == "proxy response":
        rejects("participant_export", STREAM_EVENT, proxy(200, {"ok": True, "data": [], "error": None}, HEADERS_API),
                "must begin with the http-integration prelude")
    elif case == "prelude elsewhere":
        rejects("participants", v2("GET", "/api/participants"), streamed(200, ndjson(SUMMARY), content_type=x),
                "not behind a streaming Function URL")
    elif case == "bad row":
        rejects("participant_export", STREAM_EVENT,
                streamed(200, ndjson({**PARTICIPANT, "id": "7"}, SUMMARY), content_type=x), "line 1")
    elif case == "summary not last":
        rejects("participant_export", STREAM_EVENT,
                streamed(200, ndjson({"exportComplete": True, "participants": 0}, PARTICIPANT), content_type=x),
                "not the last")
    elif case == "wrong count":
        rejects("participant_export", STREAM_EVENT, streamed(200, ndjson(PARTICIPANT, SUMMARY), content_type=x),
                "counts 2 lines, 1 precede")
    elif case == "partial line":
        rejects("participant_export", STREAM_EVENT,
                streamed(200, ndjson(PARTICIPANT) + '{"id": 9', content_type=x), "complete line")
    elif case == "json content type":
        rejects("participant_export", STREAM_EVENT, streamed(200, ndjson(PARTICIPANT, SUMMARY)), "Content-Type")
    elif case == "not a line":
        rejects("participant_export", STREAM_EVENT, streamed(200, "hello\n", content_type=x), "not JSON")


def test_literal_paths_win_over_templates():
    doc = openapi_check.document()
    assert doc.find("participants", "POST", "/api/participants/enrich").operation_id == "enrichParticipants"
    assert doc.find("participants", "POST", "/api/participants/42/enrich").operation_id == "enrichParticipant"
    # The literal path hides the template for every method: PUT there is undocumented (405), not an update.
    assert doc.find("participants", "PUT", "/api/participants/enrich") is None
    assert doc.find("participants", "DELETE", "/api/participants/42") is None
    assert doc.find("intent", "POST", "/api/participants") is None  # another function's route


# ------------------------------------------------------------------------------- wired into the real invocations
@pytest.fixture
def health(function_url, tmp_path):
    e = Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    yield e
    e.stop()


def test_real_replies_validate_and_a_mutated_one_does_not(health, monkeypatch):
    body = json.dumps({"customerId": f"openapi-{uuid.uuid4().hex[:6]}"})
    event = rest_event("calculate_health", body, sign(body))
    _, _, out = health.invoke(event)  # validated by the hook already
    assert openapi_check.check_invocation("calculate_health", event, out) == "calculateHealth"
    resp = json.loads(out)
    envelope = json.loads(resp["body"])
    envelope["data"]["riskLevel"] = "catastrophic"
    rejects("calculate_health", event, json.dumps({**resp, "body": json.dumps(envelope)}), "/data/riskLevel")
    del resp["headers"]["Strict-Transport-Security"]
    rejects("calculate_health", event, json.dumps(resp), "Strict-Transport-Security")


def test_the_emulator_hook_fails_the_call_on_a_mismatch(health, monkeypatch):
    """The same real reply, validated against a document that demands one more field: `Emulator.invoke` raises."""
    stricter = copy.deepcopy(DOC)
    stricter["components"]["schemas"]["HealthScore"]["required"].append("trend")
    monkeypatch.setattr(openapi_check, "document", lambda: openapi_check.Document(stricter))
    body = json.dumps({"customerId": "openapi-hook"})
    with pytest.raises(openapi_check.OpenAPIMismatch, match="'trend' is a required property"):
        health.invoke(rest_event("calculate_health", body, sign(body)))
