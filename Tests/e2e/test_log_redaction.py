"""Log redaction end to end: the runtime's log handler (`LogRedaction`, Tests/LambdaRuntimeTests/LogRedactionTests.swift
has the rules one by one) redacts the line and still writes it. Each test finds the redacted line itself, in order
with its neighbours — a check that only looks for the absence of a secret would pass if the line vanished.

`warden-testfn`'s `log` action logs, in this order: INFO "hello from the test function" with metadata
`email=jane@example.com` and `count=3`, DEBUG "debug line", WARN "contact bob@example.org about it"."""
import json

import pytest

from conftest import TESTFN, Emulator, wait_for

SECRETS = ("jane@example.com", "bob@example.org", "jane@", "bob@")


def lines_of(fn, request_id, count, deadline_seconds=20):
    """The first `count` lines of the function's output that name `request_id`, once they are all there (the emulator
    forwards the function's output as it comes, so the lines may follow the invocation's answer); fails at the
    deadline with what was there."""
    def found():
        return [line for line in fn.output().splitlines()
                if request_id in line and not line.startswith(("START", "END", "REPORT"))]

    wait_for(lambda: len(found()) >= count,
             lambda: f"{len(found())} of {count} log lines of {request_id} arrived:\n{fn.output()[-3000:]}",
             timeout=deadline_seconds)
    return found()[:count]


@pytest.fixture
def testfn(tmp_path):
    started = []

    def start(log_format, level):
        fn = Emulator(TESTFN, tmp_path=tmp_path, name=f"testfn-{log_format}-{level}",
                      env={"AWS_LAMBDA_LOG_FORMAT": log_format, "AWS_LAMBDA_LOG_LEVEL": level})
        started.append(fn)
        return fn

    yield start
    for fn in started:
        fn.stop()


def invoke_log(fn):
    status, _, body = fn.invoke({"action": "log"})
    assert status == 200, body
    return json.loads(body)["requestId"]


def test_json_lines_are_written_with_the_values_redacted(testfn):
    fn = testfn("JSON", "INFO")
    request_id = invoke_log(fn)
    lines = [json.loads(line) for line in lines_of(fn, request_id, 2)]
    # INFO, then WARN (DEBUG is below the level): both there, in order, redacted.
    assert [(l["level"], l["message"]) for l in lines] == [
        ("INFO", "hello from the test function"), ("WARN", "contact [REDACTED] about it")]
    assert lines[0]["email"] == "[REDACTED]" and lines[0]["count"] == "3"
    assert all(l["requestId"] == request_id and l["timestamp"].endswith("Z") for l in lines)
    # Redacted, not dropped: nothing else of the record is missing.
    assert set(lines[0]) == {"timestamp", "level", "requestId", "message", "email", "count"}
    text = fn.output()
    assert not any(secret in text for secret in SECRETS)


def test_text_lines_are_written_with_the_values_redacted(testfn):
    fn = testfn("Text", "DEBUG")
    request_id = invoke_log(fn)
    lines = [line.split("\t") for line in lines_of(fn, request_id, 3)]
    assert [fields[1:3] for fields in lines] == [[request_id, "INFO"], [request_id, "DEBUG"], [request_id, "WARN"]]
    assert [fields[3] for fields in lines] == [
        "hello from the test function count=3 email=[REDACTED]", "debug line", "contact [REDACTED] about it"]
    text = fn.output()
    assert not any(secret in text for secret in SECRETS)


def test_every_invocation_writes_its_redacted_lines(testfn):
    """Several invocations of one warm process: each writes both lines, none is lost or merged with another."""
    fn = testfn("JSON", "INFO")
    ids = [invoke_log(fn) for _ in range(3)]
    assert len(set(ids)) == 3
    for request_id in ids:
        lines = [json.loads(line) for line in lines_of(fn, request_id, 2)]
        assert [l["message"] for l in lines] == ["hello from the test function", "contact [REDACTED] about it"]
        assert lines[0]["email"] == "[REDACTED]"
    assert not any(secret in fn.output() for secret in SECRETS)
