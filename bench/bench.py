#!/usr/bin/env python3
"""`make bench` (after bench/run.sh has built everything): measures Warden's Swift functions beside a Python
awslambdaric baseline in the same run (figure 4: every copilot tool, beside a Python twin whose answers must equal
ours; the per-tool table: cold start, handler time from the functions' EMF lines, invocations/s with 1 and 2
processes, memory and zip size of every tool, beside both Python variants; figure 7: `warden gateway` under wrk;
figure 8: instructions per warm invocation under callgrind; figure 9: Lambda Managed Instances, 4 workers in one
process vs 1), prints the tables and saves them to bench/results/latest.md. `--only NAMES` runs some figures alone
(bench/results/partial-latest.md); `--compare DIR` measures two builds side by side (bench/compare-commits.sh,
bench/results/compare-latest.md).

Performance is measured, never asserted: every target is printed beside its figure, and this exits 0 when a target
is missed. It exits non-zero only when a measurement could not be made (a function failed, a wrong answer).
See bench/README.md for what each figure means and how it is measured.

Environment (set by bench/run.sh): BENCH_DATABASE_URL (the functions' role), BENCH_OWNER_URL (the schema owner, only
to count audit rows), WARDEN_BENCH_PYTHON, BENCH_RELEASE_WARDEN (the release build of `warden` that run.sh makes, when
it could); optional BENCH_QUICK=1 for a short smoke run (1 round, ~1 s phases) and BENCH_WARDEN=/path/to/warden to
measure through another build of the emulator and gateway."""
import argparse
import datetime
import json
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "harness"))  # warden_harness, shared with the end-to-end tests
from warden_harness import (EmulatorProcess, Failed, GatewayProcess, Invoker, child_pids, connect,  # noqa: E402
                            copilot_signature, http_request, last_timestamp, next_timestamp, percentile, sign)

BENCH = ROOT / "bench"
WORK = BENCH / ".build"  # scratch: ignored by the repository's `.build/` rule
RESULTS = BENCH / "results"


def _warden():
    """The `warden` serving every emulator and the gateway: BENCH_WARDEN, else the release build bench/run.sh makes
    (BENCH_RELEASE_WARDEN), else .build/release/warden, else the debug build that `make run` uses (whose emulator and
    gateway cost several times the CPU per call). Returns (path, label)."""
    if os.environ.get("BENCH_WARDEN"):
        return Path(os.environ["BENCH_WARDEN"]), "BENCH_WARDEN"
    for path in (os.environ.get("BENCH_RELEASE_WARDEN"), ROOT / ".build" / "release" / "warden"):
        if path and Path(path).is_file():
            return Path(path), "release build"
    return ROOT / ".build" / "debug" / "warden", "debug build"


WARDEN, WARDEN_BUILD = _warden()
RAPI = WORK / "rapi"
FLOOR = WORK / "floor"
# The floor with URL strings (libcurl parses and re-writes each one): what issue 17's targets were first measured
# against (bench/floor/floor.c built with -DFLOOR_STRING_URLS).
FLOOR_STRINGS = WORK / "floor-strings"
ECHO = ROOT / "dist" / "warden-bench-echo" / "bootstrap"
# The in-process middleware path only (event decode, signature check, validation, envelope, log line; no database):
# what the runtime-overhead target of figure 1 describes.
MIDDLEWARE = ROOT / "dist" / "warden-bench-middleware" / "bootstrap"
HEALTH = ROOT / "dist" / "calculate_health" / "bootstrap"
HEALTH_ZIP = ROOT / "dist" / "calculate_health.zip"
PY_BOOTSTRAP = BENCH / "python" / "bootstrap"
# The six copilot tools (functions/<tool>/, a static dist/<tool>/bootstrap each) and their Python twins' handlers:
# (connection reused, new connection per call).
TOOLS = ["calculate_health", "get_customer_usage", "get_recent_tickets", "get_contract_info", "generate_email",
         "generate_qbr_outline"]


def python_handlers(tool):
    if tool == "calculate_health":
        return "health.handler", "health.handler_per_call"
    return f"tools.handler_{tool}", f"tools.handler_{tool}_per_call"


def swift_bootstrap(tool):
    return ROOT / "dist" / tool / "bootstrap"

SECRET = "warden-bench-secret"
ORIGIN = "http://localhost:3000"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL") or sys.exit("bench: run me through `make bench` (bench/run.sh)")
OWNER_URL = os.environ.get("BENCH_OWNER_URL")  # the schema owner: only to count audit rows
PYTHON = os.environ.get("WARDEN_BENCH_PYTHON") or sys.executable
QUICK = os.environ.get("BENCH_QUICK") == "1"

# Sizes of each phase (each loop is also bounded in time).
OVERHEAD_ROUNDS, OVERHEAD_WARMUP, OVERHEAD_COUNT = (1, 50, 500) if QUICK else (3, 200, 3000)
COLD_RUNS = 5 if QUICK else 25
THROUGHPUT_SECONDS = 1.0 if QUICK else 5.0
WARMUP_INVOKES = 60  # figure 3
# Figure 4, per tool and variant: warm-up calls (the first of them check the answers), then measured calls, each
# phase also bounded in time. The new-connection-per-call variant costs ~50 ms a call, hence fewer calls.
LATENCY_WARMUP = 20
LATENCY_MAX, LATENCY_SECONDS = (40, 5.0) if QUICK else (300, 20.0)
PER_CALL_MAX, PER_CALL_SECONDS = (20, 5.0) if QUICK else (150, 30.0)
SAMPLE_EVERY = 25  # pg_stat_activity is sampled after the warm-up, every SAMPLE_EVERY measured calls, and at the end
THROUGHPUT_MAX = 3000 if QUICK else 15000  # pre-signed events for figure 3 (one per invocation)
# The per-tool table's invocations/s: each (tool, variant) for this long on one emulator, then on two at once.
TOOL_WINDOW_SECONDS = 1.0 if QUICK else 3.0
# The gateway figure: `warden gateway --warm GATEWAY_WARM` serving calculate_health, loaded by wrk.
GATEWAY_WARM = 2
WRK_THREADS, WRK_CONNECTIONS = 2, 32
WRK_SECONDS, WRK_PREFLIGHT_SECONDS = (5, 3) if QUICK else (30, 10)
WRK_CALLS = 40_000 if QUICK else 200_000  # pre-signed calls for wrk (one per request), split between its threads
# A third row: the same signed calls on as many connections as warm processes (no request waits for another).
WRK_UNQUEUED_SECONDS, WRK_UNQUEUED_CALLS = (3, 10_000) if QUICK else (10, 40_000)
WRK = shutil.which("wrk")
MiB, MB = 1024 * 1024, 1_000_000
RATE_LIMIT = 1_000_000_000
OK_MARK = b'\\"ok\\":true'  # how `"ok":true` reads inside the proxy response's JSON-encoded body string

# The demo tenants and customers that `warden migrate --seed` loads (Sources/warden/DemoData.swift).
CUSTOMERS = [("public", "acme"), ("public", "globex"), ("public", "initech"), ("public", "umbrella"),
             ("user_demo_owner", "acme"), ("user_demo_owner", "hooli")]
# A customer no table knows: generate_email answers 404 MISSING_DATA, the others `missingData: true`.
UNKNOWN = ("public", "no-such-customer")
# Two customers with odd stored data that figure 4 adds to the bench database, only to check that the Python twins
# shape it as CustomerSnapshot does (a trend outside up/down/flat, non-numeric sparkline points, numeric and missing
# ticket ids and severities, a renewal with a time of day, no company row, non-array JSON, a negative ticket count).
ODD = [("public", "bench-odd"), ("public", "bench-odd-2")]
ODD_DATA = r"""
DELETE FROM companies WHERE external_id LIKE 'bench-odd%';
DELETE FROM usage_summaries WHERE company_external_id LIKE 'bench-odd%';
DELETE FROM ticket_summaries WHERE company_external_id LIKE 'bench-odd%';
DELETE FROM contracts WHERE company_external_id LIKE 'bench-odd%';
INSERT INTO usage_summaries (company_external_id, owner_user_id, trend, avg_daily_users, sparkline) VALUES
  ('bench-odd', 'public', 'sideways', 3, '[1, "x", 2.5, true, null, 1e2, 12345678901234567890, -0, {"v": 1}]'),
  ('bench-odd-2', 'public', 'UP', 0, '{"points": [1, 2]}');
INSERT INTO ticket_summaries (company_external_id, owner_user_id, open_tickets, recent_tickets) VALUES
  ('bench-odd', 'public', 3, '[{"id": 7, "severity": "high"}, {"id": "T-9"}, {"severity": "low"}, {"id": 1.5},
    {"id": true}, {"id": "T-10", "severity": 3}, {"id": null}, "junk", {"id": -42, "severity": null},
    {"id": 123456789012345678901234567890}]'),
  ('bench-odd-2', 'public', -1, '"not a list"');
INSERT INTO contracts (company_external_id, owner_user_id, renewal_date, arr) VALUES
  ('bench-odd', 'public', '2027-03-04 05:06:07', 0);
INSERT INTO companies (external_id, name, owner_user_id) VALUES
  ('bench-odd-2', E'\u00d6dd \u201cCo\u201d \\ "quoted"', 'public');
"""


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# Failed (warden_harness): a measurement that could not be made (as opposed to a target that was missed).


# ------------------------------------------------------------------------------------------------ events & env

_TEMPLATES = {}
# Timestamps come from warden_harness.next_timestamp: Unix ms, strictly increasing across the whole run (the functions
# refuse a replayed signature, v1's replay key being the signature itself); signing faster than one event per ms runs
# ahead of the clock, by at most the number of events in a run (tens of seconds, well inside the ±5 min window).


def signed_event(customer="acme", tenant="public", tool="calculate_health", ts=None):
    """An API Gateway REST (v1) event from events/<tool>/, for `customer`, signed with the copilot's v1 scheme and a
    timestamp no other event of the run has (or `ts`, for events whose bodies differ: see signed_calls)."""
    if tool not in _TEMPLATES:
        _TEMPLATES[tool] = (ROOT / "events" / tool / "public-acme.json").read_text()
    event = json.loads(_TEMPLATES[tool])
    body = {"customerId": customer} if tenant == "public" else {"customerId": customer, "params": {"ownerUserId": tenant}}
    raw = json.dumps(body, separators=(",", ":"))
    event["body"] = raw
    signed = sign(raw, SECRET, ts, event["headers"]["X-Client"])
    event["headers"].update(signed)
    event["multiValueHeaders"].update({k: [v] for k, v in signed.items()})
    return json.dumps(event).encode()


def preflight_event(tool="calculate_health"):
    """The CORS preflight of `tool`'s route from the allowed origin, as a REST (v1) event: no body, no signature."""
    event = json.loads((ROOT / "events" / tool / "public-acme.json").read_text())
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    event.update(httpMethod="OPTIONS", body=None, headers=headers, multiValueHeaders={k: [v] for k, v in headers.items()})
    return json.dumps(event).encode()


