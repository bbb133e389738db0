"""Events made by `sam local generate-event` (REST `aws-proxy`, HTTP `http-api-proxy`), adapted to every route of
template/template.yaml, against the real packaged bootstraps under `warden emulate`: each unsigned request is answered
with a proper proxy response carrying the `401 UNAUTHORIZED` envelope (preflights with `204`, unknown paths with a
`404`/`401` envelope), never a crash, an `X-Amz-Function-Error` or a 5xx, and nothing but the audit row is written.

The list of functions, their routes, methods, payload formats and the HTTP API's stage all come from the template.
The generator's options set what they can (method, path, resource, body, stage); the rest is edited into its JSON
(path parameters, rawPath, routeKey), keeping everything else it produced — its CloudFront headers (including the
two different `Host` values of `headers` and `multiValueHeaders`), cookies, query strings, stage variables, client
certificate, authorizer claims, and its base64 sample body with `isBase64Encoded: true`."""
import base64
import concurrent.futures
import copy
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import yaml

import openapi_check
from conftest import ROOT, SECRET, Emulator, snapshot, snapshot_changes

TEMPLATE = ROOT / "template" / "template.yaml"
JWT_SECRET = "generate-event-jwt-secret-0123456789abcdef"
ORG = "org_genevent"
USER = "user_genevent"
# The id put in `{id}` path segments: an existing participant (the `seeded` fixture's), so that a request that slipped
# past authentication would find something to change.
SEEDED = {"participant": None}
FALLBACK_BODY = {"customerId": "acme", "params": {"ownerUserId": USER}}
STREAM_PRELUDE_SEPARATOR = b"\x00" * 8
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}


# --- the template ---------------------------------------------------------------------------------------------------

class CfnLoader(yaml.SafeLoader):
    pass


CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: {f"!{suffix}": (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node, deep=True) if isinstance(node, yaml.SequenceNode)
    else loader.construct_mapping(node, deep=True))})


def load_template():
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def function_name(logical, props):
    """The function directory behind a resource: FunctionName `${AWS::StackName}-<function>`."""
    name = props.get("FunctionName")
    if isinstance(name, dict):
        name = name.get("!Sub")
    assert isinstance(name, str) and name.startswith("${AWS::StackName}-"), f"{logical}: FunctionName {name!r}"
    return name.removeprefix("${AWS::StackName}-")


