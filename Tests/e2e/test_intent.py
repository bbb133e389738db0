"""The intent-scoring API (seed 002) through the packaged static bootstrap, the emulator and Postgres: API keys
with the `intent:score` role scoped to their organization, the BM25/decay/fit model checked against an independent
computation here and against a small example worked out by hand, B2B-only input validation, and the query text
recorded for successful calls only.

The default (index) strategy reads the posting lists of migration 9; the same bootstrap with INTENT_SCORING=scan runs
the original load-everything implementation. Both must answer alike on a random corpus (non-ASCII text and attribute
values, ties, quotes and braces in values), also after every kind of change to the evidence, whose index the
triggers keep equal to a recomputation; the function role only reads the index, and only its organization's rows."""
import json
import math
import re
import subprocess
import uuid

import pytest

from conftest import ROOT, WARDEN, Emulator, refused_by_postgres, snapshot, snapshot_changes

BOOTSTRAP = ROOT / "dist" / "intent" / "bootstrap"
PATH = "/v1/intent/score"
ORG = "org_i_acme"
OTHER = "org_i_globex"
QUERY = "Kubernetes migration observability platform evaluation"

# name, domain, industry, size_band, region, churn_signal, job_posting, [(days ago, text)]
COMPANIES = [
    ("Northwind", "northwind.example", "SaaS", "mid", "EMEA", False, False, [
        (3, "Northwind started a Kubernetes migration and an observability platform evaluation this quarter"),
        (40, "Their CTO blogged on the kubernetes migration and the observability platform evaluation"),
        (5, "Northwind hired a new office manager in Berlin"),
    ]),
    ("Contoso", "contoso.example", "saas", "enterprise", "NA", True, False, [
        (10, "Contoso runs an evaluation of observability platform vendors after a kubernetes migration"),
        (2, "Contoso announced quarterly earnings and a new logo"),
    ]),
    ("Fabrikam", None, "Manufacturing", "mid", "emea", False, True, [
        (200, "Fabrikam kubernetes migration with observability platform evaluation planned"),
        (1, "Fabrikam opened a factory in Porto"),
    ]),
    ("Initech", "initech.example", "SaaS", "mid", "EMEA", False, False, [
        (1, "Initech updated its printer fleet and coffee machines"),
        (7, "Initech platform team lunch"),
    ] + [(i + 1, f"Initech routine note {i} about printers coffee lunch offices and parking") for i in range(40)]),
]
FILTERS = {"industry": "saas", "size": "MID", "region": "emea"}


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def expected_scores(companies, query, filters):
    """Independent model: BM25 (k1 1.2, b 0.75) over all evidence, threshold 8, decay exp(-age/90),
    intent 100(1 - exp(-sum/10)) + bonuses capped at 100, fit 40/30/30, final 0.6 fit + 0.4 intent."""
    docs = [(cid, eid, age, tokens(text)) for cid, c in companies.items() for eid, age, text in c["evidence"]]
    n = len(docs)
    avgdl = sum(len(d[3]) for d in docs) / n
    q = list(dict.fromkeys(tokens(query)))
    df = {t: sum(1 for d in docs if t in d[3]) for t in q}
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in q}
    out = {}
    for cid, c in companies.items():
        total, evidence = 0.0, []
        for dcid, eid, age, terms in docs:
            if dcid != cid:
                continue
            s = 0.0
            for t in q:
                tf = terms.count(t)
                if tf:
                    s += idf[t] * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * len(terms) / avgdl))
            if s >= 8.0:
                w = math.exp(-age / 90)
                total += s * w
                evidence.append((eid, s, w))
        intent = 100 * (1 - math.exp(-total / 10)) + (20 if c["churn"] else 0) + (15 if c["job"] else 0)
        intent = min(100.0, intent)
        match = lambda f, v: 1 if f not in filters else (1 if v is not None and v.lower() == filters[f].lower() else 0)
        fit = 100 * (0.4 * match("industry", c["industry"]) + 0.3 * match("size", c["size"]) + 0.3 * match("region", c["region"]))
        out[cid] = {"fit": fit, "intent": intent, "final": 0.6 * fit + 0.4 * intent, "evidence": evidence}
    ranking = sorted(out, key=lambda cid: (-out[cid]["final"], -out[cid]["intent"], cid))
    return ranking, out


