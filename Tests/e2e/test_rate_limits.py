"""Token buckets in Postgres: exact under concurrency, across function instances, with 429 details. No assertion
depends on how fast the machine is: the burst's refill is read off the database's own clock, and the concurrency
test orders its callers by the slots they hold in the database."""
import json
import threading
import uuid

from conftest import HANG_GUARD, ROOT, SECRET, Emulator, connect, rest_event, sign, snapshot, snapshot_changes, wait_for


def count(db, sql, *args):
    cur = db.cursor()
    cur.execute(sql, args)
    return cur.fetchone()[0]


def test_n_parallel_callers_against_a_limit_of_m_admit_exactly_m(function_url, db, tmp_path):
    limit, callers, instances = 10, 40, 4
    tenant = "rate_" + uuid.uuid4().hex[:8]
    env = {"HMAC_SECRET": SECRET, "DATABASE_URL": function_url, "RATE_LIMIT_PER_MINUTE": str(limit)}
    fns = [Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", tmp_path=tmp_path, name="calculate_health",
                    env=env, extra_args=["--eager"]) for _ in range(instances)]
    try:
        for f in fns:  # warm: connections open, so the burst is about the limiter only
            body = json.dumps({"customerId": "warm", "params": {"ownerUserId": "warmup_" + uuid.uuid4().hex[:6]}})
            f.invoke(rest_event("calculate_health", body, sign(body)))
        before = snapshot(db)
        nonces = count(db, "SELECT count(*) FROM request_nonces")
        burst_start = count(db, "SELECT clock_timestamp()")
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

        threads = [threading.Thread(target=call, args=(i,)) for i in range(callers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_GUARD)
            assert not t.is_alive(), "hung: a caller never got its answer"
        statuses = [r[0] for r in results]
        # Exactly the limit, plus what the bucket refilled (10 a minute) while the burst lasted by the database's
        # clock — nothing on any ordinary run, where the burst takes far less than the 6 s one token needs.
        cur = db.cursor()
        cur.execute("SELECT updated_at, tokens FROM rate_buckets WHERE key = %s", (f"tenant:{tenant}",))
        [(taken_at, left)] = cur.fetchall()
        refilled = int((taken_at - burst_start).total_seconds() * limit / 60)
        admitted = statuses.count(200)
        assert limit <= admitted <= limit + refilled and statuses.count(429) == callers - admitted, (admitted, refilled)
        assert left >= 0, left  # never overdrawn
        refused = next(r for r in results if r[0] == 429)
        assert refused[2]["ok"] is False and refused[2]["error"]["code"] == "RATE_LIMITED"
        meta = refused[2]["meta"]["rateLimit"]
        assert meta["limit"] == limit and meta["remaining"] == 0 and meta["resetAt"].endswith("Z")
        assert 1 <= int(refused[1]["Retry-After"]) <= 7
        # The admitted calls took their tokens and recorded their nonces; the refused ones changed nothing at all.
        assert snapshot_changes(before, snapshot(db)) == ["rate_buckets", "request_nonces"]
        assert count(db, "SELECT count(*) FROM request_nonces") == nonces + admitted
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
        nonces = count(db, "SELECT count(*) FROM request_nonces")
        cur = locker.cursor()
        cur.execute("BEGIN")
        cur.execute("LOCK TABLE usage_summaries IN ACCESS EXCLUSIVE MODE")  # in-flight requests now wait
        results = [None] * instances

        def call(i):
            body = json.dumps({"customerId": f"c{i}", "params": {"ownerUserId": tenant}})
            out = json.loads(fns[i].invoke(rest_event("calculate_health", body, sign(body)))[2])
            results[i] = (out["statusCode"], json.loads(out["body"]))

        def slots():
            return count(db, "SELECT count(*) FROM inflight_requests WHERE tenant = %s", tenant)

        def waiting():
            return count(db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'usage_summaries'::regclass "
                             "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")

        # One caller after the other: the first `limit` each take a slot and then wait on the lock, holding it ...
        threads = [threading.Thread(target=call, args=(i,)) for i in range(instances)]
        for i, t in enumerate(threads[:limit]):
            t.start()
            wait_for(lambda: slots() == i + 1 and waiting() == i + 1, f"caller {i} holding a slot, waiting on the lock")
        # ... the others find the slots taken and are refused at once, while those two still wait.
        for t in threads[limit:]:
            t.start()
            t.join(HANG_GUARD)
            assert not t.is_alive(), "hung: a caller over the limit was not refused"
        assert slots() == limit and waiting() == limit
        assert [r[0] for r in results[limit:]] == [429] * (instances - limit), results
        locker.rollback()
        for t in threads[:limit]:
            t.join(HANG_GUARD)
            assert not t.is_alive(), "hung: a caller holding a slot never got its answer"
        assert [r[0] for r in results[:limit]] == [200] * limit, results
        refused = [r[1] for r in results if r[0] == 429]
        assert all(r["error"]["code"] == "TOO_MANY_CONCURRENT_REQUESTS" for r in refused)
        # The admitted calls recorded their nonces and gave their slots back; the refused ones changed nothing.
        assert snapshot_changes(before, snapshot(db)) == ["request_nonces"]
        assert count(db, "SELECT count(*) FROM request_nonces") == nonces + limit
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


def test_the_participant_api_defaults_to_100_calls_a_minute_per_organization(db, function_url, tmp_path):
    """Seed 003's figure, 100 requests a minute per organization, is the participant API's default: with
    `RATE_LIMIT_PER_MINUTE` unset (empty) a new organization's bucket holds 100 tokens, the first call takes one,
    and once they are spent a call is `429 RATE_LIMITED` naming the limit 100, changing nothing (docs/SECURITY.md,
    S3-07)."""
    from test_participants import BOOTSTRAP, JWT_SECRET, call
    org, user = f"org_rl100_{uuid.uuid4().hex[:6]}", f"user_rl100_{uuid.uuid4().hex[:6]}"
    db.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", (user, org))
    # conftest sets RATE_LIMIT_PER_MINUTE=0 for the suite, which the function would inherit: empty means the default.
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="participants",
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "RATE_LIMIT_PER_MINUTE": ""})
    try:
        status, env = call(fn, "GET", "/api/participants", user)
        assert status == 200 and env["data"] == [], env
        cur = db.cursor()
        cur.execute("SELECT tokens FROM rate_buckets WHERE key = %s", (f"tenant:{org}",))
        [(tokens,)] = cur.fetchall()
        assert 99 <= tokens < 99.1, tokens  # 100 less the call's token, plus what trickled back since (1 per 0.6 s)
        # The bucket empty (set so, rather than spending a hundred calls against the clock): refused, nothing changed.
        cur.execute("UPDATE rate_buckets SET tokens = 0, updated_at = now() WHERE key = %s", (f"tenant:{org}",))
        before = snapshot(db)
        status, env = call(fn, "GET", "/api/participants", user)
        assert (status, env["error"]["code"]) == (429, "RATE_LIMITED"), env
        assert env["meta"]["rateLimit"]["limit"] == 100 and env["meta"]["rateLimit"]["remaining"] == 0
        assert snapshot(db) == before
    finally:
        fn.stop()