def http_functions():
    """{function: {"routes": [(kind, METHOD, path)], "url": InvokeMode or None}} for every function of the template
    behind an API (REST `Api` → "rest", `HttpApi` → "http" or "rest" by payload format) or a Function URL."""
    found = {}
    for logical, res in load_template()["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res["Properties"]
        routes = []
        for event in (props.get("Events") or {}).values():
            p = event.get("Properties", {})
            if event["Type"] == "Api":
                routes.append(("rest", p["Method"].upper(), p["Path"]))
            elif event["Type"] == "HttpApi":
                kind = "rest" if str(p.get("PayloadFormatVersion", "2.0")) == "1.0" else "http"
                routes.append((kind, p["Method"].upper(), p["Path"]))
        url = props.get("FunctionUrlConfig")
        if routes or url is not None:
            found[function_name(logical, props)] = {
                "routes": sorted(routes), "url": (url or {}).get("InvokeMode", "BUFFERED") if url is not None else None}
    return found


def http_api_stage():
    """The HTTP API's stage name (its `StageName`, resolved through the parameter's default)."""
    for res in load_template()["Resources"].values():
        if res.get("Type") == "AWS::Serverless::HttpApi":
            stage = res["Properties"].get("StageName", "$default")
            if isinstance(stage, dict) and "!Ref" in stage:
                stage = load_template()["Parameters"][stage["!Ref"]]["Default"]
            return stage
    return "$default"


FUNCTIONS = http_functions()
ROUTES = [(fn, *route) for fn, spec in FUNCTIONS.items() for route in spec["routes"]]
URL_FUNCTIONS = sorted(fn for fn, spec in FUNCTIONS.items() if spec["url"] is not None)


# --- the generator --------------------------------------------------------------------------------------------------

def sam():
    path = shutil.which("sam")
    if path is None:
        pytest.fail("sam is not installed: pip install aws-sam-cli (scripts/ensure-tools.sh does it)", pytrace=False)
    return path


def generate(kind, **options):
    """One event from `sam local generate-event apigateway <aws-proxy|http-api-proxy>` with these options, run in an
    empty directory (no samconfig.toml of ours applies)."""
    args = [sam(), "local", "generate-event", "apigateway", "aws-proxy" if kind == "rest" else "http-api-proxy"]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    with tempfile.TemporaryDirectory(prefix="genevent-") as cwd:
        proc = subprocess.run(args, cwd=cwd, env=SAM_ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(args)}:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def generate_all(requests):
    """Runs several generator calls at once: {key: (kind, options)} → {key: event}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(generate, kind, **options) for key, (kind, options) in requests.items()}
        return {key: f.result() for key, f in futures.items()}


def concrete_path(template_path):
    """The route's path with each `{name}` segment filled in, and those parameters."""
    ident = SEEDED["participant"]
    assert ident is not None, "the `seeded` fixture has not run"
    parts, params = [], {}
    for segment in template_path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            params[segment[1:-1].rstrip("+")] = ident
            parts.append(ident)
        else:
            parts.append(segment)
    return "/".join(parts), params


def json_body(method, template_path):
    """The JSON body for the route: its request body's first example in docs/openapi.yaml, else a copilot request."""
    doc = openapi_check.document()
    op = doc.raw.get("paths", {}).get(template_path, {}).get(method.lower(), {})
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        schema, _ = doc.resolve(schema, "")
        if schema.get("examples"):
            return json.dumps(schema["examples"][0], separators=(",", ":"))
    return json.dumps(FALLBACK_BODY, separators=(",", ":"))


def route_options(kind, method, template_path, **extra):
    """The generator's own options for a route (its path without the leading slash: the generator adds one)."""
    path, _ = concrete_path(template_path)
    options = {"method": method, "path": path.lstrip("/"), **extra}
    if kind == "rest":
        options["resource"] = template_path
    return options


def adapt(kind, event, method, template_path, stage_prefix=None, function_url=False):
    """Edits into a generated event what the generator has no option for: path parameters, rawPath, routeKey (and,
    for a Function URL, its domain and the absence of API Gateway's stage variables and path parameters). Everything
    else stays as generated."""
    event = copy.deepcopy(event)
    path, params = concrete_path(template_path)
    if kind == "rest":
        event["pathParameters"] = params or None
        assert event["path"] == path and event["resource"] == template_path, event["path"]
        return event
    raw_path = f"/{stage_prefix}{path}" if stage_prefix else path
    event["rawPath"] = raw_path
    event["requestContext"]["http"]["path"] = raw_path
    if function_url:
        return as_function_url(event)
    route_key = f"{method} {template_path}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    if params:
        event["pathParameters"] = params
    else:
        event.pop("pathParameters", None)
    return event


def as_function_url(event):
    """A generated HTTP API event as a Function URL sends it: the `$default` route and stage, a lambda-url domain, no
    path parameters or stage variables."""
    event = copy.deepcopy(event)
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    event["requestContext"]["stage"] = "$default"
    event["requestContext"]["domainName"] = "genevent0000000000000000000.lambda-url.us-east-1.on.aws"
    event["requestContext"]["domainPrefix"] = "genevent0000000000000000000"
    event.pop("pathParameters", None)
    event.pop("stageVariables", None)
    return event


def plain_body(event):
    """The same event with its (generator-encoded) base64 JSON body decoded: `isBase64Encoded: false`."""
    assert event["isBase64Encoded"] is True, "the generator no longer base64-encodes bodies"
    event = copy.deepcopy(event)
    event["body"] = base64.b64decode(event["body"]).decode()
    event["isBase64Encoded"] = False
    return event


# --- database -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeded(db):
    """Rows a request that slipped past authentication would read or change: a member of an organization, one of
    its participants (its id goes into every `{id}`), a copilot company of the public tenant."""
    cur = db.cursor()
    cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (USER, ORG))
    cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, display_name) "
                "VALUES (%s, %s, 'Generated', 'jane.doe@acme.example', 'Jane Doe') RETURNING id",
                (ORG, f"mtg_genevent_{time.time_ns()}"))
    SEEDED["participant"] = str(cur.fetchone()[0])
    cur.execute("INSERT INTO companies (external_id, name, owner_user_id) SELECT 'acme', 'Acme', 'public' "
                "WHERE NOT EXISTS (SELECT 1 FROM companies WHERE external_id = 'acme' AND owner_user_id = 'public') "
                "RETURNING id")
    company = cur.fetchall()
    yield db
    # Leave the shared run database as the other files expect it.
    cur.execute("DELETE FROM meeting_participants WHERE id = %s", (int(SEEDED["participant"]),))
    cur.execute("DELETE FROM organization_members WHERE user_id = %s", (USER,))
    for (company_id,) in company:
        cur.execute("DELETE FROM companies WHERE id = %s", (company_id,))


