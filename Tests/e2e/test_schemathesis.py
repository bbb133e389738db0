"""schemathesis (the CLI, 4.x) against docs/openapi.yaml through `warden gateway`: the gateway serves
template/template.yaml on 127.0.0.1 (free ports) with the real packaged functions (dist/<function>/bootstrap) warm
under the Runtime API emulator, so API Gateway's event building and response mapping are fuzzed with the functions.

Two schemathesis runs, side by side: one against the gateway's API port at the stage (`/prod`: the six copilot tools
on the REST API, the participant and intent APIs on the HTTP API), one against the participant export's Function URL
(`RESPONSE_STREAM`). Authentication is added client-side by Tests/e2e/schemathesis_hooks.py (schemathesis' hooks): an
HMAC v1 signature over the exact body bytes sent for the copilot tools, a bearer JWT of a seeded organization member
for the participant API and the export, an API key holding `intent:score` for intent scoring, so the runs get past
401 into validation and the handlers. They fail on any 5xx and on any response that breaks the document (status,
content type, headers, body schema); every response is also validated by openapi_check inside schemathesis (the
hooks' `warden_openapi_check`, the validation conftest's Emulator applies in-process elsewhere), and a request the
template routes to no function must get API Gateway's own answer. Generation is deterministic (the same requests on
every run) with a bounded budget.

`make schemathesis` runs the same test with a longer budget (WARDEN_SCHEMATHESIS_EXAMPLES, _PHASES, _MAX_TIME)."""
import os
import subprocess
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

import openapi_check
import schemathesis_hooks
from conftest import ROOT, WARDEN, GatewayProcess

HMAC_SECRET = "schemathesis-hmac-secret-0123456789"
JWT_SECRET = "schemathesis-jwt-secret-0123456789abcdef"
STAGE = "prod"  # template/template.yaml's StageName default, of both APIs
EXAMPLES = int(os.environ.get("WARDEN_SCHEMATHESIS_EXAMPLES", "10"))
PHASES = os.environ.get("WARDEN_SCHEMATHESIS_PHASES", "examples,coverage,fuzzing,stateful")
# Seconds; 0: no time budget (the default run is bounded by the examples alone, so it is the same on every machine).
MAX_TIME = int(os.environ.get("WARDEN_SCHEMATHESIS_MAX_TIME", "0"))
# Every check but two: `positive_data_acceptance` (a schema cannot say which opaque cursors are ours, nor that
# 31 November does not exist: such schema-valid requests rightly get 400) and `object_level_authorization` (needs
# two principals per call; test_participants, test_intent and test_api_auth cover cross-organization access). Two of
# ours (schemathesis_hooks.py): `warden_openapi_check`, and `unsupported_method_behind_api_gateway` in place of
# `unsupported_method`: the same check, except that a method the template routes nowhere on the HTTP API gets API
# Gateway's own `404 Not Found` (the function never sees it, so it cannot answer 405).
CHECKS = ["not_a_server_error", "unsupported_method_behind_api_gateway", "status_code_conformance",
          "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
          "missing_required_header", "ignored_auth", "use_after_free", "ensure_resource_availability",
          "warden_openapi_check"]

# Operations left out of the schemathesis run (none: the enrichment routes run against the fake provider below).
EXCLUDED_OPERATIONS: set[str] = set()
CONFIG = ROOT / "Tests" / "e2e" / "schemathesis.toml"

FUZZ_USER = "user_st_fuzz"
FUZZ_ORG = "org_st_fuzz"
FUZZ_OWNER = "user_demo_owner"  # the tenant of the document's copilot examples


def served_operations():
    """operationIds of the document whose route a function declares (functions/*/*.swift), minus the excluded."""
    from test_openapi import declared_routes
    declared = declared_routes()
    return {op.operation_id for op in openapi_check.document().operations
            if (op.function, op.method, op.template) in declared and op.operation_id not in EXCLUDED_OPERATIONS}


