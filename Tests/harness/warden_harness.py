"""The process harness and request signing shared by the end-to-end tests (Tests/e2e, through conftest.py) and the
benchmarks (bench/bench.py, bench/intent_bench.py): the one place that starts and stops `warden emulate`,
`warden gateway` and moto_server with their logs, waits for a port or a ready line, picks free ports, creates and
migrates databases on the local cluster (scripts/pg.sh), signs copilot requests (v1 and v2, docs/SIGNING.md), mints
HS256 JWTs (RFC 7519) and talks HTTP to the emulator and the gateway.

Its importers put this directory on sys.path with one line (Tests/e2e/conftest.py, bench/bench.py,
bench/intent_bench.py; test_schemathesis.py's schemathesis processes get it on PYTHONPATH). It needs nothing but
the standard library (pg8000 only when `connect` is called), so the benchmarks use it without pytest. The signing is
written from the contracts, independently of the Swift code it drives.

Waits poll the evidence of an event (a port, a line, a process state) through `wait_for` and never sleep for a
guessed time; a wait that runs out, or a process that exits before it is ready, raises `Failed`."""
import base64
import hashlib
import hmac
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_SH = ROOT / "scripts" / "pg.sh"
WARDEN = ROOT / ".build" / "debug" / "warden"  # the build `make test` and `make run` use

# How long a wait lasts before the harness calls what it waits for hung: far beyond any normal wait (those are
# milliseconds to a few seconds), so that its expiry is a failure message, never a performance claim.
HANG_GUARD = 60.0


class Failed(AssertionError):
    """What the harness waited for did not happen (a process that did not start, a wait that hung), or a benchmark
    measurement could not be made. An AssertionError, so a test shows it as a failed check."""


# ------------------------------------------------------------------------------------------------ ports and waits

