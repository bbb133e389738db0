"""AWS's own runtime interface client (awslambdaric, from PyPI) runs on our emulator: one invocation at a time, and
as Lambda Managed Instances run it (AWS_LAMBDA_MAX_CONCURRENCY workers, one forked process each, polling /next
together)."""
import json
import sys
import threading

from conftest import wait_for
from emulator_helpers import invoke


def make_function(tmp_path):
    (tmp_path / "app.py").write_text(
        "import os, pathlib, time\n"
        "def ok(event, context):\n"
        "    return {'echo': event, 'requestId': context.aws_request_id, 'fn': context.function_name,\n"
        "            'tenant': context.tenant_id}\n"
        "def boom(event, context):\n"
        "    raise ValueError('handler exploded')\n"
        "def slow(event, context):\n"
        "    # Marks itself started, waits until `parties` invocations have (deadline 30 s), then until released.\n"
        "    state = pathlib.Path(os.environ['STATE_DIR'])\n"
        "    (state / ('started-' + context.aws_request_id)).write_text(context.tenant_id or '')\n"
        "    deadline = time.monotonic() + 30\n"
        "    while len(list(state.glob('started-*'))) < event['parties'] and time.monotonic() < deadline:\n"
        "        time.sleep(0.01)\n"
        "    together = len(list(state.glob('started-*')))\n"
        "    while not (state / 'release').exists() and time.monotonic() < deadline + 30:\n"
        "        time.sleep(0.01)\n"
        "    return {'together': together, 'tenant': context.tenant_id, 'requestId': context.aws_request_id,\n"
        "            'pid': os.getpid(), 'ppid': os.getppid(),\n"
        "            'maxConcurrency': os.environ.get('AWS_LAMBDA_MAX_CONCURRENCY')}\n")
    boot = tmp_path / "bootstrap"
    boot.write_text(f"#!/bin/sh\ncd {tmp_path}\nexec {sys.executable} -m awslambdaric \"$_HANDLER\"\n")
    boot.chmod(0o755)
    return boot


def test_python_handler_result_comes_back(emulator, tmp_path):
    e = emulator(make_function(tmp_path), name="pyfn", extra_args=["--handler", "app.ok"], timeout=20)
    status, _, out = e.invoke({"hello": "world"})
    assert status == 200
    body = json.loads(out)
    assert body["echo"] == {"hello": "world"} and body["fn"] == "pyfn" and body["requestId"]
    # Warm: the second invoke is served by the same process.
    status, _, out2 = e.invoke({"n": 2})
    assert json.loads(out2)["echo"] == {"n": 2}


def test_python_handler_error_comes_back(emulator, tmp_path):
    e = emulator(make_function(tmp_path), name="pyfn", extra_args=["--handler", "app.boom"], timeout=20)
    status, headers, out = e.invoke({})
    body = json.loads(out)
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "handler exploded"
    assert {k.lower(): v for k, v in headers.items()}.get("x-amz-function-error") == "Unhandled"


def test_the_invoke_apis_tenant_id_reaches_awslambdaric(emulator, tmp_path):
    # Tenant isolation mode: the Invoke API's X-Amz-Tenant-Id arrives as Lambda-Runtime-Aws-Tenant-Id, which AWS's
    # own client puts in context.tenant_id; an invoke without one has none.
    e = emulator(make_function(tmp_path), name="pyfn", extra_args=["--handler", "app.ok"], timeout=20)
    status, _, out = e.invoke({"n": 1}, headers={"X-Amz-Tenant-Id": "tenant-blue"})
    assert status == 200 and json.loads(out)["tenant"] == "tenant-blue"
    status, _, out = e.invoke({"n": 2})
    assert status == 200 and json.loads(out)["tenant"] is None


def test_awslambdaric_runs_four_invocations_at_once_on_managed_instances(emulator, tmp_path):
    # AWS_LAMBDA_MAX_CONCURRENCY=4 (set by the emulator, as Lambda sets it): awslambdaric forks four workers.
    state = tmp_path / "state"
    state.mkdir()
    e = emulator(make_function(tmp_path), name="pyfn", timeout=60, env={"STATE_DIR": str(state)},
                 extra_args=["--handler", "app.slow", "--max-concurrency", "4"])
    results = {}

    def call(tenant):
        results[tenant] = invoke(e, {"parties": 4}, {"X-Amz-Tenant-Id": tenant})

    threads = [threading.Thread(target=call, args=(f"tenant-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    # All four are inside the handler at once: they overlap by cause, not by timing.
    wait_for(lambda: len(list(state.glob("started-*"))) == 4, "four invocations in flight together")
    # A fifth, while the four are busy, is refused as Lambda Managed Instances refuse it.
    status, headers, body = invoke(e, {"parties": 4}, {"X-Amz-Tenant-Id": "tenant-5"})
    assert status == 429 and headers["x-amzn-errortype"] == "TooManyRequestsException", (status, body)
    (state / "release").touch()
    for t in threads:
        t.join(timeout=90)
    answers = {tenant: json.loads(body) for tenant, (status, _, body) in results.items() if status == 200}
    assert sorted(answers) == [f"tenant-{i}" for i in range(4)], results
    for tenant, answer in answers.items():
        # Each saw all four started, and its own tenant id in context.tenant_id.
        assert answer["together"] == 4 and answer["tenant"] == tenant and answer["maxConcurrency"] == "4"
    # Four worker processes of one runtime process.
    assert len({a["pid"] for a in answers.values()}) == 4 and len({a["ppid"] for a in answers.values()}) == 1
    assert {p.read_text() for p in state.glob("started-*")} == set(answers)
