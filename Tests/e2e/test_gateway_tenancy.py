"""`warden gateway` reads each function's concurrency (CapacityProviderConfig, Lambda Managed Instances) and tenancy
(TenancyConfig PER_TENANT) from the template, absent, present or behind !If / AWS::NoValue, and supplies tenant ids as
API Gateway does: a REST API integration maps a client request property to X-Amz-Tenant-Id (an OpenAPI
DefinitionBody's requestParameters), its request validator refusing a request without a required parameter. A
tenant-isolated function invoked without a tenant id fails as on AWS (Lambda refuses the invoke; API Gateway answers
500). Template: fixtures/tenancy_template.yaml; function: fixtures/mi_runtime.py."""
import json
import os
import threading

import pytest

from conftest import GatewayProcess, wait_for
from emulator_helpers import FIXTURES, http_call, script_bootstrap

TEMPLATE = FIXTURES / "tenancy_template.yaml"
FUNCTIONS = ("TenantedFunction", "UnmappedFunction", "ManagedFunction", "CfnShapedFunction")


def gateway(tmp_path, *overrides):
    mode = "-".join(overrides) or "default"
    state = tmp_path / f"state-{mode}"
    state.mkdir()
    boot = script_bootstrap(tmp_path)
    args = ["--template", str(TEMPLATE), "--stack-name", "tenancy"]
    for name in FUNCTIONS:
        args += ["--bootstrap", f"{name}={boot}"]
    if overrides:
        args += ["--parameter-overrides", *overrides]
    env = {**os.environ, "FIXTURE_STATE_DIR": str(state)}
    return GatewayProcess(tmp_path / f"gateway-{mode}.log", args, env=env), state


@pytest.fixture
def isolated(tmp_path):
    g, state = gateway(tmp_path, "Isolation=true")
    yield g, state
    g.stop()


@pytest.fixture
def default_mode(tmp_path):
    g, state = gateway(tmp_path)
    yield g, state
    g.stop()


def post(g, path, action, headers=None, **fields):
    status, answer_headers, body = http_call("POST", f"http://127.0.0.1:{g.port}{path}", {"action": action, **fields},
                                             {"Content-Type": "application/json", **(headers or {})})
    return status, answer_headers, (json.loads(body) if body else None)


def test_settings_are_read_from_the_template(isolated, default_mode):
    on, off = isolated[0].output(), default_mode[0].output()
    assert "  ManagedFunction: Managed Instances, max concurrency 3" in on
    assert "  ManagedFunction: Managed Instances, max concurrency 3" in off
    # !If [Isolated, NoValue, {LambdaManagedInstancesCapacityProviderConfig: …}]: the CloudFormation shape.
    assert "  CfnShapedFunction: Managed Instances, max concurrency 2" in off
    assert "CfnShapedFunction:" not in on
    # !If [Isolated, {TenantIsolationMode: PER_TENANT}, NoValue], and a plain TenancyConfig.
    assert "  TenantedFunction: tenant isolation (PER_TENANT)" in on and "TenantedFunction: tenant" not in off
    assert "  UnmappedFunction: tenant isolation (PER_TENANT)" in on and "  UnmappedFunction: tenant isolation" in off
    # TenantApi has Condition: Isolated.
    assert "REST API TenantApi" in on and "TenantApi" not in off


def test_the_mapped_header_is_the_functions_tenant(isolated):
    g, _ = isolated
    status, _, blue = post(g, "/prod/tenanted", "echo", {"X-Tenant-Id": "blue"})
    assert status == 200 and blue["tenant"] == "blue"
    status, _, green = post(g, "/prod/tenanted", "echo", {"X-Tenant-Id": "green"})
    assert status == 200 and green["tenant"] == "green"
    # An execution environment serves one tenant: green got a process of its own.
    assert green["pid"] != blue["pid"]
    # Path parameter and query string mappings, and a static value on the preflight.
    status, _, by_path = post(g, "/prod/tenanted/by-path/red", "echo")
    assert status == 200 and by_path["tenant"] == "red"
    status, _, by_query = post(g, "/prod/tenanted/by-query?tenant=amber", "echo")
    assert status == 200 and by_query["tenant"] == "amber"
    status, _, body = http_call("OPTIONS", f"http://127.0.0.1:{g.port}/prod/tenanted")
    assert status == 200 and json.loads(body)["tenant"] == "cors-preflight"


