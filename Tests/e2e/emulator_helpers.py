"""Helpers for the tests of `warden emulate`'s Managed Instances, tenant, log and extension modelling: a bootstrap
around a Python runtime script, invokes over real HTTP with the headers lower-cased, and invokes run side by side."""
import base64
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from warden_harness import INVOKE_PATH

FIXTURES = Path(__file__).parent / "fixtures"
MI_RUNTIME = FIXTURES / "mi_runtime.py"


def script_bootstrap(tmp_path, script=MI_RUNTIME, name="bootstrap"):
    """An executable that runs `script` with this Python (a Lambda `bootstrap`)."""
    boot = Path(tmp_path) / name
    boot.write_text(f"#!/bin/sh\nexec {sys.executable} {script}\n")
    boot.chmod(0o755)
    return boot


def http_call(method, url, body=None, headers=None, timeout=60):
    """One HTTP request; returns (status, headers with lower-case names, body) for every status."""
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def invoke(emulator, payload, headers=None, timeout=60):
    """POSTs `payload` to the emulator's invoke endpoint."""
    return http_call("POST", f"http://127.0.0.1:{emulator.port}{INVOKE_PATH}", payload, headers, timeout)


def invoke_json(emulator, payload, headers=None):
    """An invoke that must succeed: its JSON answer."""
    status, headers_, body = invoke(emulator, payload, headers)
    assert status == 200 and "x-amz-function-error" not in headers_, (status, headers_, body)
    return json.loads(body)


def side_by_side(calls):
    """Runs the zero-argument `calls` on threads of their own at once; returns their results in order."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=120) for future in futures]


def log_tail(headers):
    """The decoded X-Amz-Log-Result of an invoke's answer headers."""
    return base64.b64decode(headers["x-amz-log-result"]).decode("utf-8", errors="replace")