def mint(database_url, tenant, roles):
    return subprocess.run([str(WARDEN), "apikey", "create", "--tenant", tenant, "--roles", roles, "--database-url",
                           database_url], check=True, capture_output=True, text=True).stdout.strip()


def http_event(headers, body):
    return {"version": "2.0", "routeKey": "$default", "rawPath": PATH, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST", "path": PATH, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": body, "isBase64Encoded": False}


def call(fn, key, body):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    _, _, out = fn.invoke(http_event(headers, body if isinstance(body, str) else json.dumps(body)))
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


@pytest.fixture(scope="module")
def seeded(db):
    cur = db.cursor()
    companies = {}
    for name, domain, industry, size, region, churn, job, evidence in COMPANIES:
        cur.execute("INSERT INTO intent_companies (organization_id, name, domain, industry, size_band, region, "
                    "churn_signal, job_posting) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (ORG, name, domain, industry, size, region, churn, job))
        cid = cur.fetchone()[0]
        rows = []
        for days, text in evidence:
            cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                        "VALUES (%s, %s, now() - make_interval(days => %s), %s) RETURNING id", (ORG, cid, days, text))
            rows.append((cur.fetchone()[0], float(days), text))
        companies[cid] = {"name": name, "domain": domain, "industry": industry, "size": size, "region": region,
                          "churn": churn, "job": job, "evidence": rows}
    cur.execute("INSERT INTO intent_companies (organization_id, name, industry) VALUES (%s, 'Globex', 'SaaS') RETURNING id",
                (OTHER,))
    other = cur.fetchone()[0]
    cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) VALUES (%s, %s, now(), %s)",
                (OTHER, other, QUERY))
    return companies, other


@pytest.fixture(scope="module")
def api(seeded, database_url, function_url, tmp_path_factory):
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path_factory.mktemp("intent"), name="intent",
                  env={"DATABASE_URL": function_url})
    keys = {"acme": mint(database_url, ORG, "intent:score"), "globex": mint(database_url, OTHER, "intent:score"),
            "reader": mint(database_url, ORG, "things:read")}
    yield fn, keys
    fn.stop()


def test_ranking_and_scores_match_an_independent_computation(api, seeded, db):
    fn, keys = api
    companies, _ = seeded
    ranking, expected = expected_scores(companies, QUERY, FILTERS)
    # The data exercise every part of the model: relevant and irrelevant evidence, decay, both bonuses, fit.
    assert sum(len(e["evidence"]) for e in expected.values()) == 4
    assert len({round(e["final"], 2) for e in expected.values()}) == 4
    before = snapshot(db)
    status, env = call(fn, keys["acme"], {"query": QUERY, **FILTERS})
    assert status == 200 and env["ok"] is True, env
    results = env["data"]["results"]
    assert [r["companyId"] for r in results] == ranking
    for r in results:
        e = expected[r["companyId"]]
        c = companies[r["companyId"]]
        assert (r["name"], r["domain"]) == (c["name"], c["domain"])
        for k in ("fit", "intent", "final"):
            assert abs(r[k] - e[k]) <= 0.01, (c["name"], k, r[k], e[k])
        assert sorted(x["id"] for x in r["evidence"]) == sorted(x[0] for x in e["evidence"])
        for x in r["evidence"]:
            eid, bm25, weight = next(y for y in e["evidence"] if y[0] == x["id"])
            assert abs(x["bm25"] - bm25) <= 0.01 and abs(x["weight"] - weight) <= 0.01
            assert x["observedAt"].endswith("Z")
    # One company checked field by field: Northwind (two relevant items, no bonus, full fit).
    north = next(r for r in results if r["name"] == "Northwind")
    e = expected[north["companyId"]]
    assert north["fit"] == 100.0 and len(north["evidence"]) == 2
    assert abs(north["final"] - (60 + 0.4 * e["intent"])) <= 0.01
    # The query text is recorded for this organization, kept 90 days.
    cur = db.cursor()
    cur.execute("SELECT organization_id, query_text, expires_at - created_at FROM intent_queries WHERE id = %s",
                (env["data"]["query"]["id"],))
    org, text, keep = cur.fetchone()
    assert (org, text, keep.days) == (ORG, QUERY, 90)
    # That row is the call's only change.
    after = snapshot(db)
    assert snapshot_changes(before, after) == ["intent_queries"]
    assert after["intent_queries"][0] == before["intent_queries"][0] + 1


