"""AWS's own runtime interface client (awslambdaric, from PyPI) runs on our emulator."""
import json
import sys

from conftest import ROOT


def make_function(tmp_path):
    (tmp_path / "app.py").write_text(
        "def ok(event, context):\n"
        "    return {'echo': event, 'requestId': context.aws_request_id, 'fn': context.function_name,\n"
        "            'tenant': context.tenant_id}\n"
        "def boom(event, context):\n"
        "    raise ValueError('handler exploded')\n")
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