def test_the_request_validator_refuses_a_request_without_the_tenant_header(isolated):
    g, _ = isolated
    for headers in ({}, {"X-Tenant-Id": ""}):
        status, answer_headers, body = post(g, "/prod/tenanted", "echo", headers)
        assert status == 400 and body == {"message": "Missing required request parameters: [X-Tenant-Id]"}
        assert answer_headers["x-amzn-errortype"] == "BadRequestException"
    assert "START RequestId" not in g.output()


def test_a_mapping_without_a_value_or_no_mapping_fails_as_on_aws(isolated):
    g, _ = isolated
    # No validator on this route: the mapped query parameter is absent, so no tenant id; Lambda refuses the invoke.
    status, answer_headers, body = post(g, "/prod/tenanted/by-query", "echo")
    assert status == 500 and body == {"message": "Internal server error"}
    status, _, body = post(g, "/prod/unmapped", "echo")
    assert status == 500 and body == {"message": "Internal server error"}
    log = g.output()
    assert log.count("Lambda refuses the invoke (InvalidParameterValueException: the function is in tenant isolation "
                     "mode and the integration sends no X-Amz-Tenant-Id)") == 2
    assert "START RequestId" not in log


def test_tenancy_is_off_by_default(default_mode):
    g, _ = default_mode
    status, _, answer = post(g, "/prod/tenanted", "echo")
    assert status == 200 and answer["tenant"] is None and answer["maxConcurrency"] is None


def test_a_tenant_id_for_a_function_without_tenant_isolation_fails_as_on_aws(default_mode):
    g, _ = default_mode
    status, _, body = post(g, "/prod/mapped-plain", "echo", {"X-Tenant-Id": "blue"})
    assert status == 500 and body == {"message": "Internal server error"}
    assert ("Lambda refuses the invoke (InvalidParameterValueException: the integration sends X-Amz-Tenant-Id to a "
            "function not in tenant isolation mode)") in g.output()
    # The same route without the header maps nothing, and the function runs.
    status, _, answer = post(g, "/prod/mapped-plain", "echo")
    assert status == 200 and answer["tenant"] is None


def test_a_managed_instances_function_runs_invocations_together_and_refuses_beyond(default_mode):
    g, state = default_mode
    results = []
    # The handlers pass their barrier only when all three are inside them at once.
    threads = [threading.Thread(target=lambda: results.append(post(g, "/prod/managed", "barrier", parties=3)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    answers = [body for status, _, body in results if status == 200]
    assert len(answers) == 3 and all(a["passed"] for a in answers), results
    assert {a["maxConcurrency"] for a in answers} == {"3"} and len({a["pid"] for a in answers}) == 1
    # All three workers held: a fourth request is throttled, which API Gateway answers 500.
    held = []
    holders = [threading.Thread(target=lambda: held.append(post(g, "/prod/managed", "hold"))) for _ in range(3)]
    for t in holders:
        t.start()
    wait_for(lambda: len(list(state.glob("started-*"))) == 3, "three held invocations")
    status, _, body = post(g, "/prod/managed", "echo")
    assert status == 500 and body == {"message": "Internal server error"}
    assert "throttled (TooManyRequestsException: all 3 concurrent invocations busy)" in g.output()
    (state / "release").touch()
    for t in holders:
        t.join(timeout=60)
    assert [s for s, _, _ in held] == [200, 200, 200]