def test_same_input_same_ranking_and_limit(api):
    fn, keys = api
    first = call(fn, keys["acme"], {"query": QUERY, **FILTERS})[1]["data"]["results"]
    second = call(fn, keys["acme"], {"query": QUERY, **FILTERS})[1]["data"]["results"]
    assert first == second
    status, env = call(fn, keys["acme"], {"query": QUERY, **FILTERS, "limit": 2})
    assert status == 200 and env["data"]["results"] == first[:2]
    # Without filters, every company fits fully.
    status, env = call(fn, keys["acme"], {"query": QUERY})
    assert status == 200 and all(r["fit"] == 100.0 for r in env["data"]["results"])


def test_another_organization_never_sees_the_companies(api, seeded):
    fn, keys = api
    companies, other = seeded
    status, env = call(fn, keys["globex"], {"query": QUERY})
    assert status == 200
    assert [r["companyId"] for r in env["data"]["results"]] == [other]
    assert not set(companies) & {r["companyId"] for r in env["data"]["results"]}
    for r in env["data"]["results"]:
        assert {x["id"] for x in r["evidence"]}.isdisjoint({y[0] for c in companies.values() for y in c["evidence"]})


def test_refused_calls_record_nothing(api, db):
    fn, keys = api
    before = snapshot(db)
    status, env = call(fn, None, {"query": QUERY})
    assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    status, env = call(fn, keys["reader"], {"query": QUERY})
    assert (status, env["error"]["code"]) == (403, "FORBIDDEN")
    bad = [
        {"query": "companies like jane.doe@gmail.com"},
        {"query": "acme", "region": "contact: Someone@Proton.Me"},
        {"query": "churn at big@163.com."},
        {"query": "acme", "email": "jane@acme.example"},
        {"query": "acme", "phone": "+49 30 1234"},
        {"query": "acme", "firstName": "Jane"},
        {"query": "acme", "name": "Jane"},
        {"query": "acme", "personalNotes": "x"},
        {"query": "acme", "color": "blue"},
        {"query": "x" * 501},
        {"query": ""},
        {"query": "   "},
        {"query": 42},
        {},
        {"query": "acme", "limit": 0},
        {"query": "acme", "limit": 51},
        {"query": "acme", "limit": "5"},
        {"query": "acme", "industry": 7},
        "not json",
        [1, 2],
    ]
    for body in bad:
        status, env = call(fn, keys["acme"], body)
        assert (status, env["error"]["code"]) == (400, "INVALID_INPUT"), body
        text = json.dumps(env)
        assert "gmail" not in text and "Jane" not in text and "Proton" not in text, body
    assert snapshot(db) == before
    # A business address and the edges of the ranges are fine.
    for body in ({"query": "vendor contact ops@acme.example"}, {"query": "x" * 500, "limit": 50}, {"query": "a", "limit": 1}):
        assert call(fn, keys["acme"], body)[0] == 200, body


# --------------------------------------------------------------------------------------- a hand-computed example

HAND = "org_i_hand"


