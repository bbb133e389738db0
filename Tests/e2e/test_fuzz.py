"""The libFuzzer targets (fuzz/README.md): each runs a fixed number of inputs from a fixed seed without a crash (the
same run every time; exploration is `make fuzz`), the plain build's regression runners replay the committed corpora
and every past finding, the committed corpus is exactly its generator's output, and each finding stays fixed in the
real packaged bootstraps (a malformed input gets its envelope error and changes nothing in the database)."""
import json
import os
import re
import subprocess
import time
import urllib.parse
import uuid

import pytest

from conftest import ROOT, SECRET, TENANT_TABLES, Emulator, b64url, hs256_token, rest_event, snapshot, v2_signature

TARGETS = ["event", "signature", "jwt", "validation", "route", "apikey", "idempotency", "v2sign"]
# The gating run: every target executes exactly this many inputs from libFuzzer's seed FUZZ_SEED, so two runs of the
# suite fuzz the same inputs (a failure reproduces; a pass is not luck of the clock).
FUZZ_RUNS = int(os.environ.get("WARDEN_FUZZ_TEST_RUNS", "20000"))
FUZZ_SEED = 1
SWIFT_PATH = f"/opt/swift/usr/bin:{os.environ.get('PATH', '')}"


def swift_build(*args, timeout=900):
    for _ in range(5):
        out = subprocess.run(["swift", "build", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                             env={**os.environ, "PATH": SWIFT_PATH})
        if out.returncode == 0 or "lock" not in out.stderr + out.stdout:
            break
        time.sleep(5)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]


def test_every_fuzz_target_runs_its_fixed_inputs_without_a_crash(tmp_path):
    """`scripts/fuzz.sh` builds the libFuzzer binaries (-sanitize=fuzzer,address) and runs each, two at a time, from
    the committed seeds for exactly FUZZ_RUNS inputs with the fixed seed (FUZZ_RUNS/FUZZ_SEED: a deterministic run,
    not a time budget); every target must execute them all, cover code, and find nothing."""
    out = subprocess.run(["bash", str(ROOT / "scripts" / "fuzz.sh"), "0", *TARGETS], cwd=ROOT,
                         capture_output=True, text=True, timeout=900,
                         env={**os.environ, "FUZZ_JOBS": "2", "FUZZ_WORK": str(tmp_path), "FUZZ_RUNS": str(FUZZ_RUNS),
                              "FUZZ_SEED": str(FUZZ_SEED)})
    report = out.stdout + out.stderr
    assert out.returncode == 0, report[-4000:]
    for target in TARGETS:
        assert f"fuzz: running {target} for {FUZZ_RUNS} runs, seed {FUZZ_SEED} " in out.stdout, report[-3000:]
        line = re.search(rf"^fuzz {target} +executions (\d+), (\d+) exec/s, coverage (\d+) edges / (\d+) features, "
                         rf"corpus (\d+), crashes (\d+)$", out.stdout, re.M)
        assert line, f"no summary for {target}:\n{report[-3000:]}"
        executions, _, edges, _, corpus, crashes = map(int, line.groups())
        assert crashes == 0 and not any((tmp_path / target / "artifacts").iterdir()), report[-3000:]
        assert executions == FUZZ_RUNS and edges > 100, line.group(0)
        seeds = len(list((ROOT / "fuzz" / "corpus" / target).iterdir()))
        assert corpus > 0 and seeds > 0, line.group(0)
        # New inputs land in the scratch corpus, never in the committed one.
        assert (tmp_path / target / "corpus").is_dir()


def test_the_gating_run_is_the_same_run_every_time(tmp_path):
    """Two gating runs of a target with the same FUZZ_RUNS and FUZZ_SEED try the same inputs: the same coverage, and
    the same new corpus files (libFuzzer names them by their content)."""
    results = []
    for attempt in ("first", "second"):
        work = tmp_path / attempt
        out = subprocess.run(["bash", str(ROOT / "scripts" / "fuzz.sh"), "0", "apikey", "validation"], cwd=ROOT,
                             capture_output=True, text=True, timeout=900,
                             env={**os.environ, "FUZZ_JOBS": "2", "FUZZ_WORK": str(work), "FUZZ_RUNS": "5000",
                                  "FUZZ_SEED": "7"})
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
        summary = [re.sub(r", \d+ exec/s", "", line) for line in out.stdout.splitlines() if line.startswith("fuzz ")]
        corpora = {t: sorted(f.name for f in (work / t / "corpus").iterdir()) for t in ("apikey", "validation")}
        results.append((summary, corpora))
    assert len(results[0][0]) == 2 and results[0] == results[1]


