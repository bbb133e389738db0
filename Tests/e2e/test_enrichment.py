"""Participant enrichment (seed 003) through the packaged static bootstraps, the emulator, Postgres and a local
fake provider: the provider's answers (good, unknown, failing, slow, garbage) land validated, every call is paid
for from the organization's daily and monthly budgets first — concurrent callers never overspend —, batches hold at
most 50, at most 5 jobs of an organization run at once (the sixth waits for the worker), failed attempts are retried
by the scheduled worker with exponential back-off from 5 s, and another organization sees none of it."""
import concurrent.futures
import json
import urllib.request
import uuid

import pytest

from conftest import ROOT, Emulator, snapshot, wait_for
from fake_enrichment import API_KEY, FakeProvider
from test_participants import event, token

PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
WORKER = ROOT / "dist" / "enrichment_worker" / "bootstrap"
JWT_SECRET = "enrichment-e2e-jwt-secret-0123456789abcdef"
TABLES = ["meeting_participants", "participant_enrichment_history", "enrichment_jobs", "enrichment_job_items",
          "enrichment_ledger", "enrichment_budgets"]
SCHEDULED = json.loads((ROOT / "events" / "enrichment_worker" / "scheduled.json").read_text())


def jwt(sub):
    import test_participants
    saved = test_participants.JWT_SECRET
    test_participants.JWT_SECRET = JWT_SECRET
    try:
        return token(sub)
    finally:
        test_participants.JWT_SECRET = saved


@pytest.fixture(scope="module")
def provider():
    # `slow…` addresses stall only while a test holds the provider (FakeProvider.hold): no answer here depends on
    # how a stall compares with the functions' provider timeout.
    p = FakeProvider(slow_seconds=0, flaky_failures=1)
    yield p
    p.stop()


@pytest.fixture
def org(db):
    """A fresh organization (and its user) per test module run, so budgets start at zero."""
    def make(prefix="org_e"):
        org_id = f"{prefix}_{uuid.uuid4().hex[:8]}"
        user = f"user_{uuid.uuid4().hex[:8]}"
        db.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", (user, org_id))
        return org_id, user
    return make


def start(tmp_path_factory, function_url, provider, name="participants", bootstrap=PARTICIPANTS, **env):
    base = {"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "ENRICHMENT_URL": provider.url,
            "ENRICHMENT_API_KEY": API_KEY, "ENRICHMENT_TIMEOUT_MS": "4000", "ENRICHMENT_PROVIDER_NAME": "fakepdl"}
    base.update({k: str(v) for k, v in env.items()})
    return Emulator(bootstrap, tmp_path=tmp_path_factory.mktemp(name), name=name, env=base, timeout=20)


@pytest.fixture(scope="module")
def api(tmp_path_factory, function_url, provider):
    fn = start(tmp_path_factory, function_url, provider)
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def worker(tmp_path_factory, function_url, provider):
    fn = start(tmp_path_factory, function_url, provider, name="enrichment_worker", bootstrap=WORKER)
    yield fn
    fn.stop()


