"""Fault tests (issue 8): what breaks around the functions, with real parts only — the packaged static bootstraps
under dist/, `warden gateway` serving template/template.yaml or `warden emulate`, a real PostgreSQL (a cluster of
the test's own wherever the test stops it), the local fake enrichment provider.

- Postgres stopped (`-m fast`) and crashed (`-m immediate`) under a write load through the gateway: every logical
  write (one `Idempotency-Key`, retried with the same key and body) ends acknowledged, is in the table exactly once,
  the refusals meanwhile are clean envelopes, the first request after Postgres accepts connections again is
  answered 2xx, and so is every request made while it is up (no stale connection reused, no back-off).
- The crash between a commit and its answer, made certain: commits wait for a synchronous standby that never comes
  (the commit record is durable, the answer withheld), then the server is killed. The retry must get the answer of
  the write that did commit (a replay), never a conflict with itself nor a second row.
- A handler that hangs on a lock past its deadline: the function cancels its statement and gives its own timeout
  answer while the lock is still held (Lambda kills nothing), nothing half-written, and the next call served by the
  same process when the lock goes.
- SIGTERM to the function process mid-invocation (delivered while its statement waits on a lock): that invocation
  completes with its normal answer, the row is written once, then the process exits 0 and a new one serves the next
  call.
- The enrichment provider failing (503 mid-batch) and stalling (past the function's timeout, and a process killed
  mid-call): the budget ledger stays consistent with the budgets, the items and the provider's own record of calls
  (every call is paid for before it is made — migration 8 —, so a charge matches a request the provider received,
  answered or not), a killed attempt's job is freed by its lease, and retrying completes the jobs with one charge
  per provider call; a caller retrying the killed request with its `Idempotency-Key` must not pay twice.

Every wait below polls the evidence it waits for (a row, a lock, a log line, a process state, an answer) with a hang
guard (conftest.wait_for); no assertion is about how long something took. The only delays are the behaviour under
test (a provider that stalls) and a client's pause between retries.
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import (HANG_GUARD, PG_BIN, ROOT, SECRET, Emulator, GatewayProcess, child_pids, connect, hs256_token,
                      http_request as gateway_request, wait_for)
from fake_enrichment import API_KEY, FakeProvider
from test_participants import event

PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
WORKER = ROOT / "dist" / "enrichment_worker" / "bootstrap"
JWT_SECRET = "faults-e2e-jwt-secret-0123456789abcdef0123"
ORIGIN = "http://localhost:3000"
SCHEDULED = json.loads((ROOT / "events" / "enrichment_worker" / "scheduled.json").read_text())
# How long one logical write may take, retries included, before the test calls it lost: a hang guard.
WRITE_BOUND = HANG_GUARD
# A client's pause between two attempts of a write (what a real client does; not a synchronisation).
RETRY_PAUSE = 0.05
# Words that would reveal internals in an answer a caller sees.
INTERNAL_WORDS = ("postgres", "libpq", "connection", "socket", "server closed", "terminating", "sqlstate", "select ",
                  "insert ", "update ", "meeting_participants", "idempotency_keys", "warden_", "pg_", "fatal")
IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry later."


# ------------------------------------------------------------------------------------------------------ plumbing
def jwt(sub):
    return hs256_token(sub, JWT_SECRET, lifetime=900)


def q(conn, sql, *args):
    cur = conn.cursor()
    cur.execute(sql, args)
    return [list(r) for r in cur.fetchall()] if cur.description else []


def pg_ctl(cluster, *args):
    """pg_ctl on a private cluster, as the postgres user."""
    out = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(cluster.data), *args],
                         capture_output=True, text=True)
    assert out.returncode == 0, (args, out.stdout, out.stderr)


def stop_cluster(cluster, mode):
    pg_ctl(cluster, "-m", mode, "-w", "stop")


def start_cluster(cluster, *options):
    pg_ctl(cluster, "-l", str(cluster.dir / "log"), "-w", *(["-o", " ".join(options)] if options else []), "start")


def superuser(cluster, sql, db="warden"):
    """One statement as the cluster's superuser; its rows as text (psql -At)."""
    out = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "psql"), "-h", str(cluster.dir), "-p",
                          str(cluster.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                         capture_output=True, text=True)
    assert out.returncode == 0, (sql, out.stderr)
    return out.stdout.strip()


def durable_commits(cluster):
    """The private cluster runs with synchronous_commit = off (fast tests); a crash test needs what production has:
    a commit acknowledged only once its WAL is written, so an acknowledged write survives `-m immediate`."""
    superuser(cluster, "ALTER SYSTEM SET synchronous_commit = on")
    superuser(cluster, "SELECT pg_reload_conf()")


