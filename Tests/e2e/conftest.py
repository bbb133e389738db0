"""Shared fixtures for the end-to-end tests: real binaries, the real emulator, a real PostgreSQL. The processes, the
waits and the signing come from Tests/harness/warden_harness.py, which the benchmarks (bench/) share."""
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pg8000.dbapi
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harness"))  # warden_harness, shared with bench/
import openapi_check
import warden_harness
# What the test modules import from here: the harness's processes, waits, databases and signing.
from warden_harness import (HANG_GUARD, INVOKE_PATH, ROOT, WARDEN, EmulatorProcess, GatewayProcess,  # noqa: F401
                            MotoServer, b64url, child_pids, create_database, fn_url, free_port, hs256_jwt,
                            hs256_token, http_request, migrate, pg_superuser, port_open, stop_process, v2_signature,
                            wait_for, wait_for_port)

TESTFN = ROOT / ".build" / "debug" / "warden-testfn"
SECRET = "e2e-test-secret-0123456789"
COPILOT_TABLES = ["companies", "contracts", "usage_summaries", "ticket_summaries", "messages"]
# Every table holding tenant data (the copilot's, organization membership, API keys).
TENANT_TABLES = COPILOT_TABLES + ["organization_members", "api_keys"]


# Every test has a time limit (pytest-timeout, installed by scripts/ensure-tools.sh): a test that hangs fails with
# its traceback after TEST_TIMEOUT seconds instead of eating CI's budget. The limit is a hang guard, many times what
# the slowest ordinary test takes; a test that legitimately runs longer says so with @pytest.mark.timeout(seconds)
# (its module's `pytestmark` for a module-scoped fixture's work), or is listed in LONG_RUNNING when its file is
# owned elsewhere (by file, or file::test).
TEST_TIMEOUT = 300
LONG_RUNNING = {
    # The libFuzzer builds and runs of `scripts/fuzz.sh` and the regression runners' build (each guarded at 900 s;
    # a fresh checkout builds them from scratch).
    "test_fuzz.py": 1800,
    # `sam build` runs scripts/package.sh for every function (guarded at 1200 s).
    "test_templates.py::test_sam_build_produces_the_packaged_static_bootstraps": 1800,
    # A release build of a function from an empty scratch directory.
    "test_package.py::test_rebuild_from_scratch_is_byte_identical": 1200,
}


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError("pytest-timeout is missing (bash scripts/ensure-tools.sh installs it): every "
                                "end-to-end test runs with a time limit")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            limit = LONG_RUNNING.get(f"{item.path.name}::{item.originalname}", LONG_RUNNING.get(item.path.name))
            item.add_marker(pytest.mark.timeout(limit or TEST_TIMEOUT, method="signal"))


# Rate limits get their own tests; everywhere else they would only make the suite depend on its own speed.
os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "0")
os.environ.setdefault("ALLOWED_ORIGIN", "http://localhost:3000")


def sign(body, secret=SECRET, ts_ms=None, client="copilot-frontend"):
    """The copilot's v1 scheme (warden_harness.sign, written from CONTRACTS.md independently of the Swift code). Each
    call gets its own millisecond, so two identical requests are not replays of each other."""
    return warden_harness.sign(body, secret, ts_ms, client)


def rest_event(tool, body, headers=None, method="POST", base64_body=False):
    headers = dict(headers or {})
    return {
        "resource": f"/{tool}", "path": f"/{tool}", "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": None, "pathParameters": None, "stageVariables": None,
        "requestContext": {"requestId": "e2e", "stage": "prod", "httpMethod": method, "resourcePath": f"/{tool}"},
        "body": body, "isBase64Encoded": base64_body,
    }


FRONTEND = json.loads((Path(__file__).parent / "schemas" / "frontend.json").read_text())
VALIDATED = {"replies": 0}


def check_frontend_shape(tool, proxy_response_bytes):
    """Validates a copilot tool's reply against the front end's schemas (envelope, then the tool's data)."""
    import jsonschema
    resp = json.loads(proxy_response_bytes)
    if not isinstance(resp, dict) or "statusCode" not in resp or not resp.get("body"):
        return
    envelope = json.loads(resp["body"])
    jsonschema.validate(envelope, FRONTEND["envelope"])
    if envelope["ok"]:
        jsonschema.validate(envelope["data"], FRONTEND["data"][tool])
    VALIDATED["replies"] += 1


