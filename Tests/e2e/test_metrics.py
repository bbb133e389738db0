"""CloudWatch Embedded Metric Format (issue 8, item 5): every call of an HTTP function (copilot tools, participants,
intent, participant_export) writes exactly one EMF line to standard output, through the packaged static bootstraps
and `warden emulate`: namespace Warden, the dimension sets ["Function"] and [] (account-wide, what the templates'
alarms watch), the five metrics with their values, and nothing about the caller (no tenant, email, token, secret)."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import HANG_GUARD, ROOT, SECRET, Emulator, free_port, rest_event, sign, snapshot, wait_for
from test_participant_export import event as url_event, invoke_stream
from test_participants import event as api_event, token as participants_token

DIST = ROOT / "dist"
JWT_SECRET = "metrics-e2e-jwt-secret-0123456789abcdef0123"
METRICS = [{"Name": "Duration", "Unit": "Milliseconds"}, {"Name": "Errors", "Unit": "Count"},
           {"Name": "Unauthorized", "Unit": "Count"}, {"Name": "RateLimited", "Unit": "Count"},
           {"Name": "BudgetSpentCents", "Unit": "None"}]
KEYS = {"_aws", "Function", "Duration", "Errors", "Unauthorized", "RateLimited", "BudgetSpentCents", "Outcome"}
TABLES = ["meeting_participants", "participant_enrichment_history"]


def emf_lines(fn):
    """The EMF documents among the function's output lines (in order)."""
    found = []
    for line in fn.output().splitlines():
        line = line.strip()
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        found.append((line, json.loads(line)))
    return found


def marker(fn, event=b"{}"):
    """Invokes `fn` with `event` (by default an empty one, not an API Gateway event: refused at once) past the
    test's own checks, and returns the invocation's request id."""
    request = urllib.request.Request(f"http://127.0.0.1:{fn.port}/2015-03-31/functions/function/invocations",
                                     data=event, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HANG_GUARD) as r:
            r.read()
            return r.headers["X-Amzn-RequestId"]
    except urllib.error.HTTPError as e:
        return e.headers["X-Amzn-RequestId"]


LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


def invocations(fn):
    """The function's own output, invocation by invocation: [(request id, [its EMF lines])] in order. The function
    writes to one pipe, in order, and logs (a text line carrying its request id) before it writes an invocation's
    EMF line: an EMF line belongs to the invocation of the log line before it, however late the emulator copies it
    (the emulator's own START/END/REPORT lines, interleaved anywhere, are not the function's)."""
    out = []
    for line in fn.output().splitlines():
        fields = line.split("\t")
        if len(fields) >= 4 and fields[2] in LEVELS:
            if not out or out[-1][0] != fields[1]:
                out.append((fields[1], []))
        elif line.startswith("{") and '"_aws"' in line:
            if not out:
                out.append((None, []))
            out[-1][1].append(line)
    return out


def marked(fn, event=b"{}"):
    """A marker invocation (see `marker`), once its log line is in the output: everything earlier invocations
    wrote is then there too. Returns its request id."""
    rid = marker(fn, event)
    wait_for(lambda: any(r == rid for r, _ in invocations(fn)), "the marker invocation's log line")
    return rid


def emf_of(fn, call, marker_event=b"{}"):
    """Runs `call` between two marker invocations; returns its result and [(request id, [EMF lines])] of the
    invocations it made — all of their output, with no waiting for stragglers."""
    start = marked(fn, marker_event)
    result = call()
    end = marked(fn, marker_event)
    found = invocations(fn)
    ids = [rid for rid, _ in found]
    return result, found[ids.index(start) + 1:ids.index(end)]


def exactly_one_line(fn, call):
    """Runs `call` (one invocation) and returns its result and the one EMF line it wrote, with the wall-clock window
    (ms) and the monotonic window (s) around the call."""
    times = []

    def timed():
        times.append((int(time.time() * 1000), time.monotonic()))
        result = call()
        times.append((int(time.time() * 1000), time.monotonic()))
        return result

    result, made = emf_of(fn, timed)
    assert len(made) == 1, f"expected one invocation with a log line, got {made}"
    [(_, lines)] = made
    assert len(lines) == 1, f"expected one EMF line for the invocation, got {len(lines)}: {lines}"
    (wall0, mono0), (wall1, mono1) = times
    return result, (lines[0], json.loads(lines[0]), (wall0, wall1), (mono0, mono1))


def check(line, function, outcome, errors=0, unauthorized=0, limited=0, forbidden=()):
    """Validates an EMF line's structure and values; `forbidden`: strings that must not appear in it."""
    raw, doc, wall, mono = line
    assert set(doc) == KEYS, sorted(doc)
    aws = doc["_aws"]
    assert set(aws) == {"Timestamp", "CloudWatchMetrics"}
    # Written during the call: its time (ms since the epoch) lies between the call's start and end.
    assert isinstance(aws["Timestamp"], int) and wall[0] <= aws["Timestamp"] <= wall[1], (wall, aws["Timestamp"])
    assert aws["CloudWatchMetrics"] == [{"Namespace": "Warden", "Dimensions": [["Function"], []], "Metrics": METRICS}]
    assert doc["Function"] == function
    # The handler's own time, part of the call's.
    assert isinstance(doc["Duration"], (int, float)) and 0 <= doc["Duration"] <= (mono[1] - mono[0]) * 1000, \
        (doc["Duration"], mono)
    assert (doc["Errors"], doc["Unauthorized"], doc["RateLimited"]) == (errors, unauthorized, limited), doc
    assert doc["BudgetSpentCents"] == 0
    assert doc["Outcome"] == outcome
    assert "\n" not in raw
    lowered = raw.lower()
    for secret in (SECRET, JWT_SECRET, "bearer", "signature", "@", "tenant", *forbidden):
        assert secret.lower() not in lowered, f"{secret!r} appears in the EMF line"