def seed(owner_url):
    """What a run needs, through the schema owner's URL: the fuzz user in its organization, a few of its
    participants, companies and evidence for intent scoring, the copilot examples' customers. Returns a new API key
    of the organization holding `intent:score`."""
    from conftest import connect
    conn = connect(owner_url)
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (FUZZ_USER, FUZZ_ORG))
        cur.execute("SELECT count(*) FROM meeting_participants WHERE organization_id = %s", (FUZZ_ORG,))
        if cur.fetchone()[0] == 0:
            for i in range(3):
                cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, "
                            "display_name) VALUES (%s, 'mtg_fuzz', 'Fuzz sync', %s, %s)",
                            (FUZZ_ORG, f"p{i}@fuzz.example", f"Person {i}"))
        cur.execute("SELECT count(*) FROM intent_companies WHERE organization_id = %s", (FUZZ_ORG,))
        if cur.fetchone()[0] == 0:
            cur.execute("INSERT INTO intent_companies (organization_id, name, domain, industry, size_band, region, "
                        "churn_signal) VALUES (%s, 'Northwind', 'northwind.example', 'SaaS', 'mid', 'EMEA', true) "
                        "RETURNING id", (FUZZ_ORG,))
            company = cur.fetchone()[0]
            for days, text in ((3, "Kubernetes migration and observability platform evaluation"),
                               (40, "kubernetes migration observability platform evaluation kubernetes migration")):
                cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                            "VALUES (%s, %s, now() - make_interval(days => %s), %s)", (FUZZ_ORG, company, days, text))
        for customer, name, trend, users, tickets, days, arr in (("acme", "Acme Corp (owner copy)", "down", 12, 4, 20, 99000),
                                                                 ("hooli", "Hooli", "up", 300, 1, None, 250000)):
            cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, %s, %s) "
                        "ON CONFLICT DO NOTHING", (customer, name, FUZZ_OWNER))
            cur.execute("INSERT INTO usage_summaries VALUES (%s, %s, %s, %s, '[1,2,3]'::jsonb) ON CONFLICT DO NOTHING",
                        (customer, FUZZ_OWNER, trend, users))
            cur.execute("INSERT INTO ticket_summaries VALUES (%s, %s, %s, '[{\"id\":\"T-1\",\"severity\":\"high\"}]'::jsonb) "
                        "ON CONFLICT DO NOTHING", (customer, FUZZ_OWNER, tickets))
            cur.execute("INSERT INTO contracts VALUES (%s, %s, CASE WHEN %s::int IS NULL THEN NULL ELSE "
                        "date_trunc('day', now() AT TIME ZONE 'UTC') + make_interval(days => %s::int) END, %s) "
                        "ON CONFLICT DO NOTHING", (customer, FUZZ_OWNER, days, days, arr))
    finally:
        conn.close()
    return subprocess.run([str(WARDEN), "apikey", "create", "--tenant", FUZZ_ORG, "--roles", "intent:score",
                           "--database-url", owner_url], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def gateway(database_url, function_url, tmp_path_factory):
    api_key = seed(database_url)
    parameters = {"RateLimitPerMinute": "0"}  # the fuzzer would hit the limits
    env = {**os.environ, "DATABASE_URL": function_url, "HMAC_SECRET": HMAC_SECRET, "JWT_SECRET": JWT_SECRET,
           "ALLOWED_ORIGIN": "http://localhost:3000"}
    provider = None
    try:  # the enrichment tests' fake provider, when it is there (the enrichment routes need one)
        from fake_enrichment import API_KEY, FakeProvider
        provider = FakeProvider(slow_seconds=0.1)
        parameters["EnrichmentUrl"] = provider.url
        env.update({"ENRICHMENT_API_KEY": API_KEY, "ENRICHMENT_TIMEOUT_MS": "2000"})
    except (ImportError, TypeError):
        provider = None
    try:
        started = GatewayProcess(tmp_path_factory.mktemp("gateway") / "gateway.log",
                                 ["--parameter-overrides", *[f"{k}={v}" for k, v in parameters.items()]], env=env)
    except BaseException:
        if provider is not None:
            provider.server.shutdown()
        raise
    yield started, api_key
    started.stop()
    if provider is not None:
        provider.server.shutdown()


def schemathesis_command(url, operations, report_dir, phases=PHASES):
    excluded = sorted({op.operation_id for op in openapi_check.document().operations} - operations)
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(openapi_check.DOCUMENT), "--url", url,
           "--checks", ",".join(CHECKS), "--generation-deterministic",
           "--max-examples", str(EXAMPLES), "--phases", phases, "--workers", "1",
           "--request-timeout", "30", "--no-color", "--generation-with-security-parameters", "false",
           "--report", "junit", "--report-dir", str(report_dir), "--output-truncate", "false"]
    if MAX_TIME:
        cmd += ["--max-time", str(MAX_TIME)]
    for operation_id in excluded:
        cmd += ["--exclude-operation-id", operation_id]
    return cmd


