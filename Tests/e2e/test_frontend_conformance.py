"""The copilot front end's way of calling the tools (CONTRACTS.md §1), through `warden gateway` with the template's
default settings: a page view starts a round of six tool calls at once, each signed before its first await, so
calls with the same arguments carry the same timestamp, body and signature and differ only in the route. Any
non-2xx status is a failure (the front end gives up before its retry logic), and every reply must pass the front
end's own reply schemas. Guests all share the tenant `public`; a signed-in owner is its own tenant."""
import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import pytest

from conftest import E2E_DATABASE, FRONTEND, SECRET, GatewayProcess, connect, create_database, fn_url, sign
from test_gateway import header_values, request

TOOLS = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
         "generate_qbr_outline"]
ORIGIN = "http://localhost:3000"
# The demo data (`warden migrate --seed`): customers every tool answers 2xx for.
GUEST_CUSTOMERS = ["acme", "globex", "initech", "umbrella"]
OWNER = "user_demo_owner"
OWNER_CUSTOMERS = ["acme", "hooli"]
ROUNDS = 100


def frontend_body(customer, params=None):
    """`JSON.stringify({customerId, params: params ?? {}})`: compact, keys in insertion order."""
    return json.dumps({"customerId": customer, "params": params or {}}, separators=(",", ":"))


def frontend_headers(body, ts_ms):
    """The front end's signing, written from CONTRACTS.md §1 (not from our Swift code)."""
    return [("Content-Type", "application/json"), *sign(body, SECRET, ts_ms).items()]


class FrontEnd:
    """A small client that behaves as the copilot's server actions do."""

    def __init__(self, port):
        self.port = port
        self.pool = ThreadPoolExecutor(max_workers=len(TOOLS))
        self.failures = []
        self.calls = 0

    def call(self, tool, body, headers):
        status, out_headers, out = request(self.port, "POST", f"/prod/{tool}", headers, body.encode())
        return tool, status, out_headers, out

    def check(self, tool, status, out):
        """What the front end does with a reply: non-2xx is a failure; the envelope and data must parse."""
        self.calls += 1
        if not 200 <= status < 300:
            self.failures.append((tool, status, out[:200]))
            return
        envelope = json.loads(out)
        jsonschema.validate(envelope, FRONTEND["envelope"])
        assert envelope["ok"] is True, (tool, envelope)
        jsonschema.validate(envelope["data"], FRONTEND["data"][tool])

    def round(self, customer, params=None):
        """One page view: the six tools at once, every call signed in the same millisecond with the same body."""
        body = frontend_body(customer, params)
        headers = frontend_headers(body, int(time.time() * 1000))
        futures = [self.pool.submit(self.call, tool, body, headers) for tool in TOOLS]
        results = [f.result() for f in futures]
        for tool, status, _, out in results:
            self.check(tool, status, out)
        return body, headers


@pytest.fixture(scope="module")
def conformance_gateway(tmp_path_factory):
    """`warden gateway` on the template with its default parameters (rate limits included), over a database of
    its own holding the demo data, so no other test's traffic shares its token buckets."""
    name = f"{E2E_DATABASE}_conformance"
    owner_url = create_database(name, seed=True)
    function_url = fn_url(name)
    env = {k: v for k, v in os.environ.items() if k not in ("RATE_LIMIT_PER_MINUTE", "CLIENT_RATE_LIMIT_PER_MINUTE",
                                                            "CONCURRENCY_LIMIT")}
    env.update(DATABASE_URL=function_url, HMAC_SECRET=SECRET)
    gw = GatewayProcess(tmp_path_factory.mktemp("conformance") / "gateway.log",
                        ["--warm", "2", "--parameter-overrides", f"AllowedOrigin={ORIGIN}"], env=env)
    conn = connect(owner_url)
    conn.autocommit = True
    yield gw, conn
    conn.close()
    gw.stop()


def test_parallel_rounds_of_guests_and_an_owner_never_fail(conformance_gateway):
    gw, _ = conformance_gateway
    front = FrontEnd(gw.port)
    for i in range(ROUNDS):
        front.round(GUEST_CUSTOMERS[i % len(GUEST_CUSTOMERS)])
        front.round(OWNER_CUSTOMERS[i % len(OWNER_CUSTOMERS)], {"ownerUserId": OWNER})
    assert front.failures == [], f"{len(front.failures)} of {front.calls} calls failed: {front.failures[:5]}"
    assert front.calls == 2 * ROUNDS * len(TOOLS)


def test_the_same_call_twice_to_the_same_tool_is_refused(conformance_gateway):
    gw, db = conformance_gateway
    front = FrontEnd(gw.port)
    body, headers = front.round("acme")
    assert front.failures == []
    cur = db.cursor()
    cur.execute("SELECT count(*) FROM request_nonces")
    nonces = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM audit_events WHERE outcome = 'ok'")
    served = cur.fetchone()[0]
    for tool in TOOLS:
        status, _, out = request(gw.port, "POST", f"/prod/{tool}", headers, body.encode())
        envelope = json.loads(out)
        assert (status, envelope["error"]["code"]) == (401, "UNAUTHORIZED"), (tool, envelope)
        jsonschema.validate(envelope, FRONTEND["envelope"])
    cur.execute("SELECT count(*) FROM request_nonces")
    assert cur.fetchone()[0] == nonces
    cur.execute("SELECT count(*) FROM audit_events WHERE outcome = 'ok'")
    assert cur.fetchone()[0] == served


def test_a_flood_from_one_tenant_is_capped_with_retry_after(conformance_gateway):
    gw, db = conformance_gateway
    tenant = f"user_flood_{uuid.uuid4().hex[:8]}"
    calls = 900

    def one(i):
        body = frontend_body(f"flood-{i}", {"ownerUserId": tenant})
        status, headers, out = request(gw.port, "POST", "/prod/get_customer_usage",
                                       frontend_headers(body, int(time.time() * 1000)), body.encode())
        return status, headers, out

    cur = db.cursor()
    cur.execute("SELECT clock_timestamp()")
    [(flood_start,)] = cur.fetchall()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(one, range(calls)))
    ok = [r for r in replies if r[0] == 200]
    limited = [r for r in replies if r[0] == 429]
    assert len(ok) + len(limited) == calls, {r[0] for r in replies}
    # The bucket holds 600 tokens and refills 10 a second: the flood gets them all, and no more than what refilled
    # while it lasted, by the database's clock (the bucket's own): up to its last token taken.
    cur.execute("SELECT updated_at, tokens FROM rate_buckets WHERE key = %s", (f"tenant:{tenant}",))
    [(last_taken, left)] = cur.fetchall()
    refilled = int((last_taken - flood_start).total_seconds() * 10)
    assert 600 <= len(ok) <= 600 + refilled and left >= 0, (len(ok), refilled, left)
    for status, headers, out in limited[:20]:
        envelope = json.loads(out)
        assert envelope["ok"] is False and envelope["error"]["code"] == "RATE_LIMITED"
        assert int(header_values(headers, "Retry-After")[0]) >= 1
    # Another tenant is unaffected by this one's flood.
    front = FrontEnd(gw.port)
    front.round("hooli", {"ownerUserId": OWNER})
    assert front.failures == []