def proxy(result):
    _, _, out = result
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


def copilot(fn, tenant, signed=True):
    body = json.dumps({"customerId": "cust_metrics", "params": {"ownerUserId": tenant}})
    return fn.invoke(rest_event("calculate_health", body, sign(body) if signed else {"Content-Type": "application/json"}))


@pytest.fixture
def tool(function_url, tmp_path):
    fn = Emulator(DIST / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                  env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": "0"})
    yield fn
    fn.stop()


def test_copilot_tool_unsigned_then_signed(tool, db):
    tenant = "metrics_" + uuid.uuid4().hex[:8]
    before = snapshot(db)
    result, line = exactly_one_line(tool, lambda: copilot(tool, tenant, signed=False))
    status, envelope = proxy(result)
    assert status == 401 and envelope["error"]["code"] == "UNAUTHORIZED"
    check(line, "calculate_health", "UNAUTHORIZED", unauthorized=1, forbidden=(tenant, "cust_metrics"))
    assert snapshot(db) == before

    result, line = exactly_one_line(tool, lambda: copilot(tool, tenant))
    assert proxy(result)[0] == 200
    check(line, "calculate_health", "ok", forbidden=(tenant, "cust_metrics", "copilot-frontend"))


def test_rate_limited_call(function_url, db, tmp_path):
    tenant = "metrics_rl_" + uuid.uuid4().hex[:8]
    fn = Emulator(DIST / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                  env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": "1"})
    try:
        result, line = exactly_one_line(fn, lambda: copilot(fn, tenant))
        assert proxy(result)[0] == 200
        check(line, "calculate_health", "ok", forbidden=(tenant,))
        before = snapshot(db)
        result, line = exactly_one_line(fn, lambda: copilot(fn, tenant))
        status, envelope = proxy(result)
        assert status == 429 and envelope["error"]["code"] == "RATE_LIMITED"
        check(line, "calculate_health", "RATE_LIMITED", limited=1, forbidden=(tenant,))
        assert snapshot(db) == before
    finally:
        fn.stop()


def test_a_server_error_counts_as_an_error(tmp_path):
    """The database unreachable (a port nobody listens on): the tool answers 5xx, Errors is 1."""
    dead = free_port()
    fn = Emulator(DIST / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                  env={"HMAC_SECRET": SECRET, "DATABASE_URL": f"postgresql://warden_app:pw@127.0.0.1:{dead}/none",
                       "RATE_LIMIT_PER_MINUTE": "0"})
    try:
        result, line = exactly_one_line(fn, lambda: copilot(fn, "metrics_err"))
        status, envelope = proxy(result)
        assert status >= 500, envelope
        check(line, "calculate_health", envelope["error"]["code"], errors=1, forbidden=("metrics_err", ":pw@"))
    finally:
        fn.stop()


def test_participants_with_a_bad_token(function_url, db, tmp_path):
    fn = Emulator(DIST / "participants" / "bootstrap", tmp_path=tmp_path, name="participants",
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET})
    try:
        before = snapshot(db, TABLES)
        body = json.dumps({"meetingId": "mtg_metrics", "email": "jane.metrics@acme.example"})
        forged = participants_token("user_metrics")  # signed with the participants tests' secret, not this one
        ev = api_event("POST", "/api/participants", {"Authorization": f"Bearer {forged}",
                                                     "Content-Type": "application/json"}, body)
        result, line = exactly_one_line(fn, lambda: fn.invoke(ev))
        status, envelope = proxy(result)
        assert status == 401 and envelope["error"]["code"] == "UNAUTHORIZED"
        check(line, "participants", "UNAUTHORIZED", unauthorized=1,
              forbidden=("jane.metrics", "user_metrics", forged[:20], "mtg_metrics"))
        assert snapshot(db, TABLES) == before
    finally:
        fn.stop()


def test_intent_with_a_bad_api_key(function_url, db, tmp_path):
    fn = Emulator(DIST / "intent" / "bootstrap", tmp_path=tmp_path, name="intent", env={"DATABASE_URL": function_url})
    try:
        before = snapshot(db)
        key = "wk_metrics_" + uuid.uuid4().hex
        ev = api_event("POST", "/v1/intent/score", {"X-API-Key": key, "Content-Type": "application/json"},
                       json.dumps({"accountId": "acct_metrics"}))
        result, line = exactly_one_line(fn, lambda: fn.invoke(ev))
        status, envelope = proxy(result)
        assert status == 401 and envelope["error"]["code"] == "UNAUTHORIZED", envelope
        check(line, "intent", "UNAUTHORIZED", unauthorized=1, forbidden=(key, key[-12:]))
        assert snapshot(db) == before
    finally:
        fn.stop()


def test_participant_export_stream_without_token(function_url, db, tmp_path):
    fn = Emulator(DIST / "participant_export" / "bootstrap", tmp_path=tmp_path, name="participant_export", timeout=30,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET})
    try:
        before = snapshot(db, TABLES)
        got, line = exactly_one_line(fn, lambda: invoke_stream(fn, url_event()))
        assert got.code == 401
        check(line, "participant_export", "UNAUTHORIZED", unauthorized=1)
        assert snapshot(db, TABLES) == before
    finally:
        fn.stop()
