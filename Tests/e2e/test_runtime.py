"""The runtime loop over libcurl, driven by the real test function binary."""
import json
import os
import signal
import subprocess

from conftest import HANG_GUARD, TESTFN, FakeRuntimeAPI, wait_for


def run_against(api, env=None):
    """Starts the test function against `api` and returns once it has answered every event and asked for the next
    one (so its answers were posted and its log lines for them written)."""
    e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}{api.prefix}", **(env or {}))
    proc = subprocess.Popen([str(TESTFN)], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert api.done.wait(HANG_GUARD), "hung: the runtime never got through its events"
    return proc


def cpu_ticks(pid):
    """User plus system CPU time of `pid`, in clock ticks (/proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_every_header_and_path_prefix():
    api = FakeRuntimeAPI([("req-1", b'{"action":"echo"}'), ("req-2", b'{"action":"error"}')])
    proc = run_against(api)
    try:
        posts = api.posts()
        assert [p[1] for p in posts] == ["/custom-prefix/2018-06-01/runtime/invocation/req-1/response",
                                          "/custom-prefix/2018-06-01/runtime/invocation/req-2/error"]
        out = json.loads(posts[0][3])
        assert out["requestId"] == "req-1"
        assert out["functionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:t"
        assert out["traceId"].startswith("Root=1-00000000-") and out["envTraceId"] == out["traceId"]
        assert json.loads(out["clientContext"]) == {"client": {"app_title": "e2e"}}
        assert json.loads(out["cognitoIdentity"]) == {"cognitoIdentityId": "id-1"}
        assert 0 < out["remainingMs"] <= 30000
        err_headers = {k.lower(): v for k, v in posts[1][2].items()}
        assert err_headers["lambda-runtime-function-error-type"] == "TestFunction.Failure"
        assert json.loads(posts[1][3]) == {"errorMessage": "the test function was asked to fail",
                                            "errorType": "TestFunction.Failure", "stackTrace": []}
        # One keep-alive connection: no Expect: 100-continue on any post.
        assert all("expect" not in {k.lower() for k in p[2]} for p in posts)
    finally:
        proc.kill()
        api.close()


def test_init_failure_posts_init_error_and_exits_nonzero():
    api = FakeRuntimeAPI([])
    e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}{api.prefix}", TESTFN_FAIL_INIT="1")
    proc = subprocess.run([str(TESTFN)], env=e, capture_output=True, timeout=HANG_GUARD)
    try:
        assert proc.returncode != 0
        posts = api.posts()
        assert [p[1] for p in posts] == ["/custom-prefix/2018-06-01/runtime/init/error"]
        assert {k.lower(): v for k, v in posts[0][2].items()}["lambda-runtime-function-error-type"] == "TestFunction.InitFailure"
        assert json.loads(posts[0][3])["errorType"] == "TestFunction.InitFailure"
        assert not any(r[1].endswith("/next") for r in api.requests)
    finally:
        api.close()


def test_response_over_6mb_becomes_error():
    api = FakeRuntimeAPI([("big", b'{"action":"big","bytes":6291457}'), ("ok", b'{"action":"big","bytes":6291000}')])
    proc = run_against(api)
    try:
        posts = api.posts()
        assert posts[0][1].endswith("/invocation/big/error")
        assert json.loads(posts[0][3])["errorType"] == "Function.ResponseSizeTooLarge"
        assert posts[1][1].endswith("/invocation/ok/response")
        assert len(posts[1][3]) == 6291002
    finally:
        proc.kill()
        api.close()


def test_trace_id_is_exported_per_invocation():
    api = FakeRuntimeAPI([("a1", b"{}"), ("b2", b"{}")])
    proc = run_against(api)
    try:
        outs = [json.loads(p[3]) for p in api.posts()]
        assert outs[0]["envTraceId"] != outs[1]["envTraceId"]
        assert [o["envTraceId"] == o["traceId"] for o in outs] == [True, True]
    finally:
        proc.kill()
        api.close()


def test_json_logs_parse_with_level_timestamp_and_redaction():
    api = FakeRuntimeAPI([("log-1", b'{"action":"log"}')])
    proc = run_against(api, env={"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})
    proc.kill()
    out, _ = proc.communicate(timeout=HANG_GUARD)
    api.close()
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    assert lines, "no log lines"
    for line in lines:
        assert line["level"] in {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
        assert line["timestamp"].endswith("Z") and len(line["timestamp"]) == 24
    messages = [l["message"] for l in lines]
    assert "hello from the test function" in messages
    assert "debug line" not in messages  # below AWS_LAMBDA_LOG_LEVEL
    assert all(l.get("requestId") == "log-1" for l in lines if l["message"] == "hello from the test function")
    text = out.decode()
    assert "jane@example.com" not in text and "bob@example.org" not in text


def test_text_log_format_and_debug_level():
    api = FakeRuntimeAPI([("log-2", b'{"action":"log"}')])
    proc = run_against(api, env={"AWS_LAMBDA_LOG_FORMAT": "Text", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"})
    proc.kill()
    out, _ = proc.communicate(timeout=HANG_GUARD)
    api.close()
    lines = out.decode().splitlines()
    assert any(l.split("\t")[1:3] == ["log-2", "DEBUG"] for l in lines)
    assert "jane@example.com" not in out.decode()


def sigterm_mid_invocation(proc, answers):
    """Sends SIGTERM to `proc` while its handler certainly runs: waits for 100 ms of its CPU (only spent spinning in
    the handler once it has its event), holds it with SIGSTOP, checks nothing was answered yet (`answers()`), then
    SIGTERM and SIGCONT — so the signal arrives mid-invocation however slowly the machine runs."""
    taken = cpu_ticks(proc.pid)
    wait_for(lambda: cpu_ticks(proc.pid) - taken >= 10, "the handler running")
    proc.send_signal(signal.SIGSTOP)
    assert answers() == [], "the invocation ended before the test could hold it (the machine stalled)"
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGCONT)


def test_sigterm_finishes_the_invocation_in_flight_then_exits_0():
    # The handler spins for 2 s (the test function's `sleep`). The test holds it mid-invocation with SIGSTOP, so
    # SIGTERM certainly arrives while the invocation is in flight, however slowly the machine runs.
    api = FakeRuntimeAPI([("slow", b'{"action":"sleep","ms":2000}')])
    e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}{api.prefix}")
    proc = subprocess.Popen([str(TESTFN)], env=e, stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: not api.events, "the runtime asking for its event")
        sigterm_mid_invocation(proc, api.posts)
        # It finishes the invocation (its answer is posted), then exits 0 instead of asking for the next one.
        assert proc.wait(timeout=HANG_GUARD) == 0
        assert [p[1] for p in api.posts()] == ["/custom-prefix/2018-06-01/runtime/invocation/slow/response"]
        assert [r[1] for r in api.requests if r[0] == "GET"] == ["/custom-prefix/2018-06-01/runtime/invocation/next"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        api.close()


def test_sigterm_while_idle_exits_0_at_once():
    api = FakeRuntimeAPI([])
    e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}{api.prefix}")
    proc = subprocess.Popen([str(TESTFN)], env=e, stdout=subprocess.DEVNULL)
    try:
        assert api.done.wait(HANG_GUARD), "hung: the runtime never asked for an event"
        proc.send_signal(signal.SIGTERM)
        # Exit status 0 is SIGTERM's: the Runtime API holds `next` for 30 s and then fails it, which would be 1.
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        api.close()


def test_missing_runtime_api_exits_nonzero():
    e = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    assert subprocess.run([str(TESTFN)], env=e, capture_output=True, timeout=HANG_GUARD).returncode != 0
