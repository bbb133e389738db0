"""`warden emulate --max-concurrency N` models Lambda Managed Instances: N invocations in flight in one process (one per
/next poll of its workers), an invoke beyond N refused 429 TooManyRequestsException, and a timed-out invocation
answered with the timeout error while the process lives on, its late answer refused 410 InvokeTimeout. Classic mode
keeps Lambda's default model (one at a time, killed on timeout). The runtime is tests/e2e/fixtures/mi_runtime.py,
which speaks the Runtime API itself."""
import json
import re

from conftest import wait_for
from emulator_helpers import invoke, invoke_json, script_bootstrap, side_by_side


def start(emulator, tmp_path, *args, timeout=20, env=None):
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    e = emulator(script_bootstrap(tmp_path), name="mi", timeout=timeout, extra_args=list(args),
                 env={"FIXTURE_STATE_DIR": str(state), **(env or {})})
    return e, state


def started(state):
    return sorted(p.name[len("started-"):] for p in state.glob("started-*"))


def test_n_invocations_run_at_once_in_one_process(emulator, tmp_path):
    e, _ = start(emulator, tmp_path, "--max-concurrency", "3")
    # Each handler waits at a barrier until all three are inside it: they can only pass if the emulator handed the
    # three invocations out together, one to each worker's /next.
    answers = side_by_side([lambda: invoke_json(e, {"action": "barrier", "parties": 3}) for _ in range(3)])
    assert all(a["passed"] for a in answers), answers
    assert len({a["pid"] for a in answers}) == 1
    assert len({a["thread"] for a in answers}) == 3
    assert len({a["requestId"] for a in answers}) == 3 and len({a["invocationId"] for a in answers}) == 3
    assert {a["maxConcurrency"] for a in answers} == {"3"}


def test_classic_mode_sets_no_max_concurrency_and_queues_instead_of_refusing(emulator, tmp_path):
    e, state = start(emulator, tmp_path)
    results = []
    import threading
    first = threading.Thread(target=lambda: results.append(invoke_json(e, {"action": "hold"})))
    first.start()
    wait_for(lambda: started(state), "the first invocation inside the handler")
    # The process's one worker is busy: a second invoke is queued, not refused (Lambda's default model would start
    # another execution environment; the emulator has one), and runs once the first has answered.
    second = threading.Thread(target=lambda: results.append(invoke_json(e, {"action": "echo"})))
    second.start()
    (state / "release").touch()
    first.join(timeout=60)
    second.join(timeout=60)
    assert len(results) == 2 and {r["maxConcurrency"] for r in results} == {None}
    assert len({r["pid"] for r in results}) == 1


def test_an_invoke_beyond_n_while_all_are_busy_is_refused_429(emulator, tmp_path):
    e, state = start(emulator, tmp_path, "--max-concurrency", "2")
    results = []

    def hold():
        results.append(invoke(e, {"action": "hold"}))

    import threading
    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    wait_for(lambda: len(started(state)) == 2, "both invocations inside the handler")
    status, headers, body = invoke(e, {"action": "echo"})
    assert status == 429, (status, body)
    assert headers["x-amzn-errortype"] == "TooManyRequestsException"
    assert json.loads(body)["errorType"] == "TooManyRequestsException"
    # The refused invoke never reached the function: no START for a third request id.
    assert len(re.findall(r"^START RequestId: ", e.output(), re.M)) == 2
    (state / "release").touch()
    for t in holders:
        t.join(timeout=60)
    assert [r[0] for r in results] == [200, 200]
    assert {json.loads(r[2])["requestId"] for r in results} == set(started(state))
    # With the workers free again, invokes are admitted.
    assert invoke_json(e, {"action": "echo"})["maxConcurrency"] == "2"


def test_a_timeout_answers_the_caller_keeps_the_process_and_the_late_answer_gets_410(emulator, tmp_path):
    e, state = start(emulator, tmp_path, "--max-concurrency", "2", timeout=1)
    before = invoke_json(e, {"action": "echo"})
    status, headers, body = invoke(e, {"action": "hold"})
    assert status == 200 and headers["x-amz-function-error"] == "Unhandled"
    error = json.loads(body)
    assert error["errorType"] == "Sandbox.Timedout" and "Task timed out after 1.00 seconds" in error["errorMessage"]
    [held] = started(state)
    # The process was not killed: the next invocation is served by the same one.
    assert invoke_json(e, {"action": "echo"})["pid"] == before["pid"]
    assert "exited" not in e.output()
    # The handler goes on; when it answers, Lambda's Runtime API refuses the answer 410 Gone.
    (state / "release").touch()
    report = wait_for(lambda: (r := invoke_json(e, {"action": "report"}))["refusedAnswers"] and r,
                      "the late answer of the timed-out invocation")
    assert report["pid"] == before["pid"]
    assert report["refusedAnswers"] == [
        {"requestId": held, "status": 410, "body": {"errorMessage": "Invoke timeout", "errorType": "InvokeTimeout"}}]


def test_a_timed_out_invocation_keeps_its_worker_busy_until_it_answers(emulator, tmp_path):
    # --managed-instances at a concurrency of 1: the one worker is still working on the timed-out invocation, so an
    # invoke is refused until its late answer frees it.
    e, state = start(emulator, tmp_path, "--managed-instances", timeout=1)
    status, _, body = invoke(e, {"action": "hold"})
    assert json.loads(body)["errorType"] == "Sandbox.Timedout"
    status, headers, _ = invoke(e, {"action": "echo"})
    assert status == 429 and headers["x-amzn-errortype"] == "TooManyRequestsException"
    (state / "release").touch()
    answer = wait_for(lambda: (r := invoke(e, {"action": "report"}))[0] == 200 and json.loads(r[2]),
                      "the worker freed by the late answer")
    assert answer["maxConcurrency"] == "1"
    assert [a["status"] for a in answer["refusedAnswers"]] == [410]


def test_classic_mode_kills_on_timeout_and_records_the_exit(emulator, tmp_path):
    e, state = start(emulator, tmp_path, timeout=1)
    first = invoke_json(e, {"action": "echo"})
    _, _, body = invoke(e, {"action": "hold"})
    assert json.loads(body)["errorType"] == "Sandbox.Timedout"
    after = invoke_json(e, {"action": "echo"})
    assert after["pid"] != first["pid"]
    assert (f"function process {first['pid']} exited: signal: killed (killed after the invocation timed out)"
            in e.output())


def test_max_concurrency_outside_lambdas_range_is_refused(tmp_path):
    import subprocess
    from conftest import WARDEN
    out = subprocess.run([str(WARDEN), "emulate", "--bootstrap", str(script_bootstrap(tmp_path)),
                          "--max-concurrency", "0"], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "--max-concurrency must be between 1 and 1600" in out.stderr