# OpenAPI mismatches found outside the test's own thread (e.g. by helper threads of a test); the
# autouse fixture `openapi_conformance` fails the test during which they happened.
OPENAPI_FAILURES = []
# Responses of the real functions validated against docs/openapi.yaml, by operation id.
OPENAPI_SEEN = {}


def check_openapi(function, event, proxy_response):
    """Validates an HTTP function's proxy response against docs/openapi.yaml (see openapi_check.py). A mismatch
    raises in the test's thread and is recorded for `openapi_conformance` in any other thread."""
    try:
        operation = openapi_check.check_invocation(function, event, proxy_response)
        OPENAPI_SEEN[operation] = OPENAPI_SEEN.get(operation, 0) + 1
    except openapi_check.OpenAPIMismatch as e:
        if threading.current_thread() is threading.main_thread():
            raise
        OPENAPI_FAILURES.append(f"{function}: {e}")


@pytest.fixture(autouse=True)
def openapi_conformance():
    """Fails a test during which a response seen off the main thread did not match docs/openapi.yaml."""
    OPENAPI_FAILURES.clear()
    yield
    if OPENAPI_FAILURES:
        found = list(OPENAPI_FAILURES)
        OPENAPI_FAILURES.clear()
        pytest.fail(f"{len(found)} response(s) do not match docs/openapi.yaml:\n" + "\n".join(found[:5]), pytrace=False)


# OpenAPI coverage of a whole run: every operation of docs/openapi.yaml must be reached by some response the suite
# validates (OPENAPI_SEEN), or the run fails (exit status 1) with the list. A partial run (one file, `-k`, `-m`,
# `--deselect`) only reports. WARDEN_OPENAPI_COVERAGE=require checks any run (to try the check), =off none.
# Modules that may run apart from the rest, as `make test` runs test_terraform_moto.py beside the suite.
OPENAPI_COVERAGE_OPTIONAL_MODULES = {"test_terraform_moto.py"}
OPENAPI_COVERAGE = {"deselected": 0, "whole": False, "unreached": []}


def pytest_deselected(items):
    OPENAPI_COVERAGE["deselected"] += len(items)


def is_whole_run(collected_modules, deselected, setting=""):
    """Whether a run that collected tests from `collected_modules` (file names in Tests/e2e) and deselected
    `deselected` tests is the whole end-to-end suite: every test module but the optional ones, nothing deselected.
    `setting` is WARDEN_OPENAPI_COVERAGE."""
    if setting in ("require", "off"):
        return setting == "require"
    modules = {p.name for p in Path(__file__).resolve().parent.glob("test_*.py")} - OPENAPI_COVERAGE_OPTIONAL_MODULES
    return deselected == 0 and modules <= set(collected_modules)