def test_hand_computed_example(db, database_url, function_url, tmp_path):
    """A corpus small enough to score by hand (k1 = 1.2, b = 0.75, threshold 8, τ = 90 days).

    Four evidence texts of 15 terms each: N = 4, avgdl = 60 / 4 = 15, so every length norm is
    1 − 0.75 + 0.75 × 15 / 15 = 1. Query "alpha beta gamma delta epsilon" (5 distinct terms); only X1 holds them,
    each 3 times (df = 1, tf = 3).

      idf        = ln(1 + (4 − 1 + 0.5) / (1 + 0.5)) = ln(10 / 3)       = 1.2039728
      per term   = idf × 3 × (1.2 + 1) / (3 + 1.2 × 1) = idf × 6.6 / 4.2 = 1.8919573
      bm25(X1)   = 5 × 1.8919573                                         = 9.4597863  ≥ 8: relevant → 9.46
      weight(X1) = exp(−30 / 90)  (observed 30 days ago)                 = 0.7165313  → 0.72
      intent(X)  = 100 × (1 − exp(−9.4597863 × 0.7165313 / 10))
                 = 100 × (1 − exp(−0.6778233)) = 100 × (1 − 0.5077209)  = 49.2279    → 49.23
    X2, Y1, Y2 hold no query term: bm25 0, not listed.

    Filters industry "saas", size "MID" (no region filter: that criterion counts 1 for everyone):
      X  SaaS / mid, no bonus:              fit 100 × (0.4 + 0.3 + 0.3) = 100; final 0.6 × 100 + 0.4 × 49.2279 = 79.69
      Z  saas / enterprise, job posting:    fit 100 × (0.4 + 0 + 0.3)   = 70;  intent 15; final 42 + 6 = 48
      Y  Retail / MID, churn signal:        fit 100 × (0 + 0.3 + 0.3)   = 60;  intent 20; final 36 + 8 = 44
      W  no industry / no size, no bonus:   fit 100 × (0 + 0 + 0.3)     = 30;  intent 0;  final 18
    Ranked X, Z, Y, W; with limit 2 only X and Z."""
    cur = db.cursor()
    ids = {}
    for name, industry, size, churn, job in (("X", "SaaS", "mid", False, False), ("Y", "Retail", "MID", True, False),
                                             ("Z", "saas", "enterprise", False, True), ("W", None, None, False, False)):
        cur.execute("INSERT INTO intent_companies (organization_id, name, industry, size_band, region, churn_signal, "
                    "job_posting) VALUES (%s, %s, %s, %s, 'NA', %s, %s) RETURNING id", (HAND, name, industry, size, churn, job))
        ids[name] = cur.fetchone()[0]
    texts = [("X", "Alpha alpha ALPHA beta beta beta gamma gamma gamma delta delta delta epsilon epsilon epsilon"),
             ("X", "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"),
             ("Y", "the quick brown fox jumps over the lazy dog and the cat naps all day"),
             ("Y", "q1 q2 q3 q4 q5 q6 q7 q8 q9 q10 q11 q12 q13 q14 q15")]
    evidence = []
    for company, text in texts:
        cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                    "VALUES (%s, %s, now() - interval '30 days', %s) RETURNING id", (HAND, ids[company], text))
        evidence.append(cur.fetchone()[0])
    cur.execute("SELECT documents, terms FROM intent_search_stats WHERE organization_id = %s", (HAND,))
    assert tuple(cur.fetchone()) == (4, 60)
    fn = Emulator(BOOTSTRAP, tmp_path=tmp_path, name="intent", env={"DATABASE_URL": function_url})
    try:
        key = mint(database_url, HAND, "intent:score")
        status, env = call(fn, key, {"query": "alpha beta gamma delta epsilon", "industry": "saas", "size": "MID"})
        assert status == 200, env
        results = env["data"]["results"]
        assert [(r["name"], r["fit"], r["intent"], r["final"]) for r in results] == [
            ("X", 100.0, 49.23, 79.69), ("Z", 70.0, 15.0, 48.0), ("Y", 60.0, 20.0, 44.0), ("W", 30.0, 0.0, 18.0)]
        assert [[(e["id"], e["bm25"], e["weight"]) for e in r["evidence"]] for r in results] == [
            [(evidence[0], 9.46, 0.72)], [], [], []]
        status, env = call(fn, key, {"query": "alpha beta gamma delta epsilon", "industry": "saas", "size": "MID",
                                     "limit": 2})
        assert [r["name"] for r in env["data"]["results"]] == ["X", "Z"]
    finally:
        fn.stop()