def seed_member(url, prefix):
    org, user = f"org_{prefix}_{uuid.uuid4().hex[:8]}", f"user_{prefix}_{uuid.uuid4().hex[:8]}"
    conn = connect(url)
    conn.autocommit = True
    try:
        q(conn, "INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", user, org)
    finally:
        conn.close()
    return org, user


def http_request(port, method, target, headers, body=b"", timeout=WRITE_BOUND):
    status, answer_headers, raw = gateway_request(port, method, target, headers, body, timeout=timeout)
    return status, {k.lower(): v for k, v in answer_headers}, raw


def start_gateway(tmp_path, cluster, name):
    env = dict(os.environ, DATABASE_URL=cluster.function_url, HMAC_SECRET=SECRET, JWT_SECRET=JWT_SECRET)
    return GatewayProcess(tmp_path / f"{name}.log",
                          ["--parameter-overrides", f"AllowedOrigin={ORIGIN}", "RateLimitPerMinute=0", "--warm", "2",
                           "--quiet"], env=env)


def check_refusal(status, raw):
    """An answer other than 2xx while Postgres is away: the function's own envelope (500 TOOL_FAILURE, or 409 for a
    key whose earlier attempt still holds it) or the gateway's own 5xx — never an internal detail."""
    text = raw.decode(errors="replace")
    assert not any(word in text.lower() for word in INTERNAL_WORDS), (status, text)
    body = json.loads(raw)
    if "ok" in body:
        assert body["ok"] is False and body["data"] is None, (status, body)
        code, message = body["error"]["code"], body["error"]["message"]
        assert (status, code) in ((500, "TOOL_FAILURE"), (503, "TOOL_FAILURE"), (409, "CONFLICT")), (status, body)
        if code == "CONFLICT":
            assert message == IN_PROGRESS, body
    else:
        assert status in (500, 502, 504) and set(body) == {"message"}, (status, body)


class Load:
    """Client threads creating participants through the gateway: each logical write has its own key, email and
    body, retried unchanged on any non-2xx answer or transport error until a 2xx (at most WRITE_BOUND seconds).
    Each attempt records its answer and the test's `phase` (set by the test as it stops and starts Postgres) when it
    was sent and when it was answered: (status or "transport", body or error, sent in phase, answered in phase)."""

    def __init__(self, port, user, threads=4, tag="load"):
        self.port, self.user, self.tag = port, user, tag
        self.writes = []  # one dict per logical write
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.retrying = threading.Event()  # cleared: retries wait
        self.retrying.set()
        self.phase = "up"
        self.pool = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        self.acked = 0

    def start(self):
        for t in self.pool:
            t.start()
        return self

    def acks(self):
        with self.lock:
            return self.acked

    def wait_for_acks(self, n):
        wait_for(lambda: self.acks() >= n, lambda: f"{n} writes acknowledged (only {self.acks()})")

    def answers(self):
        with self.lock:
            return [a for w in self.writes for a in w["answers"]]

    def finish(self):
        self.stop.set()
        for t in self.pool:
            t.join(WRITE_BOUND + 10)
            assert not t.is_alive(), "hung: a client thread never finished its write"

    def write(self, thread, n):
        """One logical write, to its end."""
        email = f"{self.tag}.{thread}.{n}.{uuid.uuid4().hex[:6]}@faults.example"
        body = json.dumps({"meetingId": f"mtg_{self.tag}_{thread}", "email": email}).encode()
        record = {"key": f"{self.tag}-{thread}-{n}-{uuid.uuid4()}", "email": email, "answers": [], "acked": False}
        headers = {"Authorization": f"Bearer {jwt(self.user)}", "Content-Type": "application/json",
                   "Idempotency-Key": record["key"]}
        with self.lock:
            self.writes.append(record)
        started = time.monotonic()
        while True:
            sent = self.phase
            try:
                status, out_headers, raw = http_request(self.port, "POST", "/prod/api/participants", headers, body)
            except OSError as e:
                with self.lock:
                    record["answers"].append(("transport", repr(e), sent, self.phase))
            else:
                with self.lock:
                    record["answers"].append((status, raw, sent, self.phase))
                if 200 <= status < 300:
                    record.update(acked=True, status=status, body=raw,
                                  replayed=out_headers.get("idempotency-replayed") == "true")
                    with self.lock:
                        self.acked += 1
                    return record
            time.sleep(RETRY_PAUSE)  # a client's pause between attempts
            self.retrying.wait(WRITE_BOUND)
            if time.monotonic() - started > WRITE_BOUND:  # hang guard: check_writes reports the write as lost
                return record

    def _run(self, thread):
        n = 0
        while not self.stop.is_set():
            n += 1
            self.write(thread, n)


