"""schemathesis (the CLI, 4.x) against docs/openapi.yaml and the real packaged functions: every HTTP function runs
in `warden emulate` behind Tests/e2e/http_bridge.py (REST v1 events for the copilot tools, HTTP v2 for the APIs),
every copilot call is HMAC-signed and the API calls carry a valid JWT or API key (http_bridge.SigningAuth, loaded
as schemathesis' hooks), so the run gets past 401 into validation and the handlers. It fails on any 5xx and on any
response that breaks the document (status, content type, headers, body schema), with deterministic generation
(the same requests on every run) and a bounded budget; every response is also validated in-process by
openapi_check (conftest's Emulator hook).

`make schemathesis` runs the same test with a longer budget (WARDEN_SCHEMATHESIS_EXAMPLES, _PHASES, _MAX_TIME)."""
import os
import subprocess
import sys
import time

import pytest

import http_bridge
import openapi_check
from conftest import ROOT

HMAC_SECRET = "schemathesis-hmac-secret-0123456789"
JWT_SECRET = "schemathesis-jwt-secret-0123456789abcdef"
EXAMPLES = int(os.environ.get("WARDEN_SCHEMATHESIS_EXAMPLES", "10"))
PHASES = os.environ.get("WARDEN_SCHEMATHESIS_PHASES", "examples,coverage,fuzzing,stateful")
# Seconds; 0: no time budget (the default run is bounded by the examples alone, so it is the same on every machine).
MAX_TIME = int(os.environ.get("WARDEN_SCHEMATHESIS_MAX_TIME", "0"))
# Every check but two: `positive_data_acceptance` (a schema cannot say which opaque cursors are ours, nor that
# 31 November does not exist: such schema-valid requests rightly get 400) and `object_level_authorization` (needs
# two principals per call; test_participants, test_intent and test_api_auth cover cross-organization access).
CHECKS = ["not_a_server_error", "unsupported_method", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
          "missing_required_header", "ignored_auth", "use_after_free", "ensure_resource_availability"]

# Operations left out of the schemathesis run (none: the enrichment routes run against the fake provider below).
EXCLUDED_OPERATIONS: set[str] = set()


def served_operations():
    """operationIds of the document whose route a function declares (functions/*/*.swift), minus the excluded."""
    from test_openapi import declared_routes
    declared = declared_routes()
    return {op.operation_id for op in openapi_check.document().operations
            if (op.function, op.method, op.template) in declared and op.operation_id not in EXCLUDED_OPERATIONS}


@pytest.fixture(scope="module")
def bridge(database_url, function_url, tmp_path_factory):
    api_key = http_bridge.seed(database_url)
    extra = {}
    provider = None
    try:  # the enrichment tests' fake provider, when it is there (the enrichment routes need one)
        from fake_enrichment import API_KEY, FakeProvider
        provider = FakeProvider(slow_seconds=0.1)
        extra = {"ENRICHMENT_URL": provider.url, "ENRICHMENT_API_KEY": API_KEY, "ENRICHMENT_TIMEOUT_MS": "2000"}
    except (ImportError, TypeError):
        provider = None
    functions = http_bridge.start_functions(function_url, HMAC_SECRET, JWT_SECRET, tmp_path_factory.mktemp("bridge"),
                                            extra_env=extra)
    gateway = http_bridge.Bridge(functions).start()
    yield gateway, api_key
    gateway.close()
    for e in functions.values():
        e.stop()
    if provider is not None:
        provider.server.shutdown()


CONFIG = ROOT / "Tests" / "e2e" / "schemathesis.toml"


def schemathesis_command(url, operations, report_dir):
    excluded = sorted({op.operation_id for op in openapi_check.document().operations} - operations)
    cmd = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(openapi_check.DOCUMENT), "--url", url,
           "--checks", ",".join(CHECKS), "--generation-deterministic",
           "--max-examples", str(EXAMPLES), "--phases", PHASES, "--workers", "1",
           "--request-timeout", "30", "--no-color", "--generation-with-security-parameters", "false",
           "--report", "junit", "--report-dir", str(report_dir), "--output-truncate", "false"]
    if MAX_TIME:
        cmd += ["--max-time", str(MAX_TIME)]
    for operation_id in excluded:
        cmd += ["--exclude-operation-id", operation_id]
    return cmd


def test_schemathesis_finds_no_server_error_and_no_response_outside_the_document(bridge):
    gateway, api_key = bridge
    operations = served_operations()
    assert {"calculateHealth", "listParticipants", "scoreIntent"} <= operations
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "Tests" / "e2e"), os.environ.get("PYTHONPATH", "")]),
           "SCHEMATHESIS_HOOKS": "http_bridge", "WARDEN_BRIDGE_HMAC_SECRET": HMAC_SECRET,
           "WARDEN_BRIDGE_CLIENT": "copilot-frontend", "WARDEN_BRIDGE_JWT_SECRET": JWT_SECRET,
           "WARDEN_BRIDGE_JWT_SUBJECT": http_bridge.FUZZ_USER, "WARDEN_BRIDGE_API_KEY": api_key}
    before = dict(openapi_check.VALIDATED)
    started = time.monotonic()
    # Run from .local/schemathesis (ignored by git): schemathesis keeps its crash files for `st replay` there, and
    # the JUnit report goes to its report/.
    workdir = ROOT / ".local" / "schemathesis"
    workdir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(schemathesis_command(gateway.url, operations, workdir / "report"), env=env, cwd=workdir,
                         capture_output=True, text=True, timeout=(MAX_TIME or 240) + 120)
    elapsed = time.monotonic() - started
    log = out.stdout + out.stderr
    (ROOT / ".local" / "schemathesis.log").write_text(log)
    assert out.returncode == 0, f"schemathesis failed ({out.returncode}) after {elapsed:.0f} s:\n{log[-12000:]}"
    # It really ran: every served operation was called through the bridge and its replies validated in-process.
    exercised = {k for k, v in openapi_check.VALIDATED.items() if v > before.get(k, 0)}
    assert operations - exercised == set(), f"operations schemathesis never reached: {operations - exercised}"
    assert gateway.requests >= 10 * len(operations), gateway.requests