def function_env(handler=None, name="bench"):
    """The environment a function starts with under rapi (a Lambda-like one; under the emulator it adds its own)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
        "TZ": ":UTC", "AWS_LAMBDA_FUNCTION_NAME": name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_REGION": "us-east-1",
        "HMAC_SECRET": SECRET, "DATABASE_URL": DATABASE_URL, "ALLOWED_ORIGIN": ORIGIN,
        # The per-tenant rate limit stays on (its token-bucket statement runs on every call, as in production)
        # but high enough never to refuse the benchmark's thousands of calls a minute.
        "RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
        "WARDEN_BENCH_PYTHON": PYTHON,
        # Python's bytecode cache of bench/python/ goes to the scratch directory, not beside the sources.
        "PYTHONPYCACHEPREFIX": str(WORK / "pycache"),
    }
    if handler:
        env["_HANDLER"] = handler
    return env


def rapi(mode, args, cmd, env, log):
    """Runs the C Runtime API harness pinned (with its function) to CPU 1 and returns its JSON result."""
    argv = ["taskset", "-c", "1", str(RAPI), mode, *args, "--log", str(log), "--", *cmd]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180)
    try:
        result = json.loads(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise Failed(f"rapi {mode} {cmd[0]}: no result ({out.stderr.strip()[-400:]})")
    if not result.get("ok") or out.returncode != 0:
        raise Failed(f"rapi {mode} {cmd[0]}: {result.get('error') or out.stderr.strip()[-400:]} (log: {log})")
    return result


# --------------------------------------------------------------------------------------------------- figure 1

def figure_overhead():
    """CPU time of the function process per warm invocation, on one CPU with the Runtime API harness."""
    subjects = [
        ("floor", [str(FLOOR)], None, None),
        ("swift", [str(ECHO)], None, OK_MARK.decode()),
        ("swift_middleware", [str(MIDDLEWARE)], None, OK_MARK.decode()),
        ("python", [str(PY_BOOTSTRAP)], "echo.handler", OK_MARK.decode()),
        ("python_bare", [str(PY_BOOTSTRAP)], "bare.handler", None),
    ]
    samples = {name: [] for name, *_ in subjects}
    rounds = []
    for name, *_ in subjects:  # the harness appends; start each run's logs afresh
        (WORK / f"overhead-{name}.log").unlink(missing_ok=True)
    event = WORK / "overhead-events.jsonl"
    for r in range(OVERHEAD_ROUNDS):
        # Rotate the order each round so drift on a shared machine does not always favour the same subject.
        order = subjects[r % len(subjects):] + subjects[:r % len(subjects)]
        this = {}
        for name, cmd, handler, expect in order:
            # One freshly signed event per invocation (signatures are single-use).
            event.write_bytes(b"\n".join(signed_event() for _ in range(OVERHEAD_WARMUP + OVERHEAD_COUNT + 1)))
            args = ["--event", str(event), "--warmup", str(OVERHEAD_WARMUP), "--count", str(OVERHEAD_COUNT),
                    "--deadline", "90"]
            if expect:
                args += ["--expect", expect]
            res = rapi("overhead", args, cmd, function_env(handler), WORK / f"overhead-{name}.log")
            us = res["cpu_ns_per_invocation"] / 1000
            samples[name].append(us)
            this[name] = (us, res)
        rounds.append(this)
        say("overhead round {}: floor {:.1f} µs, swift {:.1f} µs (middleware only {:.1f} µs), python {:.1f} µs "
            "(bare awslambdaric {:.1f} µs)".format(
                r + 1, *(this[n][0] for n in ("floor", "swift", "swift_middleware", "python", "python_bare"))))
    med = {name: statistics.median(v) for name, v in samples.items()}
    return {"median_us": med, "samples_us": samples, "audit_rows": audit_rows("bench_echo"),
            "ticks_check": {n: rounds[-1][n][1]["stat_ticks"] * 1e6 / rounds[-1][n][1]["clk_tck"] / OVERHEAD_COUNT
                            for n in samples},
            "wall_us": {n: rounds[-1][n][1]["wall_ns_per_invocation"] / 1000 for n in samples},
            "maxrss_kib": {n: rounds[-1][n][1]["maxrss_kib"] for n in samples}}


def owner_connection():
    """The schema owner (BENCH_OWNER_URL): to count audit rows and add figure 4's odd customers."""
    return connect(OWNER_URL, autocommit=True, application_name="warden-bench-owner")


def audit_rows(tool):
    """How many audit_events rows `tool` has written to the bench database (None when that cannot be read)."""
    if not OWNER_URL:
        return None
    try:
        conn = owner_connection()
        try:
            cur = conn.cursor()
            cur.execute("SELECT count(*) FROM audit_events WHERE tool = %s", (tool,))
            return cur.fetchone()[0]
        finally:
            conn.close()
    except Exception as e:  # noqa: BLE001 - informative only
        say(f"could not count audit rows: {e}")
        return None


# --------------------------------------------------------------------------------------------------- figure 2

def figure_cold_start():
    """exec → first GET /next, measured by the harness around posix_spawn, for every tool: our static bootstrap, and
    the Python twin (`bench/python/bootstrap`; awslambdaric imports the handler's module, and with it pg8000, before
    its first `next`). The two Python variants share the bootstrap and the modules, so they share one figure.
    Figure 2 is calculate_health's."""
    out = {}
    for tool in TOOLS:
        reused, _ = python_handlers(tool)
        for name in ("swift", "python"):
            (WORK / f"cold-{tool}-{name}.log").unlink(missing_ok=True)
        swift = rapi("coldstart", ["--runs", str(COLD_RUNS), "--deadline", "60"], [str(swift_bootstrap(tool))],
                     function_env(name=tool), WORK / f"cold-{tool}-swift.log")["samples_us"]
        python = rapi("coldstart", ["--runs", str(COLD_RUNS), "--deadline", "120"], [str(PY_BOOTSTRAP)],
                      function_env(reused, tool), WORK / f"cold-{tool}-python.log")["samples_us"]
        say(f"cold start {tool}: swift {statistics.median(swift) / 1000:.2f} ms, "
            f"python {statistics.median(python) / 1000:.1f} ms")
        out[tool] = {"swift": swift, "python": python}
    return out


# ---------------------------------------------------------------------------------------------- the emulator

class Emulator(EmulatorProcess):
    """`warden emulate` serving one function (started eagerly), its output in a log file, and a keep-alive Invoker
    on it (`conn`)."""

    def __init__(self, bootstrap, name, handler=None, extra_args=()):
        extra = ["--memory", "128", "--eager", *(["--handler", handler] if handler else []), *extra_args]
        env = {k: v for k, v in function_env().items()
               if k not in ("PATH", "HOME", "LANG", "TZ") and not k.startswith("AWS_")}
        super().__init__(bootstrap, WORK / f"emulate-{name}.log", name=name, timeout=30, env=env, extra_args=extra,
                         warden=WARDEN, start_timeout=30)
        self.conn = Invoker(self.port)

    def function_pid(self):
        """The function process: the emulator's child."""
        return next(iter(child_pids(self.proc.pid)), None)

    def peak_kib(self):
        """VmHWM of the function process, and what its resident memory is made of now (KiB)."""
        pid = self.function_pid()
        if pid is None:
            return None
        status = Path(f"/proc/{pid}/status").read_text()
        fields = {k: int(v) for k, v in re.findall(r"^(VmHWM|RssAnon|RssFile):\s+(\d+) kB", status, re.M)}
        return fields if "VmHWM" in fields else None

    def metrics(self):
        """The function's CloudWatch EMF lines so far (one per call; see metric_lines)."""
        return metric_lines(self.output())


def metric_lines(text):
    """The CloudWatch Embedded Metric Format lines in a function's output, in order, as (Duration ms, Outcome): one per
    call of a copilot tool, written by the function itself (Sources/Middleware/Metrics.swift; the Python twins write
    the same line, bench/python/copilot.py), `Duration` being the handler's own time. The gateway puts
    `[function#n] ` in front of each line of its functions' output."""
    out = []
    for line in text.splitlines():
        start = line.find('{"_aws"')
        if start < 0:
            continue
        try:
            doc = json.loads(line[start:])
            out.append((float(doc["Duration"]), doc.get("Outcome")))
        except (ValueError, KeyError, TypeError):
            continue
    return out


def proc_cpu_seconds(pid):
    """utime + stime of a whole process (all threads) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check(status, body, what):
    if status != 200 or OK_MARK not in body:
        raise Failed(f"{what}: unexpected answer {status} {body[:300]!r}")


# --------------------------------------------------------------------------------------------------- figure 3

def figure_throughput():
    """Sequential warm echo invocations through `warden emulate` on one keep-alive connection."""
    out = {}
    for name, bootstrap, handler in (("swift", ECHO, None), ("python", PY_BOOTSTRAP, "echo.handler")):
        emu = Emulator(bootstrap, f"echo-{name}", handler)
        try:
            requests = [Invoker.request(signed_event()) for _ in range(WARMUP_INVOKES + THROUGHPUT_MAX)]
            for request in requests[:WARMUP_INVOKES]:
                check(*emu.conn.invoke(request), f"echo {name}")
            fn_pid = emu.function_pid()
            cpu0 = (proc_cpu_seconds(emu.proc.pid), proc_cpu_seconds(fn_pid))
            n, start = 0, time.perf_counter()
            end = start + THROUGHPUT_SECONDS
            while n < THROUGHPUT_MAX:
                check(*emu.conn.invoke(requests[WARMUP_INVOKES + n]), f"echo {name}")
                n += 1
                if n % 16 == 0 and time.perf_counter() >= end:
                    break
            elapsed = time.perf_counter() - start
            cpu1 = (proc_cpu_seconds(emu.proc.pid), proc_cpu_seconds(fn_pid))
            reports = emu.reports()
            out[name] = {"per_second": n / elapsed, "invocations": n,
                         "emulator_cpu_us": (cpu1[0] - cpu0[0]) * 1e6 / n, "function_cpu_us": (cpu1[1] - cpu0[1]) * 1e6 / n,
                         "max_memory_mb": max(m for _, m in reports), "peak_kib": emu.peak_kib()}
        finally:
            emu.stop()
        say(f"echo through the emulator: {name} {out[name]['per_second']:.0f}/s")
    return out


# --------------------------------------------------------------------------------------------------- figure 4

class Monitor:
    """A connection of the bench's own (the functions' role, so pg_stat_activity shows their sessions in full) that
    counts the backends a function holds."""

    def __init__(self):
        # autocommit: every statement its own transaction, so a fresh pg_stat_activity snapshot each time.
        self.conn = connect(DATABASE_URL, autocommit=True, application_name="warden-bench-monitor")

    def now(self):
        cur = self.conn.cursor()
        cur.execute("SELECT clock_timestamp()")
        return cur.fetchone()[0]

    def backends(self, application_name, since):
        """(pid, backend_start) of the sessions named `application_name` in this database started since `since`."""
        cur = self.conn.cursor()
        cur.execute("SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = %s AND backend_start >= %s AND pid <> pg_backend_pid()",
                    (application_name, since))
        return {tuple(r) for r in cur.fetchall()}

    def close(self):
        self.conn.close()


def canonical(value):
    """JSON values compared strictly: numbers by value (90 and 90.0 alike, as JSON means them), but a boolean is not
    a number and a string is not a number."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, (int, float)):
        return ("number", float(value))
    if isinstance(value, (list, tuple)):
        return ("array", tuple(canonical(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, canonical(v)) for k, v in value.items())))
    raise TypeError(type(value))


def answer(body):
    """(proxy status, ok, data, error code and message) of a function's answer (an API Gateway proxy response)."""
    proxy = json.loads(body)
    envelope = json.loads(proxy["body"])
    error = envelope.get("error")
    return proxy["statusCode"], envelope.get("ok"), envelope.get("data"), error and (error.get("code"), error.get("message"))


def latency_run(tool, variant, monitor):
    """One emulator serving one tool's variant: the checking calls, the warm-up, the measured calls."""
    py_reused, py_per_call = python_handlers(tool)
    bootstrap, handler, app, limit, seconds = {
        "swift": (swift_bootstrap(tool), None, "warden", LATENCY_MAX, LATENCY_SECONDS),
        "python": (PY_BOOTSTRAP, py_reused, "warden-py", LATENCY_MAX, LATENCY_SECONDS),
        "python_per_call": (PY_BOOTSTRAP, py_per_call, "warden-py", PER_CALL_MAX, PER_CALL_SECONDS),
    }[variant]
    checks = CUSTOMERS + ODD + [UNKNOWN]  # the first calls: one per customer, the answers kept for the comparison
    order = checks + [CUSTOMERS[i % len(CUSTOMERS)] for i in range(LATENCY_WARMUP - len(checks) + limit)]
    # One freshly signed event per invocation (signatures are single-use), cycling through the seeded customers.
    requests = [Invoker.request(signed_event(customer, tenant, tool)) for tenant, customer in order]
    since = monitor.now()
    emu = Emulator(bootstrap, f"{tool}-{variant}", handler)
    answers, samples, rtt = {}, [], []
    try:
        for i, key in enumerate(order[:LATENCY_WARMUP]):
            status, body = emu.conn.invoke(requests[i])
            if key == UNKNOWN and tool == "generate_email":
                if status != 200 or answer(body)[0] != 404 or b"MISSING_DATA" not in body:
                    raise Failed(f"{tool} {variant}: unknown customer: expected 404 MISSING_DATA, got {body[:300]!r}")
            else:
                check(status, body, f"{tool} {variant}")
            if i < len(checks):
                answers[key] = answer(body)
        warm_start = monitor.now()
        samples.append(monitor.backends(app, since))
        end = time.perf_counter() + seconds
        while len(rtt) < limit and time.perf_counter() < end:
            request = requests[LATENCY_WARMUP + len(rtt)]
            t0 = time.perf_counter_ns()
            status, body = emu.conn.invoke(request)
            rtt.append((time.perf_counter_ns() - t0) / 1e6)
            check(status, body, f"{tool} {variant}")
            if len(rtt) % SAMPLE_EVERY == 0:
                samples.append(monitor.backends(app, since))
        samples.append(monitor.backends(app, since))
        # The per-tool table: invocations/s of this process alone, then beside a second process of the same variant.
        rates = invocation_rates(tool, variant, emu, bootstrap, handler, rtt)
        # After every call this process served (warm-up, measured, throughput windows).
        peak = emu.peak_kib()
    finally:
        emu.stop()
    reports, metrics = emu.reports(), emu.metrics()
    measured = slice(LATENCY_WARMUP, LATENCY_WARMUP + len(rtt))
    if len(reports) < measured.stop:
        raise Failed(f"{tool} {variant}: {len(reports)} REPORT lines for {measured.stop} invokes")
    if len(metrics) < measured.stop:
        raise Failed(f"{tool} {variant}: {len(metrics)} CloudWatch EMF lines for {measured.stop} invokes (a function "
                     f"built before Sources/Middleware/Metrics.swift? log: {emu.log_path})")
    durations = [d for d, _ in reports[measured]]
    handler_ms = [d for d, _ in metrics[measured]]
    seen = set().union(*samples)
    result = {"n": len(rtt), "duration": (percentile(durations, 50), percentile(durations, 99)),
              "rtt": (percentile(rtt, 50), percentile(rtt, 99)), "first_duration": reports[0][0],
              "handler": (percentile(handler_ms, 50), percentile(handler_ms, 99)), "rates": rates,
              "max_memory_mb": max(m for _, m in reports), "peak_kib": peak,
              # Distinct backends seen across the warm calls, and whether all of them predate the measured calls
              # (a reconnect would show a second backend, or one started after the warm-up).
              "backends": len(seen), "samples": len(samples),
              "backends_predate": all(start < warm_start for _, start in seen)}
    say(f"{tool} {variant}: first call {result['first_duration']:.2f} ms, handler p50 {result['handler'][0]:.3f} ms, "
        f"Duration p50 {result['duration'][0]:.3f} ms, round trip p50 {result['rtt'][0]:.3f} ms over {len(rtt)} "
        f"invokes; {len(seen)} backend(s) in {len(samples)} samples; {rates['one']:.0f}/s alone, "
        f"{rates['two']:.0f}/s with 2 processes")
    return result, answers


