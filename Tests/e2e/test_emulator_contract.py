"""`warden emulate` hands out the Runtime API's 2026 headers: a new `Lambda-Runtime-Invocation-Id` with every
`/next`, refusing an answer that names another invocation, and the Invoke API's `X-Amz-Tenant-Id` as
`Lambda-Runtime-Aws-Tenant-Id` — checked with a runtime written here against the wire, and with our own runtime."""
import json
import sys

from conftest import TESTFN

# A bootstrap that speaks the Runtime API by hand: it answers each invocation first with a wrong invocation id, then
# with the right one, and reports what it saw in its answer.
RAW_RUNTIME = r"""
import json, os, urllib.request, urllib.error
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
def post(url, body, headers):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
while True:
    with urllib.request.urlopen(base + "next") as r:
        headers = {k.lower(): v for k, v in r.headers.items()}
        event = json.loads(r.read())
    rid, iid = headers["lambda-runtime-aws-request-id"], headers.get("lambda-runtime-invocation-id")
    kind = "error" if event.get("error") else "response"
    wrong = post(base + rid + "/" + kind, b"{}", {"Lambda-Runtime-Invocation-Id": "not-" + str(iid)})
    answer = {"invocationId": iid, "tenant": headers.get("lambda-runtime-aws-tenant-id"),
              "wrongStatus": wrong[0], "wrongType": json.loads(wrong[1] or b"{}").get("errorType")}
    if kind == "error":
        answer = {"errorType": "Raw.Failure", "errorMessage": json.dumps(answer)}
    post(base + rid + "/" + kind, json.dumps(answer).encode(), {"Lambda-Runtime-Invocation-Id": iid})
"""


def raw_bootstrap(tmp_path):
    (tmp_path / "raw.py").write_text(RAW_RUNTIME)
    boot = tmp_path / "bootstrap"
    boot.write_text(f"#!/bin/sh\nexec {sys.executable} {tmp_path / 'raw.py'}\n")
    boot.chmod(0o755)
    return boot


def test_every_next_has_a_new_invocation_id_and_a_wrong_one_is_refused(emulator, tmp_path):
    e = emulator(raw_bootstrap(tmp_path), name="raw", timeout=20)
    seen = []
    for _ in range(2):
        status, _, out = e.invoke({"n": 1})
        answer = json.loads(out)
        assert status == 200 and answer["wrongStatus"] == 400 and answer["wrongType"] == "InvalidInvocationID", answer
        seen.append(answer["invocationId"])
    # The error path checks it too, and the right id still ends the invocation with its error.
    status, headers, out = e.invoke({"error": True})
    document = json.loads(out)
    assert status == 200 and document["errorType"] == "Raw.Failure"
    answer = json.loads(document["errorMessage"])
    assert answer["wrongStatus"] == 400 and answer["wrongType"] == "InvalidInvocationID"
    seen.append(answer["invocationId"])
    assert all(seen) and len(set(seen)) == 3, seen


def test_the_tenant_id_of_the_invoke_reaches_the_function(emulator, tmp_path):
    e = emulator(raw_bootstrap(tmp_path), name="raw", timeout=20)
    _, _, out = e.invoke({"n": 1}, headers={"X-Amz-Tenant-Id": "tenant-green"})
    assert json.loads(out)["tenant"] == "tenant-green"
    _, _, out = e.invoke({"n": 2})
    assert json.loads(out)["tenant"] is None
    _, _, out = e.invoke({"n": 3}, headers={"X-Amz-Tenant-Id": ""})
    assert json.loads(out)["tenant"] is None


def test_our_runtime_echoes_the_emulators_invocation_ids_and_sees_the_tenant(emulator, tmp_path):
    # Our own loop against the emulator: answers (buffered, streamed, errors) are accepted, so the ids it echoes are
    # the ones handed out; the tenant reaches LambdaContext.
    e = emulator(TESTFN, name="testfn", timeout=20)
    status, _, out = e.invoke({"action": "echo"}, headers={"X-Amz-Tenant-Id": "tenant-red"})
    assert status == 200 and json.loads(out)["tenantId"] == "tenant-red"
    status, headers, out = e.invoke({"action": "error"})
    assert json.loads(out)["errorType"] == "TestFunction.Failure"
    status, _, out = e.invoke({"action": "stream", "chunks": 3, "chunkBytes": 4})
    assert status == 200 and out == bytes(i % 251 for i in range(12))
    status, _, out = e.invoke({"action": "echo"})
    assert json.loads(out)["tenantId"] is None and json.loads(out)["invocations"] == 4
    assert "InvalidInvocationID" not in e.output()
