"""Lambda response streaming, end to end: the real test function's static runtime (libcurl, chunked upload with
trailers) streaming through `warden emulate` (Runtime API in streaming mode, the RIE invoke endpoint answering
chunked with error trailers), read by a chunk parser of our own so every byte, chunk and trailer is seen, and what the
emulator had logged when each chunk arrived."""
import base64
import json
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import HANG_GUARD, TESTFN, WARDEN, wait_for

MIB = 1024 * 1024
STREAM_LIMIT = 20 * MIB
TRAILER_NAMES = {"lambda-runtime-function-error-type", "lambda-runtime-function-error-body"}
PATTERN = bytes(range(251))


def pattern(n, start=0):
    """The test function's stream content: byte i of the whole stream is i % 251."""
    reps = (start + n) // 251 + 2
    return (PATTERN * reps)[start % 251:start % 251 + n]


class ChunkedReader:
    """A minimal HTTP/1.1 response reader over a socket file: head, chunked body (with arrival times) and trailers."""

    def __init__(self, f):
        self.f = f

    def line(self):
        data = self.f.readline(65537)
        if not data.endswith(b"\r\n"):
            raise AssertionError(f"truncated line: {data[:80]!r}")
        return data[:-2]

    def head(self):
        status_line = self.line().decode("latin-1")
        version, status, _ = (status_line.split(" ", 2) + [""])[:3]
        headers = []
        while True:
            raw = self.line()
            if not raw:
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        return version, int(status), headers

    def chunked(self, on_chunk=None):
        """Returns ([bytes of each chunk], trailers as a list of (name, value)); checks the framing strictly.
        `on_chunk(n, data)` runs as chunk n (from 1) arrives, before the next one is read."""
        chunks = []
        while True:
            size_line = self.line()
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            data = self.f.read(size)
            assert len(data) == size, "chunk cut short"
            assert self.f.read(2) == b"\r\n", "chunk not followed by CRLF"
            chunks.append(data)
            if on_chunk:
                on_chunk(len(chunks), data)
        trailers = []
        while True:
            raw = self.line()
            if not raw:
                break
            name, _, value = raw.decode("latin-1").partition(":")
            trailers.append((name.strip(), value.strip()))
        return chunks, trailers


class StreamedReply:
    def __init__(self, status, headers, chunks, trailers, body=None):
        self.status = status
        self.headers = headers
        self.chunks = chunks
        self.trailers = trailers
        self._body = body

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[0] if values else None

    @property
    def body(self):
        return self._body if self._body is not None else b"".join(self.chunks)

    def trailer(self, name):
        values = [v for k, v in self.trailers if k.lower() == name.lower()]
        return values[0] if values else None

    def error_document(self):
        return json.loads(base64.b64decode(self.trailer("Lambda-Runtime-Function-Error-Body"), validate=True))


def invoke_raw(port, payload, timeout=HANG_GUARD, on_chunk=None):
    """POSTs `payload` to the invoke endpoint over a raw socket and reads the reply, chunked or not. A chunked reply
    calls `on_chunk(n, data, headers)` as chunk n arrives. `timeout`: a hang guard on each read."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"POST /2015-03-31/functions/function/invocations HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/json\r\nContent-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data)
        reader = ChunkedReader(s.makefile("rb"))
        _, status, headers = reader.head()
        lower = {k.lower(): v for k, v in headers}
        if lower.get("transfer-encoding", "").lower() == "chunked":
            chunks, trailers = reader.chunked(on_chunk and (lambda n, chunk: on_chunk(n, chunk, lower)))
            return StreamedReply(status, headers, chunks, trailers)
        body = reader.f.read(int(lower.get("content-length", "0")))
        return StreamedReply(status, headers, [], [], body=body)


def report_line(emulator, request_id):
    """The emulator's REPORT line of `request_id`, once it is logged."""
    def report():
        m = re.search(rf"^REPORT RequestId: {request_id}\t.*$", emulator.output(), re.M)
        return m and m.group(0)

    return wait_for(report, lambda: f"the REPORT of {request_id}:\n{emulator.output()[-2000:]}")