def _client_window(port, requests, start_at, seconds, what, out):
    """In a forked child: one keep-alive connection to one emulator, sequential invokes (each answer checked) from
    `start_at` (CLOCK_MONOTONIC, shared by all processes) for `seconds`, or until `requests` run out. Sends back
    (invocations, seconds from the first request to the last answer, error or None, CPU seconds this client used
    in that time)."""
    try:
        conn = Invoker(port)
        time.sleep(max(0.0, start_at - time.monotonic()))
        t0, cpu0 = time.monotonic(), time.process_time()
        end, n = t0 + seconds, 0
        while n < len(requests):
            check(*conn.invoke(requests[n]), what)
            n += 1
            if time.monotonic() >= end:
                break
        out.send((n, time.monotonic() - t0, None, time.process_time() - cpu0))
    except Exception as e:  # noqa: BLE001 - reported to the parent, which fails the bench
        out.send((0, 0.0, f"{type(e).__name__}: {e}", 0.0))
    finally:
        out.close()


def client_windows(targets, what, seconds=None, details=None):
    """Invocations/s of each (emulator port, pre-signed requests) in `targets`, all loaded at the same time for
    `seconds` (TOOL_WINDOW_SECONDS), each by a sequential keep-alive client in a process of its own (forked, so the
    clients do not share one interpreter lock). `details`, when given, gets (invocations, seconds, client CPU seconds)
    of each client."""
    seconds = seconds or TOOL_WINDOW_SECONDS
    ctx = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.2
    running = []
    for port, requests in targets:
        rx, tx = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_client_window, args=(port, requests, start_at, seconds, what, tx))
        proc.start()
        tx.close()
        running.append((proc, rx))
    rates, errors = [], []
    for proc, rx in running:
        result = rx.recv() if rx.poll(seconds + 60) else (0, 0.0, "no result within the time limit", 0.0)
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join()
        n, elapsed, error, cpu = result
        if error or not n:
            errors.append(error or "no invocation")
        else:
            if n == len(targets[len(rates)][1]) and elapsed < seconds * 0.9:
                say(f"{what}: the client ran out of pre-signed calls after {elapsed:.2f} s")
            rates.append(n / elapsed)
            if details is not None:
                details.append((n, elapsed, cpu))
    if errors:
        raise Failed(f"{what}: throughput client failed: {'; '.join(errors)}")
    return rates


def invocation_rates(tool, variant, emu, bootstrap, handler, rtt):
    """Invocations/s of `emu` (warm) alone, then of it and a second emulator of the same variant (its own function
    process, warmed up first) at the same time: the sum of both, and each."""
    what = f"{tool} {variant}"
    # Enough single-use signatures for the window at the fastest round trip seen, with a margin.
    count = min(20_000, int(TOOL_WINDOW_SECONDS / (min(rtt) / 1000) * 1.3) + 50)

    def calls(n):
        return [Invoker.request(signed_event(c, t, tool)) for t, c in
                (CUSTOMERS[i % len(CUSTOMERS)] for i in range(n))]

    (alone,) = client_windows([(emu.port, calls(count))], what)
    second = Emulator(bootstrap, f"{tool}-{variant}-2", handler)
    try:
        for request in calls(LATENCY_WARMUP):
            check(*second.conn.invoke(request), f"{what} (second process)")
        both = client_windows([(emu.port, calls(count)), (second.port, calls(count))], f"{what} (2 processes)")
    finally:
        second.stop()
    return {"one": alone, "two": sum(both), "each": both}


def figure_latency():
    """Every tool against Postgres, ours and the Python twin (connection reused; new connection per call): emulator-
    reported Duration and client round trip, warm; the first (connecting) call; the backends the function holds.
    Fails when a Python twin's answer differs from ours for any customer: the comparison would not be fair."""
    out, mismatches = {}, []
    if not OWNER_URL:
        raise Failed("figure 4 needs BENCH_OWNER_URL (to add the odd customers whose answers it compares)")
    owner = owner_connection()
    try:
        owner.cursor().execute(ODD_DATA)
    finally:
        owner.close()
    monitor = Monitor()
    try:
        for tool in TOOLS:
            out[tool], answers = {}, {}
            # One emulator at a time: each variant's function runs alone on the machine.
            for variant in ("swift", "python", "python_per_call"):
                out[tool][variant], answers[variant] = latency_run(tool, variant, monitor)
            for variant in ("python", "python_per_call"):
                for key in CUSTOMERS + ODD + [UNKNOWN]:
                    ours, theirs = answers["swift"][key], answers[variant][key]
                    if canonical(list(ours)) != canonical(list(theirs)):
                        mismatches.append(f"{tool} {variant} {key[0]}/{key[1]}:\n    Swift  {ours}\n    Python {theirs}")
    finally:
        monitor.close()
    if mismatches:
        raise Failed("the Python twins do not give the Swift functions' answers, so the comparison would not be "
                     "fair:\n  " + "\n  ".join(mismatches))
    say(f"figure 4: Python and Swift answers agree for all {len(TOOLS)} tools and "
        f"{len(CUSTOMERS) + len(ODD) + 1} customers")
    return out


# --------------------------------------------------------------------------------------------------- figure 5

def python_zip(modules, name):
    """The Python function as one would deploy it: its handler `modules` + `pip install --target` pg8000 (and its
    pure-Python dependencies), zipped like ours (-9 -X). awslambdaric comes with Lambda's Python runtime."""
    import importlib.metadata as md
    version = md.version("pg8000")
    pkg = WORK / f"python-package-pg8000-{version}"
    note = "pip install --target"
    if not (pkg / ".complete").exists():
        shutil.rmtree(pkg, ignore_errors=True)
        say(f"pip install --target {pkg.relative_to(ROOT)} pg8000=={version}")
        rc = subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target", str(pkg),
                             f"pg8000=={version}"], capture_output=True, text=True, timeout=300)
        if rc.returncode != 0:
            # Offline: copy the installed distributions (pg8000 and its requirement closure) file by file.
            say("pip failed; copying the installed pg8000 distribution closure instead")
            note = "installed copy (pip unavailable)"
            shutil.rmtree(pkg, ignore_errors=True)
            pkg.mkdir(parents=True)
            todo, seen = ["pg8000"], set()
            while todo:
                dist = md.distribution(todo.pop())
                if dist.metadata["Name"].lower() in seen:
                    continue
                seen.add(dist.metadata["Name"].lower())
                for f in dist.files or []:
                    src = Path(dist.locate_file(f))
                    if src.is_file() and not str(f).startswith(".."):
                        (pkg / f).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(src, pkg / f)
                for req in dist.requires or []:
                    if "extra ==" not in req:
                        todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
        (pkg / ".complete").write_text(note)
    note = (pkg / ".complete").read_text()
    stage = WORK / f"python-zip-{name}"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(pkg, stage, ignore=shutil.ignore_patterns(".complete"))
    for module in modules:
        shutil.copy2(BENCH / "python" / module, stage / module)
    target = WORK / f"{name}-python.zip"
    target.unlink(missing_ok=True)
    subprocess.run(["zip", "-q", "-r", "-9", "-X", str(target), "."], cwd=stage, check=True)
    level = re.search(r"advzip -z (-\d)", (ROOT / "scripts" / "package.sh").read_text())
    if level and shutil.which("advzip"):
        # Recompressed the way scripts/package.sh recompresses ours (same level), so both zips get the same treatment.
        subprocess.run(["advzip", "-q", "-z", level.group(1), str(target)], check=True)
        note += f", advzip -z {level.group(1)}"
    unpacked = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file())
    return target.stat().st_size, unpacked, note


def figure_zip():
    """Figure 5 (calculate_health) and every tool's zip for the per-tool table. The Python twins: calculate_health
    ships copilot.py + health.py; each of the five others also tools.py (which holds all five of them), so those five
    Python zips are one and the same."""
    py_zip, py_unpacked, note = python_zip(("copilot.py", "health.py"), "calculate_health")
    tools_zip, _, _ = python_zip(("copilot.py", "health.py", "tools.py"), "tools")
    per_tool = {tool: {"swift": (ROOT / "dist" / f"{tool}.zip").stat().st_size,
                       "python": py_zip if tool == "calculate_health" else tools_zip} for tool in TOOLS}
    return {"swift": HEALTH_ZIP.stat().st_size, "swift_unpacked": HEALTH.stat().st_size,
            "python": py_zip, "python_unpacked": py_unpacked, "python_note": note, "tools": per_tool}


# --------------------------------------------------------------------------------------------------- figure 7

GATEWAY_TOOL = "calculate_health"
GATEWAY_ROUTE = f"/prod/{GATEWAY_TOOL}"


def call_body(tenant, customer):
    body = {"customerId": customer} if tenant == "public" else {"customerId": customer, "params": {"ownerUserId": tenant}}
    return json.dumps(body, separators=(",", ":"))


def gateway_client():
    """The X-Client of the tool's events (the copilot front end)."""
    return json.loads((ROOT / "events" / GATEWAY_TOOL / "public-acme.json").read_text())["headers"]["X-Client"]


class GatewayRun(GatewayProcess):
    """`warden gateway` serving template/template.yaml with only calculate_health's bootstrap (an empty --dist and
    `--bootstrap calculate_health=dist/calculate_health/bootstrap`: the other functions are not started, so nothing
    else runs beside it), GATEWAY_WARM warm processes, the rate limit on but never refusing, in a session of its own;
    its output and its functions' output (log lines and EMF lines, prefixed `[calculate_health#n] `) in a file."""

    def __init__(self):
        empty = WORK / "gateway-dist"
        empty.mkdir(exist_ok=True)
        args = ["--template", str(ROOT / "template" / "template.yaml"), "--dist", str(empty),
                "--bootstrap", f"{GATEWAY_TOOL}={swift_bootstrap(GATEWAY_TOOL)}", "--warm", str(GATEWAY_WARM),
                "--host", "127.0.0.1", "--quiet",
                "--parameter-overrides", f"AllowedOrigin={ORIGIN}", f"CopilotRateLimitPerMinute={RATE_LIMIT}"]
        # As scripts/run.sh: the template's variables, and below them the gateway's environment (DATABASE_URL and
        # HMAC_SECRET, which the template leaves to the shell locally).
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
               "LANG": "C.UTF-8", "DATABASE_URL": DATABASE_URL, "HMAC_SECRET": SECRET}
        super().__init__(WORK / "gateway.log", args, env=env, warden=WARDEN, start_timeout=90)