def call(fn, method, path, user, body=None):
    headers = {"Authorization": f"Bearer {jwt(user)}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body if isinstance(body, str) else json.dumps(body)
    _, _, out = fn.invoke(event(method, path, headers, body), timeout=60)
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


def participant(fn, user, email, **extra):
    status, env = call(fn, "POST", "/api/participants", user,
                       {"meetingId": f"mtg_{uuid.uuid4().hex[:8]}", "email": email, **extra})
    assert status == 201, env
    return env["data"]["id"]


def run_worker(worker):
    _, _, out = worker.invoke(SCHEDULED, timeout=60)
    return json.loads(out)


def rows(db, sql, *args):
    cur = db.cursor()
    cur.execute(sql, args)
    return [list(r) for r in cur.fetchall()]


def ledger_sum(db, org_id):
    return tuple(rows(db, "SELECT coalesce(sum(cost_cents), 0), count(*) FROM enrichment_ledger WHERE organization_id = %s", org_id)[0])


def test_enrich_one_records_match_cost_and_history(api, db, provider, org):
    org_id, user = org()
    pid = participant(api, user, "jane.doe@acme.example")
    status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
    assert status == 200, env
    p, job = env["data"]["participant"], env["data"]["job"]
    assert p["enrichmentStatus"] == "enriched" and p["enrichmentSource"] == "fakepdl"
    assert p["autoMatchConfidence"] == pytest.approx(0.9) and p["displayName"] == "Provider Person"
    assert job["status"] == "succeeded" and job["attempts"] == 1 and job["maxAttempts"] == 4
    assert job["items"] == [{"participantId": pid, "status": "enriched", "costCents": 10}]
    # The provider got the address and the key, as a bearer token.
    calls = provider.calls_for("jane.doe@acme.example")
    assert len(calls) == 1 and calls[0]["authorization"] == f"Bearer {API_KEY}"
    assert ledger_sum(db, org_id) == (10, 1)
    history = rows(db, "SELECT source, cost_cents, outcome FROM participant_enrichment_history WHERE participant_id = %s", pid)
    assert history == [["fakepdl", 10, "enriched"]]
    status, env = call(api, "GET", "/api/enrichment/budget", user)
    assert status == 200 and env["data"]["day"]["spentCents"] == 10 and env["data"]["day"]["limitCents"] == 5000
    assert env["data"]["month"]["spentCents"] == 10 and env["data"]["month"]["limitCents"] == 100000
    # The job stays readable by its organization; the export shows the history.
    status, env = call(api, "GET", f"/api/enrichment-jobs/{job['id']}", user)
    assert status == 200 and env["data"]["job"]["status"] == "succeeded"
    status, env = call(api, "GET", f"/api/participants/{pid}/export", user)
    assert [h["outcome"] for h in env["data"]["enrichmentHistory"]] == ["enriched"]


def test_unknown_and_invalid_answers(api, db, org):
    org_id, user = org()
    unknown = participant(api, user, "unknown.person@acme.example", displayName="Kept Name")
    status, env = call(api, "POST", f"/api/participants/{unknown}/enrich", user)
    assert status == 200 and env["data"]["participant"]["enrichmentStatus"] == "unknown"
    assert env["data"]["participant"]["displayName"] == "Kept Name"
    assert env["data"]["job"]["status"] == "succeeded"
    # Garbage, an out-of-range confidence and an oversized body are failed attempts: nothing lands on the row.
    for local in ("garbage", "invalid", "big"):
        pid = participant(api, user, f"{local}.x@acme.example")
        status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
        assert status == 200, env
        assert env["data"]["participant"]["enrichmentStatus"] == "pending"
        assert env["data"]["participant"]["displayName"] is None
        assert env["data"]["job"]["status"] == "retry" and env["data"]["job"]["items"][0]["status"] == "pending"
        outcome = rows(db, "SELECT outcome FROM participant_enrichment_history WHERE participant_id = %s", pid)
        assert outcome == [["failed: oversized answer" if local == "big" else "failed: invalid answer"]]
    # Every attempt was paid for, whatever the answer.
    assert ledger_sum(db, org_id) == (40, 4)


def test_failures_are_retried_with_exponential_backoff_then_fail(api, worker, db, org, provider):
    org_id, user = org()
    pid = participant(api, user, "fail.always@acme.example")
    status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
    assert status == 200 and env["data"]["job"]["status"] == "retry"
    job = env["data"]["job"]["id"]
    delays = []
    for attempt in range(1, 5):
        state, attempts, delay = rows(db, "SELECT status, attempts, extract(epoch FROM next_attempt_at - updated_at) "
                                          "FROM enrichment_jobs WHERE id = %s", job)[0]
        assert attempts == attempt
        if attempt == 4:
            assert state == "failed"
            break
        assert state == "retry"
        delays.append(float(delay))
        # Not due yet: the worker leaves it alone.
        before = len(provider.calls_for("fail.always@acme.example"))
        out = run_worker(worker)
        assert out["ok"] is True
        assert len(provider.calls_for("fail.always@acme.example")) == before
        # Time travel: make it due, and the worker takes the next attempt.
        db.cursor().execute("UPDATE enrichment_jobs SET next_attempt_at = now() WHERE id = %s", (job,))
        out = run_worker(worker)
        assert out["data"]["attempted"] >= 1
    assert delays == pytest.approx([5.0, 10.0, 20.0], abs=0.05)
    assert len(provider.calls_for("fail.always@acme.example")) == 4
    items = rows(db, "SELECT status, cost_cents FROM enrichment_job_items WHERE job_id = %s", job)
    assert items == [["failed", 40]]
    assert ledger_sum(db, org_id) == (40, 4)
    status, env = call(api, "GET", f"/api/enrichment-jobs/{job}", user)
    assert env["data"]["job"]["status"] == "failed" and env["data"]["job"]["nextAttemptAt"] is None
    # The worker audits every attempt it ran, in the job's organization.
    audited = rows(db, "SELECT count(*) FROM audit_events WHERE tool = 'enrichment_worker' AND tenant = %s", org_id)[0][0]
    assert audited == 3


def test_a_flaky_provider_succeeds_on_the_worker_retry(api, worker, db, org):
    org_id, user = org()
    pid = participant(api, user, "flaky.one@acme.example")
    status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
    assert env["data"]["job"]["status"] == "retry"
    job = env["data"]["job"]["id"]
    db.cursor().execute("UPDATE enrichment_jobs SET next_attempt_at = now() WHERE id = %s", (job,))
    run_worker(worker)
    status, env = call(api, "GET", f"/api/enrichment-jobs/{job}", user)
    assert env["data"]["job"]["status"] == "succeeded" and env["data"]["job"]["attempts"] == 2
    assert env["data"]["job"]["items"] == [{"participantId": pid, "status": "enriched", "costCents": 20}]
    outcomes = rows(db, "SELECT outcome FROM participant_enrichment_history WHERE participant_id = %s ORDER BY id", pid)
    assert outcomes == [["failed: status 503"], ["enriched"]]


def test_one_worker_run_serves_each_organizations_job_in_its_own_session(api, worker, db, org):
    """Two organizations' retries fall due together; one worker run (the functions' role, no service key) finishes
    both. Row-level security lets a statement see only the organization its session is scoped to, so each job's
    participant could only be enriched, its history written and its ledger charged in its own organization's
    session; nothing of one organization lands in the other's."""
    jobs = {}
    for n in range(2):
        org_id, user = org()
        pid = participant(api, user, f"flaky.org{n}.{uuid.uuid4().hex[:6]}@acme.example")
        _, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
        assert env["data"]["job"]["status"] == "retry"
        jobs[org_id] = (user, pid, env["data"]["job"]["id"])
        db.cursor().execute("UPDATE enrichment_jobs SET next_attempt_at = now() WHERE id = %s", (env["data"]["job"]["id"],))
    run_worker(worker)
    for org_id, (user, pid, job) in jobs.items():
        _, env = call(api, "GET", f"/api/enrichment-jobs/{job}", user)
        assert env["data"]["job"]["status"] == "succeeded", env
        assert rows(db, "SELECT organization_id, enrichment_status FROM meeting_participants WHERE id = %s", pid) == [
            [org_id, "enriched"]]
        assert rows(db, "SELECT DISTINCT organization_id FROM participant_enrichment_history WHERE participant_id = %s",
                    pid) == [[org_id]]
        other_user = next(u for o, (u, _, _) in jobs.items() if o != org_id)
        assert call(api, "GET", f"/api/enrichment-jobs/{job}", other_user)[0] == 404


def budget_metric(fn, call, marker_event=b"{}"):
    """Runs `call`; returns its result, the BudgetSpentCents of each EMF line it made `fn` write (all of them: see
    test_metrics.emf_of), and those lines."""
    from test_metrics import emf_of
    result, made = emf_of(fn, call, marker_event)
    docs = [json.loads(line) for _, lines in made for line in lines]
    return result, [doc["BudgetSpentCents"] for doc in docs], docs


def test_the_metric_line_reports_what_each_call_spent(api, worker, db, org):
    """BudgetSpentCents on the EMF line of an enrich call and of a worker run equals what the ledger charged in it."""
    org_id, user = org()
    ids = [participant(api, user, f"spend{i}.{uuid.uuid4().hex[:6]}@acme.example") for i in range(2)]
    flaky = participant(api, user, f"flaky.{uuid.uuid4().hex[:6]}@acme.example")
    (status, env), spent, docs = budget_metric(
        api, lambda: call(api, "POST", "/api/participants/enrich", user, {"participantIds": ids + [flaky]}))
    assert status == 200 and env["data"]["job"]["status"] == "retry"
    assert spent == [30] == [ledger_sum(db, org_id)[0]] and docs[0]["Function"] == "participants"
    # A call that spends nothing reports 0.
    assert budget_metric(api, lambda: call(api, "GET", "/api/enrichment/budget", user))[1] == [0]
    # The worker's run: one line, the retry's charge. (Its markers are events it refuses before it runs: a JSON
    # array is no schedule event, while `{}` would be one more run.)
    db.cursor().execute("UPDATE enrichment_jobs SET next_attempt_at = now() WHERE id = %s", (env["data"]["job"]["id"],))
    out, spent, docs = budget_metric(worker, lambda: run_worker(worker), marker_event=b"[]")
    assert out["ok"] is True
    assert len(docs) == 1 and docs[0]["Function"] == "enrichment_worker" and docs[0]["Errors"] == 0
    assert spent[0] >= 10 and ledger_sum(db, org_id)[0] == 30 + 10
    assert org_id not in json.dumps(docs)


def test_batches_hold_at_most_50_and_refusals_change_nothing(api, db, org):
    org_id, user = org()
    other_org, other_user = org()
    ids = [participant(api, user, f"b{i}@acme.example") for i in range(3)]
    foreign = participant(api, other_user, "foreign@globex.example")
    before = snapshot(db, TABLES)
    bad = [
        ({"participantIds": list(range(1, 52))}, 400, "INVALID_INPUT"),
        ({"participantIds": []}, 400, "INVALID_INPUT"),
        ({"participantIds": [ids[0], ids[0]]}, 400, "INVALID_INPUT"),
        ({"participantIds": [ids[0], "1 OR 1=1"]}, 400, "INVALID_INPUT"),
        ({"participantIds": [ids[0], -4]}, 400, "INVALID_INPUT"),
        ({"participantIds": [ids[0]], "extra": 1}, 400, "INVALID_INPUT"),
        ({"participantIds": "1,2"}, 400, "INVALID_INPUT"),
        ("[1,2]", 400, "INVALID_INPUT"),
        ({"participantIds": [ids[0], foreign]}, 404, "NOT_FOUND"),
        ({"participantIds": [ids[0], 999999999]}, 404, "NOT_FOUND"),
    ]
    for body, want_status, code in bad:
        status, env = call(api, "POST", "/api/participants/enrich", user, body)
        assert (status, env["error"]["code"]) == (want_status, code), (body, env)
    # Someone else's participant, alone, is simply not found; a body on the single route is refused.
    status, env = call(api, "POST", f"/api/participants/{foreign}/enrich", user)
    assert (status, env["error"]["code"]) == (404, "NOT_FOUND")
    status, env = call(api, "POST", f"/api/participants/{ids[0]}/enrich", user, {"force": True})
    assert (status, env["error"]["code"]) == (400, "INVALID_INPUT")
    assert snapshot(db, TABLES) == before
    # 50 is fine.
    fifty = ids + [participant(api, user, f"c{i}@acme.example") for i in range(47)]
    status, env = call(api, "POST", "/api/participants/enrich", user, {"participantIds": fifty})
    assert status == 200, env
    assert env["data"]["job"]["status"] == "succeeded" and len(env["data"]["job"]["items"]) == 50
    assert ledger_sum(db, org_id) == (500, 50)


def test_erased_participants_are_not_enriched(api, db, org):
    org_id, user = org()
    gone = participant(api, user, "gone@acme.example")
    kept = participant(api, user, "kept@acme.example")
    assert call(api, "POST", f"/api/participants/{gone}/erase", user)[0] == 200
    before = snapshot(db, TABLES)
    status, env = call(api, "POST", f"/api/participants/{gone}/enrich", user)
    assert (status, env["error"]["code"]) == (409, "CONFLICT")
    assert snapshot(db, TABLES) == before
    status, env = call(api, "POST", "/api/participants/enrich", user, {"participantIds": [gone, kept]})
    assert status == 200
    assert {i["participantId"]: i["status"] for i in env["data"]["job"]["items"]} == {gone: "skipped", kept: "enriched"}
    assert ledger_sum(db, org_id) == (10, 1)
    assert provider_never_saw_deleted(db)


def provider_never_saw_deleted(db):
    return rows(db, "SELECT count(*) FROM enrichment_ledger l JOIN meeting_participants p ON p.id = l.participant_id "
                    "WHERE p.email = '[deleted]' AND l.charged_at > p.updated_at")[0][0] == 0


def test_another_organization_sees_and_changes_nothing(api, db, org):
    org_id, user = org()
    other_org, other_user = org()
    pid = participant(api, user, "private@acme.example")
    status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
    job = env["data"]["job"]["id"]
    before = snapshot(db, TABLES)
    assert call(api, "GET", f"/api/enrichment-jobs/{job}", other_user)[0] == 404
    assert call(api, "POST", f"/api/participants/{pid}/enrich", other_user)[0] == 404
    status, env = call(api, "GET", "/api/enrichment/budget", other_user)
    assert env["data"]["day"]["spentCents"] == 0
    status, env = call(api, "GET", f"/api/enrichment-jobs/{job}", user)
    assert status == 200
    assert snapshot(db, TABLES) == before


def test_concurrent_enrich_calls_never_overspend(tmp_path_factory, function_url, provider, db, org):
    """Daily budget 50 ¢ at 10 ¢ a call, 4 instances, 12 concurrent batches of 2: exactly 5 calls are paid for."""
    org_id, user = org()
    fns = [start(tmp_path_factory, function_url, provider, name=f"budget{i}", ENRICHMENT_DAILY_BUDGET_CENTS=50)
           for i in range(4)]
    try:
        ids = [participant(fns[0], user, f"p{i}@acme.example") for i in range(24)]
        for fn in fns:  # warm: one connection each
            assert call(fn, "GET", "/api/enrichment/budget", user)[0] == 200
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda i: call(fns[i % 4], "POST", "/api/participants/enrich", user,
                                                   {"participantIds": ids[2 * i:2 * i + 2]}), range(12)))
    finally:
        for fn in fns:
            fn.stop()
    total, count = ledger_sum(db, org_id)
    assert (total, count) == (50, 5)
    enriched = rows(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s AND enrichment_status = 'enriched'", org_id)
    assert enriched[0][0] == 5
    codes = [env["error"]["code"] for status, env in results if status == 429]
    assert codes and set(codes) == {"BUDGET_EXCEEDED"}
    assert all(status in (200, 429) for status, _ in results)
    assert rows(db, "SELECT spent_cents FROM enrichment_budgets WHERE organization_id = %s AND period = 'day'", org_id) == [[50]]


def test_monthly_budget_is_enforced_too(tmp_path_factory, function_url, provider, db, org):
    org_id, user = org()
    fn = start(tmp_path_factory, function_url, provider, name="monthly", ENRICHMENT_MONTHLY_BUDGET_CENTS=30)
    try:
        ids = [participant(fn, user, f"m{i}@acme.example") for i in range(5)]
        status, env = call(fn, "POST", "/api/participants/enrich", user, {"participantIds": ids})
        assert status == 200
        assert [i["status"] for i in env["data"]["job"]["items"]] == ["enriched"] * 3 + ["budget_exceeded"] * 2
        assert env["data"]["job"]["status"] == "failed"
        before = snapshot(db, TABLES)
        status, env = call(fn, "POST", f"/api/participants/{ids[4]}/enrich", user)
        assert (status, env["error"]["code"]) == (429, "BUDGET_EXCEEDED")
        assert snapshot(db, TABLES) == before
    finally:
        fn.stop()
    assert ledger_sum(db, org_id) == (30, 3)


def test_a_sixth_concurrent_job_waits_for_the_worker(tmp_path_factory, function_url, provider, db, org, worker):
    org_id, user = org()
    fns = [start(tmp_path_factory, function_url, provider, name=f"slots{i}") for i in range(6)]
    try:
        ids = [participant(fns[0], user, f"slow{i}@acme.example") for i in range(6)]
        for fn in fns:
            assert call(fn, "GET", "/api/enrichment/budget", user)[0] == 200
        with provider.lock:
            provider.peak = 0  # this test's own peak, not an earlier test's
        provider.hold()  # the five calls stay at the provider until the sixth one has been answered
        try:
            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                first = [pool.submit(call, fns[i], "POST", f"/api/participants/{ids[i]}/enrich", user) for i in range(5)]
                wait_for(lambda: provider.in_flight == 5, "five provider calls in flight")
                status, env = call(fns[5], "POST", f"/api/participants/{ids[5]}/enrich", user)
                assert status == 202, env
                assert env["data"]["job"]["status"] == "queued" and env["data"]["job"]["attempts"] == 0
                assert env["data"]["participant"]["enrichmentStatus"] == "pending"
                assert len(provider.calls_for("slow5@acme.example")) == 0
                assert provider.in_flight == 5 and not any(f.done() for f in first)
                provider.release()
                results = [f.result() for f in first]
        finally:
            provider.release()
        assert [s for s, _ in results] == [200] * 5
        assert provider.peak == 5
    finally:
        for fn in fns:
            fn.stop()
    queued = env["data"]["job"]["id"]
    out = run_worker(worker)
    assert out["data"]["attempted"] >= 1
    state = rows(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", queued)
    assert state == [["succeeded", 1]]
    assert len(provider.calls_for("slow5@acme.example")) == 1


def test_worker_refuses_a_malformed_event_and_changes_nothing(worker, db):
    before = snapshot(db, TABLES)
    status, headers, out = worker.invoke(b"not json")
    assert status == 200 and {k.lower(): v for k, v in headers.items()}.get("x-amz-function-error")
    assert snapshot(db, TABLES) == before


def test_the_provider_key_can_come_from_secrets_manager(tmp_path_factory, function_url, provider, db, org):
    """`ENRICHMENT_SECRET_ARN` names a Secrets Manager secret (JSON with `apiKey`), read with libcurl's SigV4 against
    moto with authentication enforced; the key never appears in the function's output. A rotated key is used once
    the secrets cache's TTL has passed, without a restart, and it never appears in the output either."""
    from test_secrets import Moto
    from moto import settings as moto_settings
    moto = Moto()
    try:
        sm = moto.client("secretsmanager")
        arn = moto.admin(lambda: sm.create_secret(Name=f"warden/enrichment-{uuid.uuid4().hex[:6]}",
                                                  SecretString=json.dumps({"apiKey": API_KEY}))["ARN"])
        env = moto.function_env(DATABASE_URL=function_url, ENRICHMENT_SECRET_ARN=arn, ENRICHMENT_API_KEY="",
                                SECRETS_TTL_SECONDS="1")
        fn = start(tmp_path_factory, function_url, provider, name="smkey", **env)
        try:
            org_id, user = org()
            pid = participant(fn, user, "sm.key@acme.example")
            status, env_ = call(fn, "POST", f"/api/participants/{pid}/enrich", user)
            assert status == 200 and env_["data"]["participant"]["enrichmentStatus"] == "enriched"
            assert provider.calls_for("sm.key@acme.example")[0]["authorization"] == f"Bearer {API_KEY}"
            assert API_KEY not in fn.output()
            # The key is rotated in Secrets Manager: the same process picks it up after the TTL (the fake provider
            # refuses it, which is beside the point: what matters is which key was sent).
            rotated = f"rotated-provider-key-{uuid.uuid4().hex}"
            sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"apiKey": rotated}))

            def sent_rotated():
                email = f"sm.rotated.{uuid.uuid4().hex[:6]}@acme.example"
                call(fn, "POST", f"/api/participants/{participant(fn, user, email)}/enrich", user)
                return any(c["authorization"] == f"Bearer {rotated}" for c in provider.calls_for(email))
            wait_for(sent_rotated, "the rotated provider key in use", timeout=30, interval=0.3)
            assert rotated not in fn.output() and API_KEY not in fn.output()
        finally:
            fn.stop()
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        # moto's backends are process-wide: leave them empty for test_secrets' own server (same IAM user name).
        urllib.request.urlopen(urllib.request.Request(moto.url + "/moto-api/reset", method="POST"), timeout=10).read()
        moto.server.stop()