def process_alive(pid):
    """Whether `pid` still runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def echo(emulator):
    status, _, out = emulator.invoke({"action": "echo"})
    assert status == 200
    return json.loads(out)


def test_a_15mb_stream_arrives_byte_exact_with_chunked_encoding(emulator):
    e = emulator(TESTFN, name="testfn", timeout=30)
    chunks, size = 229, 65536  # 15,007,744 bytes: well past the 6 MB buffered limit
    r = invoke_raw(e.port, {"action": "stream", "chunks": chunks, "chunkBytes": size})
    assert r.status == 200
    assert r.header("Transfer-Encoding").lower() == "chunked"
    assert r.header("Content-Length") is None
    assert r.header("Content-Type") == "application/octet-stream"
    assert {n.strip().lower() for n in r.header("Trailer").split(",")} == TRAILER_NAMES
    assert r.header("X-Amz-Function-Error") is None
    body = r.body
    assert len(body) == chunks * size
    assert body == pattern(chunks * size)
    assert r.trailers == []  # a stream that ended well carries no error trailers
    rid = r.header("X-Amzn-RequestId")
    report = report_line(e, rid)
    assert "Status:" not in report
    log = e.output()
    assert f"START RequestId: {rid} Version: $LATEST" in log and f"END RequestId: {rid}" in log


def test_chunks_arrive_while_the_function_is_still_running(emulator):
    e = emulator(TESTFN, name="testfn", timeout=30)
    echo(e)
    # The function pauses 1 s before each chunk after the first: when the bytes of its first and second chunks
    # reach the caller, the invocation must still be running (no END line yet): forwarded as they came, not held
    # until the stream ended.
    arrivals, received = [], [0]

    def on_chunk(n, data, headers):
        arrivals.append((received[0], f"END RequestId: {headers['x-amzn-requestid']}" in e.output()))
        received[0] += len(data)

    r = invoke_raw(e.port, {"action": "stream-sleep", "chunks": 3, "chunkBytes": 100, "sleepMs": 1000},
                   on_chunk=on_chunk)
    assert r.status == 200 and r.body == pattern(300)
    early = [ended for offset, ended in arrivals if offset < 200]  # the bytes of the function's chunks 1 and 2
    assert early and not any(early), arrivals
    assert len(arrivals) >= 3, arrivals  # each chunk on its own
    # The invocation ends after its last chunk.
    rid = r.header("X-Amzn-RequestId")
    report_line(e, rid)
    assert f"END RequestId: {rid}" in e.output()


def test_failure_midway_arrives_as_trailers_and_the_process_serves_on(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    before = echo(e)
    r = invoke_raw(e.port, {"action": "stream-fail", "chunks": 3, "chunkBytes": 1000})
    assert r.status == 200
    assert {n.strip().lower() for n in r.header("Trailer").split(",")} == TRAILER_NAMES
    assert r.body == pattern(3000)  # what was sent before the failure arrives
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "TestFunction.Failure"
    assert r.error_document() == {"errorMessage": "the test function was asked to fail",
                                  "errorType": "TestFunction.Failure", "stackTrace": []}
    rid = r.header("X-Amzn-RequestId")
    assert f"END RequestId: {rid}" in e.output()
    report_line(e, rid)
    after = echo(e)
    assert after["pid"] == before["pid"] and after["invocations"] == before["invocations"] + 2


def test_a_plain_error_midway_is_reported_generically_and_leaks_nothing(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    r = invoke_raw(e.port, {"action": "stream-fail", "chunks": 1, "chunkBytes": 10, "plain": True})
    assert r.body == pattern(10)
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "Runtime.HandlerError"
    assert r.error_document() == {"errorMessage": "The handler failed.", "errorType": "Runtime.HandlerError",
                                  "stackTrace": []}
    assert "hunter2" not in e.output()


def test_failure_before_the_first_chunk_still_streams_the_error(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    r = invoke_raw(e.port, {"action": "stream-fail", "chunks": 0})
    assert r.status == 200 and r.body == b""
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "TestFunction.Failure"


def test_a_timeout_midway_ends_with_sandbox_timedout_trailers(emulator):
    e = emulator(TESTFN, name="testfn", timeout=2)
    before = echo(e)
    r = invoke_raw(e.port, {"action": "stream-sleep", "chunks": 20, "chunkBytes": 50, "sleepMs": 400})
    assert r.status == 200
    body = r.body
    assert 0 < len(body) < 20 * 50 and body == pattern(len(body))  # cut at the timeout, intact up to there
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "Sandbox.Timedout"
    doc = r.error_document()
    assert doc["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 2.00 seconds" in doc["errorMessage"]
    # Ended at the 2 s deadline, not when the function would have (20 × 400 ms): the stream was cut short (above)
    # by the emulator's timeout, which killed the process that was still producing it.
    rid = r.header("X-Amzn-RequestId")
    report = report_line(e, rid)
    assert "\tStatus: timeout" in report
    log = e.output()
    assert log.index(f"START RequestId: {rid}") < log.index("Task timed out after 2.00 seconds") \
        < log.index(f"END RequestId: {rid}"), log[-2000:]
    wait_for(lambda: not process_alive(before["pid"]), "the timed-out process being killed")
    after = echo(e)
    assert after["pid"] != before["pid"]  # a fresh process serves the next invocation


def test_a_crash_midway_ends_with_runtime_exit_error_trailers(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    before = echo(e)
    r = invoke_raw(e.port, {"action": "stream-crash", "chunks": 2, "chunkBytes": 100})
    assert r.body == pattern(200)
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "Runtime.ExitError"
    doc = r.error_document()
    assert doc["errorType"] == "Runtime.ExitError" and "exit status 3" in doc["errorMessage"]
    assert "\tStatus: error\tError Type: Runtime.ExitError" in report_line(e, r.header("X-Amzn-RequestId"))
    assert echo(e)["pid"] != before["pid"]


def test_over_20_mib_is_cut_with_response_size_too_large_and_the_process_serves_on(emulator):
    e = emulator(TESTFN, name="testfn", timeout=30)
    before = echo(e)
    chunks, size = 21 * 16, 65536  # 21 MiB
    r = invoke_raw(e.port, {"action": "stream", "chunks": chunks, "chunkBytes": size})
    assert r.status == 200
    body = r.body
    assert len(body) == STREAM_LIMIT  # exactly the limit, the rest discarded
    assert body == pattern(STREAM_LIMIT)
    assert r.trailer("Lambda-Runtime-Function-Error-Type") == "Function.ResponseSizeTooLarge"
    doc = r.error_document()
    assert doc["errorType"] == "Function.ResponseSizeTooLarge"
    assert f"({chunks * size} bytes)" in doc["errorMessage"] and f"({STREAM_LIMIT} bytes)" in doc["errorMessage"]
    report_line(e, r.header("X-Amzn-RequestId"))
    # The runtime took the Runtime API's 413 in its stride: same process, same libcurl handle, next invocation.
    after = echo(e)
    assert after["pid"] == before["pid"] and after["invocations"] == before["invocations"] + 2
    assert "Runtime.ExitError" not in e.output()


def test_the_function_url_prelude_arrives_intact(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    event = {"action": "stream-http", "statusCode": 201, "headers": {"content-type": "text/csv", "x-export": "1"},
             "cookies": ["a=b; Secure", "c=d"], "body": "id,name\n", "chunks": 3}
    r = invoke_raw(e.port, event)
    assert r.status == 200
    assert r.header("Content-Type") == "application/vnd.awslambda.http-integration-response"
    body = r.body
    head, sep, rest = body.partition(b"\0" * 8)
    assert sep, "no 8-NUL delimiter"
    assert json.loads(head) == {"statusCode": 201, "headers": {"content-type": "text/csv", "x-export": "1"},
                                "cookies": ["a=b; Secure", "c=d"]}
    assert head == b'{"statusCode":201,"headers":{"content-type":"text/csv","x-export":"1"},"cookies":["a=b; Secure","c=d"]}'
    assert rest == b"id,name\n" * 3
    assert r.trailers == []


def test_buffered_responses_are_unchanged_next_to_streams(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    invoke_raw(e.port, {"action": "stream", "chunks": 2, "chunkBytes": 10})
    r = invoke_raw(e.port, {"action": "echo"})
    assert r.status == 200 and r.header("Content-Length") is not None and r.header("Trailer") is None
    assert r.header("Content-Type") == "application/json"
    assert json.loads(r.body)["invocations"] == 2
    r = invoke_raw(e.port, {"action": "error"})
    assert r.header("X-Amz-Function-Error") == "Unhandled"
    assert json.loads(r.body)["errorType"] == "TestFunction.Failure"


def test_the_buffered_invoke_api_gets_the_stream_concatenated():
    """`warden invoke` uses the emulator's buffered API: a streamed response comes back whole, an error as the error."""
    args = [str(WARDEN), "invoke", "testfn", "-", "--bootstrap", str(TESTFN), "--no-sign", "--timeout", "10"]
    out = subprocess.run(args, input=b'{"action":"stream","chunks":5,"chunkBytes":3000}', capture_output=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == pattern(15000) + b"\n"
    out = subprocess.run(args, input=b'{"action":"stream-fail","chunks":2}', capture_output=True, timeout=60)
    assert out.returncode == 1
    assert json.loads(out.stdout)["errorType"] == "TestFunction.Failure"


def raw_runtime_post(port, path, head_extra, body_chunks, trailers=b""):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        req = (f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n{head_extra}\r\n").encode()
        for c in body_chunks:
            req += f"{len(c):x}\r\n".encode() + c + b"\r\n"
        req += b"0\r\n" + trailers + b"\r\n"
        s.sendall(req)
        reader = ChunkedReader(s.makefile("rb"))
        _, status, headers = reader.head()
        n = int({k.lower(): v for k, v in headers}.get("content-length", "0"))
        return status, reader.f.read(n)


def test_a_streamed_response_for_an_unknown_request_id_is_refused_and_changes_nothing(emulator):
    e = emulator(TESTFN, name="testfn", timeout=10)
    before = echo(e)
    status, body = raw_runtime_post(
        e.port, "/2018-06-01/runtime/invocation/not-the-one/response",
        "Lambda-Runtime-Function-Response-Mode: streaming\r\nContent-Type: text/plain\r\n",
        [b"forged ", b"bytes"],
        b"Lambda-Runtime-Function-Error-Type: Forged.Error\r\n")
    assert status == 400
    assert json.loads(body)["errorType"] == "InvalidRequestID"
    after = echo(e)
    assert after["pid"] == before["pid"] and after["invocations"] == before["invocations"] + 1
    assert "Forged.Error" not in e.output() and "forged" not in e.output()


class RawRuntimeAPI:
    """A Runtime API over raw sockets that records each request's head, chunk sizes, body and trailers, and the
    connection it came on, so the runtime's streaming requests can be checked on the wire."""

    def __init__(self, events):
        self.events = list(events)
        self.requests = []
        self.connections = 0
        self.done = threading.Event()
        self.closed = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn, self.connections), daemon=True).start()

    def _serve(self, conn, number):
        f = conn.makefile("rb")
        reader = ChunkedReader(f)
        try:
            while True:
                request_line = f.readline()
                if not request_line:
                    return
                method, path, _ = request_line.decode().split(" ", 2)
                headers = []
                while True:
                    raw = reader.line()
                    if not raw:
                        break
                    name, _, value = raw.decode("latin-1").partition(":")
                    headers.append((name.strip(), value.strip()))
                lower = {k.lower(): v for k, v in headers}
                sizes, trailers, body = [], [], b""
                if lower.get("transfer-encoding", "").lower() == "chunked":
                    chunks, trailers = reader.chunked()
                    sizes = [len(c) for c in chunks]
                    body = b"".join(chunks)
                elif "content-length" in lower:
                    body = f.read(int(lower["content-length"]))
                if path.startswith("/2020-01-01/extension/"):
                    # No Extensions API here: the runtime registers no shutdown extension and carries on.
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                    continue
                self.requests.append({"method": method, "path": path, "headers": headers, "sizes": sizes,
                                      "body": body, "trailers": trailers, "connection": number})
                if method == "GET":
                    if not self.events:
                        self.done.set()
                        self.closed.wait(HANG_GUARD)  # holds `next`, as the Runtime API does, until closed
                        return
                    rid, event = self.events.pop(0)
                    conn.sendall((f"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: {rid}\r\n"
                                  f"Lambda-Runtime-Deadline-Ms: {int(time.time() * 1000) + 30000}\r\n"
                                  "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:t\r\n"
                                  f"Content-Length: {len(event)}\r\n\r\n").encode() + event)
                else:
                    conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}")
        except (OSError, AssertionError, ValueError):
            return

    def posts(self):
        return [r for r in self.requests if r["method"] == "POST"]

    def close(self):
        self.closed.set()
        self.sock.close()


