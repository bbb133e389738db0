#!/usr/bin/env python3
"""Intent scoring at scale (seed 002): seeds one organization with 10 000 companies and 100 000 evidence rows,
then measures `POST /v1/intent/score` end to end through `warden emulate` serving the packaged static
`dist/intent/bootstrap` against the local PostgreSQL, beside a baseline measured in the same run: the same bootstrap
with `INTENT_SCORING=scan`, the previous implementation (load every company and evidence text of the organization,
index them in memory). The baseline answers the first measured queries again, bracketed by index calls, and each of
its answers must equal theirs (ranking, rounded scores, evidence), or the bench fails. Prints markdown tables and saves them
to bench/results/intent-latest.md (and a timestamped copy). Targets are printed, never asserted.

Environment (bench/run.sh sets the first two): BENCH_DATABASE_URL (the functions' role), BENCH_OWNER_URL (the schema
owner: seeds the data, mints the API key); optional BENCH_QUICK=1 for a short run, BENCH_WARDEN=/path/to/warden,
BENCH_INTENT_BOOTSTRAP=/path/to/another/intent/build.
Run directly: `BENCH_OWNER_URL=$(bash scripts/pg.sh url warden_bench) BENCH_DATABASE_URL=$(bash scripts/pg.sh
fn-url warden_bench) python3 bench/intent_bench.py` on a migrated database."""
import datetime
import io
import json
import os
import platform
import random
import subprocess
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "harness"))  # warden_harness, shared with bench.py and the end-to-end tests
from warden_harness import EmulatorProcess, Failed, Invoker, connect, percentile  # noqa: E402

WORK = ROOT / "bench" / ".build"
RESULTS = ROOT / "bench" / "results"
WARDEN = Path(os.environ.get("BENCH_WARDEN") or ROOT / ".build" / "debug" / "warden")
BOOTSTRAP = Path(os.environ.get("BENCH_INTENT_BOOTSTRAP") or ROOT / "dist" / "intent" / "bootstrap")
QUICK = os.environ.get("BENCH_QUICK") == "1"

ORG = "org_bench_intent"
OTHER = "org_bench_other"  # a second, smaller organization: the indexes are shared, the answers must not be
COMPANIES, EVIDENCE = 10_000, 100_000
OTHER_COMPANIES, OTHER_EVIDENCE = 500, 5_000
SEED = 20261124
PATH = "/v1/intent/score"

# Measured calls of the index strategy, calls of the scan baseline (on the first measured queries, whose answers
# must be identical), warm-up calls before each. Each loop is also bounded in time.
CALLS, BASELINE_CALLS, WARMUP = (60, 5, 10) if QUICK else (400, 30, 30)
CALLS_SECONDS, BASELINE_SECONDS = (60.0, 60.0) if QUICK else (300.0, 300.0)
TARGET_P95_MS, ORIGINAL_P95_MS, ORIGINAL_P99_MS = 40.0, 400.0, 550.0


def say(message):
    print(f"intent-bench: {message}", file=sys.stderr, flush=True)


# Failed (warden_harness): a measurement that could not be made (as opposed to a target that was missed).


# ----------------------------------------------------------------------------------------------------- corpus

# Words of every frequency: a few very common ones, B2B topic words spread over the middle ranks, and generated
# filler words; drawn with Zipf-like weights (1/rank), so a query meets terms with document frequencies from most
# documents down to a handful.
COMMON = ("the a and of to in for with on at new team company our their is by from this that as will be has are "
          "its was it an we they q3 q4 2025 2026 announced update week plan").split()
TOPICS = ("kubernetes migration observability platform evaluation security compliance soc2 gdpr audit cloud aws "
          "azure gcp terraform pipeline devops sre incident outage latency database postgres snowflake warehouse "
          "analytics dashboard etl churn renewal expansion upsell pricing budget procurement rfp vendor shortlist "
          "pilot proof concept contract signed cfo cto ciso engineering hiring headcount layoffs funding series round "
          "acquisition merger partnership integration api sdk webhook sso okta identity zerotrust endpoint edge cdn "
          "network firewall backup disaster recovery datadog splunk grafana prometheus opentelemetry tracing logging "
          "metrics alerting oncall kafka streaming spark databricks lakehouse ml mlops llm genai copilot chatbot "
          "support ticketing zendesk salesforce hubspot crm erp sap netsuite billing stripe payments fraud kyc aml "
          "risk treasury payroll hr workday onboarding training certification iso27001 hipaa pci fedramp sovereignty "
          "residency encryption kms secrets vault rotation pentest bugbounty vulnerability patching sbom supplychain "
          "container docker serverless lambda microservices monolith refactor modernization legacy mainframe cobol "
          "rewrite roadmap okr board investor ipo emea apac latam office relocation remote hybrid").split()