def state(conn):
    """Every table but the audit trail (`snapshot`: row count and checksum), and the audit trail's last id."""
    cur = conn.cursor()
    cur.execute("SELECT coalesce(max(id), 0) FROM audit_events")
    return snapshot(conn), cur.fetchone()[0]


def audit_rows_since(conn, last_id):
    cur = conn.cursor()
    cur.execute("SELECT request_id, tool, outcome, status FROM audit_events WHERE id > %s ORDER BY id", (last_id,))
    return [tuple(r) for r in cur.fetchall()]


# --- the functions --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def functions(seeded, function_url, tmp_path_factory):
    """One emulator per function, started on first use, each running its packaged bootstrap."""
    tmp = tmp_path_factory.mktemp("genevent")
    started = {}

    def get(fn):
        if fn not in started:
            bootstrap = ROOT / "dist" / fn / "bootstrap"
            assert bootstrap.exists(), f"{bootstrap} is missing: bash scripts/package.sh {fn}"
            # The MCP endpoint does not start without the audience its tokens must name (functions/mcp/README.md).
            audience = {"JWT_AUDIENCE": "warden-mcp"} if fn == "mcp" else {}
            started[fn] = Emulator(bootstrap, tmp_path=tmp, name=fn, env={
                "DATABASE_URL": function_url, "HMAC_SECRET": SECRET, "JWT_SECRET": JWT_SECRET, **audience})
        return started[fn]

    yield get
    for e in started.values():
        e.stop()


def decode_reply(raw):
    """(statusCode, headers, body text) of a buffered proxy response, or of a streamed http-integration response
    (JSON prelude, 8 NUL bytes, body)."""
    if STREAM_PRELUDE_SEPARATOR in raw:
        prelude, _, body = raw.partition(STREAM_PRELUDE_SEPARATOR)
        meta = json.loads(prelude)
        assert isinstance(meta.get("statusCode"), int) and isinstance(meta.get("headers"), dict), prelude
        return meta["statusCode"], meta["headers"], body.decode()
    resp = json.loads(raw)
    assert isinstance(resp, dict) and isinstance(resp.get("statusCode"), int), raw[:500]
    assert isinstance(resp.get("headers"), dict), f"no headers: {raw[:500]!r}"
    body = resp.get("body") or ""
    assert isinstance(body, str), raw[:500]
    if resp.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return resp["statusCode"], resp["headers"], body


