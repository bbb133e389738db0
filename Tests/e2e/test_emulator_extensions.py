"""The Lambda Extensions API for internal extensions on `warden emulate`, and Lambda's shutdown phase: SIGTERM to the
runtime only when an extension is registered, SIGKILL 500 ms later; SIGKILL at once when none is. The function
process's exit status is recorded in the emulator's log. Runtimes here are written against the wire
(fixtures/mi_runtime.py and small scripts), independent of Warden's own runtime."""
import json
import uuid

from conftest import wait_for
from emulator_helpers import http_call, invoke_json, script_bootstrap

REGISTER_AT_INIT = r"""
import json, os, sys, urllib.request, urllib.error
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
def call(method, path, body=None, headers=None):
    req = urllib.request.Request(api + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()
results = []
for name, body, extra in json.loads(os.environ["ATTEMPTS"]):
    headers = {"Lambda-Extension-Name": name} if name is not None else {}
    headers.update(extra)
    results.append(call("POST", "/2020-01-01/extension/register", body.encode(), headers))
ok = next((r for r in results if r[0] == 200), None)
ident = ok[1]["lambda-extension-identifier"] if ok else None
nexts = [call("GET", "/2020-01-01/extension/event/next", headers=h)[::2] for h in
         ({}, {"Lambda-Extension-Identifier": "not-a-uuid"},
          {"Lambda-Extension-Identifier": "00000000-0000-4000-8000-000000000000"})]
while True:
    with urllib.request.urlopen(api + "/2018-06-01/runtime/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps({"register": results, "identifier": ident, "nexts": nexts}).encode()
    call("POST", f"/2018-06-01/runtime/invocation/{rid}/response", body)
"""


def register_runtime(tmp_path, attempts):
    script = tmp_path / "register.py"
    script.write_text(REGISTER_AT_INIT)
    boot = script_bootstrap(tmp_path, script)
    return boot, {"ATTEMPTS": json.dumps(attempts)}


def test_register_answers_as_lambda_documents(emulator, tmp_path):
    boot, env = register_runtime(tmp_path, [
        ["warden-shutdown", '{"events": []}', {}],
        ["with-account", '{"events": ["INVOKE"]}', {"Lambda-Extension-Accept-Feature": "accountId"}],
    ])
    e = emulator(boot, name="regfn", timeout=20, env=env, extra_args=["--handler", "app.handler"])
    answer = invoke_json(e, {})
    (s1, h1, b1), (s2, h2, b2) = answer["register"]
    assert s1 == 200 and s2 == 200
    assert uuid.UUID(h1["lambda-extension-identifier"]) and uuid.UUID(h2["lambda-extension-identifier"])
    assert h1["lambda-extension-identifier"] != h2["lambda-extension-identifier"]
    assert json.loads(b1) == {"functionName": "regfn", "functionVersion": "$LATEST", "handler": "app.handler"}
    assert json.loads(b2) == {"accountId": "000000000000", "functionName": "regfn", "functionVersion": "$LATEST",
                              "handler": "app.handler"}
    # event/next names its extension: missing, malformed and unknown identifiers are refused.
    assert [(status, json.loads(body)["errorType"]) for status, body in answer["nexts"]] == [
        (403, "Extension.MissingExtensionIdentifier"), (403, "Extension.InvalidExtensionIdentifier"),
        (403, "Extension.UnknownExtensionIdentifier")]


def test_refused_registrations(emulator, tmp_path):
    boot, env = register_runtime(tmp_path, [
        ["internal", '{"events": ["SHUTDOWN"]}', {}],
        ["internal", '{"events": ["INVOKE", "RESTORE"]}', {}],
        [None, '{"events": []}', {}],
        ["internal", "not json", {}],
        ["internal", '{"events": []}', {}],
        ["internal", '{"events": []}', {}],
    ])
    e = emulator(boot, name="regfn", timeout=20, env=env)
    answer = invoke_json(e, {})
    refused = [(status, json.loads(body).get("errorType")) for status, _, body in answer["register"]]
    assert refused == [
        (403, "Extension.InvalidEventType"),  # internal extensions cannot register for SHUTDOWN
        (403, "Extension.InvalidEventType"),  # nor for what is no event
        (403, "Extension.InvalidExtensionName"),
        (403, "InvalidRequestFormat"),
        (200, None),
        (403, "Extension.InvalidExtensionState"),  # the same name twice
    ]


