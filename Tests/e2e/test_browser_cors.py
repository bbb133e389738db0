"""CORS proven in a real browser: headless Chromium (Debian's `chromium`) loads a page from the allowed origin and one
from a foreign origin, two small HTTP servers on 127.0.0.1 (two ports: two origins), and from each page calls with
`fetch` the participant API (bearer JWT) and a copilot tool (the v1 signature) through `warden gateway`, which runs
the real packaged bootstraps of template/template.yaml with `AllowedOrigin` set to the first page's origin.

Every call needs a preflight (a JSON content type, `Authorization`, the signature headers, `PUT`):
- from the allowed origin, the browser's preflight is answered 204 by the function and the call returns its data to
  the page; the writes are in the database;
- from the foreign origin, the function refuses the preflight (403, its `Access-Control-Allow-Origin` naming the
  allowed origin, not the page's), the browser rejects the `fetch` with a TypeError, names the CORS policy in its
  log, and never sends the request itself: the gateway passed only `OPTIONS` for those calls, the functions audited
  and logged only those refusals, and no table changed (the participant the page tried to create is not there, the
  one it tried to rename kept its name, no replay record of the copilot signature).
A browser sends a simple request (a form-like `POST` with `text/plain`, or any `no-cors` fetch, whose `Authorization`
the browser drops) without a preflight: those do reach the function, which refuses the foreign origin before reading
anything (403, audited), and change nothing either.

The page reports what it observed by posting it to its own server (same origin), so nothing but the Chromium binary
is needed to drive the browser. Chromium missing is a failure, never a skip: `make test` installs it
(scripts/ensure-tools.sh)."""
import html
import json
import os
import re
import shutil
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import SECRET, GatewayProcess, hs256_token, sign, snapshot, snapshot_changes
from warden_harness import LoggedProcess, wait_for

JWT_SECRET = "browser-e2e-jwt-secret-0123456789abcdef"
USER = "user_browser_alice"
ORG = "org_browser_acme"
OWNER = "user_browser_owner"  # the copilot tenant (params.ownerUserId)
CUSTOMER = "b-browser-usage"
USAGE = {"trend": "up", "avgDailyUsers": 42, "sparkline": [40, 41, 42], "missingData": False}
BROWSER_WAIT = 30  # seconds for a page to run all its calls and report


def chromium():
    """The system Chromium; a clear failure (never a skip) when it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is missing: `bash scripts/ensure-tools.sh` (run by `make test`) installs Debian's "
                    "chromium package", pytrace=False)
    return found


# ---------------------------------------------------------------------------------------------------- the pages
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>warden cors</title></head><body>
<script id="plan" type="application/json">{plan}</script>
<script>
(async () => {{
  const plan = JSON.parse(document.getElementById('plan').textContent);
  const results = [];
  for (const call of plan) {{
    const seen = {{name: call.name}};
    try {{
      const init = {{method: call.method, headers: call.headers, mode: call.mode}};
      if (call.body !== null) init.body = call.body;
      const response = await fetch(call.url, init);
      seen.type = response.type;
      seen.status = response.status;
      seen.body = await response.text();
    }} catch (e) {{
      seen.error = e.name + ': ' + e.message;
    }}
    results.push(seen);
  }}
  await fetch('/report', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
                          body: JSON.stringify({{origin: location.origin, results}})}});
}})();
</script></body></html>
"""