# Bytes the tokenizer must treat exactly as the Swift one: non-ASCII letters separate terms, ASCII case folds.
ODD_WORDS = ["Zürich", "São-Paulo", "naïve", "K8s", "e-mail", "ÉNERGIE", "Straße", "Kelvin-\u212a", "İstanbul",
             "C++/Go", "24/7", "x86_64", "\u00a0nbsp\u00a0", "日本語テキスト", "emoji\U0001f680rocket"]
INDUSTRIES = ["SaaS", "Fintech", "Manufacturing", "Healthcare", "Retail", "Logistics", "Energy", "Media",
              "Education", "Telecom", "Insurance", "Biotech"]
SIZES = ["startup", "small", "mid", "enterprise"]
REGIONS = ["EMEA", "NA", "APAC", "LATAM"]
# Rare stored values the SQL cannot compare the way Swift does (non-ASCII): the function must still rank them exactly.
ODD_VALUES = {"industry": ["Énergie", "MÉDIAS", "médias"], "size_band": ["Groß"],
              "region": ["Österreich", "ÖSTERREICH"]}


def vocabulary(rng, size=6000):
    """`size` distinct words by rank: COMMON first, TOPICS at random ranks among generated filler words."""
    cons, vows = "bcdfghklmnprstvz", "aeiou"
    seen, filler = set(COMMON) | set(TOPICS), []
    while len(filler) < size - len(COMMON) - len(TOPICS):
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            filler.append(w)
    topics = list(TOPICS)
    rng.shuffle(topics)
    slots = set(rng.sample(range(len(COMMON), size), len(topics)))
    words, fi, ti = list(COMMON), 0, 0
    for rank in range(len(COMMON), size):
        if rank in slots:
            words.append(topics[ti])
            ti += 1
        else:
            words.append(filler[fi])
            fi += 1
    return words


def cased(rng, word):
    r = rng.random()
    return word.upper() if r < 0.05 else word.capitalize() if r < 0.2 else word


class Corpus:
    """The deterministic data set: companies (with a few focus topics each) and their evidence texts."""

    def __init__(self, seed=SEED):
        rng = random.Random(seed)
        self.rng = rng
        self.words = vocabulary(rng)
        self.cum = []
        total = 0.0
        for rank in range(len(self.words)):
            total += 1.0 / (rank + 1)
            self.cum.append(total)

    def draw(self, rng, k):
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def companies(self, org, n):
        """Rows (organization_id, name, domain, industry, size_band, region, churn_signal, job_posting) and each
        company's focus topics."""
        rng = self.rng
        rows, focus = [], []
        for i in range(n):
            def pick(column, values):
                r = rng.random()
                if r < 0.04:
                    return None
                if r < 0.05:
                    return rng.choice(ODD_VALUES[column])
                v = rng.choice(values)
                return v.lower() if r < 0.15 else v.upper() if r < 0.2 else v
            name = f"{org.split('_')[-1].capitalize()} Company {i:05d}"
            rows.append((org, name, None if i % 17 == 0 else f"company{i:05d}.{org.split('_')[-1]}.example",
                         pick("industry", INDUSTRIES), pick("size_band", SIZES), pick("region", REGIONS),
                         rng.random() < 0.08, rng.random() < 0.12))
            focus.append(rng.sample(TOPICS, 3))
        return rows, focus

    def evidence_text(self, focus):
        rng = self.rng
        n = rng.randint(6, 30)
        words = [rng.choice(focus) if rng.random() < 0.25 else w for w in self.draw(rng, n)]
        if rng.random() < 0.08:
            words.insert(rng.randrange(len(words) + 1), rng.choice(ODD_WORDS))
        out = []
        for i, w in enumerate(words):
            w = cased(rng, w)
            out.append(w)
            r = rng.random()
            if i + 1 < len(words):
                out.append(", " if r < 0.06 else ". " if r < 0.1 else " - " if r < 0.12 else " ")
        return "".join(out) + ("." if rng.random() < 0.5 else "")

    def evidence(self, company_ids, focus, n):
        """Rows (company index, age in days, text); a few companies have much more evidence than most."""
        rng = self.rng
        rows = []
        for _ in range(n):
            c = min(len(company_ids) - 1, int(len(company_ids) * rng.random() ** 1.6))
            rows.append((c, round(rng.uniform(0, 730), 3), self.evidence_text(focus[c])))
        return rows

    def queries(self, n):
        """`n` varied request bodies (own random stream: the same `n` gives the same queries)."""
        rng = random.Random(SEED + 1)
        out = []
        for i in range(n):
            kind = i % 6
            if kind == 0:  # topic words, some common words
                terms = rng.sample(TOPICS, rng.randint(2, 4)) + rng.sample(COMMON, rng.randint(0, 2))
            elif kind == 1:  # mid-frequency words: many candidate documents
                terms = [self.words[rng.randint(40, 400)] for _ in range(rng.randint(2, 5))]
            elif kind == 2:  # rare words
                terms = [self.words[rng.randint(1500, 5999)] for _ in range(rng.randint(1, 4))]
            elif kind == 3:  # only very common words
                terms = rng.sample(COMMON, rng.randint(2, 5))
            elif kind == 4:  # a long mixed query with unknown terms and punctuation
                terms = (rng.sample(TOPICS, 3) + [self.words[rng.randint(40, 3000)] for _ in range(4)]
                         + ["unknownterm%d" % rng.randint(0, 99), rng.choice(ODD_WORDS)])
            else:  # one topic word and one mid-frequency word
                terms = [rng.choice(TOPICS), self.words[rng.randint(100, 1000)]]
            rng.shuffle(terms)
            body = {"query": " ".join(cased(rng, t) for t in terms)}
            r = rng.random()
            if r < 0.3:
                body["industry"] = rng.choice(INDUSTRIES).lower()
            if 0.2 < r < 0.55:
                body["size"] = rng.choice(SIZES).upper()
            if 0.4 < r < 0.7:
                body["region"] = rng.choice(REGIONS)
            if rng.random() < 0.04:
                body["industry"] = rng.choice(["énergie", "MÉDIAS", "\u212aelvin"])
            limit = rng.choice([None, None, 5, 10, 20, 50])
            if limit:
                body["limit"] = limit
            out.append(body)
        return out


