"""`warden emulate --tenant-isolation` models Lambda's tenant isolation mode (TenantIsolationMode PER_TENANT): the
invoke must carry X-Amz-Tenant-Id (else 400 InvalidParameterValueException, before any function code runs), the
tenant reaches the function as Lambda-Runtime-Aws-Tenant-Id, and an execution environment serves one tenant only —
a process is kept for its tenant and retired when the next invocation is another tenant's."""
import json
import re

from emulator_helpers import http_call, invoke, invoke_json, script_bootstrap


def start(emulator, tmp_path, *args):
    return emulator(script_bootstrap(tmp_path), name="tenants", timeout=20, extra_args=["--tenant-isolation", *args],
                    env={"FIXTURE_STATE_DIR": str(tmp_path)})


def test_an_invoke_without_a_tenant_is_refused_before_the_function_runs(emulator, tmp_path):
    e = start(emulator, tmp_path)
    for headers in ({}, {"X-Amz-Tenant-Id": ""}, {"X-Amz-Tenant-Id": "", "X-Amz-Invocation-Type": "Event"}):
        status, answer_headers, body = invoke(e, {"action": "echo"}, headers)
        assert status == 400, (headers, status, body)
        assert answer_headers["x-amzn-errortype"] == "InvalidParameterValueException"
        assert json.loads(body)["errorType"] == "InvalidParameterValueException"
    assert "START RequestId" not in e.output()
    assert invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "blue"})["tenant"] == "blue"


def test_each_process_serves_one_tenant(emulator, tmp_path):
    e = start(emulator, tmp_path)
    blue = invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "blue"})
    blue_again = invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "blue"})
    green = invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "green"})
    blue_later = invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "blue"})
    assert [a["tenant"] for a in (blue, blue_again, green, blue_later)] == ["blue", "blue", "green", "blue"]
    # Warm for the same tenant; a fresh process for another tenant; never back to a process that served another.
    assert blue["pid"] == blue_again["pid"]
    assert green["pid"] != blue["pid"] and blue_later["pid"] not in (blue["pid"], green["pid"])
    log = e.output()
    assert f"process {blue['pid']} serves tenant blue only" in log
    assert f"process {green['pid']} serves tenant green only" in log
    assert re.search(rf"function process {blue['pid']} exited: .*retired: the next invocation is another tenant's",
                     log), log


def test_without_tenant_isolation_no_tenant_is_required(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="plain", timeout=20)
    assert invoke_json(e, {"action": "echo"})["tenant"] is None
    # Runtime API side is unchanged: /next still carries the invoke's tenant when one is given.
    assert invoke_json(e, {"action": "echo"}, {"X-Amz-Tenant-Id": "red"})["tenant"] == "red"
    status, _, _ = http_call("GET", f"http://127.0.0.1:{e.port}/2018-06-01/runtime/nothing")
    assert status == 404
