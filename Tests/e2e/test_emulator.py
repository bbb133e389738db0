"""`warden emulate`: the Lambda lifecycle around any executable (here the real test function binary)."""
import json
import re
import urllib.request

from conftest import TESTFN


def test_invoke_and_lambda_style_report_lines(emulator):
    e = emulator(TESTFN, name="testfn")
    status, _, out = e.invoke({"action": "echo"}, headers={"X-Amz-Client-Context": "eyJjdXN0b20iOnsiayI6InYifX0="})
    assert status == 200
    body = json.loads(out)
    assert body["functionArn"].endswith(":function:testfn")
    assert json.loads(body["clientContext"]) == {"custom": {"k": "v"}}
    log = e.output()
    rid = body["requestId"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert f"END RequestId: {rid}" in log
    report = re.search(rf"REPORT RequestId: {rid}\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t"
                       rf"Memory Size: 128 MB\tMax Memory Used: (\d+) MB\tInit Duration: ([\d.]+) ms", log)
    assert report, log
    assert 0 < int(report.group(3)) < 128


def test_warm_invocations_reuse_the_process(emulator):
    e = emulator(TESTFN, name="testfn")
    a = json.loads(e.invoke({})[2])
    b = json.loads(e.invoke({})[2])
    assert a["pid"] == b["pid"] and b["invocations"] == 2


def test_handler_error_reaches_the_invoker(emulator):
    e = emulator(TESTFN, name="testfn")
    status, headers, out = e.invoke({"action": "error"})
    # Lambda's invoke answers 200 with the function's error document (exactly what the runtime posted to /error)
    # and marks it with X-Amz-Function-Error.
    assert status == 200
    assert json.loads(out) == {"errorMessage": "the test function was asked to fail", "errorType": "TestFunction.Failure",
                               "stackTrace": []}
    assert {k.lower(): v for k, v in headers.items()}["x-amz-function-error"] == "Unhandled"


def test_timeout_kills_and_the_next_invoke_gets_a_fresh_process(emulator):
    e = emulator(TESTFN, name="testfn", timeout=1)
    first = json.loads(e.invoke({})[2])
    status, _, out = e.invoke({"action": "sleep", "ms": 5000})
    err = json.loads(out)
    assert "Task timed out after 1.00 seconds" in err["errorMessage"]
    after = json.loads(e.invoke({})[2])
    assert after["pid"] != first["pid"] and after["invocations"] == 1


def test_crash_is_reported_and_replaced(emulator):
    e = emulator(TESTFN, name="testfn")
    first = json.loads(e.invoke({})[2])
    status, headers, out = e.invoke({"action": "crash"})
    assert json.loads(out)["errorType"].startswith("Runtime.")
    after = json.loads(e.invoke({})[2])
    assert after["pid"] != first["pid"]


def test_init_error_reaches_the_invoker(emulator):
    e = emulator(TESTFN, name="testfn", env={"TESTFN_FAIL_INIT": "1"})
    status, headers, out = e.invoke({})
    assert json.loads(out)["errorType"] == "TestFunction.InitFailure"


def test_oversized_response_becomes_an_error(emulator):
    e = emulator(TESTFN, name="testfn")
    _, _, out = e.invoke({"action": "big", "bytes": 6_300_000})
    assert json.loads(out)["errorType"] == "Function.ResponseSizeTooLarge"
    assert json.loads(e.invoke({})[2])["requestId"]


def test_oversized_payload_is_413(emulator):
    e = emulator(TESTFN, name="testfn")
    status, _, _ = e.invoke(b'"' + b"x" * (6 * 1024 * 1024 + 1) + b'"')
    assert status == 413


def test_runtime_api_status_codes(emulator):
    e = emulator(TESTFN, name="testfn")
    base = f"http://127.0.0.1:{e.port}/2018-06-01/runtime"

    def post(path, data=b"{}"):
        req = urllib.request.Request(base + path, data=data, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as err:
            return err.code

    assert post("/invocation/no-such-id/response") == 400
    assert post("/invocation/no-such-id/error") == 400
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{e.port}/2018-06-01/nothing-here", timeout=5)
        assert False
    except urllib.error.HTTPError as err:
        assert err.code == 404