def pytest_sessionfinish(session, exitstatus):
    """A whole run that left an operation of docs/openapi.yaml unreached fails (the list is in the summary)."""
    here = Path(__file__).resolve().parent
    collected = {Path(str(item.fspath)).name for item in session.items if Path(str(item.fspath)).resolve().parent == here}
    if not is_whole_run(collected, OPENAPI_COVERAGE["deselected"], os.environ.get("WARDEN_OPENAPI_COVERAGE", "")):
        return
    OPENAPI_COVERAGE["whole"] = True
    OPENAPI_COVERAGE["unreached"] = openapi_check.unreached(OPENAPI_SEEN)
    if OPENAPI_COVERAGE["unreached"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    """How many responses were checked against docs/openapi.yaml, and which operations no test reached (a failure
    for a whole run)."""
    seen = OPENAPI_SEEN
    operations = {op.operation_id for op in openapi_check.document().operations}
    reached = operations & set(seen)
    if OPENAPI_COVERAGE["whole"]:
        missed = OPENAPI_COVERAGE["unreached"]
        if missed:
            terminalreporter.write_line(
                f"openapi: FAILED: {len(missed)} of {len(operations)} operations of docs/openapi.yaml reached by no "
                f"test of this whole run: {', '.join(missed)}", red=True, bold=True)
        else:
            terminalreporter.write_line(f"openapi: {sum(seen.values())} function responses validated against "
                                        f"docs/openapi.yaml; all {len(operations)} operations reached")
        return
    if not seen:
        return
    # A partial run: the count, and what it left out when it reached most of the document.
    line = (f"openapi: {sum(seen.values())} function responses validated against docs/openapi.yaml "
            f"({len(reached)} of {len(operations)} operations)")
    missed = sorted(operations - reached)
    if missed and len(reached) * 2 > len(operations):
        line += f"; not reached: {', '.join(missed)}"
    terminalreporter.write_line(line)


class Emulator(EmulatorProcess):
    """`warden emulate` running one function binary, with its stdout captured to a file. Replies of copilot
    tools are checked against the front end's schemas, and replies of every HTTP function of ours (the document's
    `x-warden-function` names) against docs/openapi.yaml; other binaries (warden-testfn, warden-testapi, Python
    runtimes, bench tools) are not checked."""

    def __init__(self, bootstrap, env=None, timeout=3, tmp_path=None, name="fn", extra_args=()):
        port = free_port()
        super().__init__(bootstrap, Path(tmp_path or "/tmp") / f"emulator-{name}-{port}.log", name=name,
                         timeout=timeout, env=env, extra_args=extra_args, port=port)

    def invoke(self, payload, headers=None, timeout=30):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOKE_PATH}", data=data,
            headers=headers or {}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, headers, body = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        function_error = "x-amz-function-error" in {k.lower() for k in headers}
        if self.name in FRONTEND["data"] and not function_error:
            check_frontend_shape(self.name, body)
        if status == 200 and not function_error and self.name in openapi_check.http_functions():
            check_openapi(self.name, data, body)
        return status, headers, body


@pytest.fixture
def emulator(tmp_path):
    started = []

    def start(bootstrap, **kw):
        e = Emulator(bootstrap, tmp_path=tmp_path, **kw)
        started.append(e)
        return e

    yield start
    for e in started:
        e.stop()


# The run's database (`WARDEN_E2E_DATABASE` lets two runs on one cluster stay out of each other's way).
E2E_DATABASE = os.environ.get("WARDEN_E2E_DATABASE", "warden_e2e")
assert E2E_DATABASE.replace("_", "").isalnum(), "WARDEN_E2E_DATABASE: letters, digits and _ only"


@pytest.fixture(scope="session")
def database_url():
    """A fresh database for this run, migrated with `warden migrate`."""
    return create_database(E2E_DATABASE)


