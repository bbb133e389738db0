"""Our runtime on `warden emulate`'s models of the current Lambda contract, end to end: a real copilot function with
four workers holds four invocations at once (the fifth invoke is refused 429 as Lambda does), a late answer after a
timeout on Managed Instances is refused 410 and the worker goes on in the same process, the shutdown extension makes
the emulator's shutdown a SIGTERM that our runtime answers with exit 0, and each invocation's log tail holds its own
lines only."""
import json
import re
import threading

from conftest import SECRET, TESTFN, connect, rest_event, sign, wait_for
from emulator_helpers import invoke, invoke_json, log_tail, side_by_side
from test_database import BOOTSTRAP


def waiting_on_lock(db, app):
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted "
                "WHERE a.application_name = %s", (app,))
    return cur.fetchone()[0]


def health(e, customer):
    body = json.dumps({"customerId": customer})
    return invoke(e, rest_event("calculate_health", body, sign(body)))


def test_four_workers_of_a_real_function_hold_four_invocations_and_the_fifth_is_refused_429(
        emulator, db, database_url, function_url):
    app = "mi-four"
    e = emulator(BOOTSTRAP, name="calculate_health", timeout=20, extra_args=("--max-concurrency", "4"),
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": f"{function_url}&application_name={app}"})
    status, _, body = health(e, "warm")
    assert status == 200 and json.loads(json.loads(body)["body"])["ok"] is True
    locker = connect(database_url)
    results = []
    try:
        cur = locker.cursor()
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE usage_summaries IN ACCESS EXCLUSIVE MODE")
        threads = [threading.Thread(target=lambda i=i: results.append(health(e, f"held-{i}"))) for i in range(4)]
        for t in threads:
            t.start()
        # Four statements of one process wait on the lock at once: four workers, four Postgres sessions.
        wait_for(lambda: waiting_on_lock(db, app) == 4, "four invocations waiting on the lock")
        status, headers, body = health(e, "fifth")
        assert status == 429 and headers["x-amzn-errortype"] == "TooManyRequestsException", (status, body)
        locker.rollback()
        for t in threads:
            t.join(timeout=60)
    finally:
        locker.close()
    assert sorted(r[0] for r in results) == [200] * 4
    assert all(json.loads(json.loads(r[2])["body"])["ok"] is True for r in results)
    assert e.output().count("Init Duration") == 1 and "exited" not in e.output()  # one process served them all


def test_a_late_answer_is_refused_410_and_the_worker_goes_on_in_the_same_process(emulator):
    e = emulator(TESTFN, name="late", timeout=1, extra_args=("--managed-instances",))
    before = invoke_json(e, {"action": "echo"})
    status, headers, body = invoke(e, {"action": "sleep", "ms": 2500})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    assert json.loads(body)["errorType"] == "Sandbox.Timedout"
    # The handler finishes, its answer is refused 410, the runtime logs it and polls again.
    wait_for(lambda: "answer not delivered" in e.output(), "the runtime logging the refused late answer")
    line = next(l for l in e.output().splitlines() if "answer not delivered" in l)
    assert "error.code=answerRefused" in line and "410" in line
    after = invoke_json(e, {"action": "echo"})
    assert after["pid"] == before["pid"] and after["invocations"] == before["invocations"] + 2
    assert "exited" not in e.output()


def test_the_emulators_shutdown_is_a_sigterm_our_runtime_answers_with_exit_0(emulator):
    e = emulator(TESTFN, name="graceful-ours", timeout=5, extra_args=("--max-concurrency", "4"))
    pid = invoke_json(e, {"action": "echo"})["pid"]
    e.stop()
    log = e.log_path.read_text(errors="replace")
    assert "SIGTERM (extensions: warden-shutdown)" in log
    assert f"function process {pid} exited: exit status 0 (shutdown, after SIGTERM)" in log


def test_each_invocations_log_tail_holds_its_own_lines_with_four_workers(emulator):
    e = emulator(TESTFN, name="tails", timeout=10, extra_args=("--max-concurrency", "4"),
                 env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
    calls = [lambda t=t: invoke(e, {"action": "log"}, {"X-Amz-Log-Type": "Tail", "X-Amz-Tenant-Id": f"tail-{t}"})
             for t in range(4)]
    for status, headers, body in side_by_side(calls):
        assert status == 200
        rid = json.loads(body)["requestId"]
        tail = log_tail(headers)
        records = [json.loads(l) for l in tail.splitlines() if l.startswith("{")]
        assert any(r.get("message") == "hello from the test function" for r in records), tail
        assert all(r.get("requestId") == rid for r in records), tail
        assert f"START RequestId: {rid}" in tail and f"REPORT RequestId: {rid}" in tail
        assert set(re.findall(r"RequestId: (\S+)", tail)) == {rid}  # no other invocation's lines