def check_writes(writes, owner_url, org):
    """Every logical write acknowledged, exactly once in the table, the acknowledged answer (first or replayed) the
    row's own and the key's stored answer; the refusals met on the way clean; nothing else written."""
    lost = [w for w in writes if not w["acked"]]
    assert not lost, (f"{len(lost)} of {len(writes)} logical writes never acknowledged within {WRITE_BOUND:.0f} s; "
                      f"their answers: {[[(a[0], a[1][:160]) for a in w['answers'][-3:]] for w in lost[:3]]}")
    transport = [a[:2] for w in writes for a in w["answers"] if a[0] == "transport"]
    assert not transport, f"the gateway dropped {len(transport)} requests: {transport[:3]}"
    for w in writes:
        for status, raw, *_ in w["answers"][:-1]:
            check_refusal(status, raw)
    conn = connect(owner_url)
    try:
        rows = q(conn, "SELECT email, array_agg(id ORDER BY id) FROM meeting_participants WHERE organization_id = %s "
                       "GROUP BY email", org)
        stored = {k: (s, json.loads(r)) for k, s, r in q(
            conn, "SELECT key, status, response FROM idempotency_keys WHERE organization_id = %s", org)}
    finally:
        conn.close()
    table = {email: ids for email, ids in rows}
    duplicates = {e: ids for e, ids in table.items() if len(ids) > 1}
    assert not duplicates, f"written more than once: {duplicates}"
    missing = sorted({w["email"] for w in writes} - set(table))
    assert not missing, f"{len(missing)} acknowledged writes are not in the table (lost): {missing[:5]}"
    unaccounted = sorted(set(table) - {w["email"] for w in writes})
    assert not unaccounted, f"rows no logical write of the test accounts for: {unaccounted[:5]}"
    for w in writes:
        data = json.loads(w["body"])["data"]
        assert w["status"] == 201 and data["email"] == w["email"] and [data["id"]] == table[w["email"]], w
        status, response = stored[w["key"]]
        assert status == 201 and response["data"]["id"] == data["id"], (w["key"], response)


# --------------------------------------------------------------------------------- 1. Postgres goes away under load
def test_postgres_stopped_and_crashed_under_a_write_load(private_cluster, tmp_path):
    durable_commits(private_cluster)
    org, user = seed_member(private_cluster.owner_url, "fault")
    gw = start_gateway(tmp_path, private_cluster, "gateway-restart")
    load = None
    try:
        probe_headers = {"Authorization": f"Bearer {jwt(user)}"}
        load = Load(gw.port, user).start()
        load.wait_for_acks(20)
        for mode in ("fast", "immediate"):
            load.wait_for_acks(load.acks() + 4)  # writes are flowing when Postgres goes
            load.phase = f"down:{mode}"
            stop_cluster(private_cluster, mode)
            # The outage reaches the clients: their writes are refused while Postgres is down.
            wait_for(lambda: sum(a[0] != "transport" and a[0] >= 300 and a[3] == f"down:{mode}"
                                 for a in load.answers()) >= 4, f"writes refused while Postgres is down ({mode})")
            start_cluster(private_cluster)
            load.phase = f"up:{mode}"
            # Postgres accepts connections again: the very first request is answered 2xx.
            status, _, raw = http_request(gw.port, "GET", "/prod/api/participants?limit=1", probe_headers)
            assert status == 200, (mode, status, raw[:300])
            load.wait_for_acks(load.acks() + 20)
        load.finish()
        # Every write attempt made while Postgres was up (sent after it accepted connections again, answered before
        # it went away once more) was acknowledged at once: no stale connection reused, no back-off.
        while_up = [a for a in load.answers() if a[2] == a[3] and a[2].startswith("up:")]
        refused_while_up = [(a[0], a[1][:160], a[2]) for a in while_up if a[0] == "transport" or a[0] >= 300]
        assert len(while_up) >= 40 and not refused_while_up, (len(while_up), refused_while_up[:5])
        check_writes(load.writes, private_cluster.owner_url, org)
        # The outages were seen: some writes needed retries, and every one of them ended acknowledged.
        assert sum(len(w["answers"]) > 1 for w in load.writes) >= 2, "the outages never reached a client"
    finally:
        if load is not None:
            load.stop.set()
        gw.stop()