# ------------------------------------------------------------------- the index strategy against the reference

RAND = "org_i_random"
VOCAB = ("kubernetes migration observability platform evaluation security audit cloud pipeline outage latency "
         "database warehouse churn renewal pricing budget vendor pilot contract hiring funding merger api sso "
         "identity network backup tracing kafka billing payments fraud payroll training encryption vault").split()
ODD = ["Zürich", "naïve", "K8s", "e-mail", "ÉNERGIE", "Straße", "Kelvin-\u212a", "İstanbul", "24/7", "x86_64"]
# A stored value that must survive being judged in Swift and sent back inside a text[] literal.
TRICKY = 'Médias, "Presse" {x}\\ NULL'



def random_corpus(rng, companies, evidence):
    """Companies with case variants, NULLs, non-ASCII and repeated attribute values (ties), and evidence texts
    from a Zipf-like vocabulary (rare words reach the threshold), some identical, some with non-ASCII bytes."""
    filler = [f"w{i}" for i in range(400)]
    words = VOCAB + filler
    weights = [1 / (r + 1) for r in range(len(words))]
    rows = []
    for i in range(companies):
        def pick(values):
            r = rng.random()
            return None if r < 0.08 else rng.choice(values)
        rows.append((f"R{i:03d}", pick(["SaaS", "saas", "SAAS", "Retail", "Énergie", "énergie", "Médias", TRICKY]),
                     pick(["mid", "MID", "small", "Groß", "GROSS"]), pick(["EMEA", "emea", "NA", "Österreich"]),
                     rng.random() < 0.2, rng.random() < 0.2))
    texts = []
    for _ in range(evidence):
        if texts and rng.random() < 0.05:
            texts.append(rng.choice(texts))  # the same text twice: equal scores
            continue
        n = rng.randint(3, 25)
        ws = rng.choices(words, weights=weights, k=n)
        if rng.random() < 0.15:
            ws.insert(rng.randrange(n), rng.choice(ODD))
        texts.append(" ".join(w.upper() if rng.random() < 0.1 else w for w in ws))
    return rows, texts


def random_queries(rng, n):
    out = []
    for i in range(n):
        terms = rng.sample(VOCAB, rng.randint(1, 4)) + [f"w{rng.randint(0, 399)}" for _ in range(rng.randint(0, 3))]
        if i % 7 == 0:
            terms.append(rng.choice(ODD))
        body = {"query": " ".join(terms)}
        if i % 3 == 0:
            body["industry"] = rng.choice(["saas", "SaaS", "retail", "énergie", "ÉNERGIE", "médias", TRICKY.lower()])
        if i % 4 == 0:
            body["size"] = rng.choice(["MID", "groß", "GROSS", "small"])
        if i % 5 == 0:
            body["region"] = rng.choice(["emea", "österreich", "NA"])
        body["limit"] = rng.choice([1, 5, 10, 50])
        out.append(body)
    return out


@pytest.fixture(scope="module")
def both(database_url, function_url, tmp_path_factory):
    """The same bootstrap twice: the index strategy (default) and the reference scan (INTENT_SCORING=scan)."""
    import random
    rng = random.Random(7)
    from conftest import connect
    owner = connect(database_url)
    owner.autocommit = True
    cur = owner.cursor()
    rows, texts = random_corpus(rng, 120, 1500)
    ids = []
    for name, industry, size, region, churn, job in rows:
        cur.execute("INSERT INTO intent_companies (organization_id, name, industry, size_band, region, churn_signal, "
                    "job_posting) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (RAND, name, industry, size, region, churn, job))
        ids.append(cur.fetchone()[0])
    # One multi-row statement (the statement-level triggers see all rows at once), ages from 0 to 2 years.
    values = [(RAND, ids[rng.randrange(len(ids))], rng.choice([0, 1, 30, 90, 400, 730]), t) for t in texts]
    cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                "SELECT o, c, now() - make_interval(days => d), t FROM unnest(%s::text[], %s::bigint[], %s::int[], "
                "%s::text[]) AS v(o, c, d, t)", [list(x) for x in zip(*values)])
    tmp = tmp_path_factory.mktemp("intent-both")
    index = Emulator(BOOTSTRAP, tmp_path=tmp, name="intent", env={"DATABASE_URL": function_url})
    scan = Emulator(BOOTSTRAP, tmp_path=tmp, name="intent-scan", env={"DATABASE_URL": function_url,
                                                                      "INTENT_SCORING": "scan"})
    yield index, scan, mint(database_url, RAND, "intent:score"), owner, ids
    index.stop()
    scan.stop()
    owner.close()