def copy_rows(cur, table, columns, rows):
    """COPY rows (tuples of str/int/bool/None) into `table`, in text format."""
    def field(v):
        if v is None:
            return "\\N"
        if isinstance(v, bool):
            return "t" if v else "f"
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    data = "".join("\t".join(field(v) for v in row) + "\n" for row in rows)
    cur.execute(f"COPY {table} ({', '.join(columns)}) FROM STDIN", stream=io.StringIO(data))


def seed(conn, corpus):
    """Loads both organizations (as the schema owner, whose inserts fire the search triggers). Returns seconds."""
    cur = conn.cursor()
    t0 = time.monotonic()
    cur.execute("DELETE FROM intent_companies WHERE organization_id IN (%s, %s)", (ORG, OTHER))
    now = datetime.datetime.now(datetime.timezone.utc)
    for org, n_companies, n_evidence in ((ORG, COMPANIES, EVIDENCE), (OTHER, OTHER_COMPANIES, OTHER_EVIDENCE)):
        rows, focus = corpus.companies(org, n_companies)
        copy_rows(cur, "intent_companies", ["organization_id", "name", "domain", "industry", "size_band", "region",
                                            "churn_signal", "job_posting"], rows)
        cur.execute("SELECT id FROM intent_companies WHERE organization_id = %s ORDER BY id", (org,))
        ids = [r[0] for r in cur.fetchall()]
        evidence = corpus.evidence(ids, focus, n_evidence)
        copy_rows(cur, "intent_evidence", ["organization_id", "company_id", "observed_at", "text"],
                  [(org, ids[c], (now - datetime.timedelta(days=age)).isoformat(), text) for c, age, text in evidence])
    seconds = time.monotonic() - t0
    # The steady state autovacuum would reach: visibility map and statistics up to date.
    for table in ("intent_companies", "intent_evidence", "intent_search_postings", "intent_search_stats"):
        cur.execute(f"VACUUM ANALYZE {table}")
    return seconds


# ---------------------------------------------------------------------------------------------- the emulator