def http_call(conn, method, headers, body=b""):
    status, _, answer = http_request(conn.port, method, GATEWAY_ROUTE, headers, body, conn=conn)
    return status, answer


def gateway_warm_up(port, client, calls_per_process=20):
    """Signed calls on GATEWAY_WARM connections at once, so every warm process has served some (and opened its
    database connection) before wrk starts; every answer must be 200 with `"ok":true`."""
    import http.client
    failures = []

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for i in range(calls_per_process):
                tenant, customer = CUSTOMERS[(i + k) % len(CUSTOMERS)]
                raw = call_body(tenant, customer)
                ts = str(next_timestamp())
                status, body = http_call(conn, "POST", {
                    "Content-Type": "application/json", "Origin": ORIGIN, "X-Client": client, "X-Timestamp": ts,
                    "X-Signature": copilot_signature(SECRET, ts, client, raw)}, raw)
                if status != 200 or b'"ok":true' not in body:
                    failures.append(f"{status} {body[:200]!r}")
                    return
            status, body = http_call(conn, "OPTIONS", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
            if status != 204:
                failures.append(f"preflight: {status} {body[:200]!r}")
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(f"{type(e).__name__}: {e}")
        finally:
            conn.close()

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(GATEWAY_WARM)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise Failed(f"gateway warm-up: {failures[0]}")


def write_wrk_calls(client, name, count):
    """`count` pre-signed calls to calculate_health for the wrk script, split between its threads (one file each,
    so no two threads ever send the same signature), cycling through the seeded customers. One timestamp per cycle
    of customers (the signatures still differ: the body is signed), so the timestamps run at most count / 6 ms
    ahead of the clock, well inside the ±5 minutes the functions accept."""
    prefix = WORK / f"wrk-{name}"
    files = [open(f"{prefix}-{t + 1}.tsv", "w") for t in range(WRK_THREADS)]
    bodies = [call_body(t, c) for t, c in CUSTOMERS]
    try:
        ts = None
        for i in range(count):
            if i % len(bodies) == 0:
                ts = str(next_timestamp())
            raw = bodies[i % len(bodies)]
            files[i % WRK_THREADS].write(f"{ts}\t{copilot_signature(SECRET, ts, client, raw)}\t{raw}\n")
    finally:
        for f in files:
            f.close()
    ahead = (last_timestamp() - time.time() * 1000) / 1000
    return prefix, ahead


def _duration_us(text):
    """A wrk duration (`812.00us`, `1.23ms`, `2.01s`) in µs."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}[m.group(2)]


def run_wrk(port, seconds, script_args, name, connections=WRK_CONNECTIONS):
    """wrk against the gateway's route with bench/wrk/gateway.lua; its JSON result plus what its text says."""
    cmd = [WRK, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
           "-s", str(BENCH / "wrk" / "gateway.lua"), f"http://127.0.0.1:{port}{GATEWAY_ROUTE}", "--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    log = WORK / f"wrk-{name}.txt"
    log.write_text(" ".join(cmd) + "\n" + out.stdout + out.stderr)
    if out.returncode != 0 or "WRK_RESULT " not in out.stdout:
        raise Failed(f"wrk {name} failed (rc {out.returncode}; output: {log})")
    result = json.loads(out.stdout.split("WRK_RESULT ", 1)[1].splitlines()[0])
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out.stdout)
    result["requests_per_second"] = float(rps.group(1)) if rps else result["requests"] / (result["duration_us"] / 1e6)
    result["non2xx_wrk"] = int(non2xx.group(1)) if non2xx else 0
    # --latency's distribution, as wrk prints it (the same histogram as the script's percentiles).
    result["distribution_us"] = {p: _duration_us(v) for p, v in
                                 re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", out.stdout, re.M)}
    result["command"] = f"wrk -t{WRK_THREADS} -c{connections} -d{seconds}s --latency"
    return result


def figure_gateway():
    """Gateway throughput under wrk: calculate_health's route, each request signed anew, then its CORS preflight."""
    if not WRK:
        raise Failed("wrk is missing (bench/run.sh installs it: apt-get install wrk)")
    client = gateway_client()
    prefix, _ = write_wrk_calls(client, "signed", WRK_CALLS)
    unqueued_prefix, ahead = write_wrk_calls(client, "signed-unqueued", WRK_UNQUEUED_CALLS)
    gw = GatewayRun()
    try:
        functions = gw.function_pids()
        gateway_warm_up(gw.port, client)
        emf_before = len(metric_lines(gw.output()))
        cpu0 = [proc_cpu_seconds(pid) for pid in (gw.proc.pid, *functions)]
        say(f"gateway: wrk {WRK_SECONDS} s, {WRK_CONNECTIONS} connections, signed calls ({len(functions)} function "
            f"processes)")
        signed = run_wrk(gw.port, WRK_SECONDS, ["signed", str(prefix), ORIGIN, client], "signed")
        cpu1 = [proc_cpu_seconds(pid) for pid in (gw.proc.pid, *functions)]
        emf = metric_lines(gw.output())[emf_before:]
        say(f"gateway: wrk {WRK_PREFLIGHT_SECONDS} s, preflight")
        preflight = run_wrk(gw.port, WRK_PREFLIGHT_SECONDS, ["preflight", ORIGIN], "preflight")
        say(f"gateway: wrk {WRK_UNQUEUED_SECONDS} s, signed calls on {len(functions)} connections")
        unqueued = run_wrk(gw.port, WRK_UNQUEUED_SECONDS, ["signed", str(unqueued_prefix), ORIGIN, client],
                           "signed-unqueued", connections=max(WRK_THREADS, len(functions)))
    finally:
        gw.stop()
    n = max(1, signed["requests"])
    outcomes = {}
    for _, outcome in emf:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    handler = [d for d, _ in emf]
    result = {"signed": signed, "preflight": preflight, "unqueued": unqueued, "functions": len(functions),
              "calls": WRK_CALLS,
              "ahead_s": ahead, "outcomes": outcomes,
              "handler": (percentile(handler, 50), percentile(handler, 99)) if handler else None,
              "gateway_cpu_us": (cpu1[0] - cpu0[0]) * 1e6 / n,
              "function_cpu_us": sum(b - a for a, b in zip(cpu0[1:], cpu1[1:])) * 1e6 / n}
    say(f"gateway: {signed['requests_per_second']:.0f}/s signed (p99 {signed['latency_us']['p99'] / 1000:.2f} ms), "
        f"{preflight['requests_per_second']:.0f}/s preflight (p99 {preflight['latency_us']['p99'] / 1000:.2f} ms)")
    return result


# ------------------------------------------------------------------------------------- figure 8 (callgrind)

VALGRIND = shutil.which("valgrind")
# What a preflight's answer holds: the 204 of the copilot pipeline's OriginMiddleware.
PREFLIGHT_MARK = '"statusCode":204'
# Figure 8: every run serves CALLGRIND_WARMUP invocations, then one of CALLGRIND_COUNTS (a run of its own for each);
# the difference of the two runs' totals ÷ the difference of the counts is what one more warm invocation costs.
CALLGRIND_WARMUP, CALLGRIND_COUNTS, CALLGRIND_ROUNDS = (50, (50, 150), 1) if QUICK else (100, (100, 500), 3)


def callgrind_total(cmd, expect, count, tag, make_event=None):
    """Total user-space instructions (callgrind's Ir, every thread) of one run of `cmd` through `rapi overhead`:
    start-up, CALLGRIND_WARMUP + `count` invocations (each with its own signed event, every answer checked) and the
    exit (rapi SIGTERMs the function when it asks for the next one, so valgrind writes its data)."""
    events = WORK / f"callgrind-{tag}-events.jsonl"
    make_event = make_event or signed_event
    events.write_bytes(b"\n".join(make_event() for _ in range(CALLGRIND_WARMUP + count + 1)))
    out = WORK / f"callgrind-{tag}-{count}.out"
    out.unlink(missing_ok=True)
    args = ["--event", str(events), "--warmup", str(CALLGRIND_WARMUP), "--count", str(count), "--deadline", "170"]
    if expect:
        args += ["--expect", expect]
    rapi("overhead", args, [VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], function_env(),
         WORK / f"callgrind-{tag}.log")
    m = re.search(r"^totals:\s+(\d+)", out.read_text(errors="replace"), re.M) if out.exists() else None
    if not m:
        raise Failed(f"callgrind wrote no totals for {cmd[0]} ({out}; log: {WORK / f'callgrind-{tag}.log'})")
    return int(m.group(1))


def instructions_per_invocation(subjects):
    """subjects: (key, command, expected answer text or None[, event maker: signed_event by default]). For each: CALLGRIND_ROUNDS rounds of two runs (the
    two counts); per round, Ir per warm invocation = (total B − total A) ÷ (count B − count A), which start-up,
    warm-up and exit cancel out of, and the rest of run A (start-up, the warm-up's extra over steady state, exit)."""
    if not VALGRIND:
        raise Failed("valgrind is missing (bench/run.sh installs it: apt-get install valgrind)")
    a, b = CALLGRIND_COUNTS
    out = {}
    for key, cmd, expect, *maker in subjects:
        rounds = []
        for _ in range(CALLGRIND_ROUNDS):
            ta = callgrind_total(cmd, expect, a, key, *maker)
            tb = callgrind_total(cmd, expect, b, key, *maker)
            per = (tb - ta) / (b - a)
            rounds.append({"totals": (ta, tb), "per": per, "rest": ta - (CALLGRIND_WARMUP + a) * per})
        out[key] = {"per": statistics.median(r["per"] for r in rounds),
                    "rest": statistics.median(r["rest"] for r in rounds), "rounds": rounds}
        out[key]["per_round"] = ", ".join(f"{r['per']:,.0f}" for r in rounds)
        say(f"instructions: {key} {out[key]['per']:,.0f} per warm invocation ({out[key]['per_round']}); "
            f"rest of the shorter run (start-up, warm-up's extra, exit) {out[key]['rest'] / 1e6:.1f} M")
    return out


def figure_instructions():
    """Figure 8: user-space instructions per warm invocation (callgrind) of the echo (full middleware path with
    Postgres), the middleware path without a database, and the C floor; AWS_LAMBDA_MAX_CONCURRENCY unset (N = 1)."""
    ok = OK_MARK.decode()
    return instructions_per_invocation([("floor", [str(FLOOR)], None), ("floor-strings", [str(FLOOR_STRINGS)], None),
                                        ("echo", [str(ECHO)], ok),
                                        ("middleware", [str(MIDDLEWARE)], ok),
                                        ("preflight", [str(ECHO)], PREFLIGHT_MARK, preflight_event)])


# --------------------------------------------------------------------------- figure 9 (Managed Instances)

MI_WORKERS = 4
MI_SECONDS, MI_WARM_SECONDS, MI_ROUNDS = (1.0, 0.5, 1) if QUICK else (5.0, 1.0, 3)


def emulate_supports_max_concurrency():
    out = subprocess.run([str(WARDEN), "emulate", "--help"], capture_output=True, text=True, timeout=60)
    return "--max-concurrency" in out.stdout + out.stderr


def signed_calls(n, tool="calculate_health"):
    """`n` pre-signed invokes of `tool`, cycling through the seeded customers with one timestamp per cycle (the
    bodies differ, so the signatures do), so that a large batch runs at most n / 6 ms ahead of the clock."""
    calls, ts = [], None
    for i in range(n):
        if i % len(CUSTOMERS) == 0:
            ts = next_timestamp()
        tenant, customer = CUSTOMERS[i % len(CUSTOMERS)]
        calls.append(Invoker.request(signed_event(customer, tenant, tool, ts=ts)))
    return calls


def _cpu(pid):
    try:
        return proc_cpu_seconds(pid)
    except (OSError, IndexError, ValueError):
        return None


def mi_window(emu, clients, seconds, monitor, since, rate_guess, what):
    """One window of `clients` concurrent keep-alive connections (a forked process each, sequential pre-signed
    calls, every answer checked for "ok":true) on `emu`: invocations/s, and CPU per invocation (/proc) of the
    emulator, the function process, the function's Postgres backends and the clients, over the window."""
    per_client = int(rate_guess / clients * seconds * 1.6) + 100
    targets = [(emu.port, signed_calls(per_client)) for _ in range(clients)]
    pids = {"emulator": [emu.proc.pid], "function": [emu.function_pid()],
            "postgres": [pid for pid, _ in monitor.backends("warden", since)]}
    cpu0 = {k: [_cpu(p) for p in v] for k, v in pids.items()}
    details = []
    rates = client_windows(targets, what, seconds=seconds, details=details)
    cpu1 = {k: [_cpu(p) for p in v] for k, v in pids.items()}
    n = sum(d[0] for d in details)
    cpu = {k: sum(b - a for a, b in zip(cpu0[k], cpu1[k]) if a is not None and b is not None) * 1e6 / n
           for k in pids}
    cpu["clients"] = sum(d[2] for d in details) * 1e6 / n
    return {"rate": sum(rates), "each": rates, "n": n, "cpu_us": cpu, "backends": len(pids["postgres"])}


def mi_process(workers, monitor):
    """One `warden emulate` (--max-concurrency `workers` when above 1) serving calculate_health as figure 4 does:
    checked calls, a warm-up window with MI_WORKERS connections (so every worker has opened its database connection),
    then a measured window with MI_WORKERS connections and one with a single connection; VmHWM of the function
    process after all of them."""
    what = f"calculate_health, {workers} worker(s)"
    since = monitor.now()
    extra = ["--max-concurrency", str(workers)] if workers > 1 else []
    emu = Emulator(HEALTH, f"managed-{workers}", extra_args=extra)
    try:
        for request in signed_calls(LATENCY_WARMUP):
            check(*emu.conn.invoke(request), what)
        warm = mi_window(emu, MI_WORKERS, MI_WARM_SECONDS, monitor, since, 3000, f"{what} (warm-up)")
        windows = {}
        for clients in (MI_WORKERS, 1):
            windows[clients] = mi_window(emu, clients, MI_SECONDS, monitor, since, max(warm["rate"], 500) * 1.5,
                                         f"{what}, {clients} connection(s)")
        peak = emu.peak_kib()
        backends = len(monitor.backends("warden", since))
    finally:
        emu.stop()
    say(f"managed instances: {workers} worker(s): {windows[MI_WORKERS]['rate']:.0f}/s with {MI_WORKERS} connections, "
        f"{windows[1]['rate']:.0f}/s with 1; VmHWM {(peak or {}).get('VmHWM', 0):,} KiB; {backends} backend(s)")
    return {"windows": windows, "peak_kib": peak, "backends": backends}


def figure_managed_instances():
    """Figure 9: N = MI_WORKERS workers in one function process (`warden emulate --max-concurrency N`, the runtime
    gets AWS_LAMBDA_MAX_CONCURRENCY=N) vs N = 1 (`warden emulate`), same Postgres, same client load; MI_ROUNDS
    rounds, the order of the two alternating."""
    if not emulate_supports_max_concurrency():
        say(f"figure 9: `{WARDEN} emulate` has no --max-concurrency: not measured")
        return {"skipped": f"`warden emulate` ({WARDEN_BUILD}) has no --max-concurrency"}
    monitor = Monitor()
    rounds = []
    try:
        for r in range(MI_ROUNDS):
            order = (1, MI_WORKERS) if r % 2 == 0 else (MI_WORKERS, 1)
            rounds.append({workers: mi_process(workers, monitor) for workers in order})
    finally:
        monitor.close()
    return {"rounds": rounds}


# ------------------------------------------------------------------ before/after (bench/compare-commits.sh)

COMPARE_PRODUCTS = ("warden-bench-echo", "warden-bench-middleware", "calculate_health")
COMPARE_COLD_ROUNDS = 2 if QUICK else 4


def figure_compare(base_dir, base_label, after_dir, after_label):
    """Two builds of the same functions side by side: instructions per warm invocation (callgrind, as figure 8) of
    the echo and the middleware-only function, beside the C floor, and cold start of calculate_health, the two
    sides in alternating rounds of COLD_RUNS starts (pinned to CPU 1, as figure 2)."""
    sides = {"before": (Path(base_dir), base_label), "after": (Path(after_dir), after_label)}
    for key, (directory, label) in sides.items():
        for product in COMPARE_PRODUCTS:
            if not (directory / product / "bootstrap").is_file():
                raise Failed(f"{key} ({label}): missing {directory / product / 'bootstrap'}")
    original = {k: str(v[0]) for k, v in sides.items()}
    # Both sides run from fresh copies written the same way. How a bootstrap's file sits in the page cache changes
    # its resident file pages by megabytes (one just written by strip is held in large folios, and a page fault maps
    # a whole folio): measured 2026-12-05, the same binary showed RssFile 10.8 MB from dist/ and 6.8 MB from a copy.
    for key, (directory, label) in list(sides.items()):
        target = WORK / f"compare-{key}"
        for product in COMPARE_PRODUCTS:
            copy = target / product / "bootstrap"
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.unlink(missing_ok=True)
            shutil.copyfile(directory / product / "bootstrap", copy)
            copy.chmod(0o755)
        sides[key] = (target, label)
    ok = OK_MARK.decode()
    subjects = [("floor", [str(FLOOR)], None), ("floor-strings", [str(FLOOR_STRINGS)], None)]
    for key, (directory, _) in sides.items():
        subjects += [(f"echo-{key}", [str(directory / "warden-bench-echo" / "bootstrap")], ok),
                     (f"middleware-{key}", [str(directory / "warden-bench-middleware" / "bootstrap")], ok),
                     (f"preflight-{key}", [str(directory / "warden-bench-echo" / "bootstrap")], PREFLIGHT_MARK,
                      preflight_event)]
    instructions = instructions_per_invocation(subjects)
    cold = {"before": [], "after": []}
    for r in range(COMPARE_COLD_ROUNDS):
        for key in (("before", "after") if r % 2 == 0 else ("after", "before")):
            directory = sides[key][0]
            log = WORK / f"compare-cold-{key}.log"
            samples = rapi("coldstart", ["--runs", str(COLD_RUNS), "--deadline", "60"],
                           [str(directory / "calculate_health" / "bootstrap")], function_env(name="calculate_health"),
                           log)["samples_us"]
            cold[key].append(samples)
            say(f"compare: cold start {key} round {r + 1}: median {statistics.median(samples) / 1000:.2f} ms")
    # calculate_health itself under figure 1's harness (no valgrind): its peak resident memory (ru_maxrss of the
    # child, i.e. VmHWM) after OVERHEAD_WARMUP + OVERHEAD_COUNT invocations, and its CPU time per warm invocation
    # (as figure 1: noisy, hence alternating rounds and medians).
    warm = {"before": [], "after": []}
    for r in range(COMPARE_COLD_ROUNDS):
        for key in (("before", "after") if r % 2 == 0 else ("after", "before")):
            events = WORK / "compare-events.jsonl"
            events.write_bytes(b"\n".join(signed_event() for _ in range(OVERHEAD_WARMUP + OVERHEAD_COUNT + 1)))
            res = rapi("overhead", ["--event", str(events), "--warmup", str(OVERHEAD_WARMUP), "--count",
                                    str(OVERHEAD_COUNT), "--deadline", "90", "--expect", ok],
                       [str(sides[key][0] / "calculate_health" / "bootstrap")], function_env(name="calculate_health"),
                       WORK / f"compare-warm-{key}.log")
            warm[key].append((res["maxrss_kib"], res["cpu_ns_per_invocation"] / 1000,
                              res.get("RssFile"), res.get("RssAnon"), res.get("Threads")))
            say(f"compare: calculate_health {key} round {r + 1}: VmHWM {res['maxrss_kib']:,} KiB, "
                f"{res['cpu_ns_per_invocation'] / 1000:.1f} µs CPU per warm invocation")
    return {"labels": {k: v[1] for k, v in sides.items()}, "dirs": original,
            "instructions": instructions, "cold": cold, "warm": warm}


# ------------------------------------------------------------------------------------------------------ table

def fmt_ratio(a, b):
    return f"{a / b:.2f}×" if b else "–"


def mark(ok):
    return "**yes**" if ok else "**no**"


def times(baseline, ours):
    """`baseline` ÷ `ours` as the per-tool table prints it: how many times better ours is for times, sizes and memory
    (called with the arguments swapped for invocations/s, where more is better)."""
    if not ours:
        return "–"
    v = baseline / ours
    return f"{v:.0f}×" if v >= 10 else f"{v:.1f}×" if v >= 1 else f"{v:.2f}×"


def zip_verdict(size):
    """≤ 5 MB: the verdict in both units when they disagree (5,000,000 < size ≤ 5,242,880 bytes)."""
    if (size <= 5 * MiB) != (size <= 5 * MB):
        return f"{mark(size <= 5 * MiB)} in MiB; {mark(size <= 5 * MB)} in 10⁶ B"
    return mark(size <= 5 * MB)


def memory_ok(run):
    """Max Memory Used ≤ 10 MiB, from the exact VmHWM when it could be read (the REPORT line rounds it up to MiB)."""
    kib = (run["peak_kib"] or {}).get("VmHWM")
    return kib <= 10 * 1024 if kib is not None else run["max_memory_mb"] <= 10


def memory_text(run):
    kib = (run["peak_kib"] or {}).get("VmHWM")
    return f"{run['max_memory_mb']} MB (VmHWM {kib:,} KiB)" if kib is not None else f"{run['max_memory_mb']} MB"


def per_tool_table(cold, f4, f5):
    """The per-tool table of issue 8: ours beside the original-style Python (new connection per call) and the
    pooled Python (connection reused), each ratio how many times better ours is."""
    out = (f"**Per tool**: ours vs the Python twins, original style (awslambdaric + pg8000, a new connection per call) and "
           f"pooled (one connection reused); **× = how many times better ours is**: the baseline's figure ÷ ours for "
           f"times, memory and size, ours ÷ the baseline's for invocations/s (above 1: ours is faster, smaller or "
           f"serves more). Handler = the function's own CloudWatch EMF `Duration` "
           f"(both sides measure the same span in-process); Duration = the emulator's REPORT line; round trip = the "
           f"client's; all warm, against the local Postgres, through `warden emulate` ({WARDEN_BUILD}). Invocations/s: "
           f"{TOOL_WINDOW_SECONDS:.0f} s windows, one sequential keep-alive client per function process; 2 processes = "
           f"two emulators, each its own function process, loaded at the same time (sum). Cold start: median of "
           f"{COLD_RUNS}; the two Python variants share one bootstrap and module set, so one Python cold start.\n\n"
           "| Tool | Measure | Ours (Swift) | Python original | Ours vs original | Python pooled | Ours vs pooled | "
           "Target (ours) | Met |\n|---|---|---|---|---|---|---|---|---|\n")
    for tool in TOOLS:
        s_, p_, pc = (f4[tool][v] for v in ("swift", "python", "python_per_call"))
        c_s, c_p = (statistics.median(cold[tool][v]) / 1000 for v in ("swift", "python"))
        z_s, z_p = f5["tools"][tool]["swift"], f5["tools"][tool]["python"]

        def pair(key, digits=2):
            return (lambda r: f"{r[key][0]:.{digits}f} / {r[key][1]:.{digits}f} ms")

        def ratio_pair(key, base):
            return f"{times(base[key][0], s_[key][0])} / {times(base[key][1], s_[key][1])}"

        def rate(r, which):
            if which == "one":
                return f"{r['rates']['one']:,.0f}/s"
            return f"{r['rates']['two']:,.0f}/s ({' + '.join(f'{x:,.0f}' for x in r['rates']['each'])})"

        handler_x, rtt_x = pc["handler"][0] / s_["handler"][0], pc["rtt"][0] / s_["rtt"][0]
        rows = [
            ("cold start (exec → first GET /next)", f"{c_s:.2f} ms", f"{c_p:.1f} ms (one for both)", times(c_p, c_s),
             f"{c_p:.1f} ms", times(c_p, c_s), "≤ 3 ms", mark(c_s <= 3)),
            ("handler p50 / p99 (EMF Duration)", pair("handler", 3)(s_), pair("handler", 3)(pc), ratio_pair("handler", pc),
             pair("handler", 3)(p_), ratio_pair("handler", p_), "p50 ≤ 0.3 ms; ≥ 10× original (p50)",
             f"{mark(s_['handler'][0] <= 0.3)}; {mark(handler_x >= 10)}"),
            ("Duration p50 / p99 (REPORT)", pair("duration")(s_), pair("duration")(pc), ratio_pair("duration", pc),
             pair("duration")(p_), ratio_pair("duration", p_), "–", ""),
            ("round trip p50 / p99", pair("rtt")(s_), pair("rtt")(pc), ratio_pair("rtt", pc), pair("rtt")(p_),
             ratio_pair("rtt", p_), "≥ 10× original (p50)", mark(rtt_x >= 10)),
            ("invocations/s, 1 process", rate(s_, "one"), rate(pc, "one"), times(s_["rates"]["one"], pc["rates"]["one"]),
             rate(p_, "one"), times(s_["rates"]["one"], p_["rates"]["one"]), "–", ""),
            ("invocations/s, 2 processes (sum)", rate(s_, "two"), rate(pc, "two"),
             times(s_["rates"]["two"], pc["rates"]["two"]), rate(p_, "two"),
             times(s_["rates"]["two"], p_["rates"]["two"]), "–", ""),
            ("Max Memory Used (REPORT; VmHWM)", memory_text(s_), memory_text(pc),
             times(pc["max_memory_mb"], s_["max_memory_mb"]), memory_text(p_),
             times(p_["max_memory_mb"], s_["max_memory_mb"]), "≤ 10 MiB", mark(memory_ok(s_))),
            ("package (zip)", f"{z_s / MB:.2f} MB = {z_s / MiB:.2f} MiB", f"{z_p / MB:.2f} MB = {z_p / MiB:.2f} MiB",
             times(z_p, z_s), "same zip", times(z_p, z_s), "≤ 5 MB", zip_verdict(z_s)),
        ]
        for k, row in enumerate(rows):
            out += f"| {f'`{tool}`' if k == 0 else ''} | " + " | ".join(row) + " |\n"
    return out


def targets_table(cold, f4, f5):
    """Issue 8's targets, one line per tool, yes/no with the figure."""
    out = ("**Targets per tool** (measured, never asserted; ≥ 10× compares the original-style Python's p50 with ours, "
           "for the handler time and for the round trip):\n\n"
           "| Tool | handler p50 ≤ 0.3 ms | ≥ 10× original: handler p50 | ≥ 10× original: round trip p50 | "
           "cold start ≤ 3 ms | Max Memory Used ≤ 10 MiB | zip ≤ 5 MB |\n|---|---|---|---|---|---|---|\n")
    for tool in TOOLS:
        s_, pc = f4[tool]["swift"], f4[tool]["python_per_call"]
        c_s = statistics.median(cold[tool]["swift"]) / 1000
        z_s = f5["tools"][tool]["swift"]
        hx, rx = pc["handler"][0] / s_["handler"][0], pc["rtt"][0] / s_["rtt"][0]
        kib = (s_["peak_kib"] or {}).get("VmHWM")
        cells = [f"{mark(s_['handler'][0] <= 0.3)} ({s_['handler'][0]:.3f} ms)", f"{mark(hx >= 10)} ({hx:.1f}×)",
                 f"{mark(rx >= 10)} ({rx:.1f}×)", f"{mark(c_s <= 3)} ({c_s:.2f} ms)",
                 f"{mark(memory_ok(s_))} ({f'{kib:,} KiB' if kib is not None else str(s_['max_memory_mb']) + ' MB'})",
                 f"{zip_verdict(z_s)} ({z_s:,} B)"]
        out += f"| `{tool}` | " + " | ".join(cells) + " |\n"
    return out


def gateway_table(f7):
    sg, pf = f7["signed"], f7["preflight"]
    build = f"{WARDEN_BUILD}, {WARDEN.relative_to(ROOT) if WARDEN.is_relative_to(ROOT) else WARDEN}"
    out = (f"**Gateway under wrk**: `warden gateway` ({build}) serving template/template.yaml's "
           f"`{GATEWAY_ROUTE}` with {f7['functions']} warm function processes (`--warm {GATEWAY_WARM}`), on this "
           f"machine with wrk and Postgres; latency is wrk's (send → whole answer), per connection, closed loop.\n\n"
           "| Route | Load | Requests/s | Latency p50 / p99 | Non-2xx: wrk / counted by status | Other errors | "
           "Target | Met |\n|---|---|---|---|---|---|---|---|\n")

    def errors(r):
        e = {k: v for k, v in r["errors"].items() if k != "status" and v}
        e.update({k: r[k] for k in ("not_ok", "exhausted") if r.get(k)})
        return ", ".join(f"{k} {v}" for k, v in e.items()) or "none"

    def non2xx(r, ok):
        counted = sum(v for k, v in r["statuses"].items() if int(k) not in ok)
        return counted, f"{r['non2xx_wrk']:,} / {counted:,}"

    def lat(r):
        return f"{r['latency_us']['p50'] / 1000:.2f} / {r['latency_us']['p99'] / 1000:.2f} ms"

    bad, text = non2xx(sg, {200})
    clean = bad == 0 and sg["non2xx_wrk"] == 0 and errors(sg) == "none"
    p99_ok = sg["latency_us"]["p99"] <= 5000
    out += (f"| POST `{GATEWAY_ROUTE}`, each request signed anew | {sg['command']} | "
            f"{sg['requests_per_second']:,.0f}/s | {lat(sg)} | {text} | {errors(sg)} | p99 ≤ 5 ms; no unexpected "
            f"non-2xx | p99 {mark(p99_ok)}; non-2xx {mark(clean)} |\n")
    _, text = non2xx(pf, {204})
    out += (f"| OPTIONS `{GATEWAY_ROUTE}` (CORS preflight: no signature, no database; the function answers 204) | "
            f"{pf['command']} | {pf['requests_per_second']:,.0f}/s | {lat(pf)} | {text} | {errors(pf)} | – | |\n")
    uq = f7["unqueued"]
    _, text = non2xx(uq, {200})
    out += (f"| POST `{GATEWAY_ROUTE}`, signed, one connection per warm process (no request waits for another) | "
            f"{uq['command']} | {uq['requests_per_second']:,.0f}/s | {lat(uq)} | {text} | {errors(uq)} | – | |\n")
    return out


def per_tool_details(cold, f4):
    cold_text = "; ".join(
        f"{tool} {statistics.median(cold[tool]['swift']) / 1000:.2f} / {statistics.median(cold[tool]['python']) / 1000:.0f}"
        for tool in TOOLS)
    counts = {v: sorted({f4[t][v]["n"] for t in TOOLS}) for v in ("swift", "python", "python_per_call")}
    return (f"- Per tool: handler, Duration and round trip over the measured calls of figure 4 (ours and pooled "
            f"{'–'.join(map(str, counts['swift']))} / {'–'.join(map(str, counts['python']))}, original "
            f"{'–'.join(map(str, counts['python_per_call']))} calls); invocations/s right after them, each call with its "
            f"own signature, the rate limit on (RATE_LIMIT_PER_MINUTE={RATE_LIMIT:,}: every call takes a token, none "
            f"is refused); Max Memory Used after all of that process's calls. Cold start medians, ms (ours / "
            f"Python): {cold_text}.")


def gateway_details(f7):
    sg, pf = f7["signed"], f7["preflight"]
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(sg["statuses"].items()))
    pstatuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(pf["statuses"].items()))
    outcomes = ", ".join(f"{k}: {v:,}" for k, v in sorted(f7["outcomes"].items())) or "none"
    dist = ", ".join(f"{k}% {v / 1000:.2f} ms" for k, v in sg["distribution_us"].items())
    handler = (f"{f7['handler'][0]:.3f} / {f7['handler'][1]:.3f} ms" if f7["handler"] else "–")
    little = WRK_CONNECTIONS / sg["requests_per_second"] * 1000 if sg["requests_per_second"] else 0
    return (f"- Gateway: signed calls {sg['requests']:,} of {f7['calls']:,} pre-signed (timestamps up to "
            f"{f7['ahead_s']:.0f} s ahead of the clock; the functions accept ±300 s), statuses {statuses}; the "
            f"functions' EMF outcomes {outcomes}; their handler p50 / p99 under this load {handler}; wrk --latency: "
            f"{dist}, p99.9 {sg['latency_us']['p999'] / 1000:.2f} ms, max {sg['latency_us']['max'] / 1000:.2f} ms. "
            f"CPU per signed request: gateway {f7['gateway_cpu_us']:.0f} µs, function processes "
            f"{f7['function_cpu_us']:.0f} µs (Postgres not counted). With {WRK_CONNECTIONS} connections always busy "
            f"and {f7['functions']} processes each serving one invocation at a time, a request waits for the ones "
            f"queued ahead of it: mean latency ≈ {WRK_CONNECTIONS} ÷ requests/s = {little:.1f} ms (Little's law). "
            f"Preflight statuses {pstatuses}, p99.9 {pf['latency_us']['p999'] / 1000:.2f} ms.")