class PageServer:
    """An HTTP server on 127.0.0.1 (its own port: its own origin) serving `/` — the page, running `plan` — and taking
    the page's report at `POST /report`."""

    def __init__(self):
        self.plan = []
        self.report = None
        self.reported = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path != "/":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = PAGE.format(plan=html.escape(json.dumps(outer.plan), quote=False)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/report":
                    outer.report = json.loads(data)
                    outer.reported.set()
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_page(page, plan, tmp_path, name):
    """Loads `page` running `plan` in a fresh headless Chromium; returns (what the page observed for each call, by
    name; the browser's log)."""
    page.plan, page.report = plan, None
    page.reported.clear()
    profile = tmp_path / f"chromium-{name}"
    browser = LoggedProcess([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync", "--disable-extensions",
                             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", page.origin + "/"],
                            tmp_path / f"chromium-{name}.log", new_session=True)
    try:
        wait_for(lambda: page.reported.is_set() or browser.proc.poll() is not None,
                 lambda: f"the {name} page's report (browser log: {browser.output()[-3000:]})", timeout=BROWSER_WAIT)
        assert page.reported.is_set(), f"chromium exited with {browser.proc.returncode}:\n{browser.output()[-3000:]}"
    finally:
        browser.stop()
        shutil.rmtree(profile, ignore_errors=True)
    assert page.report["origin"] == page.origin
    results = {r["name"]: r for r in page.report["results"]}
    assert list(results) == [c["name"] for c in plan], page.report
    return results, browser.output()


# ------------------------------------------------------------------------------------------------ the calls
def call(name, url, method, headers, body=None, mode="cors"):
    return {"name": name, "url": url, "method": method, "headers": headers, "body": body, "mode": mode}


def bearer():
    return {"Authorization": f"Bearer {hs256_token(USER, JWT_SECRET)}", "Content-Type": "application/json"}


def signed_usage_call(name, gateway):
    """A copilot call signed here (the secret is the test's own); the page sends these exact bytes."""
    body = json.dumps({"customerId": CUSTOMER, "params": {"ownerUserId": OWNER}})
    return call(name, f"http://127.0.0.1:{gateway.port}/prod/get_customer_usage", "POST",
                {"Content-Type": "application/json", **sign(body)}, body)


def participants_url(gateway, suffix=""):
    return f"http://127.0.0.1:{gateway.port}/prod/api/participants{suffix}"


def settled(read, count, what):
    """`read()` once it holds `count` items: the page may report before the gateway has written the access-log line
    of its last call, or the function that call's audit row (written once the answer is complete)."""
    return wait_for(lambda: (lambda got: got if len(got) >= count else None)(read()), what, timeout=10)


def requests_seen(log):
    """(method, path, status) of each of the gateway's access-log lines (`[gateway] METHOD /path -> function STATUS
    (…)`) in `log`."""
    out = []
    for line in log.splitlines():
        if line.startswith("[gateway] "):
            m = re.match(r"\[gateway\] (\S+) (\S+) -> \S+ (\d{3}) ", line)
            assert m, line
            out.append((m[1], m[2].split("?")[0], int(m[3])))
    return out


def functions_logged(log):
    """(function, status, error code) of each request line the functions logged (`[function] {…"message":"request"…}`)
    in `log`."""
    out = []
    for line in log.splitlines():
        m = re.match(r"\[(\w+)\] (\{.*\})$", line)
        if m and json.loads(m[2]).get("message") == "request":
            entry = json.loads(m[2])
            out.append((m[1], entry["status"], entry.get("error.code")))
    return out


def audit_since(conn, last_id):
    cur = conn.cursor()
    cur.execute("SELECT tool, action, client_id, outcome, status FROM audit_events WHERE id > %s ORDER BY id",
                (last_id,))
    return [tuple(row) for row in cur.fetchall()]


def last_audit_id(conn):
    cur = conn.cursor()
    cur.execute("SELECT coalesce(max(id), 0) FROM audit_events")
    return cur.fetchone()[0]


def participant(conn, **where):
    (column, value), = where.items()
    cur = conn.cursor()
    cur.execute(f"SELECT id, organization_id, meeting_id, email, display_name FROM meeting_participants "
                f"WHERE {column} = %s", (value,))
    return [tuple(row) for row in cur.fetchall()]


# --------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def setup(module_database, tmp_path_factory):
    """A database of the module's own (so that "nothing changed" covers every table), two page servers, and the
    gateway over the real bootstraps allowing the first page's origin only."""
    chromium()
    conn = module_database.conn
    cur = conn.cursor()
    cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", (USER, ORG))
    cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, email, display_name) "
                "VALUES (%s, 'mtg_browser_seed', 'seed@acme.example', 'Seed Person') RETURNING id", (ORG,))
    seeded = cur.fetchone()[0]
    cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, 'Browser Co', %s)",
                (CUSTOMER, OWNER))
    cur.execute("INSERT INTO usage_summaries VALUES (%s, %s, %s, %s, %s::jsonb)",
                (CUSTOMER, OWNER, USAGE["trend"], USAGE["avgDailyUsers"], json.dumps(USAGE["sparkline"])))
    allowed, foreign = PageServer(), PageServer()
    env = dict(os.environ, DATABASE_URL=module_database.function_url, HMAC_SECRET=SECRET, JWT_SECRET=JWT_SECRET)
    tmp = tmp_path_factory.mktemp("browser")
    gateway = GatewayProcess(tmp / "gateway.log", ["--parameter-overrides", f"AllowedOrigin={allowed.origin}",
                                                   "RateLimitPerMinute=0"], env=env)
    yield {"conn": conn, "gateway": gateway, "allowed": allowed, "foreign": foreign, "seeded": seeded, "tmp": tmp}
    gateway.stop()
    allowed.close()
    foreign.close()