def index_is_exact(cur):
    """The postings and statistics equal a recomputation from intent_evidence (every organization)."""
    cur.execute("""
        WITH want AS (
            SELECT e.organization_id, t.term, e.id, t.n, e.search_length
            FROM intent_evidence e, unnest(e.search_terms, e.search_counts) AS t(term, n)
        ), have AS (
            SELECT p.organization_id, p.term, p.id_base + split_part(x, ',', 1)::int, split_part(x, ',', 2)::int,
                   split_part(x, ',', 3)::int
            FROM intent_search_postings p, unnest(string_to_array(p.postings, ' ')) AS x
        ), counted AS (
            SELECT organization_id, count(*) AS documents, sum(search_length) AS terms FROM intent_evidence GROUP BY 1
        )
        SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) a),
               (SELECT count(*) FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) b),
               (SELECT count(*) FROM intent_search_stats s FULL JOIN counted c USING (organization_id)
                WHERE coalesce(s.documents, 0) <> coalesce(c.documents, 0) OR coalesce(s.terms, 0) <> coalesce(c.terms, 0)),
               (SELECT count(*) FROM intent_search_postings WHERE postings = ''),
               (SELECT count(*) FROM intent_evidence WHERE search_terms IS DISTINCT FROM
                  (SELECT coalesce(array_agg(DISTINCT w ORDER BY w), '{}') FROM regexp_split_to_table(
                     translate(text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '[^a-z0-9]+') AS w
                   WHERE w <> ''))""")
    return tuple(cur.fetchone()) == (0, 0, 0, 0, 0)


def python_terms_match_sql(cur):
    """Swift's tokenizer (mirrored here on bytes) and the SQL one agree on every stored text."""
    cur.execute("SELECT text, search_terms, search_counts, search_length FROM intent_evidence WHERE organization_id = %s",
                (RAND,))
    for text, terms, counts, length in cur.fetchall():
        tokens = re.findall(rb"[a-z0-9]+", bytes(b | 0x20 if 0x41 <= b <= 0x5A else b for b in text.encode()))
        tokens = [t.decode() for t in tokens]
        distinct = sorted(set(tokens))
        if (terms, counts, length) != (distinct, [tokens.count(t) for t in distinct], len(tokens)):
            return False
    return True


def between(value, first, last):
    """Whether `value` equals `first` or `last` part by part. Ages grow with the database's clock between two calls,
    so a weight, intent or final may cross a rounding step in between; nothing else may differ."""
    if isinstance(value, dict):
        return value.keys() == first.keys() == last.keys() and all(between(value[k], first[k], last[k]) for k in value)
    if isinstance(value, list):
        return len(value) == len(first) == len(last) and all(map(between, value, first, last))
    return value == first or value == last


def assert_same_answers(index, scan, key, bodies):
    """Each body through the scan reference, bracketed by two calls of the index strategy: the reference's
    answer must equal theirs."""
    relevant = 0
    for body in bodies:
        a, b, c = call(index, key, body), call(scan, key, body), call(index, key, body)
        assert a[0] == b[0] == c[0] == 200, (body, a, b)
        assert between(b[1]["data"]["results"], a[1]["data"]["results"], c[1]["data"]["results"]), (body, a, b, c)
        relevant += sum(len(r["evidence"]) for r in a[1]["data"]["results"])
    return relevant