class OwnDatabase:
    """A database of one test module's own, next to the run's (`<run database>_<module>`): `owner_url`, `function_url`
    (the functions' role) and `conn` (the owner, autocommit)."""

    def __init__(self, name):
        self.name = name
        self.owner_url = create_database(name)
        self.function_url = fn_url(name)
        self.conn = connect(self.owner_url)
        self.conn.autocommit = True

    def drop(self):
        self.conn.close()
        pg_superuser(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture(scope="module")
def module_database(request):
    """A database for the module alone, for functions that work across every organization (the retention sweep):
    their runs never touch another module's rows, and another module's rows never enter their expectations."""
    own = OwnDatabase(f"{E2E_DATABASE}_{request.module.__name__.removeprefix('test_')}")
    yield own
    own.drop()


@pytest.fixture(scope="session")
def function_url(database_url):
    """What the functions connect with: the warden_app login role (member of warden_fn, owns nothing)."""
    return fn_url(E2E_DATABASE)


def connect(url):
    return warden_harness.connect(url)


@pytest.fixture(scope="session")
def db(database_url):
    conn = connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


# The one table a refused request changes by design: the audit log gets a row for every call, refused ones included
# (tests that care count its rows themselves).
SNAPSHOT_EXCLUDED = ("audit_events",)


def database_tables(conn):
    """Every table of the database's public schema, from the catalog (a new migration's table is included without
    anyone listing it), but the audit log."""
    cur = conn.cursor()
    cur.execute("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1")
    return [r[0] for r in cur.fetchall() if r[0] not in SNAPSHOT_EXCLUDED]


def snapshot(conn, tables=None):
    """Row count and checksum of each table — by default of every table but the audit log (`database_tables`),
    the request guards' own (`request_nonces`, `rate_buckets`, `inflight_requests`, `idempotency_keys`) included:
    proof that a refused request changed nothing, not even a tenant's quota. Pass `tables` only to look at fewer
    tables on purpose (a private cluster's, or a test that asserts an intended change elsewhere exactly)."""
    cur = conn.cursor()
    out = {}
    for t in database_tables(conn) if tables is None else tables:
        cur.execute(f"SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM \"{t}\" x")
        out[t] = tuple(cur.fetchone())
    return out


def snapshot_changes(before, after):
    """The tables whose rows differ between two snapshots, by name (empty: nothing changed)."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def sqlstate(error):
    """The SQLSTATE and server message of a pg8000 database error."""
    fields = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return fields.get("C"), fields.get("M", "")


@contextlib.contextmanager
def refused_by_postgres(code, message=None):
    """The block's statement must fail with exactly SQLSTATE `code` (42501 insufficient privilege or a row-level
    security violation, 23505 unique violation, 23514 check violation, 22023 invalid parameter value …) and, when
    given, a server message starting with `message` (to tell 42501's "permission denied" from "violates row-level
    security"): any other failure — a typo, a missing table, a lost connection — is not the refusal under test."""
    with pytest.raises(pg8000.dbapi.DatabaseError) as refused:
        yield refused
    state, text = sqlstate(refused.value)
    assert state == code, f"expected SQLSTATE {code}, got {state}: {text}"
    if message is not None:
        assert text.startswith(message), f"SQLSTATE {code} as expected, but the message is {text!r}"


def replay_records(conn):
    """The replay records (`request_nonces`, docs/SIGNING.md "Replays"): key → expiry."""
    cur = conn.cursor()
    cur.execute("SELECT key, expires_at FROM request_nonces")
    return dict(cur.fetchall())


def v1_replay_key(function, headers):
    """The replay record of a v1-signed request to `function`, as docs/SIGNING.md documents it:
    `v1:<function>:<signature>`."""
    return f"v1:{function}:{headers['X-Signature']}"


def guarded_state(conn):
    """What `assert_only_replay_records_added` compares against: a snapshot of every table, and the replay records."""
    return snapshot(conn), replay_records(conn)


def assert_only_replay_records_added(conn, state, keys):
    """Since `state` (`guarded_state`), nothing changed but that exactly the replay records `keys` were added: the
    documented effect of accepted signed calls (docs/SIGNING.md, "Replays": a verified request whose tool did not
    fail with a server error is recorded, whatever it answered). The bounded sweep of expired records may have run
    (`RequestGuards.sweepNonces`): only records already expired may be gone."""
    before, records = state
    after, now_records = snapshot(conn), replay_records(conn)
    changed = snapshot_changes(before, after)
    assert changed in ([], ["request_nonces"]), f"tables changed besides the replay records: {changed}"
    assert set(now_records) - set(records) == set(keys)
    cur = conn.cursor()
    cur.execute("SELECT now()")
    now = cur.fetchone()[0]
    gone = [k for k in set(records) - set(now_records) if records[k] >= now]
    assert gone == [], f"replay records removed before they expired: {gone}"


class RuntimeAPIHandler(BaseHTTPRequestHandler):
    """The HTTP/1.1 plumbing the test Runtime APIs share: quiet, keep-alive, replies with a Content-Length, and
    request bodies read whole (chunked ones too, trailers skipped)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return body
            body += self.rfile.read(size)
            self.rfile.readline()


class FakeRuntimeAPI:
    """A minimal Runtime API on 127.0.0.1 under a path prefix, recording every request the runtime makes.
    It serves the given events in order, then holds `next` until stopped. With `extensions`, it also serves the
    Extensions API as Lambda does for an internal extension: `register` answers 200 with an identifier and
    `event/next` holds until stopped; its requests are recorded in `extension_requests`, apart from `requests`.
    Without, extension requests are answered 404 (an older Runtime API)."""

    def __init__(self, events, prefix="/custom-prefix", extensions=True):
        self.events = list(events)
        self.prefix = prefix
        self.extensions = extensions
        self.requests = []
        self.extension_requests = []
        self.done = threading.Event()
        self.closed = threading.Event()
        outer = self

        class Handler(RuntimeAPIHandler):
            def _reply(self, status, body=b""):
                self.reply(status, body=body)

            def extension(self, method, body):
                outer.extension_requests.append((method, self.path, dict(self.headers), body))
                if not outer.extensions:
                    return self._reply(404)
                if self.path == outer.prefix + "/2020-01-01/extension/register":
                    body = b'{"functionName":"t","functionVersion":"$LATEST","handler":"bootstrap"}'
                    self.send_response(200)
                    self.send_header("Lambda-Extension-Identifier", "ext-0001")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    return self.wfile.write(body)
                if self.path == outer.prefix + "/2020-01-01/extension/event/next":
                    outer.closed.wait(HANG_GUARD)
                    return self._reply(500)
                return self._reply(404)

            def do_GET(self):
                if "/2020-01-01/extension/" in self.path:
                    return self.extension("GET", b"")
                outer.requests.append(("GET", self.path, dict(self.headers), b""))
                if self.path != outer.prefix + "/2018-06-01/runtime/invocation/next":
                    return self._reply(404)
                if not outer.events:
                    outer.done.set()
                    # Holds `next` (as Lambda does while idle) until the test closes the server.
                    outer.closed.wait(HANG_GUARD)
                    return self._reply(500)
                rid, body = outer.events.pop(0)
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:t")
                self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-00000000-{rid:0>24};Parent=0000000000000001;Sampled=0")
                self.send_header("Lambda-Runtime-Client-Context", '{"client":{"app_title":"e2e"}}')
                self.send_header("Lambda-Runtime-Cognito-Identity", '{"cognitoIdentityId":"id-1"}')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                if "/2020-01-01/extension/" in self.path:
                    return self.extension("POST", body)
                outer.requests.append(("POST", self.path, dict(self.headers), body))
                self._reply(202, b'{"status":"OK"}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self):
        return [r for r in self.requests if r[0] == "POST"]

    def close(self):
        self.closed.set()
        self.server.shutdown()


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivateCluster:
    """A PostgreSQL cluster of a test's own (for restarts and other disruptive cases), migrated like the main one."""

    def __init__(self, base: Path):
        self.dir = base / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.dir.mkdir(parents=True)
        subprocess.run(["chown", "-R", "postgres:postgres", str(self.dir)], check=True)
        self._pg([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"])
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nsynchronous_commit = off\n")
        self.start()
        self.psql("CREATE ROLE warden LOGIN PASSWORD 'owner-pw'; CREATE ROLE warden_fn NOLOGIN; "
                  "CREATE ROLE warden_app LOGIN PASSWORD 'app-pw' IN ROLE warden_fn")
        self.psql("CREATE DATABASE warden OWNER warden")
        self.owner_url = f"postgresql://warden:owner-pw@127.0.0.1:{self.port}/warden?sslmode=disable"
        self.function_url = f"postgresql://warden_app:app-pw@127.0.0.1:{self.port}/warden?sslmode=disable"
        migrate(self.owner_url)

    def _pg(self, args):
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    def psql(self, sql, db="postgres"):
        self._pg([str(PG_BIN / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "-d", db,
                  "-v", "ON_ERROR_STOP=1", "-c", sql])

    def start(self):
        self._pg([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start"])

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                        "-w", "stop"], capture_output=True)


@pytest.fixture
def private_cluster():
    # Under the repository's ignored .local/: pytest's own temp dirs are private to root, and the server runs as
    # the postgres user.
    import shutil
    import tempfile
    (ROOT / ".local").mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="cluster-", dir=ROOT / ".local"))
    base.chmod(0o755)
    cluster = PrivateCluster(base)
    yield cluster
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)