def instructions_section(f8):
    """Figure 8's table."""
    a, b = CALLGRIND_COUNTS
    floor = f8["floor"]["per"]
    strings = f8.get("floor-strings", {}).get("per")
    rows = [("C floor (`bench/floor`: libcurl loop, GET next, POST the event back; URLs parsed once, as our runtime "
             "does)", "floor"),
            ("C floor with URL strings (`-DFLOOR_STRING_URLS`: the floor of issue 17's first figures)", "floor-strings"),
            ("echo: the full copilot middleware path with its Postgres work: guards, audit row (`dist/warden-bench-echo`)", "echo"),
            ("middleware path, no database (`dist/warden-bench-middleware`)", "middleware"),
            ("OPTIONS preflight through the copilot pipeline (`dist/warden-bench-echo`: no signature, no database)",
             "preflight")]
    text = (f"**Figure 8, instructions per warm invocation** (callgrind: user-space instructions of every thread of "
            f"the function process; N = 1, `AWS_LAMBDA_MAX_CONCURRENCY` unset; through `rapi overhead`, "
            f"{CALLGRIND_WARMUP} warm-up invocations, then runs of {a} and {b}: (total of {b} − total of {a}) ÷ "
            f"{b - a}; median of {CALLGRIND_ROUNDS} round(s)). Deterministic up to a few hundred instructions, unlike "
            f"figure 1's CPU time, so it compares across runs and commits (`bench/compare-commits.sh`).\n\n"
            "| Subject | Instructions per warm invocation | × floor | × floor with URL strings | Rest of the shorter "
            "run: start-up, warm-up's extra, exit (M instructions) | Per round |\n|---|---|---|---|---|---|\n")
    for label, key in rows:
        if key not in f8:
            continue
        r = f8[key]
        versus_strings = f"{r['per'] / strings:.2f}×" if strings else "–"
        text += (f"| {label} | {r['per']:,.0f} | {r['per'] / floor:.2f}× | {versus_strings} | {r['rest'] / 1e6:.1f} | "
                 f"{r['per_round']} |\n")
    return text