class Emulator(EmulatorProcess):
    """`warden emulate --eager` serving the intent bootstrap with one scoring strategy; its output in a log file."""

    def __init__(self, strategy, database_url):
        env = {"DATABASE_URL": database_url, "INTENT_SCORING": strategy, "RATE_LIMIT_PER_MINUTE": "1000000000"}
        super().__init__(BOOTSTRAP, WORK / f"intent-emulate-{strategy}.log", name=f"intent-{strategy}", timeout=30,
                         env=env, extra_args=["--memory", "128", "--eager"], warden=WARDEN, start_timeout=30)
        self.conn = Invoker(self.port, timeout=60, bufsize=1 << 20, what=f"the emulator (log: {self.log_path})")

    def invoke(self, event):
        """One keep-alive invoke: (round trip in ms, the API Gateway proxy response)."""
        request = Invoker.request(json.dumps(event).encode())
        t0 = time.perf_counter_ns()
        status, payload = self.conn.invoke(request)
        rtt = (time.perf_counter_ns() - t0) / 1e6
        if status != 200:
            raise Failed(f"invoke answered {status}: {payload[:300]!r}")
        return rtt, json.loads(payload)


def event(key, body):
    """An API Gateway HTTP API (v2) event for POST /v1/intent/score with the API key."""
    return {"version": "2.0", "routeKey": "$default", "rawPath": PATH, "rawQueryString": "",
            "headers": {"content-type": "application/json", "x-api-key": key},
            "requestContext": {"http": {"method": "POST", "path": PATH, "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": json.dumps(body), "isBase64Encoded": False}


def results(proxy, what):
    """The `results` of a successful answer."""
    envelope = json.loads(proxy.get("body") or "null")
    if proxy.get("statusCode") != 200 or not envelope or envelope.get("ok") is not True:
        raise Failed(f"{what}: unexpected answer {str(proxy)[:400]}")
    return envelope["data"]["results"]


def measure(emu, key, bodies, warmup, limit, seconds, label, reference=None):
    """Warm-up calls, then up to `limit` measured calls (bounded by `seconds`): round trips, REPORT Durations, the
    answers (result count and evidence items) and the highest Max Memory Used. With `reference`, that emulator
    answers each measured query just before and just after it (not measured), and the answer must lie between."""
    for body in bodies[:warmup]:
        results(emu.invoke(event(key, body))[1], label)
    before = len(emu.reports())
    rtt, answers = [], []
    end = time.monotonic() + seconds
    for body in bodies[warmup:warmup + limit]:
        if time.monotonic() > end:
            break
        first = reference and results(reference.invoke(event(key, body))[1], "reference")
        ms, proxy = emu.invoke(event(key, body))
        rtt.append(ms)
        answers.append(results(proxy, label))
        if reference:
            last = results(reference.invoke(event(key, body))[1], "reference")
            if not between(answers[-1], first, last):
                raise Failed(f"the strategies disagree for {body}:\n  {label} {answers[-1]}\n  index before {first}"
                             f"\n  index after  {last}")
    reports = emu.reports()
    if len(reports) < before + len(rtt):
        raise Failed(f"{label}: {len(reports)} REPORT lines for {before + len(rtt)} invokes")
    durations = [d for d, _ in reports[before:before + len(rtt)]]
    say(f"{label}: {len(rtt)} calls, Duration p50 {percentile(durations, 50):.2f} ms, "
        f"p95 {percentile(durations, 95):.2f} ms")
    return {"n": len(rtt), "rtt": rtt, "duration": durations, "memory_mb": max(m for _, m in reports),
            "results": sum(len(a) for a in answers), "evidence": sum(len(r["evidence"]) for a in answers for r in a)}


def between(value, first, last):
    """Whether `value` (an answer taken between `first` and `last`) equals one of them, part by part. Ages grow
    with the database's clock, so a weight, intent or final score may cross a rounding step between two calls;
    every other part (ranking, ids, names, dates, rounded BM25) must be the same."""
    if isinstance(value, dict):
        return (isinstance(first, dict) and isinstance(last, dict) and value.keys() == first.keys() == last.keys()
                and all(between(value[k], first[k], last[k]) for k in value))
    if isinstance(value, list):
        return (isinstance(first, list) and isinstance(last, list) and len(value) == len(first) == len(last)
                and all(between(v, f, la) for v, f, la in zip(value, first, last)))
    if isinstance(value, float) and isinstance(first, (int, float)) and isinstance(last, (int, float)):
        return min(first, last) <= value <= max(first, last)
    return value == first or value == last


def mint(owner_url):
    out = subprocess.run([str(WARDEN), "apikey", "create", "--tenant", ORG, "--roles", "intent:score",
                          "--description", "intent bench", "--database-url", owner_url],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0 or not out.stdout.strip().startswith("wk_"):
        raise Failed(f"warden apikey create failed: {out.stderr.strip()[-300:]}")
    return out.stdout.strip()


# ------------------------------------------------------------------------------------------------------ report

KINDS = ["topic words (+ common words)", "mid-frequency words", "rare words", "only very common words",
         "long: topic, mid and unknown words, non-ASCII", "a topic word and a mid-frequency word"]


def yes(ok):
    return "**yes**" if ok else "**no**"


def render(started, elapsed, load, seeding, sizes, index, scan, paired, checked):
    def stats(values):
        return [percentile(values, p) for p in (50, 95, 99)]
    rows = []
    for metric in ("duration", "rtt"):
        i, s = stats(index[metric]), stats(scan[metric])
        name = "REPORT Duration" if metric == "duration" else "client round trip"
        rows.append(f"| {name}, index (n = {index['n']}) | {i[0]:.1f} | {i[1]:.1f} | {i[2]:.1f} |")
        rows.append(f"| {name}, scan baseline (n = {scan['n']}) | {s[0]:.1f} | {s[1]:.1f} | {s[2]:.1f} |")
        rows.append(f"| {name}, scan ÷ index | {s[0] / i[0]:.1f}× | {s[1] / i[1]:.1f}× | {s[2] / i[2]:.1f}× |")
    d95, r95, d99 = percentile(index["duration"], 95), percentile(index["rtt"], 95), percentile(index["duration"], 99)
    title = (f"Intent scoring at scale, {started:%Y-%m-%d %H:%M} UTC — {os.cpu_count()} CPUs, Linux "
             f"{platform.release()}, {elapsed:.0f} s, 1-min load average {load[0]:.1f} at start / "
             f"{os.getloadavg()[0]:.1f} at end{' (BENCH_QUICK run)' if QUICK else ''}")
    table = "\n".join([
        "| latency (ms) | p50 | p95 | p99 |",
        "|---|---:|---:|---:|",
        *rows,
    ])
    s95, s99 = percentile(scan["duration"], 95), percentile(scan["duration"], 99)
    targets = "\n".join([
        "| target | measured | met |",
        "|---|---:|:---:|",
        f"| P95 ≤ {TARGET_P95_MS:.0f} ms (REPORT Duration, index) | {d95:.1f} ms | {yes(d95 <= TARGET_P95_MS)} |",
        f"| P95 ≤ {TARGET_P95_MS:.0f} ms (client round trip, index) | {r95:.1f} ms | {yes(r95 <= TARGET_P95_MS)} |",
        f"| the original service's P95 ≤ {ORIGINAL_P95_MS:.0f} ms (index) | {d95:.1f} ms, "
        f"{ORIGINAL_P95_MS / d95:.0f}× under | {yes(d95 <= ORIGINAL_P95_MS)} |",
        f"| the original service's P99 ≤ {ORIGINAL_P99_MS:.0f} ms (index) | {d99:.1f} ms, "
        f"{ORIGINAL_P99_MS / d99:.0f}× under | {yes(d99 <= ORIGINAL_P99_MS)} |",
        f"| the original service's P95 ≤ {ORIGINAL_P95_MS:.0f} ms (scan baseline) | {s95:.1f} ms | "
        f"{yes(s95 <= ORIGINAL_P95_MS)} |",
        f"| the original service's P99 ≤ {ORIGINAL_P99_MS:.0f} ms (scan baseline) | {s99:.1f} ms | "
        f"{yes(s99 <= ORIGINAL_P99_MS)} |",
    ])
    by_kind = {}
    for i, duration in enumerate(index["duration"]):
        by_kind.setdefault((WARMUP + i) % len(KINDS), []).append(duration)
    kinds = "\n".join([
        "| query kind (index strategy) | calls | Duration p50 | p95 | max |",
        "|---|---:|---:|---:|---:|",
        *(f"| {KINDS[k]} | {len(v)} | {percentile(v, 50):.1f} | {percentile(v, 95):.1f} | {max(v):.1f} |"
          for k, v in sorted(by_kind.items())),
    ])
    details = "\n".join([
        f"- Data: organization `{ORG}` with {sizes['companies']:,} companies and {sizes['evidence']:,} evidence rows "
        f"({sizes['terms']:,} terms, {sizes['postings']:,} posting chunks), plus `{OTHER}` with {OTHER_COMPANIES:,} "
        f"companies and {OTHER_EVIDENCE:,} evidence rows; seeded (COPY, triggers included) in {seeding:.1f} s.",
        f"- Each call is a different query, the {len(KINDS)} kinds above in turn, with or without fit filters (a few "
        f"non-ASCII) and limits from 5 to 50; {index['results']:,} results and {index['evidence']:,} evidence items "
        f"answered over the measured index calls.",
        f"- Same queries, paired: the scan baseline's Duration ÷ the index's, median over the {paired['n']} baseline "
        f"queries: {paired['median']:.0f}× (lowest {paired['low']:.0f}×).",
        f"- Exactness: the {checked} baseline queries were also answered by the index strategy just before and just "
        f"after each baseline call: every part of the baseline's `results` (ranking, ids, dates, rounded scores and "
        f"weights) equals theirs (a weight, intent or final may take either value when the clock moves it across "
        f"a rounding step in between).",
        f"- Max Memory Used (REPORT): index {index['memory_mb']} MB, scan {scan['memory_mb']} MB.",
        "- Duration: the emulator's REPORT line (Runtime API `next` answered → response received: API-key lookup, "
        "rate limit, the scoring statements, audit row). Round trip: the client's invoke, one keep-alive connection, "
        "sequential. Warm function, one process; the debug `warden` emulator.",
    ])
    return title, f"{table}\n\n{targets}\n\n{kinds}\n\n{details}\n"


def main():
    owner_url = os.environ.get("BENCH_OWNER_URL") or sys.exit("intent-bench: BENCH_OWNER_URL is not set")
    database_url = os.environ.get("BENCH_DATABASE_URL") or sys.exit("intent-bench: BENCH_DATABASE_URL is not set")
    for path in (WARDEN, BOOTSTRAP):
        if not path.exists():
            sys.exit(f"intent-bench: missing {path} (bench/run.sh builds it)")
    WORK.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc)
    load = os.getloadavg()
    t0 = time.monotonic()
    corpus = Corpus()
    owner = connect(owner_url, autocommit=True, application_name="warden-intent-bench")
    try:
        say(f"seeding {COMPANIES:,} companies and {EVIDENCE:,} evidence rows")
        seeding = seed(owner, corpus)
        cur = owner.cursor()
        cur.execute("SELECT (SELECT count(*) FROM intent_companies WHERE organization_id = %s), "
                    "(SELECT count(*) FROM intent_evidence WHERE organization_id = %s), "
                    "(SELECT count(DISTINCT term) FROM intent_search_postings WHERE organization_id = %s), "
                    "(SELECT count(*) FROM intent_search_postings WHERE organization_id = %s)", (ORG, ORG, ORG, ORG))
        sizes = dict(zip(("companies", "evidence", "terms", "postings"), cur.fetchone()))
        say(f"seeded in {seeding:.1f} s: {sizes}")
        key = mint(owner_url)
    finally:
        owner.close()
    bodies = corpus.queries(WARMUP + CALLS)
    try:
        index = Emulator("index", database_url)
        try:
            index_run = measure(index, key, bodies, WARMUP, CALLS, CALLS_SECONDS, "index")
            # The baseline answers the first measured queries again (after a few warm-up calls of its own); the
            # index strategy answers each of them just before and just after, and the baseline's answer must lie
            # between (ages, hence weights, move with the clock while the baseline works).
            scan = Emulator("scan", database_url)
            try:
                baseline = bodies[:3] + bodies[WARMUP:WARMUP + BASELINE_CALLS]
                scan_run = measure(scan, key, baseline, 3, BASELINE_CALLS, BASELINE_SECONDS, "scan", reference=index)
            finally:
                scan.stop()
        finally:
            index.stop()
    except (Failed, subprocess.TimeoutExpired, OSError) as e:
        sys.exit(f"intent-bench: FAILED: {e}")
    checked = scan_run["n"]
    say(f"{checked} queries: the baseline's answers equal the index strategy's")
    n = scan_run["n"]
    ratios = sorted(scan_run["duration"][i] / index_run["duration"][i] for i in range(n))
    paired = {"n": n, "median": statistics.median(ratios), "low": ratios[0]}
    title, body = render(started, time.monotonic() - t0, load, seeding, sizes, index_run, scan_run, paired, checked)
    print(f"\n{title}\n\n{body}")
    RESULTS.mkdir(exist_ok=True)
    text = f"# {title}\n\n{body}"
    (RESULTS / "intent-latest.md").write_text(text)
    (RESULTS / f"intent-{started:%Y%m%d-%H%M%S}.md").write_text(text)
    print(f"intent-bench: saved to {(RESULTS / 'intent-latest.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