# ----------------------------------------------------------------- 2. a commit whose answer was lost (made certain)
def test_a_write_committed_when_the_server_crashed_is_replayed_not_refused(private_cluster, tmp_path):
    cluster = private_cluster
    durable_commits(cluster)
    superuser(cluster, "ALTER SYSTEM SET synchronous_standby_names = 'faults_standby_that_never_comes'")
    org, user = seed_member(cluster.owner_url, "crash")
    gw = start_gateway(tmp_path, cluster, "gateway-crash")
    try:
        load = Load(gw.port, user, threads=0, tag="crash")
        # Warm: both processes hold a connection, and writes go through.
        for i in range(4):
            assert load.write(0, i)["acked"]
        # From now on a commit writes its record and then waits for the standby: durable, unanswered.
        superuser(cluster, "SELECT pg_reload_conf()")
        warm = len(load.writes)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(load.write, 1 + i, 1) for i in range(4)]
            wait_for(lambda: superuser(cluster, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
                     == "2", "the writes reaching their commit")
            load.retrying.clear()  # retries wait until the rows the crash left are known
            stop_cluster(cluster, "immediate")
            # Every one of the four writes has met the crash (an error answer) before Postgres comes back.
            wait_for(lambda: len(load.writes) == warm + 4 and all(w["answers"] for w in load.writes[warm:]),
                     "the four writes answered while Postgres is down")
            # Back without the phantom standby; crash recovery replays the two commits that were waiting.
            start_cluster(cluster, "-c", "synchronous_standby_names=")
            conn = connect(cluster.owner_url)
            try:
                committed = {r[0] for r in q(
                    conn, "SELECT email FROM meeting_participants WHERE organization_id = %s", org)}
            finally:
                conn.close()
            load.retrying.set()
            results = [f.result(timeout=WRITE_BOUND + 10) for f in futures]
        # The two that were waiting did commit, although no attempt had an answer before the crash.
        in_doubt = [w for w in results if w["email"] in committed]
        assert len(in_doubt) == 2 and all(w["answers"][0][0] != 201 for w in in_doubt), \
            [(w["email"], [a[0] for a in w["answers"]]) for w in results]
        check_writes(load.writes, cluster.owner_url, org)
        # Their retry got the stored answer of the attempt that committed.
        assert all(w["replayed"] for w in in_doubt), [(w["email"], w["answers"]) for w in in_doubt]
    finally:
        gw.stop()


# ------------------------------------------------------------------------------------ 3. a handler that hangs
@pytest.fixture
def member(db):
    org, user = f"org_fault_{uuid.uuid4().hex[:8]}", f"user_fault_{uuid.uuid4().hex[:8]}"
    q(db, "INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", user, org)
    return org, user


def invoke(fn, method, path, user, body=None, key=None, timeout=60):
    headers = {"Authorization": f"Bearer {jwt(user)}", "Origin": ORIGIN}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    if key is not None:
        headers["Idempotency-Key"] = key
    _, out_headers, out = fn.invoke(event(method, path, headers, body), timeout=timeout)
    resp = json.loads(out)
    if "statusCode" not in resp:
        return None, resp  # a function error (the emulator's timeout, a crash)
    return resp["statusCode"], {"headers": {k.lower(): v for k, v in resp["headers"].items()},
                                "body": json.loads(resp["body"]) if resp["body"] else None}


class TableLock:
    """`LOCK TABLE … IN ACCESS EXCLUSIVE MODE` held by the schema owner until released."""

    def __init__(self, database_url, table):
        self.conn = connect(database_url)
        q(self.conn, f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # pg8000 opened a transaction

    def release(self):
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


def waiting_on(db, table):
    """Sessions of this database waiting for a lock on `table`."""
    return q(db, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass "
                 "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", table)[0][0]


def invocation_log(fn, request_id):
    """The function's own log lines of one invocation ("LEVEL\tmessage …"; text format), and its REPORT line."""
    lines = fn.output().splitlines()
    own = [line.split("\t", 2)[2] for line in lines if line.count("\t") >= 3 and line.split("\t")[1] == request_id]
    report = next((line for line in lines if line.startswith(f"REPORT RequestId: {request_id}\t")), None)
    return own, report


def last_request_id(fn):
    return [line.split()[2] for line in fn.output().splitlines() if line.startswith("START RequestId: ")][-1]


def test_a_handler_hanging_past_its_deadline_answers_and_the_next_call_is_served(
        db, database_url, function_url, member, tmp_path):
    org, user = member
    fn = Emulator(PARTICIPANTS, tmp_path=tmp_path, name="participants", timeout=2,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "ALLOWED_ORIGIN": ORIGIN})
    lock = None
    try:
        assert invoke(fn, "GET", "/api/participants", user)[0] == 200  # warm: process and connection
        body = {"meetingId": "mtg_hang", "email": f"hang.{uuid.uuid4().hex[:6]}@faults.example"}
        key = f"hang-{uuid.uuid4()}"
        lock = TableLock(database_url, "meeting_participants")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            call = pool.submit(invoke, fn, "POST", "/api/participants", user, body, key)
            # The insert waits on the lock ...
            wait_for(lambda: waiting_on(db, "meeting_participants") == 1, "the call reaching the lock")
            # ... until the function cancels it (250 ms before its deadline) and answers itself: the lock is still
            # held, and Lambda (the emulator) killed nothing.
            status, reply = call.result(timeout=HANG_GUARD)
        assert status == 500 and reply["body"]["error"]["code"] == "TOOL_FAILURE", reply
        assert reply["body"]["ok"] is False and "idempotency-replayed" not in reply["headers"]
        assert waiting_on(db, "meeting_participants") == 0, "the cancelled statement still waits"
        own, report = invocation_log(fn, last_request_id(fn))
        assert any(line.startswith("ERROR\troute failure") and "error.code=timeout" in line for line in own), own
        assert "Task timed out" not in fn.output() and report is not None and "Status:" not in report, report
        lock.release()
        # Nothing half-written: no row, no reservation of the key.
        assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", org) == [[0]]
        assert q(db, "SELECT count(*) FROM idempotency_keys WHERE organization_id = %s", org) == [[0]]
        # The next call — the same request, retried — is served by the same process, as a first run.
        status, reply = invoke(fn, "POST", "/api/participants", user, body, key=key)
        assert status == 201 and "idempotency-replayed" not in reply["headers"], reply
        assert q(db, "SELECT count(*) FROM meeting_participants WHERE organization_id = %s", org) == [[1]]
        assert fn.output().count("Init Duration") == 1, "the process was replaced"
    finally:
        if lock is not None:
            lock.release()
        fn.stop()


# -------------------------------------------------------------------------------- 4. SIGTERM mid-invocation
def process_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def signal_pending(pid, signum):
    """Whether `signum` is still pending for process `pid` (sent, not yet delivered to its handler); a process that
    is gone has nothing pending."""
    try:
        with open(f"/proc/{pid}/status") as f:
            masks = dict(line.split(":", 1) for line in f if line.startswith(("SigPnd", "ShdPnd")))
    except OSError:
        return False
    return any(int(mask.strip(), 16) >> (signum - 1) & 1 for mask in masks.values())


def test_sigterm_during_an_invocation_lets_it_complete_then_the_process_exits_0(
        db, database_url, function_url, member, tmp_path):
    org, user = member
    # The function runs under a shell that records its pid and, when it ends, its exit status.
    pids, exits = tmp_path / "pids", tmp_path / "exits"
    wrapper = tmp_path / "bootstrap"
    wrapper.write_text(f"""#!/bin/sh
"{PARTICIPANTS}" &
child=$!
echo $child >> "{pids}"
trap 'kill -TERM $child' TERM
wait $child
status=$?
echo $status >> "{exits}"
exit $status
""")
    wrapper.chmod(0o755)
    fn = Emulator(wrapper, tmp_path=tmp_path, name="participants", timeout=10,
                  env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "ALLOWED_ORIGIN": ORIGIN})
    lock = None
    try:
        assert invoke(fn, "GET", "/api/participants", user)[0] == 200
        [pid] = [int(p) for p in pids.read_text().split()]
        body = {"meetingId": "mtg_sigterm", "email": f"term.{uuid.uuid4().hex[:6]}@faults.example"}
        key = f"sigterm-{uuid.uuid4()}"
        lock = TableLock(database_url, "meeting_participants")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            call = pool.submit(invoke, fn, "POST", "/api/participants", user, body, key)
            wait_for(lambda: waiting_on(db, "meeting_participants") == 1, "the call reaching the lock")
            os.kill(pid, signal.SIGTERM)
            # SIGTERM is delivered (its handler has run) while the invocation still waits on the lock ...
            wait_for(lambda: not signal_pending(pid, signal.SIGTERM), "SIGTERM being delivered")
            # ... and the process keeps going: it answers once the lock goes (a process that had quit on SIGTERM
            # would leave the call with Runtime.ExitError, its exit recorded).
            assert process_state(pid) not in (None, "Z") and not exits.exists(), "the process quit on SIGTERM"
            assert waiting_on(db, "meeting_participants") == 1 and not call.done()
            lock.release()
            status, reply = call.result(timeout=HANG_GUARD)
        assert status == 201 and reply["body"]["data"]["email"] == body["email"], reply
        rows = q(db, "SELECT id FROM meeting_participants WHERE organization_id = %s AND email = %s",
                 org, body["email"])
        assert rows == [[reply["body"]["data"]["id"]]]
        assert q(db, "SELECT status FROM idempotency_keys WHERE organization_id = %s AND key = %s", org, key) == [[201]]
        # Then the process ends, with status 0, without taking another invocation.
        wait_for(exits.exists, "the process exiting after SIGTERM")
        assert exits.read_text().split() == ["0"]
        # A new process serves the next call (and the retry of the same key is the stored answer).
        status, again = invoke(fn, "POST", "/api/participants", user, body, key)
        assert status == 201 and again["headers"]["idempotency-replayed"] == "true"
        assert again["body"] == reply["body"]
        assert [int(p) for p in pids.read_text().split()][0] == pid and len(pids.read_text().split()) == 2
        assert "Runtime exited" not in fn.output()
    finally:
        if lock is not None:
            lock.release()
        fn.stop()