def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (the kernel's pick; free when this returns)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(condition, what, timeout=HANG_GUARD, interval=0.02):
    """Polls `condition()` until it returns something truthy, and returns that. Past `timeout` seconds (a hang
    guard, see HANG_GUARD) it raises Failed("hung: <what>"). The one place where the harness and the tests wait for
    an event they cannot be told about: events are ordered by polling their evidence (a log line, a row, a port, a
    process state) through here instead of sleeping for a guessed time. `what` may be a function, called for the
    message (say, to add a log's tail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"hung: {what() if callable(what) else what} (not the case after {timeout:.0f} s)")
        time.sleep(interval)


def wait_for_port(port, timeout=HANG_GUARD):
    wait_for(lambda: port_open(port), f"nothing listening on 127.0.0.1:{port}", timeout=timeout)


# ------------------------------------------------------------------------------------------------------ processes

def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL if `proc` is still running after `timeout` seconds; reaps it either way."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stop_session(proc, timeout=15):
    """As stop_process, for a process started in a session of its own: the signals go to its whole process group
    (the gateway and its function processes stop together)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def child_pids(pid):
    """The processes whose parent is `pid` (from /proc/<pid>/stat of every process), in pid order."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return sorted(out)


class LoggedProcess:
    """A child process whose stdout and stderr go to one log file, `log_path` (os.devnull to drop them), run from
    the repository root; with `new_session`, in a session of its own, so that `stop` stops its children too."""

    def __init__(self, args, log_path, env=None, cwd=ROOT, new_session=False):
        self.log_path = Path(log_path)
        self.log = open(self.log_path, "wb")
        self.new_session = new_session
        self.proc = subprocess.Popen([str(a) for a in args], cwd=cwd, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=new_session)

    def output(self):
        """Everything the process has written so far."""
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, ready, what, timeout=HANG_GUARD):
        """Waits until `ready()` holds. Should the process exit first, or `timeout` seconds pass, it is stopped and
        Failed raised with the end of its log."""
        try:
            wait_for(lambda: ready() or self.proc.poll() is not None, what, timeout=timeout)
        except Failed:
            pass
        if self.proc.poll() is not None or not ready():
            state = (f"the process exited with {self.proc.returncode}" if self.proc.returncode is not None
                     else f"not the case after {timeout:.0f} s")
            self.stop()
            tail = "" if str(self.log_path) == os.devnull else f" (log: {self.log_path}):\n{self.output()[-4000:]}"
            raise Failed(f"{what}: {state}{tail}")

    def stop(self):
        (stop_session if self.new_session else stop_process)(self.proc)
        self.log.close()


class EmulatorProcess(LoggedProcess):
    """`warden emulate` serving one function `bootstrap` on `port` (a free one by default) with the invocation
    `timeout` (s), `--env` for each of `env`, and `extra_args`; ready once its port accepts connections."""

    def __init__(self, bootstrap, log_path, name="fn", timeout=3, env=None, extra_args=(), warden=None, port=None,
                 start_timeout=HANG_GUARD):
        self.port = port or free_port()
        self.name = name
        args = [warden or WARDEN, "emulate", "--bootstrap", bootstrap, "--port", self.port, "--timeout", timeout,
                "--function-name", name, *extra_args]
        for k, v in (env or {}).items():
            args += ["--env", f"{k}={v}"]
        super().__init__(args, log_path)
        self.wait_ready(lambda: port_open(self.port), f"warden emulate ({name}) listening on 127.0.0.1:{self.port}",
                        timeout=start_timeout)

    def reports(self):
        """(Duration ms, Max Memory Used MB) of every REPORT line so far, in order."""
        return report_lines(self.output())


class GatewayProcess(LoggedProcess):
    """`warden gateway` on free ports (`port`, and `url_port` for the Function URLs unless given) with `args`, in a
    session of its own (it and its function processes stop together), its output (one `[gateway] …` line per
    request unless --quiet) in `log_path`; ready once it prints `warden gateway: ready`."""

    READY = "warden gateway: ready"

    # The gateway binds its ports after starting its functions, whose connections (to Postgres, to their Runtime
    # APIs) draw on the same ephemeral range: a port free when picked can be taken by then. Such a start is tried
    # again on other ports, at most this many times in all.
    START_ATTEMPTS = 3

    def __init__(self, log_path, args, env=None, url_port=None, warden=None, start_timeout=2 * HANG_GUARD):
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self.port = free_port()
            self.url_port = url_port or free_port()
            cmd = [warden or WARDEN, "gateway", "--port", self.port, "--function-url-port", self.url_port, *args]
            super().__init__(cmd, log_path, env=env or dict(os.environ), new_session=True)
            try:
                self.wait_ready(lambda: self.READY in self.output(), "warden gateway start-up", timeout=start_timeout)
                return
            except Failed as failure:
                if attempt == self.START_ATTEMPTS or "Address already in use" not in str(failure):
                    raise

    def requests_served(self):
        """Requests the gateway answered, from its access log (`[gateway] METHOD /path -> function STATUS (…)`)."""
        return sum(1 for line in self.output().splitlines() if line.startswith("[gateway] "))

    def function_pids(self):
        """Its function processes (the gateway's children)."""
        return child_pids(self.proc.pid)


class MotoServer(LoggedProcess):
    """moto_server on a free port of 127.0.0.1 in a process of its own (its state belongs to whoever started it),
    without this environment's AWS_* and MOTO_* variables, with `env` added; ready once its port accepts
    connections."""

    def __init__(self, log_path=os.devnull, env=None, start_timeout=HANG_GUARD):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
        environment.update(env or {})
        super().__init__([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", self.port], log_path,
                         env=environment, cwd=None)
        self.wait_ready(lambda: port_open(self.port), f"moto_server listening on 127.0.0.1:{self.port}",
                        timeout=start_timeout)


REPORT_LINE = re.compile(r"^REPORT RequestId: \S+\tDuration: ([\d.]+) ms\t.*?Max Memory Used: (\d+) MB", re.M)


def report_lines(text):
    """(Duration ms, Max Memory Used MB) of every REPORT line of an emulator's output, in order."""
    return [(float(m.group(1)), int(m.group(2))) for m in REPORT_LINE.finditer(text)]


# --------------------------------------------------------------------------------------------------------- HTTP

INVOKE_PATH = "/2015-03-31/functions/function/invocations"


def http_request(port, method, target, headers=(), body=b"", timeout=30, conn=None):
    """One HTTP/1.1 request to 127.0.0.1:`port` (the gateway, a Function URL, the emulator) with `headers` as
    (name, value) pairs (repeats kept) or a dict, no header added but Host and, with a body or for POST, PUT and
    PATCH, Content-Length. On `conn` (an http.client.HTTPConnection the caller keeps alive) when given, else on a
    connection of its own. Returns (status, [(name, value)], body)."""
    import http.client
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = body.encode() if isinstance(body, str) else body
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers.items() if isinstance(headers, dict) else headers):
            conn.putheader(name, value)
        if data or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data or None)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        if own:
            conn.close()


class Invoker:
    """A keep-alive HTTP/1.1 client for the emulator's invoke endpoint on a raw socket (as cheap as Python gets:
    what the benchmarks measure through). `what` names the server in errors."""

    def __init__(self, port, timeout=30, bufsize=65536, what="the emulator"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.bufsize = bufsize
        self.what = what
        self.buf = b""

    @staticmethod
    def request(event):
        """The bytes of one invoke of `event` (bytes)."""
        return (b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (INVOKE_PATH.encode(), len(event))) + event

    def invoke(self, request):
        """Sends `request` (see `request`) and reads its answer: (status, body)."""
        self.sock.sendall(request)
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = self.buf[:end]
        length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))
        while len(self.buf) < end + 4 + length:
            self._fill()
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        return int(head[9:12]), body

    def _fill(self):
        chunk = self.sock.recv(self.bufsize)
        if not chunk:
            raise Failed(f"{self.what} closed the connection")
        self.buf += chunk

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------------- the local PostgreSQL cluster

