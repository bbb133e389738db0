"""The Runtime API contract of 2026 that the loop honours, driven by the real test function binary over a scripted
Runtime API on 127.0.0.1: the invocation id echoed on every answer, the tenant id in the context and in every log
record of its invocation, and a refused answer (410 for an invocation that is over, or any other failure of an
answer) logged while the loop goes on; only a failing `/next` ends the process."""
import json
import os
import queue
import socket
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from conftest import HANG_GUARD, TESTFN, RuntimeAPIHandler

NEXT = "/2018-06-01/runtime/invocation/next"


class ScriptedRuntimeAPI:
    """Serves the given invocations in order (request id, event, extra `/next` headers), answers each `POST` with
    the next status of `answer_statuses` (202 when they run out), and records every request. After the last
    invocation, `/next` answers `next_status_after` (a failure: the process must end; "drop" closes the connection
    without any answer) or holds."""

    def __init__(self, invocations, answer_statuses=(), next_status_after=None, prefix=""):
        self.invocations = list(invocations)
        # A path prefix the Runtime API is served under (AWS_LAMBDA_RUNTIME_API = host:port/prefix).
        self.prefix = prefix
        self.answer_statuses = list(answer_statuses)
        self.next_status_after = next_status_after
        self.requests = queue.Queue()
        # The Extensions API requests (the shutdown extension's registration), apart from the Runtime API's.
        self.extension_requests = queue.Queue()
        self.release = threading.Event()
        outer = self

        class Handler(RuntimeAPIHandler):

            def do_GET(self):
                outer.requests.put(("GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b""))
                if self.path != outer.prefix + NEXT:
                    return self.reply(404)
                if not outer.invocations:
                    if outer.next_status_after == "drop":
                        # The connection dies under the request: no status line at all.
                        self.close_connection = True
                        return self.connection.shutdown(socket.SHUT_RDWR)
                    if outer.next_status_after is not None:
                        return self.reply(outer.next_status_after)
                    outer.release.wait(30)
                    return self.reply(500)
                rid, event, extra = outer.invocations.pop(0)
                standard = {"Lambda-Runtime-Aws-Request-Id": rid,
                            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 30000),
                            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:t"}
                # `extra` adds headers, replaces standard ones, or (with None) leaves them out.
                headers = [(k, v) for k, v in {**standard, **extra}.items() if v is not None]
                self.reply(200, headers, json.dumps(event).encode())

            def do_POST(self):
                body = self.read_body()
                if self.path.startswith(outer.prefix + "/2020-01-01/extension/"):
                    # No Extensions API here (like an older emulator): the runtime must carry on without it.
                    outer.extension_requests.put(("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    return self.reply(404)
                outer.requests.put(("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.answer_statuses.pop(0) if outer.answer_statuses else 202
                self.reply(status, body=b'{"errorMessage":"Invocation has timed out","errorType":"InvalidStateTransition"}'
                           if status == 410 else b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self, count, timeout=20):
        """The next `count` requests the runtime made, in order (fails if they do not come: the process hung)."""
        return [self.requests.get(timeout=timeout) for _ in range(count)]

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def runtime():
    started = []

    def start(api, **env):
        e = {**os.environ, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.port}{api.prefix}", **env}
        proc = subprocess.Popen([str(TESTFN)], env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append((api, proc))
        return proc

    yield start
    for api, proc in started:
        proc.kill()
        proc.wait()
        api.close()


def test_the_invocation_id_is_echoed_on_every_answer(runtime):
    api = ScriptedRuntimeAPI([
        ("req-1", {"action": "echo"}, {"Lambda-Runtime-Invocation-Id": "inv-0001"}),
        ("req-2", {"action": "error"}, {"Lambda-Runtime-Invocation-Id": "inv-0002"}),
        ("req-3", {"action": "stream", "chunks": 2, "chunkBytes": 3}, {"Lambda-Runtime-Invocation-Id": "inv-0003"}),
        ("req-4", {"action": "echo"}, {}),
    ])
    runtime(api)
    requests = api.take(8)
    posts = [r for r in requests if r[0] == "POST"]
    assert [p[1] for p in posts] == ["/2018-06-01/runtime/invocation/req-1/response",
                                     "/2018-06-01/runtime/invocation/req-2/error",
                                     "/2018-06-01/runtime/invocation/req-3/response",
                                     "/2018-06-01/runtime/invocation/req-4/response"]
    assert [p[2].get("lambda-runtime-invocation-id") for p in posts] == ["inv-0001", "inv-0002", "inv-0003", None]


def test_a_path_prefix_and_request_ids_with_characters_a_path_must_encode(runtime):
    # Plain ids go through the URL libcurl parsed once (only its path replaced); an id with other characters as a
    # URL string, as before: either way the answer reaches /{prefix}/2018-06-01/runtime/invocation/{id}/....
    api = ScriptedRuntimeAPI([
        ("req-1", {"action": "echo"}, {}),
        ("req+2:x", {"action": "echo"}, {}),
        ("req_3.~", {"action": "error"}, {}),
        ("req-4", {"action": "echo"}, {}),
    ], prefix="/lambda/rapi")
    runtime(api)
    requests = api.take(8)
    assert [r[1] for r in requests if r[0] == "GET"] == ["/lambda/rapi/2018-06-01/runtime/invocation/next"] * 4
    posts = [r for r in requests if r[0] == "POST"]
    assert [p[1] for p in posts] == ["/lambda/rapi/2018-06-01/runtime/invocation/req-1/response",
                                     "/lambda/rapi/2018-06-01/runtime/invocation/req+2:x/response",
                                     "/lambda/rapi/2018-06-01/runtime/invocation/req_3.~/error",
                                     "/lambda/rapi/2018-06-01/runtime/invocation/req-4/response"]
    bodies = [json.loads(p[3]) for p in posts]
    assert [b.get("requestId") for b in bodies] == ["req-1", "req+2:x", None, "req-4"]
    assert bodies[2]["errorType"] and [b["invocations"] for b in bodies if "invocations" in b] == [1, 2, 4]


def test_the_tenant_id_reaches_the_context_and_every_log_record(runtime):
    for log_format in ("JSON", "Text"):
        api = ScriptedRuntimeAPI([
            ("req-t", {"action": "log"}, {"Lambda-Runtime-Aws-Tenant-Id": "tenant-blue"}),
            ("req-none", {"action": "log"}, {}),
            ("req-empty", {"action": "log"}, {"Lambda-Runtime-Aws-Tenant-Id": ""}),
        ], next_status_after=500)
        proc = runtime(api, AWS_LAMBDA_LOG_FORMAT=log_format, AWS_LAMBDA_LOG_LEVEL="INFO")
        posts = [r for r in api.take(6) if r[0] == "POST"]
        assert [json.loads(p[3])["tenantId"] for p in posts] == ["tenant-blue", None, None]
        out, _ = proc.communicate(timeout=20)
        lines = [l for l in out.decode().splitlines() if "hello from the test function" in l or "contact" in l]
        assert len(lines) == 6, out
        if log_format == "JSON":
            records = [json.loads(l) for l in lines]
            assert [r.get("tenantId") for r in records] == ["tenant-blue"] * 2 + [None] * 4
            assert [r["requestId"] for r in records] == ["req-t"] * 2 + ["req-none"] * 2 + ["req-empty"] * 2
        else:
            assert ["tenantId=tenant-blue" in l for l in lines] == [True] * 2 + [False] * 4
            assert all("tenantId=" not in l for l in lines[2:])


@pytest.mark.parametrize("statuses", [[410], [400], [500], [410, 410]])
def test_a_refused_answer_is_logged_and_the_loop_goes_on(runtime, statuses):
    # The first answer is refused (410: the invocation already timed out), possibly the error report too; the
    # same process then serves the next invocation.
    api = ScriptedRuntimeAPI([("late", {"action": "echo"}, {"Lambda-Runtime-Invocation-Id": "inv-late"}),
                              ("late-error", {"action": "error"}, {}),
                              ("next", {"action": "echo"}, {})], answer_statuses=statuses)
    proc = runtime(api)
    requests = api.take(6)
    assert [(r[0], r[1].rsplit("/", 2)[-2] if r[0] == "POST" else r[1]) for r in requests] == [
        ("GET", NEXT), ("POST", "late"), ("GET", NEXT), ("POST", "late-error"), ("GET", NEXT), ("POST", "next")]
    served = json.loads(requests[5][3])
    assert served["requestId"] == "next" and served["pid"] == proc.pid
    assert proc.poll() is None
    api.close()
    out = proc.stdout.read1(65536).decode() if proc.stdout else ""
    assert "answer not delivered" in out


def test_only_a_failing_next_ends_the_process(runtime):
    api = ScriptedRuntimeAPI([("one", {"action": "echo"}, {})], answer_statuses=[500], next_status_after=503)
    proc = runtime(api)
    assert proc.wait(timeout=20) == 1
    posts = [r for r in api.take(3) if r[0] == "POST"]
    assert [p[1] for p in posts] == ["/2018-06-01/runtime/invocation/one/response"]


@pytest.mark.parametrize("failure", [500, 503, 404, "drop"])
def test_a_failing_or_dropped_next_ends_the_process_with_1_after_serving_what_it_had(runtime, failure):
    api = ScriptedRuntimeAPI([("before", {"action": "echo"}, {})], next_status_after=failure)
    proc = runtime(api)
    assert proc.wait(timeout=20) == 1
    requests = api.take(3)
    assert [(r[0], r[1]) for r in requests] == [("GET", NEXT), ("POST", "/2018-06-01/runtime/invocation/before/response"),
                                                ("GET", NEXT)]
    assert "Runtime API failure" in proc.stdout.read().decode()


@pytest.mark.parametrize("headers", [
    {"Lambda-Runtime-Aws-Request-Id": None},
    {"Lambda-Runtime-Aws-Request-Id": ""},
    {"Lambda-Runtime-Deadline-Ms": None},
    {"Lambda-Runtime-Deadline-Ms": "soon"},
])
def test_a_next_without_a_request_id_or_deadline_ends_the_process_without_answering(runtime, headers):
    api = ScriptedRuntimeAPI([("broken", {"action": "echo"}, headers), ("never", {"action": "echo"}, {})])
    proc = runtime(api)
    assert proc.wait(timeout=20) == 1
    assert [(r[0], r[1]) for r in api.take(1)] == [("GET", NEXT)]
    assert api.requests.empty(), "the runtime answered or polled again after an invocation it cannot name"


@pytest.mark.parametrize("status", [500, "drop"])
def test_a_failing_init_error_report_still_ends_the_process_with_1(status):
    # /init/error itself fails (a 5xx, or nothing listens any more): the process must not hang or poll `/next`.
    api = ScriptedRuntimeAPI([], answer_statuses=[500] if status == 500 else [])
    if status == "drop":
        api.close()
        api.server.server_close()  # connections are refused
    e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}", TESTFN_FAIL_INIT="1")
    proc = subprocess.run([str(TESTFN)], env=e, capture_output=True, timeout=HANG_GUARD)
    assert proc.returncode == 1
    if status == 500:
        [report] = api.take(1)
        assert (report[0], report[1]) == ("POST", "/2018-06-01/runtime/init/error")
        assert report[2]["lambda-runtime-function-error-type"] == "TestFunction.InitFailure"
        assert api.requests.empty()
        api.close()
