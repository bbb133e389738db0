"""Four workers of a real copilot function, four invocations always in flight together, six tenants asking for the
same customer ids: no request id, tenant id, log record or database session of one invocation shows up in another.

The Runtime API holds each answer until four invocations are out (`GatedRuntimeAPI(overlap=4)`), so every
invocation runs beside three others, on workers that each keep one Postgres session for every tenant they serve."""
import json
import os
import random
import signal
import subprocess
import uuid

from conftest import HANG_GUARD, ROOT, SECRET, rest_event, sign
from test_runtime_workers import PREFIX, GatedRuntimeAPI

BOOTSTRAP = ROOT / "dist" / "get_contract_info" / "bootstrap"
WORKERS = 4


def test_concurrent_invocations_never_see_each_others_request_tenant_log_or_session(db, function_url, tmp_path):
    run = uuid.uuid4().hex[:8]
    tenants = [f"user_iso_{run}_{t}" for t in range(6)]
    customers = [f"iso-cust-{c}" for c in range(4)]
    arr = {(t, c): 1000 * ti + 10 * ci + 7 for ti, t in enumerate(tenants) for ci, c in enumerate(customers)}
    cur = db.cursor()
    for (t, c), value in arr.items():
        cur.execute("INSERT INTO contracts VALUES (%s, %s, NULL, %s)", (c, t, value))
    db.commit()

    calls = [(t, c) for t in tenants for c in customers] * 2
    random.Random(run).shuffle(calls)
    events, expected = [], {}
    for n, (t, c) in enumerate(calls):
        rid = f"iso-{run}-{n:03d}"
        body = json.dumps({"customerId": c, "params": {"ownerUserId": t}})
        events.append((rid, rest_event("get_contract_info", body, sign(body)), {"Lambda-Runtime-Aws-Tenant-Id": t}))
        expected[rid] = (t, c)

    app = f"iso-{run}"
    log = tmp_path / "function.log"
    api = GatedRuntimeAPI(events, overlap=WORKERS)
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}", AWS_LAMBDA_MAX_CONCURRENCY=str(WORKERS),
               AWS_LAMBDA_LOG_FORMAT="JSON", HMAC_SECRET=SECRET, DATABASE_URL=f"{function_url}&application_name={app}")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(BOOTSTRAP)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        api.wait(lambda a: len(a.answers()) == len(events) and a.waiting_next == WORKERS, "every invocation answered")
        assert not api.gate_timed_out, "fewer than four invocations were in flight together"
        # Database sessions: one per worker, held across every tenant the worker served.
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,))
        assert cur.fetchone()[0] == WORKERS
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        api.close()

    # Request ids and tenants: each answer went to its own invocation and carries its own tenant's data.
    answered = set()
    for _, path, headers, body in api.answers():
        rid = path[len(PREFIX + "/invocation/"):-len("/response")]
        assert path == f"{PREFIX}/invocation/{rid}/response" and rid not in answered
        answered.add(rid)
        assert headers["lambda-runtime-invocation-id"] == f"inv-{rid}"
        reply = json.loads(body)
        envelope = json.loads(reply["body"])
        assert reply["statusCode"] == 200 and envelope["ok"] is True, envelope
        assert envelope["data"]["arr"] == arr[expected[rid]], (rid, expected[rid], envelope["data"])
    assert answered == set(expected)

    # Log records: each names one invocation, and that invocation's tenant; every invocation has its request line.
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    per_request = {}
    for r in records:
        if "requestId" not in r:
            continue
        rid = r["requestId"]
        assert rid in expected, r
        assert r.get("tenantId") == expected[rid][0], r
        per_request.setdefault(rid, []).append(r)
    assert set(per_request) == set(expected)
    assert all(sum(1 for r in rs if r.get("message") == "request") == 1 for rs in per_request.values())

    # Audit rows: one per invocation, under the tenant that invocation asked for.
    cur.execute("SELECT request_id, tenant, outcome FROM audit_events WHERE request_id LIKE %s", (f"iso-{run}-%",))
    rows = cur.fetchall()
    assert sorted(r[0] for r in rows) == sorted(expected)
    assert all(tenant == expected[rid][0] and outcome == "ok" for rid, tenant, outcome in rows), rows
