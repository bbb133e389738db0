"""Lambda Managed Instances and shutdown, driven by the real test function binary over a Runtime API on 127.0.0.1:
`AWS_LAMBDA_MAX_CONCURRENCY=N` runs N workers that poll `/next` at once and serve invocations side by side, each
with its own context (request id, tenant id, trace id, log records); the internal shutdown extension is registered
before the first `/next`; SIGTERM lets the invocations in flight finish, interrupts idle workers and exits 0.

Concurrency is shown by cause, not by timing: the Runtime API below holds every answer until N invocations have been
handed out, which a runtime serving one invocation at a time can never reach."""
import json
import os
import signal
import subprocess
import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from conftest import HANG_GUARD, TESTFN, RuntimeAPIHandler
from test_runtime import sigterm_mid_invocation

PREFIX = "/2018-06-01/runtime"
EXT = "/2020-01-01/extension"


class GatedRuntimeAPI:
    """Serves `events` (request id, event, extra `/next` headers) in order and records every request in one ordered
    log. Answers (`POST`s) wait until `hold_answers_until` invocations have been handed out, and with `overlap` the
    k-th answer waits until k + `overlap` have been (or all of them): `overlap` invocations are always in flight
    together. A gate that stays shut for HANG_GUARD answers 500 and sets `gate_timed_out`. Once the events run out,
    `/next` is held until `close()`. `extensions` serves the Extensions API like Lambda for an internal extension."""

    def __init__(self, events, hold_answers_until=0, extensions=True, overlap=0):
        self.events = list(events)
        self.total = len(self.events)
        self.hold = hold_answers_until
        self.overlap = overlap
        self.answered = 0
        self.extensions = extensions
        self.log = []  # (method, path, headers, body), in arrival order
        self.delivered = 0
        self.waiting_next = 0  # /next requests held right now (events ran out)
        self.gate_timed_out = False
        self.cond = threading.Condition()
        self.closed = threading.Event()
        outer = self

        class Handler(RuntimeAPIHandler):

            def record(self, body=b""):
                with outer.cond:
                    outer.log.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    outer.cond.notify_all()

            def do_GET(self):
                self.record()
                if self.path == EXT + "/event/next" and outer.extensions:
                    outer.closed.wait(HANG_GUARD)
                    return self.reply(500)
                if self.path != PREFIX + "/invocation/next":
                    return self.reply(404)
                with outer.cond:
                    if outer.events:
                        rid, event, extra = outer.events.pop(0)
                        outer.delivered += 1
                        outer.cond.notify_all()
                    else:
                        rid = None
                        outer.waiting_next += 1
                        outer.cond.notify_all()
                if rid is None:
                    outer.closed.wait(HANG_GUARD)
                    return self.reply(500)
                headers = [("Lambda-Runtime-Aws-Request-Id", rid),
                           ("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000)),
                           ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:t"),
                           ("Lambda-Runtime-Trace-Id", f"Root=1-00000000-{rid:0>24};Sampled=0"),
                           ("Lambda-Runtime-Invocation-Id", f"inv-{rid}"),
                           *extra.items()]
                self.reply(200, headers, json.dumps(event).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.record(body)
                if self.path.startswith(EXT + "/"):
                    if outer.extensions and self.path == EXT + "/register":
                        return self.reply(200, [("Lambda-Extension-Identifier", "ext-id-1")],
                                          b'{"functionName":"t","functionVersion":"$LATEST","handler":"bootstrap"}')
                    return self.reply(404)
                with outer.cond:
                    need = max(outer.hold, min(outer.total, outer.answered + outer.overlap))
                    outer.answered += 1
                    if not outer.cond.wait_for(lambda: outer.delivered >= need, HANG_GUARD):
                        outer.gate_timed_out = True
                        return self.reply(500)
                self.reply(202)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answers(self):
        with self.cond:
            return [r for r in self.log if r[0] == "POST" and r[1].startswith(PREFIX + "/invocation/")]

    def wait(self, condition, what):
        with self.cond:
            assert self.cond.wait_for(lambda: condition(self), HANG_GUARD), f"hung: {what}"

    def close(self):
        self.closed.set()
        self.server.shutdown()


@pytest.fixture
def start():
    started = []

    def run(api, **env):
        e = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}", AWS_LAMBDA_LOG_FORMAT="JSON", **env)
        proc = subprocess.Popen([str(TESTFN)], env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        started.append((api, proc))
        return proc

    yield run
    for api, proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        api.close()


def records(proc):
    """The JSON log records the process wrote (it has exited or been killed)."""
    out = proc.stdout.read().decode()
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_four_workers_take_four_invocations_at_once_each_with_its_own_context(start):
    events = [(f"r{i}", {"action": "log"}, {"Lambda-Runtime-Aws-Tenant-Id": f"tenant-{i}"}) for i in range(8)]
    api = GatedRuntimeAPI(events, hold_answers_until=4)
    proc = start(api, AWS_LAMBDA_MAX_CONCURRENCY="4")
    api.wait(lambda a: len(a.answers()) == 8 and a.waiting_next == 4, "eight answers, then four workers polling")
    assert not api.gate_timed_out
    # Four answers could only be released once four invocations were out at the same time.
    served = {}
    for _, path, headers, body in api.answers():
        rid = path.split("/")[-2]
        reply = json.loads(body)
        assert path == f"{PREFIX}/invocation/{rid}/response"
        assert headers["lambda-runtime-invocation-id"] == f"inv-{rid}"
        assert reply["requestId"] == rid and reply["tenantId"] == f"tenant-{rid[1:]}"
        assert reply["traceId"].startswith("Root=1-") and reply["envTraceId"] is None  # no process-wide trace id
        served[rid] = reply["worker"]
    assert sorted(served) == [f"r{i}" for i in range(8)]
    assert set(served.values()) == {0, 1, 2, 3}
    proc.kill()
    proc.wait()
    logs = [r for r in records(proc) if r.get("message") == "hello from the test function"]
    assert len(logs) == 8
    for r in logs:
        assert r["tenantId"] == f"tenant-{r['requestId'][1:]}", r  # every record names its own invocation


def test_a_single_worker_serves_one_invocation_at_a_time(start):
    api = GatedRuntimeAPI([(f"s{i}", {"action": "echo"}, {}) for i in range(3)])
    proc = start(api)
    api.wait(lambda a: len(a.answers()) == 3 and a.waiting_next == 1, "three answers")
    runtime = [(m, p) for m, p, _, _ in api.log if p.startswith(PREFIX)]
    assert runtime == [("GET", f"{PREFIX}/invocation/next"), ("POST", f"{PREFIX}/invocation/s0/response"),
                       ("GET", f"{PREFIX}/invocation/next"), ("POST", f"{PREFIX}/invocation/s1/response"),
                       ("GET", f"{PREFIX}/invocation/next"), ("POST", f"{PREFIX}/invocation/s2/response"),
                       ("GET", f"{PREFIX}/invocation/next")]
    # One worker keeps Lambda's process-wide trace id.
    assert all(json.loads(b)["envTraceId"].startswith("Root=1-") for _, _, _, b in api.answers())
    assert proc.poll() is None


def test_the_shutdown_extension_registers_before_the_first_next(start):
    api = GatedRuntimeAPI([("e1", {"action": "echo"}, {})])
    start(api)
    api.wait(lambda a: a.waiting_next == 1 and any(p == EXT + "/event/next" for _, p, _, _ in a.log), "extension parked")
    paths = [p for _, p, _, _ in api.log]
    assert paths.index(EXT + "/register") < paths.index(PREFIX + "/invocation/next")
    register = next(r for r in api.log if r[1] == EXT + "/register")
    assert register[0] == "POST" and register[2]["lambda-extension-name"] == "warden-shutdown"
    assert json.loads(register[3]) == {"events": []}
    parked = next(r for r in api.log if r[1] == EXT + "/event/next")
    assert parked[0] == "GET" and parked[2]["lambda-extension-identifier"] == "ext-id-1"


@pytest.mark.parametrize("setting, extensions", [("off", True), (None, False)])
def test_without_the_extension_the_runtime_serves_as_before(start, setting, extensions):
    api = GatedRuntimeAPI([("n1", {"action": "echo"}, {})], extensions=extensions)
    start(api, **({"WARDEN_SHUTDOWN_EXTENSION": setting} if setting else {}))
    api.wait(lambda a: len(a.answers()) == 1 and a.waiting_next == 1, "the answer")
    extension_requests = [p for _, p, _, _ in api.log if p.startswith(EXT)]
    assert extension_requests == ([] if setting == "off" else [EXT + "/register"])


def test_sigterm_interrupts_idle_workers_and_exits_0(start):
    api = GatedRuntimeAPI([])
    proc = start(api, AWS_LAMBDA_MAX_CONCURRENCY="4")
    api.wait(lambda a: a.waiting_next == 4, "four workers polling")
    proc.send_signal(signal.SIGTERM)
    # 0 is the shutdown's: the held `/next` fails only after HANG_GUARD, which would end the process with 1.
    assert proc.wait(timeout=20) == 0
    assert not [r for r in records(proc) if r.get("level") in ("ERROR", "FATAL")]


def test_sigterm_lets_the_invocation_in_flight_finish_while_idle_workers_stop(start):
    # One worker spins in its handler for 2 s; three wait on `/next`. SIGSTOP holds the process so SIGTERM surely
    # arrives while the invocation runs.
    api = GatedRuntimeAPI([("busy", {"action": "sleep", "ms": 2000}, {})])
    proc = start(api, AWS_LAMBDA_MAX_CONCURRENCY="4")
    api.wait(lambda a: a.delivered == 1 and a.waiting_next == 3, "one invocation out, three workers polling")
    sigterm_mid_invocation(proc, api.answers)
    assert proc.wait(timeout=HANG_GUARD) == 0
    assert [p for _, p, _, _ in api.answers()] == [f"{PREFIX}/invocation/busy/response"]
    # Nobody polled again after the answer: the worker saw the shutdown and stopped.
    gets = [i for i, r in enumerate(api.log) if r[1] == PREFIX + "/invocation/next"]
    answer = next(i for i, r in enumerate(api.log) if r[0] == "POST" and r[1].startswith(PREFIX))
    assert all(i < answer for i in gets)
