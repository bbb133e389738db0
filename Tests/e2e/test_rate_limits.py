"""Token buckets in Postgres: exact under concurrency, across function instances, with 429 details."""
import json
import threading
import time
import uuid

from conftest import ROOT, SECRET, Emulator, rest_event, sign, snapshot


def test_n_parallel_callers_against_a_limit_of_m_admit_exactly_m(function_url, db, tmp_path):
    limit, callers, instances = 10, 40, 4
    tenant = "rate_" + uuid.uuid4().hex[:8]
    env = {"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": str(limit)}
    fns = [Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name=f"calculate_health",
                    env=env, extra_args=["--eager"]) for _ in range(instances)]
    try:
        for f in fns:  # warm: connections open, so the burst is about the limiter only
            body = json.dumps({"customerId": "warm", "params": {"ownerUserId": "warmup_" + uuid.uuid4().hex[:6]}})
            f.invoke(rest_event("calculate_health", body, sign(body)))
        before = snapshot(db)
        events = []
        for i in range(callers):
            body = json.dumps({"customerId": f"c{i}", "params": {"ownerUserId": tenant}})
            events.append(rest_event("calculate_health", body, sign(body)))
        results = [None] * callers
        barrier = threading.Barrier(callers)

        def call(i):
            barrier.wait()
            _, headers, out = fns[i % instances].invoke(events[i])
            resp = json.loads(out)
            results[i] = (resp["statusCode"], resp["headers"], json.loads(resp["body"]))

        started = time.monotonic()
        threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert time.monotonic() - started < 6, "the burst must finish before a token refills (10/min)"
        statuses = [r[0] for r in results]
        assert statuses.count(200) == limit and statuses.count(429) == callers - limit
        refused = next(r for r in results if r[0] == 429)
        assert refused[2]["ok"] is False and refused[2]["error"]["code"] == "RATE_LIMITED"
        meta = refused[2]["meta"]["rateLimit"]
        assert meta["limit"] == limit and meta["remaining"] == 0 and meta["resetAt"].endswith("Z")
        assert 1 <= int(refused[1]["Retry-After"]) <= 7
        assert snapshot(db) == before
    finally:
        for f in fns:
            f.stop()


def test_the_limit_is_per_tenant(function_url, tmp_path):
    env = {"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": "2"}
    f = Emulator(ROOT / "dist" / "get_contract_info" / "bootstrap", tmp_path=tmp_path, name="get_contract_info", env=env)
    try:
        def status(tenant):
            body = json.dumps({"customerId": "x", "params": {"ownerUserId": tenant}})
            return json.loads(f.invoke(rest_event("get_contract_info", body, sign(body)))[2])["statusCode"]
        a, b = "tenant_a_" + uuid.uuid4().hex[:6], "tenant_b_" + uuid.uuid4().hex[:6]
        assert [status(a) for _ in range(3)] == [200, 200, 429]
        assert status(b) == 200
    finally:
        f.stop()


def test_concurrency_limit_per_tenant_across_instances(function_url, database_url, db, tmp_path):
    from conftest import connect
    limit, instances = 2, 4
    tenant = "conc_" + uuid.uuid4().hex[:8]
    env = {"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "CONCURRENCY_LIMIT": str(limit)}
    fns = [Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                    env=env, timeout=10, extra_args=["--eager"]) for _ in range(instances)]
    locker = connect(database_url)
    try:
        for f in fns:
            body = json.dumps({"customerId": "warm", "params": {"ownerUserId": "warm_" + uuid.uuid4().hex[:6]}})
            f.invoke(rest_event("calculate_health", body, sign(body)))
        before = snapshot(db)
        cur = locker.cursor()
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE usage_summaries IN ACCESS EXCLUSIVE MODE")  # in-flight requests now wait
        results = [None] * instances

        def call(i):
            body = json.dumps({"customerId": f"c{i}", "params": {"ownerUserId": tenant}})
            out = json.loads(fns[i].invoke(rest_event("calculate_health", body, sign(body)))[2])
            results[i] = (out["statusCode"], json.loads(out["body"]))

        threads = [threading.Thread(target=call, args=(i,)) for i in range(instances)]
        for t in threads:
            t.start()
            time.sleep(0.2)  # the first ones take the slots, the rest find them taken
        time.sleep(0.5)
        locker.rollback()
        for t in threads:
            t.join(30)
        codes = sorted(r[0] for r in results)
        assert codes == [200] * limit + [429] * (instances - limit)
        refused = [r[1] for r in results if r[0] == 429]
        assert all(r["error"]["code"] == "TOO_MANY_CONCURRENT_REQUESTS" for r in refused)
        assert snapshot(db) == before
        # Slots are given back: the tenant can call again.
        body = json.dumps({"customerId": "after", "params": {"ownerUserId": tenant}})
        assert json.loads(fns[0].invoke(rest_event("calculate_health", body, sign(body)))[2])["statusCode"] == 200
        cur = db.cursor()
        cur.execute("SELECT count(*) FROM inflight_requests WHERE tenant = %s", (tenant,))
        assert cur.fetchone()[0] == 0
    finally:
        locker.close()
        for f in fns:
            f.stop()
