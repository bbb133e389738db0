"""The data layer under the functions: row-level security, the functions' role, audit, deadlines, reconnects."""
import concurrent.futures
import json
import re
import uuid

import pg8000.dbapi
import pytest

from conftest import (HANG_GUARD, ROOT, SECRET, Emulator, connect, refused_by_postgres, rest_event, sign,
                      snapshot, wait_for)

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"


def call(e, body_obj):
    body = json.dumps(body_obj)
    status, _, out = e.invoke(rest_event("calculate_health", body, sign(body)))
    assert status == 200, out
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"])


@pytest.fixture
def tenants(db):
    cur = db.cursor()
    cur.execute("DELETE FROM contracts WHERE owner_user_id LIKE 'rls_%'")
    for owner, cust in [("rls_a", "c1"), ("rls_a", "c2"), ("rls_b", "c3")]:
        cur.execute("INSERT INTO contracts (company_external_id, owner_user_id, renewal_date, arr) VALUES (%s, %s, now(), 1)",
                    (cust, owner))
    yield db
    cur.execute("DELETE FROM contracts WHERE owner_user_id LIKE 'rls_%'")


def test_an_unscoped_query_through_the_functions_role_sees_only_the_tenant(tenants, function_url):
    conn = connect(function_url)
    cur = conn.cursor()
    cur.execute("SELECT set_config('app.tenant_id', 'rls_a', true)")
    cur.execute("SELECT company_external_id FROM contracts WHERE owner_user_id LIKE 'rls_%' ORDER BY 1")
    assert [r[0] for r in cur.fetchall()] == ["c1", "c2"]
    cur.execute("SELECT count(*) FROM contracts")  # no filter at all
    assert cur.fetchone()[0] == 2
    conn.commit()
    # A new transaction without a tenant sees nothing.
    cur.execute("SELECT count(*) FROM contracts")
    assert cur.fetchone()[0] == 0
    conn.rollback()
    conn.close()


@pytest.mark.parametrize("sql", [
    "INSERT INTO contracts (company_external_id, owner_user_id, arr) VALUES ('x', 'rls_a', 1)",
    "UPDATE contracts SET arr = 2",
    "DELETE FROM contracts",
    "SELECT * FROM audit_events",
    "UPDATE audit_events SET outcome = 'ok'",
    "DELETE FROM audit_events",
    "CREATE TABLE warden_fn_owned (x int)",
    "ALTER TABLE contracts DISABLE ROW LEVEL SECURITY",
])
def test_the_functions_role_may_not(tenants, function_url, sql):
    before = snapshot(tenants, ["contracts", "audit_events"])
    conn = connect(function_url)
    cur = conn.cursor()
    cur.execute("SELECT set_config('app.tenant_id', 'rls_a', true)")
    # Refused for want of the privilege (42501), not by any other error (a typo, a missing table).
    with refused_by_postgres("42501"):
        cur.execute(sql)
    conn.rollback()
    conn.close()
    assert snapshot(tenants, ["contracts", "audit_events"]) == before


def test_audit_rows_are_append_only_even_for_the_owner(db):
    cur = db.cursor()
    cur.execute("INSERT INTO audit_events (request_id, tool, action, outcome, status) VALUES ('t', 't', 'invoke', 'ok', 200)")
    with pytest.raises(pg8000.dbapi.DatabaseError, match="append-only"):
        cur.execute("UPDATE audit_events SET outcome = 'forged' WHERE request_id = 't'")
    with pytest.raises(pg8000.dbapi.DatabaseError, match="append-only"):
        cur.execute("DELETE FROM audit_events WHERE request_id = 't'")


def test_every_call_is_audited_refused_ones_included(db, function_url, tmp_path):
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    try:
        ok_body = json.dumps({"customerId": "audit-co", "params": {"ownerUserId": "audit_owner"}})
        _, _, out = e.invoke(rest_event("calculate_health", ok_body, sign(ok_body)))
        ok_rid = None
        bad = rest_event("calculate_health", ok_body, sign(ok_body, secret="wrong"))
        e.invoke(bad)
        invalid = '{"customerId": 5}'
        e.invoke(rest_event("calculate_health", invalid, sign(invalid)))
        log = e.output()
        rids = [l.split("RequestId: ")[1].split()[0] for l in log.splitlines() if l.startswith("REPORT")]
        assert len(rids) == 3
        cur = db.cursor()
        cur.execute("SELECT request_id, client_id, tenant, tool, action, outcome, status FROM audit_events "
                    "WHERE request_id IN (%s, %s, %s)", tuple(rids))
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        assert rows[rids[0]] == ["copilot-frontend", "audit_owner", "calculate_health", "invoke", "ok", 200]
        assert rows[rids[1]] == [None, None, "calculate_health", "invoke", "UNAUTHORIZED", 401]
        assert rows[rids[2]] == ["copilot-frontend", None, "calculate_health", "invoke", "INVALID_INPUT", 400]
        # No PII or secrets in the audit table: only these identifiers.
        cur.execute("SELECT count(*) FROM audit_events WHERE request_id = ANY(%s) AND (client_id LIKE '%%@%%')", (rids,))
        assert cur.fetchone()[0] == 0
    finally:
        e.stop()