def _mi_median(rounds, workers, clients, field):
    values = [r[workers]["windows"][clients][field] for r in rounds]
    return statistics.median(values), values


def managed_section(f9):
    """Figure 9's table and targets."""
    if "skipped" in f9:
        return f"**Figure 9, Lambda Managed Instances**: not measured ({f9['skipped']}).\n"
    rounds = f9["rounds"]
    n = MI_WORKERS
    rate = {(w, c): _mi_median(rounds, w, c, "rate") for w in (1, n) for c in (n, 1)}
    hwm = {w: [(r[w]["peak_kib"] or {}).get("VmHWM") for r in rounds] for w in (1, n)}
    hwm_med = {w: statistics.median(v) if all(v) else None for w, v in hwm.items()}
    text = (f"**Figure 9, Lambda Managed Instances**: calculate_health (`dist/calculate_health/bootstrap`, figure 4's "
            f"environment and signed events; the rate limit on) in ONE function process with N = {n} workers "
            f"(`warden emulate --max-concurrency {n}`: AWS_LAMBDA_MAX_CONCURRENCY={n}, {n} invocations in flight) vs "
            f"N = 1 (`warden emulate`, invocations queued one at a time), same Postgres, through `warden` ({WARDEN_BUILD}); "
            f"{MI_SECONDS:.0f} s windows of {n} or 1 keep-alive client connection(s) (a forked process each, every "
            f"call pre-signed with its own signature and checked for `\"ok\":true`), after a warm-up window with {n}; "
            f"median of {len(rounds)} round(s), the two processes' order alternating. CPU per invocation from /proc "
            f"over each window: emulator, function process, the function's Postgres backends, the Python clients "
            f"(2 CPUs are shared by all four).\n\n"
            "| Function process | Client connections | Invocations/s (each round) | CPU per invocation, µs: emulator / "
            "function / Postgres / clients = total | CPU ceiling (2 CPUs ÷ total) | VmHWM (each round) | Postgres "
            "backends |\n|---|---|---|---|---|---|---|\n")
    for w in (1, n):
        # VmHWM (after both windows) and the backends the process held belong to the process: on its first row.
        memory = (f"{hwm_med[w]:,.0f} KiB ({', '.join(f'{x:,}' for x in hwm[w])})" if hwm_med[w] else "?")
        backends = "–".join(map(str, sorted({r[w]["backends"] for r in rounds})))
        for i, c in enumerate((1, n) if w == 1 else (n, 1)):
            med, each = rate[(w, c)]
            cpu = {k: statistics.median(r[w]["windows"][c]["cpu_us"][k] for r in rounds)
                   for k in ("emulator", "function", "postgres", "clients")}
            total = sum(cpu.values())
            label = f"N = {w}" + (f" (`--max-concurrency {w}`)" if w > 1 else " (`warden emulate`)")
            text += (f"| {label} | {c} | **{med:,.0f}/s** ({', '.join(f'{x:,.0f}' for x in each)}) | "
                     f"{cpu['emulator']:.0f} / {cpu['function']:.0f} / {cpu['postgres']:.0f} / {cpu['clients']:.0f} = "
                     f"{total:.0f} | {2e6 / total:,.0f}/s | {memory if i == 0 else ''} | "
                     f"{backends if i == 0 else ''} |\n")
    speed = rate[(n, n)][0] / rate[(1, n)][0]
    speed1 = rate[(n, n)][0] / rate[(1, 1)][0]
    mem = hwm_med[n] / hwm_med[1] if hwm_med[1] and hwm_med[n] else None
    text += (f"\nTargets (issue 16, measured, not asserted): invocations/s with N = {n} ÷ N = 1 under the same "
             f"{n} connections: **{speed:.2f}×** (≥ 1.8×: {mark(speed >= 1.8)}); ÷ N = 1 with one connection: "
             f"{speed1:.2f}×; VmHWM of the {n}-worker process ÷ the 1-worker one: "
             + (f"**{mem:.2f}×** (≤ 1.5×: {mark(mem <= 1.5)})" if mem else "?") + ".\n")
    return text