def function_url_operations():
    """operationId -> function of the operations served by a Function URL (`x-warden-function-url`)."""
    return {op.operation_id: op.function for op in openapi_check.document().operations
            if op.raw.get("x-warden-function-url")}


# Each run is guarded at its budget plus 120 s; `make schemathesis` gives it 900 s.
@pytest.mark.timeout((MAX_TIME or 240) + 600, method="signal")
def test_schemathesis_finds_no_server_error_and_no_response_outside_the_document(gateway):
    process, api_key = gateway
    operations = served_operations()
    assert {"calculateHealth", "listParticipants", "scoreIntent", "exportParticipants"} <= operations
    by_url = function_url_operations()
    url_functions = {by_url[o] for o in operations if o in by_url}
    assert url_functions == {"participant_export"}, url_functions
    # Run from .local/schemathesis (ignored by git): schemathesis keeps its crash files for `st replay` there, and
    # the JUnit reports go to its report-<run>/.
    workdir = ROOT / ".local" / "schemathesis"
    workdir.mkdir(parents=True, exist_ok=True)
    validated = workdir / "validated.txt"
    validated.write_text("")
    base_env = {**os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT / "Tests" / "e2e"), str(ROOT / "Tests" / "harness"),
                                               os.environ.get("PYTHONPATH", "")]),
                "SCHEMATHESIS_HOOKS": schemathesis_hooks.HOOKS_NAME, "WARDEN_ST_HMAC_SECRET": HMAC_SECRET,
                "WARDEN_ST_CLIENT": "copilot-frontend", "WARDEN_ST_JWT_SECRET": JWT_SECRET,
                "WARDEN_ST_JWT_SUBJECT": FUZZ_USER, "WARDEN_ST_API_KEY": api_key, "WARDEN_ST_STAGE": STAGE,
                "WARDEN_ST_VALIDATED": str(validated)}
    # (name, base URL, operations, which listener, phases) of each run: the APIs at their stage, the export's Function
    # URL (its two operations have no links between them: no stateful phase, which would fail for want of links).
    export_phases = ",".join(p for p in PHASES.split(",") if p != "stateful")
    runs = [("api", f"http://127.0.0.1:{process.port}/{STAGE}", {o for o in operations if o not in by_url}, "api",
             PHASES),
            ("participant_export", f"http://127.0.0.1:{process.url_port}",
             {o for o in operations if by_url.get(o) == "participant_export"}, "function-url:participant_export",
             export_phases)]
    procs = []
    for name, url, selected, server, phases in runs:
        log = open(workdir / f"{name}.log", "w+")
        env = {**base_env, "WARDEN_ST_SERVER": server}
        command = schemathesis_command(url, selected, workdir / f"report-{name}", phases)
        procs.append((name, url, log, subprocess.Popen(command, env=env, cwd=workdir, stdout=log,
                                                       stderr=subprocess.STDOUT, text=True)))
    results = []
    for name, url, log, proc in procs:
        try:
            rc = proc.wait(timeout=(MAX_TIME or 240) + 120)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        log.seek(0)
        results.append((name, url, rc, log.read()))
        log.close()
    report = "".join(f"===== schemathesis run `{name}` against {url}: exit {rc}\n{text}\n" for name, url, rc, text in results)
    (ROOT / ".local" / "schemathesis.log").write_text(report)
    (ROOT / ".local" / "schemathesis-gateway.log").write_text(process.output())
    for name, url, rc, text in results:
        assert rc == 0, f"schemathesis run {name} ({url}) failed ({rc}):\n{text[-12000:]}"
    # It really ran: every served operation was called through the gateway and its replies validated against the
    # document by the hooks' check.
    counts = Counter(validated.read_text().split())
    assert operations - set(counts) == set(), f"operations schemathesis never reached: {operations - set(counts)}"
    assert process.requests_served() >= 10 * len(operations), process.requests_served()
    assert sum(counts.values()) >= 10 * len(operations), counts
    for line in process.output().splitlines():  # no function crashed or timed out under the fuzzer
        assert "Task timed out" not in line and "Runtime exited" not in line, line