@pytest.fixture(scope="module")
def runners():
    """The plain (non-fuzzing) build of each target: its regression runner."""
    for target in TARGETS:
        swift_build("--product", f"fuzz-{target}")
    return {t: ROOT / ".build" / "debug" / f"fuzz-{t}" for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_regression_runner_replays_the_corpus_and_every_finding(runners, target):
    # A target without findings has no regressions directory in a checkout (git keeps no empty directory).
    paths = [p for p in [ROOT / "fuzz" / "corpus" / target, ROOT / "fuzz" / "regressions" / target] if p.is_dir()]
    files = [f for p in paths for f in p.iterdir() if not f.name.startswith(".")]
    assert len(list((ROOT / "fuzz" / "corpus" / target).iterdir())) > 0, f"fuzz/corpus/{target} has no seeds"
    out = subprocess.run([str(runners[target]), *map(str, paths)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"Executed {len(files)} inputs without a crash" in out.stdout


def test_the_committed_corpus_is_exactly_its_generators_output(tmp_path):
    """fuzz/corpus is written by fuzz/make_corpus.py (from events/, docs/openapi.yaml, Tests/AuthTests/Vectors.swift and
    its own cases) and must not drift from it: the same files, byte for byte. A sample event, a route or a vector that
    changed without `python3 fuzz/make_corpus.py` fails here."""
    out = subprocess.run(["python3", str(ROOT / "fuzz" / "make_corpus.py"), "--out", str(tmp_path / "corpus")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]

    def tree(root):
        return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()}

    generated, committed = tree(tmp_path / "corpus"), tree(ROOT / "fuzz" / "corpus")
    assert sorted({f.split("/")[0] for f in generated}) == sorted(TARGETS)
    assert sorted(set(generated) - set(committed)) == [], "generated but not committed (run python3 fuzz/make_corpus.py)"
    assert sorted(set(committed) - set(generated)) == [], "committed but no longer generated"
    assert [f for f in generated if generated[f] != committed[f]] == [], "seeds that differ from the generator's"


def test_regression_runner_fails_when_an_invariant_fails(runners):
    """The runner is only worth running if a violated invariant fails it (`FUZZ_SELFTEST` violates one)."""
    out = subprocess.run([str(runners["jwt"]), str(ROOT / "fuzz" / "corpus" / "jwt")], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "FUZZ_SELFTEST": "1"})
    assert out.returncode != 0 and "fuzz invariant violated: self test" in out.stderr
    missing = subprocess.run([str(runners["jwt"]), str(ROOT / "fuzz" / "no-such-directory")], capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_every_finding_has_a_regression_file():
    findings = {t: sorted(p.name for p in (ROOT / "fuzz" / "regressions" / t).iterdir())
                for t in TARGETS if (ROOT / "fuzz" / "regressions" / t).is_dir()}
    assert "v2-trailing-comma-accepted" in findings.get("signature", [])
    assert "cursor-19-digit-id" in findings.get("validation", [])


# Finding 1 (fuzz-signature, fuzz/regressions/signature/v2-trailing-comma-accepted): an `X-Signature` list with an
# empty entry (`v2=<sig>,`) was accepted, although docs/SIGNING.md allows only `v2=<hex>` entries separated by commas.

def v2_headers(body, ts, nonce, signature_format, path="/calculate_health"):
    sig = v2_signature(SECRET, "POST", path, ts, nonce, "copilot-frontend", body)
    return {"Content-Type": "application/json", "X-Client": "copilot-frontend", "X-Timestamp": ts, "X-Nonce": nonce,
            "X-Signature": signature_format.format(sig=sig)}


@pytest.fixture(scope="module")
def copilot(function_url, tmp_path_factory):
    fn = Emulator(ROOT / "dist" / "calculate_health" / "bootstrap", name="calculate_health",
                  tmp_path=tmp_path_factory.mktemp("fuzz-copilot"),
                  env={"HMAC_SECRET": SECRET, "DATABASE_URL": function_url})
    yield fn
    fn.stop()


def answer(fn, event):
    _, _, out = fn.invoke(event)
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"])


@pytest.mark.parametrize("signature_format", ["v2={sig},", ",v2={sig}", "v2={sig},,v2={sig}", "v2={sig}, ,v2={sig}"])
def test_a_v2_signature_list_with_an_empty_entry_is_refused(copilot, db, signature_format):
    body = json.dumps({"customerId": "fuzz-acme"})
    # The same signature, well-formed, gets past authentication (the customer does not exist: 404), so the 401
    # below is the list's shape and nothing else.
    ts = str(int(time.time() * 1000))
    status, env = answer(copilot, rest_event("calculate_health", body, v2_headers(body, ts, uuid.uuid4().hex, "v2={sig}")))
    assert status != 401, env
    tables = TENANT_TABLES + ["request_nonces"]
    before = snapshot(db, tables)
    ts = str(int(time.time() * 1000))
    status, env = answer(copilot, rest_event("calculate_health", body,
                                             v2_headers(body, ts, uuid.uuid4().hex, signature_format)))
    assert (status, env["ok"], env["error"]["code"]) == (401, False, "UNAUTHORIZED"), env
    assert env["error"]["message"] == "Invalid signature."
    assert snapshot(db, tables) == before


# Finding 2 (fuzz-validation, fuzz/regressions/validation/cursor-19-digit-id): the participant list's cursor for an
# id of 19 digits (10^18 and up, still an Int64) did not decode: paging past such an id answered 400.

PARTICIPANTS_JWT_SECRET = "fuzz-e2e-jwt-secret-0123456789abcdef0123"


def jwt(sub):
    return hs256_token(sub, PARTICIPANTS_JWT_SECRET, role=None)


@pytest.fixture(scope="module")
def participants(db, function_url, tmp_path_factory):
    db.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES ('user_fuzz', 'org_fuzz') "
                        "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id")
    fn = Emulator(ROOT / "dist" / "participants" / "bootstrap", name="participants",
                  tmp_path=tmp_path_factory.mktemp("fuzz-participants"),
                  env={"DATABASE_URL": function_url, "JWT_SECRET": PARTICIPANTS_JWT_SECRET})
    yield fn
    fn.stop()


def list_event(query):
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/api/participants",
            "rawQueryString": urllib.parse.urlencode(query), "queryStringParameters": query,
            "headers": {"authorization": f"Bearer {jwt('user_fuzz')}"},
            "requestContext": {"http": {"method": "GET", "path": "/api/participants"}, "requestId": uuid.uuid4().hex,
                               "stage": "$default"},
            "isBase64Encoded": False}


@pytest.mark.parametrize("last_id", [10**18, 9_000_000_001_475_352_199, 2**63 - 1])
def test_the_cursor_of_a_19_digit_id_pages_on(participants, db, last_id):
    before = snapshot(db, ["meeting_participants"])
    cursor = b64url(str(last_id).encode())
    status, env = answer(participants, list_event({"cursor": cursor, "limit": "5"}))
    assert (status, env["ok"]) == (200, True), env
    assert env["meta"]["pagination"]["limit"] == 5 and isinstance(env["data"], list)
    assert snapshot(db, ["meeting_participants"]) == before


@pytest.mark.parametrize("cursor", [b64url(str(2**63).encode()), b64url(b"0"), b64url(b"12345678901234567890"),
                                    b64url(b"-5"), "MTIz=", "MT+z"])
def test_cursors_beyond_int64_or_malformed_stay_refused(participants, db, cursor):
    before = snapshot(db, ["meeting_participants"])
    status, env = answer(participants, list_event({"cursor": cursor}))
    assert (status, env["error"]["code"], env["error"]["message"]) == (400, "INVALID_INPUT", "The cursor is not valid.")
    assert snapshot(db, ["meeting_participants"]) == before
