"""The intent-scoring API (seed 002) through the packaged static bootstrap, the emulator and Postgres: API keys
with the `intent:score` role scoped to their organization, the BM25/decay/fit model checked against an independent
computation here, B2B-only input validation, and the query text recorded for successful calls only."""
import json
import math
import re
import subprocess
import uuid

import pytest

from conftest import ROOT, WARDEN, Emulator, snapshot

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
    before = snapshot(db, ["intent_queries"])["intent_queries"][0]
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
    assert snapshot(db, ["intent_queries"])["intent_queries"][0] == before + 1


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
    before = snapshot(db, ["intent_queries"])
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
    assert snapshot(db, ["intent_queries"]) == before
    # A business address and the edges of the ranges are fine.
    for body in ({"query": "vendor contact ops@acme.example"}, {"query": "x" * 500, "limit": 50}, {"query": "a", "limit": 1}):
        assert call(fn, keys["acme"], body)[0] == 200, body