def test_the_hooks_check_tells_gateway_answers_from_function_answers(monkeypatch):
    """`warden_openapi_check` is not a rubber stamp: a function's answer outside the document, API Gateway's no-route
    answer where the template has a route (or the wrong one where it has none), and a repeated header all fail."""
    monkeypatch.setenv("WARDEN_ST_SERVER", "api")
    monkeypatch.setenv("WARDEN_ST_STAGE", STAGE)
    monkeypatch.delenv("WARDEN_ST_VALIDATED", raising=False)
    base = "http://127.0.0.1:1/prod"
    check = schemathesis_hooks.check_gateway_response
    no_token = b'{"message":"Missing Authentication Token"}'
    # The REST API has no GET /calculate_health: API Gateway's 403, not the function's.
    assert check("GET", f"{base}/calculate_health", 403, {"content-type": ["application/json"]}, no_token) \
        == "gateway:no-route"
    with pytest.raises(openapi_check.OpenAPIMismatch):
        check("GET", f"{base}/calculate_health", 404, {"content-type": ["application/json"]}, b'{"message":"Not Found"}')
    # The HTTP API has no DELETE /api/participants: 404 Not Found.
    assert check("DELETE", f"{base}/api/participants", 404, {}, b'{"message":"Not Found"}') == "gateway:no-route"
    assert schemathesis_hooks.is_no_route_answer("TRACE", f"{base}/api/participants", 404, b'{"message":"Not Found"}')
    assert not schemathesis_hooks.is_no_route_answer("GET", f"{base}/api/participants", 404,
                                                     b'{"message":"Not Found"}')
    assert not schemathesis_hooks.is_no_route_answer("TRACE", f"{base}/api/participants", 404, b'{"ok":false}')
    # POST /calculate_health is routed: a gateway 403 there is a mismatch, as is a function reply outside the document.
    with pytest.raises(openapi_check.OpenAPIMismatch):
        check("POST", f"{base}/calculate_health", 403, {"content-type": ["application/json"]}, no_token)
    with pytest.raises(openapi_check.OpenAPIMismatch):
        check("POST", f"{base}/calculate_health", 200, {"content-type": ["application/json"]}, b'{"ok":true}')
    with pytest.raises(openapi_check.OpenAPIMismatch, match="more than once"):
        check("DELETE", f"{base}/api/participants", 404, {"x-frame-options": ["DENY", "DENY"]}, b'{"message":"Not Found"}')
    # The path schemathesis_hooks signs and validates is the one the functions see (stage stripped).
    assert schemathesis_hooks.function_path(f"{base}/api/participants?x=1") == "/api/participants"
    assert schemathesis_hooks.security_of("/calculate_health") >= {"copilotSignature"}
    assert urllib.parse.urlsplit(base).path == f"/{STAGE}"