def compare_section(fc, started, elapsed, load):
    labels = fc["labels"]
    ins = fc["instructions"]
    floor = ins["floor"]["per"]
    strings = ins.get("floor-strings", {}).get("per")

    def ratios(per):
        return f"{per / floor:.2f}× floor" + (f", {per / strings:.2f}× floor with URL strings" if strings else "")

    title = (f"Before/after, {started:%Y-%m-%d %H:%M} UTC — before: {labels['before']}, after: {labels['after']}; "
             f"{os.cpu_count()} CPUs, {elapsed:.0f} s, 1-min load average {load[0]:.1f} at start / "
             f"{os.getloadavg()[0]:.1f} at end{' (BENCH_QUICK smoke run)' if QUICK else ''}")
    a, b = CALLGRIND_COUNTS
    rows = []
    for key, label in (("echo", "echo: full middleware path with Postgres (`warden-bench-echo`)"),
                       ("middleware", "middleware path, no database (`warden-bench-middleware`)"),
                       ("preflight", "OPTIONS preflight through the copilot pipeline (`warden-bench-echo`)")):
        before, after = ins[f"{key}-before"], ins[f"{key}-after"]
        rows.append((f"Instructions per warm invocation, {label}",
                     f"{before['per']:,.0f} = {ratios(before['per'])}",
                     f"{after['per']:,.0f} = {ratios(after['per'])}",
                     f"{after['per'] / before['per']:.4f}× ({after['per'] - before['per']:+,.0f})"))
        rows.append((f"… rest of the shorter run ({CALLGRIND_WARMUP} + {a} invocations): start-up, warm-up's extra, "
                     f"exit, M instructions", f"{before['rest'] / 1e6:.2f}", f"{after['rest'] / 1e6:.2f}",
                     f"{after['rest'] / before['rest']:.3f}× ({(after['rest'] - before['rest']) / 1e6:+.2f} M)"))
    rows.append(("C floor, instructions per warm invocation (URLs parsed once, as our runtime does)", f"{floor:,.0f}",
                 "(same)", ""))
    if strings:
        rows.append(("C floor with URL strings (issue 17's first figures)", f"{strings:,.0f}", "(same)", ""))
    cold = {k: [x for rnd in v for x in rnd] for k, v in fc["cold"].items()}
    med = {k: statistics.median(v) / 1000 for k, v in cold.items()}
    p90 = {k: percentile(v, 90) / 1000 for k, v in cold.items()}
    per_round = {k: ", ".join(f"{statistics.median(rnd) / 1000:.2f}" for rnd in v) for k, v in fc["cold"].items()}
    rows.append((f"Cold start of calculate_health, exec → first GET /next, median of {len(cold['before'])} "
                 f"({len(fc['cold']['before'])} alternating rounds of {COLD_RUNS}; round medians)",
                 f"{med['before']:.2f} ms ({per_round['before']})", f"{med['after']:.2f} ms ({per_round['after']})",
                 f"{med['after'] / med['before']:.2f}× ({med['after'] - med['before']:+.2f} ms)"))
    rows.append(("… p90", f"{p90['before']:.2f} ms", f"{p90['after']:.2f} ms", f"{p90['after'] / p90['before']:.2f}×"))
    warm = fc["warm"]
    for i, (label, unit, digits) in enumerate((
            (f"calculate_health under `rapi overhead` ({OVERHEAD_WARMUP} + {OVERHEAD_COUNT} invocations): peak "
             f"resident memory (ru_maxrss = VmHWM), median of {len(warm['before'])} (each run)", " KiB", 0),
            ("… its CPU time per warm invocation (figure 1's measure: noisy), median (each run)", " µs", 1))):
        values = {k: [x[i] for x in v] for k, v in warm.items()}
        med_ = {k: statistics.median(v) for k, v in values.items()}
        each = {k: ", ".join(f"{x:,.{digits}f}" for x in v) for k, v in values.items()}
        rows.append((label, f"{med_['before']:,.{digits}f}{unit} ({each['before']})",
                     f"{med_['after']:,.{digits}f}{unit} ({each['after']})",
                     f"{med_['after'] / med_['before']:.2f}× ({med_['after'] - med_['before']:+,.{digits}f}{unit})"))
    # What the resident memory is made of at the end of the run (/proc/<pid>/status, last run of each side).
    last = {k: v[-1] for k, v in warm.items()}
    if all(x[2] is not None for x in last.values()):
        rows.insert(len(rows) - 1, (
            "… of which, at the end of the last run: file-backed (program text and data pages) + anonymous; threads",
            f"{last['before'][2]:,} + {last['before'][3]:,} KiB; {last['before'][4]}",
            f"{last['after'][2]:,} + {last['after'][3]:,} KiB; {last['after'][4]}",
            f"{last['after'][2] - last['before'][2]:+,} + {last['after'][3] - last['before'][3]:+,} KiB"))
    table = ("| Measure | Before | After | After ÷ before |\n|---|---|---|---|\n"
             + "".join("| " + " | ".join(r) + " |\n" for r in rows))
    note = (f"Instructions: callgrind, user space, every thread, N = 1, through `rapi overhead` ({CALLGRIND_WARMUP} "
            f"warm-up invocations, then runs of {a} and {b}; median of {CALLGRIND_ROUNDS} round(s); per round: "
            + "; ".join(f"{k} {v['per_round']}" for k, v in ins.items())
            + f"). Cold start: `rapi coldstart`, pinned to CPU 1, as figure 2. Bootstraps: before {fc['dirs']['before']}, "
            f"after {fc['dirs']['after']}.")
    return title, table, note