def test_one_connection_serves_many_invocations(db, function_url, tmp_path):
    url = function_url + "&application_name=reuse-check"
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health", env={"HMAC_SECRET": SECRET, "DATABASE_URL": url})
    try:
        cur = db.cursor()
        pids = set()
        for i in range(20):
            assert call(e, {"customerId": f"c{i}"})[0] == 200
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'reuse-check'")
            pids.update(r[0] for r in cur.fetchall())
        assert len(pids) == 1
    finally:
        e.stop()


def backends(db, application_name):
    """(server pid, relations it waits to lock) of each session opened with `application_name`."""
    cur = db.cursor()
    cur.execute("SELECT a.pid, coalesce(array_agg(l.relation::regclass::text ORDER BY l.relation) "
                "FILTER (WHERE l.relation IS NOT NULL), '{}') FROM pg_stat_activity a "
                "LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted "
                "WHERE a.application_name = %s GROUP BY a.pid ORDER BY a.pid", (application_name,))
    return [(pid, list(waits)) for pid, waits in cur.fetchall()]


def invocation_lines(e, request_id):
    """The function's own log lines of one invocation (text format: time, request id, level, message)."""
    return [line.split("\t", 2)[2] for line in e.output().splitlines()
            if line.count("\t") >= 3 and line.split("\t")[1] == request_id]


def request_ids(e):
    return re.findall(r"^START RequestId: (\S+)", e.output(), re.M)


def test_a_query_past_the_deadline_is_cancelled_and_answered_before_lambda_kills_us(db, database_url, function_url, tmp_path):
    app = f"deadline-{uuid.uuid4().hex[:8]}"
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health", timeout=2,
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": f"{function_url}&application_name={app}"})
    locker = connect(database_url)
    try:
        assert call(e, {"customerId": "warm"})[0] == 200  # connection open before the lock
        [(backend, [])] = backends(db, app)
        cur = locker.cursor()
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE usage_summaries IN ACCESS EXCLUSIVE MODE")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            blocked = pool.submit(call, e, {"customerId": "blocked"})
            # The function's statement waits for the lock ...
            wait_for(lambda: backends(db, app) == [(backend, ["usage_summaries"])], "the statement waiting on the lock")
            # ... until the function's deadline, when the function cancels it and answers, the lock still held.
            status, env = blocked.result(timeout=HANG_GUARD)
        assert status == 500 and env["error"]["code"] == "TOOL_FAILURE"
        assert env["error"]["message"] == "The tool failed to complete the request."  # nothing internal
        assert all(waits == [] for _, waits in backends(db, app)), "the statement still waits for the lock"
        # Answered by the function, not by the emulator's timeout: its own log line says the statement ran out of
        # time (and was cancelled: it waits no more, above), and the emulator killed nothing.
        rid = request_ids(e)[-1]
        lines = invocation_lines(e, rid)
        assert any(l.startswith("ERROR\ttool failure") and "error.code=timeout" in l for l in lines), lines
        assert "Task timed out" not in e.output()
        report = wait_for(lambda: re.search(rf"^REPORT RequestId: {rid}\t.*$", e.output(), re.M), "the REPORT line")
        assert "Status:" not in report.group(0)
        locker.rollback()
        # The cancelled statement retired the connection; the next call gets a fresh one and succeeds.
        assert call(e, {"customerId": "after"})[0] == 200
        assert e.output().count("Init Duration") == 1, "the process was replaced"
    finally:
        locker.close()
        e.stop()


def test_reconnects_after_a_server_restart(private_cluster, tmp_path):
    e = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="calculate_health",
                 env={"HMAC_SECRET": SECRET, "DATABASE_URL": private_cluster.function_url})
    try:
        assert call(e, {"customerId": "before"}) [0] == 200
        private_cluster.stop()
        private_cluster.start()
        # The very first call after the restart succeeds: the process notices its connection is gone and opens a
        # new one in the same invocation (no error logged, no failed call first, the same process).
        assert call(e, {"customerId": "after"})[0] == 200
        rid = request_ids(e)[-1]
        assert [l.split("\t")[0] for l in invocation_lines(e, rid)] == ["INFO"], invocation_lines(e, rid)
        assert e.output().count("Init Duration") == 1, "the process was replaced"
    finally:
        e.stop()