# ------------------------------------------------------------------ 5. the enrichment provider failing or stalling
def enrichment_env(function_url, provider, **extra):
    env = {"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "ALLOWED_ORIGIN": ORIGIN,
           "ENRICHMENT_URL": provider.url, "ENRICHMENT_API_KEY": API_KEY, "ENRICHMENT_PROVIDER_NAME": "fakepdl",
           "ENRICHMENT_TIMEOUT_MS": "10000", "ENRICHMENT_RETRY_BASE_MS": "300"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def enrichment_functions(function_url, provider, tmp_path):
    """The participants API (3 s timeout: a stalled provider outlasts it) and the worker (20 s), on `provider`."""
    api = Emulator(PARTICIPANTS, tmp_path=tmp_path, name="participants", timeout=3,
                   env=enrichment_env(function_url, provider))
    worker = Emulator(WORKER, tmp_path=tmp_path, name="enrichment_worker", timeout=20,
                      env=enrichment_env(function_url, provider, ENRICHMENT_TIMEOUT_MS=4000))
    return api, worker


def ledger_state(db, org, emails, provider):
    """Checks the ledger against the budgets, the items, the history and the provider's own record; returns the
    charges per participant."""
    charges = q(db, "SELECT job_id, participant_id, attempt, cost_cents FROM enrichment_ledger "
                    "WHERE organization_id = %s ORDER BY id", org)
    total = sum(c[3] for c in charges)
    budgets = dict(q(db, "SELECT period, spent_cents FROM enrichment_budgets WHERE organization_id = %s", org))
    assert budgets == ({"day": total, "month": total} if charges else {}), (budgets, total)
    # One charge per (job, participant, attempt): an attempt pays once for a participant.
    assert len({tuple(c[:3]) for c in charges}) == len(charges), charges
    # Each item's cost is what the ledger charged for it.
    items = q(db, "SELECT job_id, participant_id, cost_cents FROM enrichment_job_items WHERE organization_id = %s", org)
    for job, participant, cost in items:
        assert cost == sum(c[3] for c in charges if c[:2] == [job, participant]), (job, participant, cost, charges)
    # Each charge is one request the provider received, and each request it received was charged.
    ids = {pid: email for email, pid in emails.items()}
    received = {}
    for call in provider.calls:
        if call["email"] in emails:
            received[emails[call["email"]]] = received.get(emails[call["email"]], 0) + 1
    paid = {}
    for c in charges:
        paid[c[1]] = paid.get(c[1], 0) + 1
    assert paid == received, ({ids[k]: v for k, v in paid.items()}, {ids[k]: v for k, v in received.items()})
    return paid


def kill_children(emulator):
    for pid in child_pids(emulator.proc.pid):
        os.kill(pid, signal.SIGKILL)


def run_worker(worker):
    _, _, out = worker.invoke(SCHEDULED, timeout=60)
    reply = json.loads(out)
    assert reply["ok"] is True, reply
    return reply["data"]


def test_a_failing_or_stalling_provider_keeps_the_budget_ledger_consistent(db, function_url, member, tmp_path):
    org, user = member
    provider = FakeProvider(flaky_failures=1)
    provider.hold()  # a stalled provider: `slow…` calls get no answer until the test releases them
    api, worker = enrichment_functions(function_url, provider, tmp_path)
    try:
        tag = uuid.uuid4().hex[:6]
        emails = {}
        for local in ("ok.a", "flaky.b", "slow.c", "ok.d", "slow.e"):
            email = f"{local}.{tag}@faults.example"
            status, reply = invoke(api, "POST", "/api/participants", user,
                                   {"meetingId": f"mtg_enrich_{tag}", "email": email})
            assert status == 201, reply
            emails[email] = reply["body"]["data"]["id"]
        a, b, c, d, e = emails.values()
        email_e = list(emails)[4]

        # A batch meets a 503 (b) and then a stall (c) that outlasts the function's timeout: the function gives up on
        # the provider in time to answer itself (Lambda never kills it), and d, with no time left, is not tried.
        status, reply = invoke(api, "POST", "/api/participants/enrich", user, {"participantIds": [a, b, c, d]},
                               key=f"batch-{tag}")
        assert status == 200, reply
        _, report = invocation_log(api, last_request_id(api))
        assert "Task timed out" not in api.output() and report is not None and "Status:" not in report, report
        batch = reply["body"]["data"]["job"]
        assert batch["status"] == "retry"
        assert {i["participantId"]: (i["status"], i["costCents"]) for i in batch["items"]} == {
            a: ("enriched", 10), b: ("pending", 10), c: ("pending", 10), d: ("pending", 0)}
        history = q(db, "SELECT participant_id, outcome FROM participant_enrichment_history WHERE organization_id = %s "
                        "ORDER BY id", org)
        assert history == [[a, "enriched"], [b, "failed: status 503"], [c, "failed: timeout"]]
        assert ledger_state(db, org, emails, provider) == {a: 1, b: 1, c: 1}

        # A process killed in the middle of a provider call (what Lambda's timeout or a crash does): the call was
        # paid for; the job keeps its slot only until its lease ends, the key only until the invocation's deadline.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            killed = pool.submit(invoke, api, "POST", f"/api/participants/{e}/enrich", user, None, f"one-{tag}")
            wait_for(lambda: provider.calls_for(email_e) and provider.in_flight > 0, "the provider call starting")
            kill_children(api)
            status, error = killed.result(timeout=HANG_GUARD)
        assert status is None and error["errorType"] == "Runtime.ExitError", error
        # The key is reserved until the invocation's deadline (at most its 3 s away); the job holds its slot until
        # its lease ends, 5 s after that same deadline.
        [(job_e, state, reserved, left, lease_after_key)] = q(
            db, "SELECT j.id, j.status, k.status, extract(epoch FROM k.expires_at - now()), "
                "extract(epoch FROM j.lease_until - k.expires_at) FROM enrichment_jobs j JOIN idempotency_keys k "
                "ON k.organization_id = j.organization_id AND k.key = %s WHERE j.organization_id = %s AND j.id <> %s",
            f"one-{tag}", org, batch["id"])
        assert state == "running" and reserved is None and float(left) <= 3, (state, reserved, left)
        assert 4 < float(lease_after_key) < 6, lease_after_key
        assert ledger_state(db, org, emails, provider) == {a: 1, b: 1, c: 1, e: 1}

        # The provider recovers. The worker retries the batch's remaining items (one charge each) and leaves the
        # killed job alone while its lease lasts.
        provider.slow_seconds = 0
        provider.release()
        wait_for(lambda: q(db, "SELECT next_attempt_at <= now() FROM enrichment_jobs WHERE id = %s",
                           batch["id"])[0][0], "the batch's retry becoming due")
        run_worker(worker)
        assert q(db, "SELECT lease_until > now() FROM enrichment_jobs WHERE id = %s", job_e) == [[True]], \
            "the killed job's lease (8 s) ran out before the worker's run ended: the machine stalled"
        assert q(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", batch["id"]) == [["succeeded", 2]]
        assert q(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", job_e) == [["running", 1]]
        assert ledger_state(db, org, emails, provider) == {a: 1, b: 2, c: 2, d: 1, e: 1}

        # Once the lease has run out, the worker takes the killed job up again and completes it.
        wait_for(lambda: q(db, "SELECT lease_until <= now() FROM enrichment_jobs WHERE id = %s", job_e)[0][0],
                 "the killed job's lease ending")
        run_worker(worker)
        assert q(db, "SELECT status, attempts FROM enrichment_jobs WHERE id = %s", job_e) == [["succeeded", 2]]
        paid = ledger_state(db, org, emails, provider)
        assert paid == {a: 1, b: 2, c: 2, d: 1, e: 2}
        # Every participant enriched once, and never charged after that.
        enriched = q(db, "SELECT participant_id, count(*) FROM participant_enrichment_history "
                         "WHERE organization_id = %s AND outcome = 'enriched' GROUP BY participant_id", org)
        assert dict(enriched) == {a: 1, b: 1, c: 1, d: 1, e: 1}
        late = q(db, "SELECT l.participant_id FROM enrichment_ledger l JOIN participant_enrichment_history h "
                     "ON h.participant_id = l.participant_id AND h.outcome = 'enriched' "
                     "WHERE l.organization_id = %s AND l.charged_at > h.created_at", org)
        assert late == []
        # Nothing left holding a slot or a key.
        assert q(db, "SELECT count(*) FROM enrichment_jobs WHERE organization_id = %s AND status NOT IN "
                     "('succeeded', 'failed')", org) == [[0]]
        # Further worker runs change nothing.
        run_worker(worker)
        assert ledger_state(db, org, emails, provider) == paid
    finally:
        api.stop()
        worker.stop()
        provider.stop()


def test_a_client_retrying_an_enrich_call_whose_process_was_killed_is_not_charged_twice(
        db, function_url, member, tmp_path):
    """The caller of a killed enrich call retries it with the same `Idempotency-Key` (what the key is for). The
    killed attempt's job still holds the participant; the retry must not make the provider be called and paid for a
    second time for the same logical request once the participant is enriched."""
    org, user = member
    provider = FakeProvider()
    provider.hold()  # the enrich call stays at the provider until its process is killed
    api, worker = enrichment_functions(function_url, provider, tmp_path)
    try:
        tag = uuid.uuid4().hex[:6]
        email = f"slow.retry.{tag}@faults.example"
        status, reply = invoke(api, "POST", "/api/participants", user, {"meetingId": f"mtg_{tag}", "email": email})
        assert status == 201, reply
        pid = reply["body"]["data"]["id"]
        key = f"enrich-retry-{tag}"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            killed = pool.submit(invoke, api, "POST", f"/api/participants/{pid}/enrich", user, None, key)
            wait_for(lambda: provider.calls_for(email) and provider.in_flight > 0, "the provider call starting")
            kill_children(api)
            assert killed.result(timeout=HANG_GUARD)[0] is None
        provider.slow_seconds = 0
        provider.release()

        def reserved():
            return q(db, "SELECT count(*) FROM idempotency_keys WHERE organization_id = %s AND key = %s "
                         "AND status IS NULL AND expires_at > now()", org, key) == [[1]]

        # The caller retries the same request at once: while the killed attempt still holds the key (until its
        # invocation's deadline) the retry is refused as in progress ...
        status, reply = invoke(api, "POST", f"/api/participants/{pid}/enrich", user, None, key)
        if reserved():  # held before and after the retry, so during it
            assert status == 409 and reply["body"]["error"]["message"] == IN_PROGRESS, reply
        # ... and once the reservation has run out, the retry gets an answer.
        wait_for(lambda: not reserved(), "the killed attempt's key reservation running out")
        if status == 409:
            status, reply = invoke(api, "POST", f"/api/participants/{pid}/enrich", user, None, key)
        assert status in (200, 202), reply
        # The worker runs the jobs that are due, including the killed attempt's once its lease has ended.
        wait_for(lambda: q(db, "SELECT count(*) FROM enrichment_jobs WHERE organization_id = %s AND status = "
                               "'running' AND lease_until > now()", org) == [[0]], "the killed job's lease ending")
        run_worker(worker)
        assert q(db, "SELECT count(*) FROM enrichment_jobs WHERE organization_id = %s AND status NOT IN "
                     "('succeeded', 'failed')", org) == [[0]]
        paid = ledger_state(db, org, {email: pid}, provider)
        enriched = q(db, "SELECT count(*) FROM participant_enrichment_history WHERE organization_id = %s "
                         "AND outcome = 'enriched'", org)
        # Paid: the call the killed process made, and one that completed the request.
        assert (paid, enriched) == ({pid: 2}, [[1]]), (
            f"one enrich request (one Idempotency-Key) paid {paid.get(pid)} provider calls and enriched the "
            f"participant {enriched[0][0]} times; jobs: "
            f"{q(db, 'SELECT id, status, attempts FROM enrichment_jobs WHERE organization_id = %s ORDER BY id', org)}")
    finally:
        api.stop()
        worker.stop()
        provider.stop()