def pg_sh(*args):
    """The output of `scripts/pg.sh ARGS` (the local cluster: WARDEN_PG_PORT, WARDEN_PG_DIR)."""
    return subprocess.run(["bash", str(PG_SH), *args], check=True, capture_output=True, text=True).stdout


def pg_superuser(sql):
    """Runs `sql` as the cluster's superuser; its output."""
    return pg_sh("psql", "-c", sql)


def owner_url(name):
    """The schema owner's URL of database `name` on the local cluster."""
    return pg_sh("url").strip().replace("/warden?", f"/{name}?")


def fn_url(name):
    """What the functions connect to database `name` with: the warden_app login role (member of warden_fn)."""
    return pg_sh("fn-url", name).strip()


def migrate(url, seed=False, warden=None):
    """`warden migrate` (with the demo data when `seed`) on the database at `url`."""
    subprocess.run([str(warden or WARDEN), "migrate", *(["--seed"] if seed else []), "--database-url", url],
                   check=True, capture_output=True)


def create_database(name, seed=False, warden=None):
    """A fresh database `name` on the local cluster (dropped first if it exists), owned by the schema owner and
    migrated with `warden migrate` (`--seed` when `seed`): its owner's URL."""
    assert name.replace("_", "").isalnum(), name
    base = owner_url(name)
    pg_superuser(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    pg_superuser(f"CREATE DATABASE {name} OWNER warden")
    migrate(base, seed=seed, warden=warden)
    return base


def connect(url, autocommit=False, **kwargs):
    """A pg8000 connection to `url` (user and password percent-decoded); `kwargs` go to pg8000 (application_name)."""
    import pg8000.dbapi
    from urllib.parse import unquote, urlparse
    u = urlparse(url)
    conn = pg8000.dbapi.connect(user=unquote(u.username), password=unquote(u.password), host=u.hostname, port=u.port,
                                database=u.path.lstrip("/"), **kwargs)
    if autocommit:
        conn.autocommit = True
    return conn


# -------------------------------------------------------------------------------------------------------- signing

_last_ts = [0]
_ts_lock = threading.Lock()


def next_timestamp():
    """Unix ms, strictly increasing across the whole process (every thread): the functions refuse a replayed
    signature (v1's replay key is the signature itself), so no two requests signed here share a millisecond.
    Signing faster than one request per ms runs ahead of the clock, by at most the number of requests signed."""
    with _ts_lock:
        _last_ts[0] = max(int(time.time() * 1000), _last_ts[0] + 1)
        return _last_ts[0]


def last_timestamp():
    """The latest timestamp `next_timestamp` gave (0 before the first)."""
    return _last_ts[0]


def copilot_signature(secret, ts, client, body):
    """The copilot's v1 signature (docs/SIGNING.md, CONTRACTS.md): HMAC-SHA256 over `timestamp.client.body`, hex.
    `body` is the exact request body, str or bytes."""
    raw = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), f"{ts}.{client}.".encode() + raw, hashlib.sha256).hexdigest()


def sign(body, secret, ts_ms=None, client="copilot-frontend"):
    """The v1 headers of a copilot request with `body` (str or bytes): X-Timestamp (`ts_ms`, by default
    `next_timestamp()`), X-Client, X-Signature."""
    ts = str(next_timestamp() if ts_ms is None else ts_ms)
    return {"X-Timestamp": ts, "X-Client": client, "X-Signature": copilot_signature(secret, ts, client, body)}


def v2_signature(secret, method, path, ts, nonce, client, body):
    """The v2 signature (docs/SIGNING.md), hex: HMAC-SHA256 over `WARDEN-HMAC-SHA256-V2`, the method, the path, the
    timestamp, the nonce, the client and the body's SHA-256, one per line."""
    raw = body.encode() if isinstance(body, str) else body
    canonical = "\n".join(["WARDEN-HMAC-SHA256-V2", method, path, ts, nonce, client, hashlib.sha256(raw).hexdigest()])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515), as JWTs and cursors use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_jwt(claims, secret, header=None):
    """A JWT of `claims` signed with HS256 and `secret` (str or bytes), header {"alg": "HS256", "typ": "JWT"}
    unless `header` is given (written from RFC 7519 independently of the Swift verifier)."""
    h = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    key = secret.encode() if isinstance(secret, str) else secret
    return f"{h}.{p}.{b64url(hmac.new(key, f'{h}.{p}'.encode(), hashlib.sha256).digest())}"


def hs256_token(sub, secret, lifetime=600, **claims):
    """A bearer JWT for `sub` signed with HS256 and `secret`, as a Supabase-style issuer mints one: `sub`, `iat`
    (now), `exp` (now + `lifetime` s) and `role` "authenticated", then `claims`, which add to or replace those; a
    claim given as None is left out (`role=None`: a token without a role)."""
    now = int(time.time())
    payload = {"sub": sub, "iat": now, "exp": now + lifetime, "role": "authenticated", **claims}
    return hs256_jwt({k: v for k, v in payload.items() if v is not None}, secret)


# -------------------------------------------------------------------------------------------------- measurement

def percentile(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]