# ------------------------------------------------------------------------------------------------------ tests
def test_the_allowed_origin_gets_its_data(setup):
    conn, gateway, seeded = setup["conn"], setup["gateway"], setup["seeded"]
    meeting = f"mtg_browser_{uuid.uuid4().hex[:8]}"
    usage = signed_usage_call("usage", gateway)
    plan = [
        call("list", participants_url(gateway, "?limit=50"), "GET", bearer()),
        call("create", participants_url(gateway), "POST", bearer(),
             json.dumps({"meetingId": meeting, "email": "allowed@acme.example", "displayName": "Allowed"})),
        call("rename", participants_url(gateway, f"/{seeded}"), "PUT", bearer(),
             json.dumps({"displayName": "Renamed"})),
        usage,
    ]
    log_from, audit_before = len(gateway.output()), last_audit_id(conn)
    results, _ = run_page(setup["allowed"], plan, setup["tmp"], "allowed")

    for name, status in (("list", 200), ("create", 201), ("rename", 200), ("usage", 200)):
        assert "error" not in results[name] and results[name]["type"] == "cors", results[name]
        assert results[name]["status"] == status, results[name]
    listed = json.loads(results["list"]["body"])
    assert listed["ok"] is True and seeded in [p["id"] for p in listed["data"]]
    created = json.loads(results["create"]["body"])["data"]
    assert participant(conn, id=created["id"]) == [(created["id"], ORG, meeting, "allowed@acme.example", "Allowed")]
    assert json.loads(results["rename"]["body"])["data"]["displayName"] == "Renamed"
    assert participant(conn, id=seeded)[0][4] == "Renamed"
    assert json.loads(results["usage"]["body"]) == {"ok": True, "data": USAGE, "error": None}

    # The browser preflighted every call (the function answered 204), then sent it. (Every URL differs: Chromium
    # caches an accepted preflight for 5 s when the answer gives no Access-Control-Max-Age.) The gateway writes a
    # request's line once it has answered it, so two lines may come in either order.
    seen = settled(lambda: requests_seen(gateway.output()[log_from:]), 8, "the gateway's access log")
    assert sorted(seen) == sorted([
        ("OPTIONS", "/prod/api/participants", 204), ("GET", "/prod/api/participants", 200),
        ("OPTIONS", "/prod/api/participants", 204), ("POST", "/prod/api/participants", 201),
        ("OPTIONS", f"/prod/api/participants/{seeded}", 204), ("PUT", f"/prod/api/participants/{seeded}", 200),
        ("OPTIONS", "/prod/get_customer_usage", 204), ("POST", "/prod/get_customer_usage", 200),
    ]), seen
    # Preflights are not audited; the calls are.
    audited = settled(lambda: audit_since(conn, audit_before), 4, "the audit rows")
    assert sorted((tool, status) for tool, _, _, _, status in audited) == [
        ("get_customer_usage", 200), ("participants", 200), ("participants", 200), ("participants", 201)], audited