def test_registration_closes_with_the_runtimes_first_next(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="late", timeout=20, env={"FIXTURE_STATE_DIR": str(tmp_path)})
    answer = invoke_json(e, {"action": "register"})
    assert answer["status"] == 403
    assert answer["body"] == {"errorMessage": "Extension registration closed already",
                              "errorType": "Extension.RegistrationClosed"}


def test_an_extension_for_no_events_waits_and_one_for_invoke_gets_each_invocation(emulator, tmp_path):
    quiet = emulator(script_bootstrap(tmp_path), name="quiet", timeout=20,
                     env={"FIXTURE_STATE_DIR": str(tmp_path), "FIXTURE_EXTENSION": ""})
    for _ in range(3):
        report = invoke_json(quiet, {"action": "report"})
    assert report["extension"]["registerStatus"] == 200
    assert report["extension"]["nextReturned"] is False and report["extension"]["events"] == []

    busy = emulator(script_bootstrap(tmp_path, name="bootstrap2"), name="busy", timeout=20,
                    env={"FIXTURE_STATE_DIR": str(tmp_path), "FIXTURE_EXTENSION": "INVOKE"})
    first = invoke_json(busy, {"action": "echo"})
    report = wait_for(lambda: (r := invoke_json(busy, {"action": "report"}))["extension"]["events"] and r,
                      "the extension's INVOKE event")
    event = report["extension"]["events"][0]
    assert event["eventType"] == "INVOKE" and event["requestId"] == first["requestId"]
    assert event["invokedFunctionArn"].endswith(":function:busy") and event["tracing"]["type"] == "X-Amzn-Trace-Id"
    assert isinstance(event["deadlineMs"], int)


def stopped_output(e):
    """Stops `warden emulate` (SIGTERM: its shutdown) and returns everything it printed."""
    e.stop()
    return e.log_path.read_text(errors="replace")


def test_shutdown_with_an_extension_sends_sigterm_and_the_runtime_exits_0(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="graceful", timeout=20,
                 env={"FIXTURE_STATE_DIR": str(tmp_path), "FIXTURE_EXTENSION": "", "FIXTURE_SIGTERM": "exit0"})
    pid = invoke_json(e, {"action": "echo"})["pid"]
    log = stopped_output(e)
    assert "SIGTERM (extensions: fixture-ext)" in log
    assert "fixture: SIGTERM" in log
    assert f"function process {pid} exited: exit status 0 (shutdown, after SIGTERM)" in log


def test_shutdown_sigkills_a_runtime_that_ignores_sigterm(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="stubborn", timeout=20,
                 env={"FIXTURE_STATE_DIR": str(tmp_path), "FIXTURE_EXTENSION": "", "FIXTURE_SIGTERM": "ignore"})
    pid = invoke_json(e, {"action": "echo"})["pid"]
    assert f"function process {pid} exited: signal: killed (shutdown, after SIGTERM)" in stopped_output(e)


def test_shutdown_without_an_extension_sends_no_sigterm(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="abrupt", timeout=20,
                 env={"FIXTURE_STATE_DIR": str(tmp_path), "FIXTURE_SIGTERM": "exit0"})
    pid = invoke_json(e, {"action": "echo"})["pid"]
    log = stopped_output(e)
    assert "no extension registered, SIGKILL" in log
    assert "fixture: SIGTERM" not in log
    assert f"function process {pid} exited: signal: killed (shutdown)" in log


def test_the_extensions_api_is_not_the_runtime_api(emulator, tmp_path):
    e = emulator(script_bootstrap(tmp_path), name="routes", timeout=20, env={"FIXTURE_STATE_DIR": str(tmp_path)})
    status, headers, _ = http_call("GET", f"http://127.0.0.1:{e.port}/2020-01-01/extension/register")
    assert status == 405 and headers["allow"] == "POST"