def test_the_runtime_posts_streams_with_lambdas_headers_and_trailers_on_one_connection():
    import os
    api = RawRuntimeAPI([
        ("s1", b'{"action":"stream","chunks":3,"chunkBytes":70000}'),
        ("s2", b'{"action":"stream-fail","chunks":2,"chunkBytes":5}'),
        ("s3", b'{"action":"stream-http","statusCode":202,"body":"x","chunks":1}'),
        ("b4", b'{"action":"echo"}'),
        ("s5", b'{"action":"stream","chunks":1,"chunkBytes":7}'),
        ("e6", b'{"action":"error"}'),
    ])
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}")
    proc = subprocess.Popen([str(TESTFN)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert api.done.wait(HANG_GUARD), "hung: the runtime did not get through its events"
        posts = api.posts()
        assert [p["path"] for p in posts] == [
            "/2018-06-01/runtime/invocation/s1/response", "/2018-06-01/runtime/invocation/s2/response",
            "/2018-06-01/runtime/invocation/s3/response", "/2018-06-01/runtime/invocation/b4/response",
            "/2018-06-01/runtime/invocation/s5/response", "/2018-06-01/runtime/invocation/e6/error"]
        streamed = [posts[i] for i in (0, 1, 2, 4)]
        for p in streamed:
            h = {k.lower(): v for k, v in p["headers"]}
            assert h["lambda-runtime-function-response-mode"] == "streaming"
            assert h["transfer-encoding"] == "chunked"
            assert "content-length" not in h and "expect" not in h
            assert {n.strip().lower() for n in h["trailer"].split(",")} == TRAILER_NAMES
        assert {k.lower(): v for k, v in posts[0]["headers"]}["content-type"] == "application/octet-stream"
        assert posts[0]["body"] == pattern(210000) and posts[0]["trailers"] == []
        assert len(posts[0]["sizes"]) >= 3  # sent as it came, not as one block
        assert posts[1]["body"] == pattern(10)
        t = {k: v for k, v in posts[1]["trailers"]}
        assert set(t) == {"Lambda-Runtime-Function-Error-Type", "Lambda-Runtime-Function-Error-Body"}
        assert t["Lambda-Runtime-Function-Error-Type"] == "TestFunction.Failure"
        assert json.loads(base64.b64decode(t["Lambda-Runtime-Function-Error-Body"], validate=True)) == {
            "errorMessage": "the test function was asked to fail", "errorType": "TestFunction.Failure",
            "stackTrace": []}
        h3 = {k.lower(): v for k, v in posts[2]["headers"]}
        assert h3["content-type"] == "application/vnd.awslambda.http-integration-response"
        assert posts[2]["body"] == b'{"statusCode":202,"headers":{},"cookies":[]}' + b"\0" * 8 + b"x"
        # A buffered response after streams goes out as before: Content-Length, no streaming headers.
        h4 = {k.lower(): v for k, v in posts[3]["headers"]}
        assert "lambda-runtime-function-response-mode" not in h4 and "transfer-encoding" not in h4
        assert int(h4["content-length"]) == len(posts[3]["body"]) and json.loads(posts[3]["body"])["requestId"] == "b4"
        assert posts[4]["body"] == pattern(7) and posts[4]["trailers"] == []
        assert {k.lower(): v for k, v in posts[5]["headers"]}["lambda-runtime-function-error-type"] == "TestFunction.Failure"
        # Every Runtime API request, streamed or not, on the one keep-alive connection.
        assert len({r["connection"] for r in api.requests}) == 1, [(r["path"], r["connection"]) for r in api.requests]
    finally:
        proc.kill()
        proc.wait(5)
        api.close()