def test_index_strategy_answers_exactly_as_the_scan(both, db):
    import random
    index, scan, key, owner, _ = both
    cur = db.cursor()
    assert index_is_exact(cur)
    assert python_terms_match_sql(cur)
    bodies = random_queries(random.Random(11), 36) + [
        {"query": "zzzz unknown"}, {"query": "日本語 !!!"}, {"query": "w0 w1 w2 w3 w4 w5", "limit": 50},
        {"query": "kubernetes", "industry": "\u212aelvin"}, {"query": "e-mail K8s", "region": "ÖSTERREICH", "limit": 50},
        {"query": "vault", "industry": TRICKY.upper(), "limit": 50}, {"query": "' OR 1=1; -- {a,b} \\ \"x\""},
        {"query": " ".join("abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] for i in range(250)), "limit": 50},
    ]
    relevant = assert_same_answers(index, scan, key, bodies)
    # The comparison means something: many answers list evidence over the BM25 threshold.
    assert relevant > 20


def test_index_follows_every_change_to_the_evidence(both, db):
    import random
    import threading
    index, scan, key, owner, ids = both
    cur = owner.cursor()
    rng = random.Random(5)
    # Inserts one by one and several at once, text and date updates, moves between companies, deletes, and a
    # company deleted with its evidence — while calls run (the index strategy retries when the data moves).
    stop = threading.Event()
    answers = []

    def caller():
        while not stop.is_set():
            answers.append(call(index, key, {"query": "kubernetes migration w3 w7", "limit": 5})[0])
    thread = threading.Thread(target=caller)
    thread.start()
    try:
        for i in range(20):
            cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                        "VALUES (%s, %s, now(), %s)", (RAND, ids[i], f"kubernetes migration w3 w7 w{i} KUBERNETES"))
        cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                    "SELECT %s, c, now() - interval '3 days', 'pilot contract W9 ' || c FROM unnest(%s::bigint[]) AS c",
                    (RAND, ids[20:40]))
        cur.execute("UPDATE intent_evidence SET text = text || ' vault vault w3' WHERE id IN "
                    "(SELECT id FROM intent_evidence WHERE organization_id = %s ORDER BY id LIMIT 40)", (RAND,))
        cur.execute("UPDATE intent_evidence SET observed_at = observed_at - interval '10 days' WHERE id IN "
                    "(SELECT id FROM intent_evidence WHERE organization_id = %s ORDER BY id DESC LIMIT 40)", (RAND,))
        cur.execute("UPDATE intent_evidence SET company_id = %s WHERE id IN "
                    "(SELECT id FROM intent_evidence WHERE organization_id = %s ORDER BY id LIMIT 10 OFFSET 100)",
                    (ids[-1], RAND))
        cur.execute("UPDATE intent_evidence SET text = text WHERE organization_id = %s", (RAND,))  # no change at all
        cur.execute("DELETE FROM intent_evidence WHERE id IN (SELECT id FROM intent_evidence WHERE organization_id = %s "
                    "ORDER BY id LIMIT 60 OFFSET 200)", (RAND,))
        cur.execute("DELETE FROM intent_companies WHERE id = %s", (ids[rng.randrange(50, 100)],))
    finally:
        stop.set()
        thread.join()
    assert answers and set(answers) == {200}
    assert index_is_exact(cur)
    assert python_terms_match_sql(cur)
    assert assert_same_answers(index, scan, key, random_queries(random.Random(13), 12)) > 0
    # TRUNCATE empties the index (inside a transaction that is rolled back: the data stays for the other tests).
    owner.autocommit = False
    try:
        cur.execute("TRUNCATE intent_evidence")
        cur.execute("SELECT count(*) FROM intent_search_postings")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM intent_search_stats WHERE documents <> 0 OR terms <> 0")
        assert cur.fetchone()[0] == 0
    finally:
        owner.rollback()
        owner.autocommit = True
    assert index_is_exact(cur)