def test_the_worker_takes_over_an_attempt_whose_lease_expired(api, worker, db, org, provider):
    """An attempt that died mid-way (crash, timeout) leaves its job `running`; once the lease has expired the job no
    longer holds a slot and the worker runs its next attempt."""
    org_id, user = org()
    pid = participant(api, user, "fail.lease@acme.example")
    status, env = call(api, "POST", f"/api/participants/{pid}/enrich", user)
    job = env["data"]["job"]["id"]
    # Pretend the attempt is still running, with a live lease: the worker leaves it alone.
    db.cursor().execute("UPDATE enrichment_jobs SET status = 'running', lease_until = now() + interval '1 minute' "
                        "WHERE id = %s", (job,))
    run_worker(worker)
    assert rows(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", job) == [["running", 1]]
    # The lease runs out: the next run takes the job up again.
    db.cursor().execute("UPDATE enrichment_jobs SET lease_until = now() - interval '1 second' WHERE id = %s", (job,))
    out = run_worker(worker)
    assert out["data"]["attempted"] >= 1
    assert rows(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", job) == [["retry", 2]]
    assert len(provider.calls_for("fail.lease@acme.example")) == 2


@pytest.mark.parametrize("bootstrap,name,value,rule", [
    (PARTICIPANTS, "ENRICHMENT_MAX_JOBS", "0", "must be a whole number from 1 to 100"),
    (PARTICIPANTS, "ENRICHMENT_DAILY_BUDGET_CENTS", "50 cents", "must be a whole number from 0 to 100000000"),
    (PARTICIPANTS, "ENRICHMENT_URL", "http://provider.example", "must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
    (WORKER, "ENRICHMENT_MAX_ATTEMPTS", "99", "must be a whole number from 1 to 10"),
    (WORKER, "ENRICHMENT_WORKER_BATCH", "all", "must be a whole number from 1 to 1000"),
], ids=["jobs", "budget", "plain-http", "attempts", "batch"])
def test_an_invalid_enrichment_setting_fails_initialization(db, tmp_path_factory, function_url, provider, bootstrap, name,
                                                             value, rule):
    """An invalid budget, limit or provider URL is never replaced by its default: the function does not start, and
    says which setting (never its value)."""
    fn = start(tmp_path_factory, function_url, provider, name=bootstrap.parent.name, bootstrap=bootstrap, **{name: value})
    try:
        before = snapshot(db)
        event_bytes = (json.dumps(SCHEDULED) if bootstrap == WORKER else
                       json.dumps(event("GET", "/api/enrichment/budget", headers={"Authorization": "Bearer x"})))
        _, _, out = fn.invoke(event_bytes.encode())
        error = json.loads(out)
        assert error["errorType"] == "Runtime.ConfigurationError", error
        assert error["errorMessage"] == f"Configuration error: {name} {rule}"
        assert snapshot(db) == before
    finally:
        fn.stop()
