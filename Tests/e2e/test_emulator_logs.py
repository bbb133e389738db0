"""`X-Amz-Log-Type: Tail` on the emulator's invoke endpoint: `X-Amz-Log-Result` is the base64 of the last 4 KB of the
invocation's log — its START, the function's output while it ran, END and REPORT, as Lambda answers it. With several
invocations in flight (Managed Instances) a line belongs to the invocation its request id names, and no invocation's
log carries another's lines."""
import re

from emulator_helpers import invoke, invoke_json, log_tail, script_bootstrap, side_by_side


def start(emulator, tmp_path, *args):
    return emulator(script_bootstrap(tmp_path), name="logs", timeout=20, extra_args=list(args),
                    env={"FIXTURE_STATE_DIR": str(tmp_path)})


def test_the_tail_is_the_invocations_own_log(emulator, tmp_path):
    e = start(emulator, tmp_path)
    earlier = invoke_json(e, {"action": "log", "tag": "earlier"})
    status, headers, body = invoke(e, {"action": "log", "tag": "mine"}, {"X-Amz-Log-Type": "Tail"})
    assert status == 200
    rid = headers["x-amzn-requestid"]
    tail = log_tail(headers)
    lines = tail.splitlines()
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {rid}"
    assert lines[-1].startswith(f"REPORT RequestId: {rid}\tDuration: ")
    # One invocation at a time: everything the process wrote meanwhile, the line naming no request id included, and
    # the line written just before the answer.
    for text in ("json mine", "text mine", "plain mine", "last words mine"):
        assert any(text in line for line in lines), (text, tail)
    assert "earlier" not in tail and earlier["requestId"] not in tail
    # The log as printed holds the same lines.
    assert "plain mine" in e.output()


def test_no_tail_unless_asked_and_only_the_last_4_kb(emulator, tmp_path):
    e = start(emulator, tmp_path)
    _, headers, _ = invoke(e, {"action": "log", "tag": "quiet"})
    assert "x-amz-log-result" not in headers
    _, headers, _ = invoke(e, {"action": "log", "tag": "loud", "bulk": 20_000}, {"X-Amz-Log-Type": "Tail"})
    tail = log_tail(headers)
    assert len(tail.encode()) == 4096
    assert tail.rstrip("\n").splitlines()[-1].startswith(f"REPORT RequestId: {headers['x-amzn-requestid']}")
    assert "START RequestId" not in tail and "bulk loud" in tail
    status, headers, body = invoke(e, {"action": "echo"}, {"X-Amz-Log-Type": "Everything"})
    assert status == 400 and headers["x-amzn-errortype"] == "InvalidParameterValueException"


def test_concurrent_invocations_never_carry_each_others_lines(emulator, tmp_path):
    e = start(emulator, tmp_path, "--max-concurrency", "3")
    # The three meet at a barrier between their first and last lines, so their output interleaves in the process.
    answers = side_by_side([
        (lambda tag=tag: invoke(e, {"action": "log", "tag": tag, "parties": 3}, {"X-Amz-Log-Type": "Tail"}))
        for tag in ("alpha", "bravo", "charlie")])
    tails = {}
    for status, headers, _ in answers:
        assert status == 200
        tails[headers["x-amzn-requestid"]] = log_tail(headers)
    assert len(tails) == 3
    for rid, tail in tails.items():
        tag = re.search(r"json (\w+)", tail).group(1)
        for text in (f"json {tag}", f"text {tag}", f"after barrier {tag}", f"last words {tag}"):
            assert text in tail, (text, tail)
        others = [t for t in ("alpha", "bravo", "charlie") if t != tag]
        assert not any(other in tail for other in others), tail
        assert not any(other_rid in tail for other_rid in tails if other_rid != rid), tail
        # A line naming no invocation goes to none of them.
        assert "plain" not in tail