def test_evidence_must_belong_to_its_company_organization(both, db):
    _, _, _, owner, ids = both
    before = snapshot(db)
    cur = owner.cursor()
    # Even for the schema owner: the trigger's check violation, on insert and on update.
    for sql, args in (("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                       "VALUES (%s, %s, now(), 'kubernetes')", (OTHER, ids[0])),
                      ("UPDATE intent_evidence SET organization_id = %s WHERE id = "
                       "(SELECT min(id) FROM intent_evidence WHERE organization_id = %s)", (OTHER, RAND))):
        with refused_by_postgres("23514", "intent_evidence: organization_id differs from the company's"):
            cur.execute(sql, args)
    assert snapshot(db) == before


def test_function_role_only_reads_its_own_organization_of_the_index(both, function_url):
    from conftest import connect
    conn = connect(function_url)
    conn.autocommit = True
    try:
        cur = conn.cursor()
        for table, sql in (("intent_search_stats", "INSERT INTO intent_search_stats (organization_id) VALUES ('x')"),
                           ("intent_search_stats", "UPDATE intent_search_stats SET documents = 0"),
                           ("intent_search_postings", "DELETE FROM intent_search_postings"),
                           ("intent_search_postings", "INSERT INTO intent_search_postings VALUES ('x', 'y', 0, '0,1,1')"),
                           ("intent_evidence", "UPDATE intent_evidence SET text = 'x'"),
                           ("intent_companies", "INSERT INTO intent_companies (organization_id, name) VALUES ('x', 'y')")):
            with refused_by_postgres("42501", f"permission denied for table {table}"):
                cur.execute(sql)
        cur.execute("SELECT count(*) FROM intent_search_postings")
        assert cur.fetchone()[0] == 0  # no organization set: row-level security shows nothing
        cur.execute("BEGIN")
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (RAND,))
        cur.execute("SELECT count(DISTINCT organization_id), count(*) FROM intent_search_postings")
        orgs, rows = cur.fetchone()
        assert orgs == 1 and rows > 100
        cur.execute("SELECT array_agg(organization_id) FROM intent_search_stats")
        assert cur.fetchone()[0] == [RAND]
        cur.execute("COMMIT")
    finally:
        conn.close()


def test_migration_indexes_existing_evidence(private_cluster):
    """Migration 9 on a database that already holds evidence (as it was after migration 8): the terms, postings
    and statistics are built from the rows already there."""
    owner = private_cluster.owner_url
    from conftest import connect
    conn = connect(owner)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("""
        DROP TRIGGER intent_evidence_terms ON intent_evidence;
        DROP TRIGGER intent_search_insert ON intent_evidence; DROP TRIGGER intent_search_update ON intent_evidence;
        DROP TRIGGER intent_search_delete ON intent_evidence; DROP TRIGGER intent_search_truncate ON intent_evidence;
        DROP TABLE intent_search_postings, intent_search_stats;
        ALTER TABLE intent_evidence DROP COLUMN search_terms, DROP COLUMN search_counts, DROP COLUMN search_length;
        ALTER TABLE intent_companies DROP COLUMN industry_folded, DROP COLUMN size_band_folded,
          DROP COLUMN region_folded, DROP COLUMN fit_ascii;
        DELETE FROM warden_schema_migrations WHERE version >= 9;
        INSERT INTO intent_companies (organization_id, name, industry)
          SELECT 'o' || (i % 3), 'c' || i, CASE WHEN i % 5 = 0 THEN 'Énergie' ELSE 'SaaS' END
          FROM generate_series(1, 300) AS i;
        INSERT INTO intent_evidence (organization_id, company_id, observed_at, text)
          SELECT c.organization_id, c.id, now(), 'Kubernetes migration ' || repeat('obs ', (c.id % 7)::int) || c.name
                 || ' Zürich'
          FROM intent_companies c, generate_series(1, 5);
    """)
    out = subprocess.run([str(WARDEN), "migrate", "--database-url", owner], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "applied 9" in out.stdout
    assert index_is_exact(cur)
    cur.execute("SELECT organization_id, documents, terms FROM intent_search_stats ORDER BY 1")
    assert [tuple(r[:2]) for r in cur.fetchall()] == [("o0", 500), ("o1", 500), ("o2", 500)]
    cur.execute("SELECT count(*) FILTER (WHERE NOT fit_ascii), count(*) FROM intent_companies")
    assert tuple(cur.fetchone()) == (60, 300)
    conn.close()