def render(f1, cold, f3, f4, f5, f7, started, elapsed, load):
    f2 = cold["calculate_health"]
    o = f1["median_us"]
    floor, swift_cpu, py_cpu = o["floor"], o["swift"], o["python"]
    c_s, c_p = statistics.median(f2["swift"]) / 1000, statistics.median(f2["python"]) / 1000
    t_s, t_p = f3["swift"]["per_second"], f3["python"]["per_second"]
    h_s, h_p, h_pc = (f4["calculate_health"][v] for v in ("swift", "python", "python_per_call"))
    z_s, z_p = f5["swift"], f5["python"]
    m_s, m_p = h_s["max_memory_mb"], h_p["max_memory_mb"]
    # Since the audit trail and the request guards, the echo's middleware path writes to Postgres on every call
    # (Swift and Python alike): the replay record and rate-limit tokens, and the audit row (one batch for ours
    # since issue 17, two round trips for the Python twin).
    audit_note = (" incl. its Postgres writes per call (request guards, audit row)" if f1["audit_rows"]
                  else "")

    def ms2(pair):
        return f"{pair[0]:.2f} / {pair[1]:.2f} ms"

    rows = [
        ("1", f"Warm runtime overhead: CPU per invocation, echo{audit_note} (median of {OVERHEAD_ROUNDS} × {OVERHEAD_COUNT})",
         f"{swift_cpu:.1f} µs = **{swift_cpu / floor:.2f}× floor**", f"{py_cpu:.1f} µs = {py_cpu / floor:.2f}× floor",
         fmt_ratio(swift_cpu, py_cpu), f"≤ 1.3× floor (C libcurl loop: {floor:.1f} µs)", mark(swift_cpu / floor <= 1.3)),
        ("1a", "… the in-process middleware path alone (decode, CORS, signature, validation, envelope, log line; "
               "no database), as the target defines it",
         f"{o['swift_middleware']:.1f} µs = **{o['swift_middleware'] / floor:.2f}× floor**",
         f"{o['python_bare']:.1f} µs = {o['python_bare'] / floor:.2f}× floor (bare awslambdaric, no work)",
         fmt_ratio(o["swift_middleware"], o["python_bare"]), "≤ 1.3× floor", mark(o["swift_middleware"] / floor <= 1.3)),
        ("2", f"Cold start, exec → first GET /next (median of {COLD_RUNS})", f"{c_s:.2f} ms", f"{c_p:.1f} ms",
         fmt_ratio(c_s, c_p), "≤ 3 ms", mark(c_s <= 3)),
        ("3", f"Warm echo invocations/s through `warden emulate` ({WARDEN_BUILD}; {THROUGHPUT_SECONDS:.0f} s, "
              f"sequential)",
         f"{t_s:,.0f}/s", f"{t_p:,.0f}/s", fmt_ratio(t_s, t_p), "–", ""),
        ("4a", f"calculate_health warm, emulator Duration p50 / p99 ({h_s['n']} / {h_p['n']} invokes; every tool: "
               f"table 4 below)",
         ms2(h_s["duration"]), ms2(h_p["duration"]),
         f"{fmt_ratio(h_s['duration'][0], h_p['duration'][0])} / {fmt_ratio(h_s['duration'][1], h_p['duration'][1])}",
         "–", ""),
        ("4b", "calculate_health warm, client round trip p50 / p99", ms2(h_s["rtt"]), ms2(h_p["rtt"]),
         f"{fmt_ratio(h_s['rtt'][0], h_p['rtt'][0])} / {fmt_ratio(h_s['rtt'][1], h_p['rtt'][1])}", "–", ""),
        ("4c", f"… Python original style, new connection per call: Duration / round trip p50 ({h_pc['n']} invokes)",
         f"{h_s['duration'][0]:.2f} / {h_s['rtt'][0]:.2f} ms", f"{h_pc['duration'][0]:.2f} / {h_pc['rtt'][0]:.2f} ms",
         f"{fmt_ratio(h_s['duration'][0], h_pc['duration'][0])} / {fmt_ratio(h_s['rtt'][0], h_pc['rtt'][0])}", "–", ""),
        ("5", "Zip size, calculate_health (Python: handler + pg8000 & deps; awslambdaric not counted)",
         f"{z_s / MB:.2f} MB = {z_s / MiB:.2f} MiB", f"{z_p / MB:.2f} MB = {z_p / MiB:.2f} MiB",
         fmt_ratio(z_s, z_p), "≤ 5 MB",
         f"{mark(z_s <= 5 * MiB)} in MiB; {mark(z_s <= 5 * MB)} in 10⁶ B" if (z_s <= 5 * MiB) != (z_s <= 5 * MB)
         else mark(z_s <= 5 * MB)),
        ("6", "Max Memory Used, calculate_health after its warm runs and throughput windows (REPORT line)", f"{m_s} MB", f"{m_p} MB",
         fmt_ratio(m_s, m_p), "≤ 10 MiB", mark(m_s <= 10)),
    ]
    head = ("| # | Figure | Warden (Swift) | Python (awslambdaric) | Swift ÷ Python | Target (Swift) | Met |\n"
            "|---|---|---|---|---|---|---|\n")
    table = head + "".join("| " + " | ".join(r) + " |\n" for r in rows)

    def pair(p):
        return f"{p[0]:.2f} / {p[1]:.2f}"

    def ratios(a, b):
        return f"{fmt_ratio(a[0], b[0])} / {fmt_ratio(a[1], b[1])}"

    counts = {v: sorted({f4[t][v]["n"] for t in TOOLS}) for v in ("swift", "python", "python_per_call")}
    per_tool = (f"**Figure 4, every tool**: warm latency against Postgres through `warden emulate`, p50 / p99 in ms "
                f"(ours / Python reused: {'–'.join(map(str, counts['swift']))} / "
                f"{'–'.join(map(str, counts['python']))} calls; new connection per call: "
                f"{'–'.join(map(str, counts['python_per_call']))} calls; each after {LATENCY_WARMUP} warm-up calls).\n\n"
                "| Tool | Measure | Ours (Swift) | Python, connection reused | Ours ÷ Python | "
                "Python, new connection per call (original) | Ours ÷ original |\n|---|---|---|---|---|---|---|\n")
    for tool in TOOLS:
        s_, p_, pc = (f4[tool][v] for v in ("swift", "python", "python_per_call"))
        for measure, key, label in (("Duration", "duration", f"`{tool}`"), ("round trip", "rtt", "")):
            per_tool += (f"| {label} | {measure} | {pair(s_[key])} | {pair(p_[key])} | {ratios(s_[key], p_[key])} | "
                         f"{pair(pc[key])} | {ratios(s_[key], pc[key])} |\n")

    def backends(r):
        text = f"{r['backends']} ({r['samples']} samples)"
        return text if r["backends"] == 1 and r["backends_predate"] else f"**{text}**"

    reuse = ("**Connection reuse**: Duration of the first invocation (opens the database connection) → warm p50, in ms; "
             "backends = distinct `pg_stat_activity` sessions of the function seen across its warm calls.\n\n"
             "| Tool | Ours: 1st → warm p50 | Ours: backends | Python reused: 1st → warm p50 | Python reused: backends | "
             "Python new connection per call: 1st → warm p50 |\n|---|---|---|---|---|---|\n")
    for tool in TOOLS:
        s_, p_, pc = (f4[tool][v] for v in ("swift", "python", "python_per_call"))
        reuse += (f"| `{tool}` | {s_['first_duration']:.2f} → {s_['duration'][0]:.2f} | {backends(s_)} | "
                  f"{p_['first_duration']:.2f} → {p_['duration'][0]:.2f} | {backends(p_)} | "
                  f"{pc['first_duration']:.2f} → {pc['duration'][0]:.2f} |\n")
    table += ("\n" + per_tool_table(cold, f4, f5) + "\n" + targets_table(cold, f4, f5) + "\n" + gateway_table(f7)
              + "\n" + per_tool + "\n" + reuse)

    def spread(v, unit="", scale=1.0, digits=1):
        return f"{min(v) / scale:.{digits}f}–{max(v) / scale:.{digits}f}{unit}"

    def kib(fields):
        if not fields:
            return "?"
        return f"VmHWM {fields['VmHWM']:,} (now resident: {fields.get('RssFile', 0):,} file-backed, i.e. program text, " \
               f"+ {fields.get('RssAnon', 0):,} anonymous)"

    s = f1["samples_us"]
    details = [
        f"- Figure 1: audit rows written by the echo functions: {f1['audit_rows']} (each call also records its "
        f"signature and takes a rate-limit token first). Per round (µs CPU/invocation): floor {', '.join(f'{x:.1f}' for x in s['floor'])}; "
        f"Swift {', '.join(f'{x:.1f}' for x in s['swift'])}; Python {', '.join(f'{x:.1f}' for x in s['python'])}. "
        f"awslambdaric alone (handler returns the event): {o['python_bare']:.1f} µs = {o['python_bare'] / floor:.2f}× floor. "
        f"Cross-check from /proc/<pid>/stat ticks (10 ms resolution), last round: "
        f"floor {f1['ticks_check']['floor']:.0f}, Swift {f1['ticks_check']['swift']:.0f}, "
        f"Python {f1['ticks_check']['python']:.0f} µs. Wall time per invocation (function + harness on one CPU), last round: "
        f"floor {f1['wall_us']['floor']:.0f}, Swift {f1['wall_us']['swift']:.0f}, Python {f1['wall_us']['python']:.0f} µs.",
        f"- Figure 2 spread: Swift {spread(f2['swift'], ' ms', 1000, 2)}, Python {spread(f2['python'], ' ms', 1000, 1)}; "
        f"p90 Swift {percentile(f2['swift'], 90) / 1000:.2f} ms, Python {percentile(f2['python'], 90) / 1000:.1f} ms.",
        f"- Figure 3: {f3['swift']['invocations']:,} / {f3['python']['invocations']:,} invocations; CPU per invocation "
        f"(/proc ticks): emulator {f3['swift']['emulator_cpu_us']:.0f} / {f3['python']['emulator_cpu_us']:.0f} µs, "
        f"function {f3['swift']['function_cpu_us']:.0f} / {f3['python']['function_cpu_us']:.0f} µs (Swift / Python); "
        f"Max Memory Used of the echo functions: Swift {f3['swift']['max_memory_mb']} MB, Python {f3['python']['max_memory_mb']} MB.",
        f"- Figure 4: for each of the {len(TOOLS)} tools, the Python twins' answers (status and envelope) equal ours for "
        f"the {len(CUSTOMERS)} seeded customers, {len(ODD)} with odd stored data and an unknown one (checked every run; "
        f"the bench fails otherwise); "
        f"calculate_health original style p99: Duration {h_pc['duration'][1]:.2f} ms, round trip {h_pc['rtt'][1]:.2f} ms. "
        f"Highest Max Memory Used over the six tools: ours {max(f4[t]['swift']['max_memory_mb'] for t in TOOLS)} MB, "
        f"Python {max(f4[t]['python']['max_memory_mb'] for t in TOOLS)} MB.",
        f"- Figure 5: unpacked {f5['swift_unpacked'] / MB:.2f} MB (one static `bootstrap`) vs {z_p / MB:.2f} MB zipped / "
        f"{f5['python_unpacked'] / MB:.2f} MB unpacked for Python ({f5['python_note']}).",
        f"- Figure 6, read from /proc just before stopping (KiB): Swift {kib(h_s['peak_kib'])}; "
        f"Python {kib(h_p['peak_kib'])}; Python per-call {kib(h_pc['peak_kib'])}.",
        per_tool_details(cold, f4),
        gateway_details(f7),
    ]
    title = (f"Warden benchmark, {started:%Y-%m-%d %H:%M} UTC — {os.cpu_count()} CPUs, Linux {platform.release()}, "
             f"Python {platform.python_version()}, emulator and gateway: `warden` {WARDEN_BUILD} "
             f"({WARDEN.relative_to(ROOT) if WARDEN.is_relative_to(ROOT) else WARDEN}), "
             f"{elapsed:.0f} s, 1-min load average {load[0]:.1f} at start / "
             f"{os.getloadavg()[0]:.1f} at end{' (BENCH_QUICK smoke run)' if QUICK else ''}")
    return title, table, "\n".join(details)


FIGURES = {  # --only names → (figure numbers, function)
    "overhead": ("1, 1a", lambda: figure_overhead()),
    "cold": ("2, per-tool cold start", lambda: figure_cold_start()),
    "throughput": ("3", lambda: figure_throughput()),
    "latency": ("4, 4′, 6, per-tool table", lambda: figure_latency()),
    "zip": ("5", lambda: figure_zip()),
    "gateway": ("7", lambda: figure_gateway()),
    "instructions": ("8", lambda: figure_instructions()),
    "managed": ("9", lambda: figure_managed_instances()),
}


def save(name, text, started):
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(text)
    stamp = f"{started:%Y%m%d-%H%M%S}"
    (RESULTS / (f"{stamp}.md" if name == "latest" else f"{name.removesuffix('-latest')}-{stamp}.md")).write_text(text)
    print(f"bench: saved to {(RESULTS / f'{name}.md').relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(
        description="Warden's benchmark (run it through `make bench` / bench/run.sh; see bench/README.md). Without "
                    "options: every figure, saved to bench/results/latest.md.")
    parser.add_argument("--only", metavar="NAMES",
                        help="comma-separated figures to run alone: " + ", ".join(
                            f"{k} ({v[0]})" for k, v in FIGURES.items())
                        + "; figures 8 and 9 print their tables, the others their raw results; saved to "
                          "bench/results/partial-latest.md")
    parser.add_argument("--compare", metavar="DIR", help="before/after (bench/compare-commits.sh): DIR holds the "
                        "'before' <product>/bootstrap of warden-bench-echo, warden-bench-middleware, calculate_health")
    parser.add_argument("--compare-label", default=None, help="what the 'before' side is (a commit)")
    parser.add_argument("--after", metavar="DIR", default=None, help="the 'after' side (default: dist/, this tree)")
    parser.add_argument("--after-label", default=None)
    opts = parser.parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    load = os.getloadavg()  # other work on this shared machine shows up here: compare ratios, not absolutes
    t0 = time.monotonic()
    for path in (WARDEN, RAPI, FLOOR, ECHO, MIDDLEWARE, HEALTH, HEALTH_ZIP, *map(swift_bootstrap, TOOLS),
                 *(ROOT / "dist" / f"{tool}.zip" for tool in TOOLS)):
        if not path.exists():
            sys.exit(f"bench: missing {path} (run `make bench`, which builds it)")
    if opts.compare:
        after = opts.after or str(ROOT / "dist")
        after_label = opts.after_label or tree_label()
        try:
            fc = figure_compare(opts.compare, opts.compare_label or opts.compare, after, after_label)
        except (Failed, subprocess.TimeoutExpired) as e:
            sys.exit(f"bench: FAILED: {e}")
        title, table, note = compare_section(fc, started, time.monotonic() - t0, load)
        print(f"\n{title}\n\n{table}\n{note}\n")
        save("compare-latest", f"# {title}\n\n{table}\n{note}\n", started)
        return
    selected = list(FIGURES) if not opts.only else [x.strip() for x in opts.only.split(",") if x.strip()]
    unknown = [x for x in selected if x not in FIGURES]
    if unknown:
        sys.exit(f"bench: unknown figure(s) {', '.join(unknown)}; known: {', '.join(FIGURES)}")
    if "gateway" in selected and not WRK:
        sys.exit("bench: wrk is missing (`make bench` installs it: apt-get install wrk)")
    say(f"emulator and gateway: {WARDEN} ({WARDEN_BUILD})")
    results = {}
    try:
        for name in selected:
            say(f"figure {FIGURES[name][0]}: {name}")
            results[name] = FIGURES[name][1]()
    except (Failed, subprocess.TimeoutExpired) as e:
        sys.exit(f"bench: FAILED: {e}")
    sections = []
    if "instructions" in results:
        sections.append(instructions_section(results["instructions"]))
    if "managed" in results:
        sections.append(managed_section(results["managed"]))
    if not opts.only:
        title, table, details = render(results["overhead"], results["cold"], results["throughput"],
                                       results["latency"], results["zip"], results["gateway"], started,
                                       time.monotonic() - t0, load)
        text = f"{title}\n\n{table}\n" + "".join(f"{x}\n" for x in sections) + f"{details}\n"
        print(f"\n{text}")
        save("latest", f"# {text}", started)
        return
    raw = [f"**Raw results of `{k}`** (figure {FIGURES[k][0]}; the main table needs a full run):\n\n```json\n"
           f"{json.dumps(v, default=str, indent=1)[:20000]}\n```\n" for k, v in results.items()
           if k not in ("instructions", "managed")]
    title = (f"Warden benchmark, partial run ({', '.join(selected)}), {started:%Y-%m-%d %H:%M} UTC — "
             f"{os.cpu_count()} CPUs, Linux {platform.release()}, emulator: `warden` {WARDEN_BUILD}, "
             f"{time.monotonic() - t0:.0f} s, 1-min load average {load[0]:.1f} at start / {os.getloadavg()[0]:.1f} at "
             f"end; {tree_label()}{' (BENCH_QUICK smoke run)' if QUICK else ''}")
    text = f"{title}\n\n" + "\n".join(sections + raw)
    print(f"\n{text}")
    save("partial-latest", f"# {text}", started)


def tree_label():
    """The tree measured: HEAD, and whether the sources differ from it (uncommitted changes built into dist/)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "Sources", "functions", "bench/echo-tool",
                                "bench/middleware-tool", "Package.swift"], cwd=ROOT, capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "tree unknown"
    return f"tree at {head}" + (" + uncommitted changes to the sources" if dirty else "")

if __name__ == "__main__":
    main()