def invoke(emulator, event, direct=False, route_path=None):
    """Invokes and checks the Lambda-level outcome: a 200 invoke without `X-Amz-Function-Error`. With `direct` the
    invoke endpoint is called here rather than through the shared helper (which validates the reply against
    docs/openapi.yaml by the event's raw path): for stage-prefixed paths, validated afterwards (`check_openapi`) by
    `route_path`, the path API Gateway routes by."""
    if not direct:
        status, headers, raw = emulator.invoke(event)
    else:
        req = urllib.request.Request(f"http://127.0.0.1:{emulator.port}/2015-03-31/functions/function/invocations",
                                     data=json.dumps(event).encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, raw = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, headers, raw = e.code, dict(e.headers), e.read()
    lower = {k.lower(): v for k, v in headers.items()}
    assert status == 200 and "x-amz-function-error" not in lower, f"invoke {status} {lower}: {raw[:1000]!r}"
    return lower.get("x-amzn-requestid"), decode_reply(raw)


def check_openapi(emulator, event, reply, route_path=None):
    """What the shared helper does for buffered replies (docs/openapi.yaml), for a directly invoked one."""
    if emulator.name in openapi_check.http_functions():
        method, path = openapi_check.request_of(event)
        openapi_check.check_response(emulator.name, method, route_path or path, *reply)


def expect_envelope(reply, codes, what):
    """The reply is an error envelope `{ok: false, data: null, error: {code, message}}` with one of `codes`
    ({code: status})."""
    status, headers, body = reply
    assert status < 500, f"{what}: {status} {body[:500]}"
    envelope = json.loads(body)
    assert envelope["ok"] is False and envelope["data"] is None, f"{what}: {body[:500]}"
    code = envelope["error"]["code"]
    assert code in codes and status == codes[code], f"{what}: {status} {body[:500]}"
    assert isinstance(envelope["error"].get("message"), str) and envelope["error"]["message"], f"{what}: {body}"
    assert {k.lower(): v for k, v in headers.items()}.get("content-type", "").startswith("application/json"), headers
    return code


def expect_preflight(reply, what):
    status, headers, body = reply
    assert status == 204 and body == "", f"{what}: {status} {body[:500]}"
    assert "access-control-allow-methods" in {k.lower() for k in headers}, f"{what}: {headers}"


def run_cases(db, emulator, cases, direct=False, route_path=None):
    """Invokes every (label, event, expected) case, then checks the database: no table but the audit trail changed,
    and the audit trail holds exactly one row per audited call, matching its reply. `expected` is a {code: status}
    of acceptable error envelopes, or "preflight"."""
    before, last_audit = state(db)
    audited = {}
    for label, event, expected in cases:
        request_id, reply = invoke(emulator, event, direct=direct, route_path=route_path)
        if expected == "preflight":
            expect_preflight(reply, label)
        elif expected == "public":
            # A route that needs no credentials by design: the MCP endpoint's RFC 9728 metadata.
            status, _, body = reply
            assert status == 200 and json.loads(body)["resource"].endswith("/mcp"), f"{label}: {status} {body[:500]}"
            audited[request_id] = (label, "ok", 200)
        else:
            audited[request_id] = (label, expect_envelope(reply, expected, label), reply[0])
        if direct:
            check_openapi(emulator, event, reply, route_path)
    after, _ = state(db)
    assert after == before, f"tables changed: {snapshot_changes(before, after)}"
    rows = audit_rows_since(db, last_audit)
    by_request = {r[0]: r for r in rows}
    for request_id, (label, code, status) in audited.items():
        assert request_id in by_request, f"{label}: no audit row for request {request_id}"
        assert by_request[request_id][1:] == (emulator.name, code, status), f"{label}: {by_request[request_id]}"
    # Preflights write no audit row; nothing else was written.
    assert len(rows) == len(audited), rows
    crashes = [line for line in emulator.output().splitlines()
               if "Runtime.ExitError" in line or "Sandbox.Timedout" in line]
    assert not crashes, crashes


UNAUTHORIZED = {"UNAUTHORIZED": 401}
PUBLIC_ROUTES = {("mcp", "GET", "/.well-known/oauth-protected-resource")}


def expected_answer(fn, method, path):
    """A route's answer without credentials: the preflight, the public metadata, or the 401 envelope."""
    return "preflight" if method == "OPTIONS" else "public" if (fn, method, path) in PUBLIC_ROUTES else UNAUTHORIZED
NOT_FOUND_OR_UNAUTHORIZED = {"UNAUTHORIZED": 401, "NOT_FOUND": 404}


# --- tests ----------------------------------------------------------------------------------------------------------

def test_the_template_has_http_functions_of_both_payload_formats():
    kinds = {kind for spec in FUNCTIONS.values() for kind, _, _ in spec["routes"]}
    assert kinds == {"rest", "http"}, FUNCTIONS
    assert all(spec["routes"] or spec["url"] for spec in FUNCTIONS.values())
    assert URL_FUNCTIONS, "template/template.yaml declares no Function URL"


@pytest.mark.parametrize("fn,kind,method,path", ROUTES, ids=[f"{fn}-{m}-{p}" for fn, _, m, p in ROUTES])
def test_generated_events_are_answered_with_the_401_envelope(functions, db, fn, kind, method, path):
    """The generator's event for the route as it makes it (its sample body, base64), with a JSON body (base64, as the
    generator encodes it), and with that JSON body as plain text. Preflights (OPTIONS routes) are 204 without
    credentials, as browsers require."""
    events = generate_all({
        "generated": (kind, route_options(kind, method, path)),
        "json": (kind, route_options(kind, method, path, body=json_body(method, path))),
    })
    generated = adapt(kind, events["generated"], method, path)
    with_json = adapt(kind, events["json"], method, path)
    assert generated["isBase64Encoded"] is True and base64.b64decode(generated["body"])
    expected = expected_answer(fn, method, path)
    run_cases(db, functions(fn), [
        ("generated", generated, expected),
        ("json body, base64", with_json, expected),
        ("json body, plain", plain_body(with_json), expected),
    ])


HTTP_ROUTES = [r for r in ROUTES if r[1] == "http"]


@pytest.mark.parametrize("fn,kind,method,path", HTTP_ROUTES, ids=[f"{fn}-{m}-{p}" for fn, _, m, p in HTTP_ROUTES])
def test_a_named_stage_in_raw_path_is_routed(functions, db, fn, kind, method, path):
    """On a named stage an HTTP API puts `/<stage>` in front of `rawPath` (and `requestContext.http.path`): the
    function must still find the route, so the answer is the route's 401, not a 404. REST events carry the stage in
    `requestContext` only (the generator's default `prod`), so the other test covers them."""
    stage = http_api_stage()
    assert stage != "$default", "the template's HTTP API uses $default: no stage prefix to test"
    event = adapt(kind, generate(kind, **route_options(kind, method, path, stage=stage, body=json_body(method, path))),
                  method, path, stage_prefix=stage)
    assert event["requestContext"]["stage"] == stage and event["rawPath"].startswith(f"/{stage}/")
    label = f"named stage {stage}: rawPath {event['rawPath']} must be routed as {path}"
    run_cases(db, functions(fn), [(label, event, expected_answer(fn, method, path))],
              direct=True, route_path=concrete_path(path)[0])


DEFAULT_PATH_CASES = sorted({(fn, kind, method) for fn, kind, method, _ in ROUTES if method != "OPTIONS"})


@pytest.mark.parametrize("fn,kind,method", DEFAULT_PATH_CASES,
                         ids=[f"{fn}-{kind}-{m}" for fn, kind, m in DEFAULT_PATH_CASES])
def test_the_generators_default_path_is_an_envelope_not_a_crash(functions, db, fn, kind, method):
    """The generator's own path (`/path/to/resource`, resource `/{proxy+}`), untouched: no route of ours. An HTTP API
    function answers 404; a REST copilot tool serves one resource whatever the path, so 401."""
    event = generate(kind, method=method)
    assert event.get("path", event.get("rawPath")) == "/path/to/resource"
    run_cases(db, functions(fn), [("default path", event, NOT_FOUND_OR_UNAUTHORIZED)])


@pytest.mark.parametrize("fn", URL_FUNCTIONS or [None])
def test_function_url_events(functions, db, fn):
    """A Function URL event (`http-api-proxy` with `$default` route and stage, a lambda-url domain) on each route
    docs/openapi.yaml documents for the function — as generated, with a JSON body (base64) and with it as plain text —
    and on the generator's default path. A RESPONSE_STREAM function answers in the http-integration form (JSON
    prelude, 8 NUL bytes, body; the shared openapi check insists on it), read here like a buffered reply."""
    assert fn is not None, "template/template.yaml declares no Function URL"
    operations = [op for op in openapi_check.document().operations if op.function == fn]
    assert operations, f"docs/openapi.yaml documents no route of functions/{fn}"
    if not (ROOT / "dist" / fn / "bootstrap").exists():
        pytest.fail(f"dist/{fn}/bootstrap is missing: bash scripts/package.sh {fn}", pytrace=False)
    requests = {"default": ("http", {})}
    for op in operations:
        requests[(op.method, op.template)] = ("http", route_options("http", op.method, op.template))
        requests[(op.method, op.template, "json")] = (
            "http", route_options("http", op.method, op.template, body=json_body(op.method, op.template)))
    events = generate_all(requests)
    cases = []
    for op in operations:
        expected = "preflight" if op.method == "OPTIONS" else UNAUTHORIZED
        generated = adapt("http", events[(op.method, op.template)], op.method, op.template, function_url=True)
        with_json = adapt("http", events[(op.method, op.template, "json")], op.method, op.template, function_url=True)
        cases += [(f"{op.method} {op.template}, generated", generated, expected),
                  (f"{op.method} {op.template}, json body, base64", with_json, expected),
                  (f"{op.method} {op.template}, json body, plain", plain_body(with_json), expected)]
    cases.append(("default path", as_function_url(events["default"]), NOT_FOUND_OR_UNAUTHORIZED))
    run_cases(db, functions(fn), cases)