def test_a_foreign_origin_is_blocked_by_the_browser_and_changes_nothing(setup):
    conn, gateway, seeded = setup["conn"], setup["gateway"], setup["seeded"]
    meeting = f"mtg_foreign_{uuid.uuid4().hex[:8]}"
    usage = signed_usage_call("usage", gateway)
    create = json.dumps({"meetingId": meeting, "email": "foreign@evil.example", "displayName": "Foreign"})
    preflighted = [
        call("list", participants_url(gateway, "?limit=50"), "GET", bearer()),
        call("create", participants_url(gateway), "POST", bearer(), create),
        call("rename", participants_url(gateway, f"/{seeded}"), "PUT", bearer(), json.dumps({"displayName": "Pwned"})),
        usage,
    ]
    simple = [
        # What a browser sends without asking: a text/plain POST (no Authorization can be added without a preflight)…
        call("erase-simple", participants_url(gateway, f"/{seeded}/erase"), "POST", {"Content-Type": "text/plain"},
             "{}"),
        # … and a no-cors fetch, for which the browser drops Authorization and the JSON content type.
        call("create-no-cors", participants_url(gateway), "POST", bearer(), create, mode="no-cors"),
    ]
    before, audit_before, target = snapshot(conn), last_audit_id(conn), participant(conn, id=seeded)
    log_from = len(gateway.output())
    results, browser_log = run_page(setup["foreign"], preflighted + simple, setup["tmp"], "foreign")

    # The page saw the browser refuse each preflighted call, and the simple CORS one: a TypeError, nothing more.
    for name in ("list", "create", "rename", "usage", "erase-simple"):
        assert results[name].get("error") == "TypeError: Failed to fetch", results[name]
    # A no-cors fetch resolves, but opaque: no status, no body for the page.
    assert results["create-no-cors"] == {"name": "create-no-cors", "type": "opaque", "status": 0, "body": ""}
    # The browser says why, in its log: the CORS policy, at the preflight for the preflighted calls; the function's
    # answer names the allowed origin, not the page's.
    origin, allowed = setup["foreign"].origin, setup["allowed"].origin
    mismatch = (f"The 'Access-Control-Allow-Origin' header has a value '{allowed}' that is not equal to the supplied "
                "origin.")
    for c in preflighted + simple[:1]:
        why = "Response to preflight request doesn't pass access control check: " if c in preflighted else ""
        assert (f"Access to fetch at '{c['url']}' from origin '{origin}' has been blocked by CORS policy: {why}"
                f"{mismatch}") in browser_log, c["url"]

    # Nothing changed in any table (the replay records included: the signed copilot call never arrived).
    assert snapshot_changes(before, snapshot(conn)) == []
    assert participant(conn, meeting_id=meeting) == []
    assert participant(conn, id=seeded) == target and target[0][4] != "Pwned"

    # The preflight stopped each non-simple call before it reached the function: the gateway passed only the
    # `OPTIONS`, which the function refused (403); the simple requests arrived and were refused (403) as well.
    seen = settled(lambda: requests_seen(gateway.output()[log_from:]), 6, "the gateway's access log")
    assert sorted(seen) == sorted([
        ("OPTIONS", "/prod/api/participants", 403), ("OPTIONS", "/prod/api/participants", 403),
        ("OPTIONS", f"/prod/api/participants/{seeded}", 403), ("OPTIONS", "/prod/get_customer_usage", 403),
        ("POST", f"/prod/api/participants/{seeded}/erase", 403), ("POST", "/prod/api/participants", 403),
    ]), seen
    # The function audited each refusal as a foreign origin's (the action's path is the route's, without the stage):
    # the preflights and the two simple requests, none with a principal or a client, nothing else (in any order: each
    # function writes its own rows).
    audited = settled(lambda: audit_since(conn, audit_before), 6, "the audit rows")
    assert sorted(audited, key=repr) == sorted([
        ("participants", "OPTIONS /api/participants", None, "FORBIDDEN", 403),
        ("participants", "OPTIONS /api/participants", None, "FORBIDDEN", 403),
        ("participants", f"OPTIONS /api/participants/{seeded}", None, "FORBIDDEN", 403),
        ("get_customer_usage", "invoke", None, "FORBIDDEN", 403),
        ("participants", f"POST /api/participants/{seeded}/erase", None, "FORBIDDEN", 403),
        ("participants", "POST /api/participants", None, "FORBIDDEN", 403),
    ], key=repr), audited
    # And logged each as a refusal (the log line of a refused preflight included; an admitted one the participant
    # API does not log). Each function's output reaches the gateway's log on its own: their order is not the calls'.
    logged = settled(lambda: functions_logged(gateway.output()[log_from:]), 6, "the functions' request log lines")
    assert sorted(logged) == [("get_customer_usage", 403, "FORBIDDEN")] + [("participants", 403, "FORBIDDEN")] * 5
