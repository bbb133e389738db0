"""A local stand-in for API Gateway, for schemathesis and manual calls: an HTTP server on 127.0.0.1 that turns each
request into the proxy event the deployed API would send — REST API payload 1.0 for the copilot tools, HTTP API
payload 2.0 for the participant and intent APIs, chosen by docs/openapi.yaml (`x-warden-function`,
`x-warden-payload-format`) — invokes the function through its running `warden emulate` (conftest's `Emulator`),
and maps the proxy response back (status, headers, body, base64).

What it does like API Gateway: REST events carry `headers` (last value) and `multiValueHeaders`, decoded
`queryStringParameters` and `multiValueQueryStringParameters`, `requestContext.path` with the stage; HTTP API events
lower-case header names and join repeated headers and query parameters with commas, move `Cookie` to `cookies`, and
use the `$default` route. A body that is not valid UTF-8 is sent base64-encoded (`isBase64Encoded`). An unknown REST
resource is `403 {"message":"Missing Authentication Token"}`, an HTTP API path no function serves `404
{"message":"Not Found"}`, a function error `502 {"message":"Internal server error"}`. What it does not do: stages in
the URL, authorizers, throttling, payload limits (the functions enforce their own).

Also here, for schemathesis: `SigningAuth` (a `requests` auth that signs every copilot call with HMAC v1 over the
exact bytes sent and adds the bearer JWT or the API key the other operations need), registered as schemathesis'
auth when this module is loaded through `SCHEMATHESIS_HOOKS=http_bridge` (credentials from the `WARDEN_BRIDGE_*`
environment variables), and `seed()` for the data a run needs.

Standalone: `python3 Tests/e2e/http_bridge.py [--port 8080]` migrates and seeds a database, starts every HTTP
function with `warden emulate`, serves the bridge and prints the environment schemathesis' hooks need.
"""
import base64
import hashlib
import hmac
import json
import os
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openapi_check

ROOT = Path(__file__).resolve().parents[2]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "proxy-connection", "te",
              "trailer"}


# ------------------------------------------------------------------------------------------------------- routing
def route_for(path):
    """(function, payload format, resource template) of the document's route for `path` (any method; literal
    segments win over `{param}`), or None."""
    parts = [p for p in path.split("/") if p]
    best, best_score = None, -1
    for op in openapi_check.document().operations:
        score = op.match(parts)
        if score is not None and score > best_score:
            best, best_score = op, score
    return (best.function, best.payload_format, best.template) if best else None


def http_api_function(path):
    """The HTTP API (payload 2.0) function serving paths under the same first segment as `path`, or None: each HTTP
    API routes everything below its prefix to its function."""
    first = next((p for p in path.split("/") if p), None)
    for op in openapi_check.document().operations:
        if op.payload_format == "2.0" and op.segments and op.segments[0] == first:
            return op.function
    return None


def security_of(path):
    """The security scheme names the document requires for `path` (first requirement of any non-preflight
    operation)."""
    parts = [p for p in path.split("/") if p]
    best, best_score = None, -1
    for op in openapi_check.document().operations:
        if op.method == "OPTIONS":
            continue
        score = op.match(parts)
        if score is not None and score > best_score:
            best, best_score = op, score
    if best is None:
        return set()
    security = best.raw.get("security", [])
    return set(security[0]) if security else set()


# -------------------------------------------------------------------------------------------------------- events
def _body_field(body):
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def rest_v1_event(method, path, resource, query, headers, body, stage="prod", source_ip="127.0.0.1"):
    """The REST API (payload 1.0) proxy event. `query` and `headers` are lists of (name, value)."""
    single, multi = {}, {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    q_single, q_multi = {}, {}
    for name, value in query:
        q_single[name] = value
        q_multi.setdefault(name, []).append(value)
    text, encoded = _body_field(body)
    now = time.time()
    request_id = str(uuid.uuid4())
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": single or None, "multiValueHeaders": multi or None,
        "queryStringParameters": q_single or None, "multiValueQueryStringParameters": q_multi or None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {
            "resourceId": "bridge", "resourcePath": resource, "httpMethod": method, "path": f"/{stage}{path}",
            "accountId": "000000000000", "apiId": "bridge", "stage": stage, "protocol": "HTTP/1.1",
            "requestId": request_id, "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000), "domainName": "127.0.0.1", "domainPrefix": "bridge",
            "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent")},
        },
        "body": text, "isBase64Encoded": encoded,
    }


def http_v2_event(method, path, raw_query, query, headers, body, source_ip="127.0.0.1"):
    """The HTTP API (payload 2.0) proxy event, `$default` route."""
    joined, cookies = {}, []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        joined[lower] = f"{joined[lower]},{value}" if lower in joined else value
    q = {}
    for name, value in query:
        q[name] = f"{q[name]},{value}" if name in q else value
    text, encoded = _body_field(body)
    now = time.time()
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "000000000000", "apiId": "bridge", "domainName": "127.0.0.1", "domainPrefix": "bridge",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": joined.get("user-agent", "")},
            "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if q:
        event["queryStringParameters"] = q
    if text is not None:
        event["body"] = text
    return event


def from_proxy_response(raw):
    """(status, [(name, value)], body bytes) of a function's proxy response, as API Gateway maps it."""
    try:
        resp = json.loads(raw)
    except ValueError:
        return 502, [("Content-Type", "application/json")], b'{"message":"Internal server error"}'
    if not isinstance(resp, dict) or "statusCode" not in resp:
        # HTTP API 2.0: a plain JSON value is a 200 with that value as the body.
        return 200, [("Content-Type", "application/json")], raw
    headers = [(k, str(v)) for k, v in (resp.get("headers") or {}).items()]
    for name, values in (resp.get("multiValueHeaders") or {}).items():
        if not any(k.lower() == name.lower() for k, _ in headers):
            headers += [(name, str(v)) for v in values]
    for cookie in resp.get("cookies") or []:
        headers.append(("Set-Cookie", cookie))
    body = resp.get("body") or ""
    data = base64.b64decode(body) if resp.get("isBase64Encoded") else body.encode()
    return int(resp["statusCode"]), headers, data


# -------------------------------------------------------------------------------------------------------- server
class Bridge:
    """The gateway: `functions` maps a function name to an object with `invoke(event) -> (status, headers, body)`
    (conftest's `Emulator`)."""

    def __init__(self, functions, host="127.0.0.1", port=0, stage="prod"):
        self.functions = dict(functions)
        self.stage = stage
        self.requests = 0
        self._count = threading.Lock()
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length > 0 else b""
                status, headers, data = bridge.handle(self.command, self.path, list(self.headers.items()), body,
                                                      self.client_address[0])
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def __getattr__(self, name):
                # Every method reaches the function (do_GET, do_TRACE, do_PROPFIND, …), as an `ANY` route does.
                if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
                    return self._serve
                raise AttributeError(name)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method, target, headers, body, source_ip="127.0.0.1"):
        """One request: (status, headers, body) as API Gateway would answer it."""
        with self._count:
            self.requests += 1
        split = urllib.parse.urlsplit(target)
        path = urllib.parse.unquote(split.path) or "/"  # REST's `path` is decoded, HTTP API's `rawPath` is not
        query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        json_headers = [("Content-Type", "application/json")]
        route = route_for(path)
        if route and route[1] == "1.0":
            # The REST API's resource /{tool} (method ANY: the function answers 405 itself).
            function, _, resource = route
            event = rest_v1_event(method, path, resource, query, headers, body, self.stage, source_ip)
        else:
            function = route[0] if route else http_api_function(path)
            if function is None:
                first = next((p for p in path.split("/") if p), "")
                if any(op.payload_format == "1.0" and op.segments[:1] == [first]
                       for op in openapi_check.document().operations):
                    return 403, json_headers, b'{"message":"Missing Authentication Token"}'
                return 404, json_headers, b'{"message":"Not Found"}'
            event = http_v2_event(method, split.path or "/", split.query, query, headers, body, source_ip)
        target_fn = self.functions.get(function)
        if target_fn is None:
            return 503, json_headers, json.dumps({"message": f"function {function} is not running"}).encode()
        try:
            status, invoke_headers, raw = target_fn.invoke(event)
        except TimeoutError:
            return 504, json_headers, b'{"message":"Endpoint request timed out"}'
        if status != 200 or any(k.lower() == "x-amz-function-error" for k in invoke_headers):
            return 502, json_headers, b'{"message":"Internal server error"}'
        return from_proxy_response(raw)


# ------------------------------------------------------------------------------------------------ authentication
_last_ts = [0]
_ts_lock = threading.Lock()


def _timestamp_ms():
    with _ts_lock:
        ts = max(int(time.time() * 1000), _last_ts[0] + 1)
        _last_ts[0] = ts
        return ts


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(secret, subject, lifetime=3600):
    """A Supabase-style HS256 access token for `subject`."""
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps({"sub": subject, "iat": now, "exp": now + lifetime, "role": "authenticated"}).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(sig)}"


try:
    import requests.auth as _requests_auth
    _AuthBase = _requests_auth.AuthBase
except ImportError:  # the bridge itself does not need requests
    _AuthBase = object


class SigningAuth(_AuthBase):
    """Authenticates every request the way the document's security requirements say: HMAC v1 over the exact body
    bytes (copilot tools, `X-Timestamp` unique per request), `Authorization: Bearer <JWT>` (participants), or
    `X-API-Key` (intent). Operations without security (preflights) are left alone."""

    def __init__(self, hmac_secret, client, jwt_secret, jwt_subject, api_key):
        self.hmac_secret, self.client = hmac_secret, client
        self.jwt_secret, self.jwt_subject, self.api_key = jwt_secret, jwt_subject, api_key

    def __call__(self, r):
        path = urllib.parse.unquote(urllib.parse.urlsplit(r.url).path)
        if r.method == "OPTIONS":
            return r
        schemes = security_of(path)
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        if "copilotSignature" in schemes and self.hmac_secret:
            ts = str(_timestamp_ms())
            mac = hmac.new(self.hmac_secret.encode(), f"{ts}.{self.client}.".encode() + body, hashlib.sha256)
            r.headers["X-Timestamp"], r.headers["X-Client"], r.headers["X-Signature"] = ts, self.client, mac.hexdigest()
            r.headers.pop("X-Nonce", None)
        elif "bearerJWT" in schemes and self.jwt_secret:
            r.headers["Authorization"] = f"Bearer {hs256_token(self.jwt_secret, self.jwt_subject)}"
        elif schemes & {"apiKeyHeader", "apiKeyBearer"} and self.api_key:
            r.headers["X-API-Key"] = self.api_key
            r.headers.pop("Authorization", None)
        return r


def auth_from_environment():
    """`SigningAuth` from WARDEN_BRIDGE_HMAC_SECRET, WARDEN_BRIDGE_CLIENT, WARDEN_BRIDGE_JWT_SECRET,
    WARDEN_BRIDGE_JWT_SUBJECT and WARDEN_BRIDGE_API_KEY."""
    env = os.environ
    return SigningAuth(env.get("WARDEN_BRIDGE_HMAC_SECRET", ""), env.get("WARDEN_BRIDGE_CLIENT", "copilot-frontend"),
                       env.get("WARDEN_BRIDGE_JWT_SECRET", ""), env.get("WARDEN_BRIDGE_JWT_SUBJECT", ""),
                       env.get("WARDEN_BRIDGE_API_KEY", ""))


def register_schemathesis_auth():
    import schemathesis
    schemathesis.auth.set_from_requests(auth_from_environment())


if "http_bridge" in os.environ.get("SCHEMATHESIS_HOOKS", "").split(","):
    register_schemathesis_auth()


# ---------------------------------------------------------------------------------------------------------- data
FUZZ_USER = "user_st_fuzz"
FUZZ_ORG = "org_st_fuzz"
FUZZ_OWNER = "user_demo_owner"  # the tenant of the document's copilot examples


def seed(owner_url, warden=ROOT / ".build" / "debug" / "warden"):
    """What a run needs, idempotently, through the schema owner's URL: the fuzz user in its organization, a few of
    its participants, companies and evidence for intent scoring, the copilot examples' customers. Returns a new API
    key of the organization holding `intent:score`."""
    import subprocess
    import pg8000.dbapi
    u = urllib.parse.urlparse(owner_url)
    conn = pg8000.dbapi.connect(user=u.username, password=u.password, host=u.hostname, port=u.port,
                                database=u.path.lstrip("/"))
    conn.autocommit = True
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (FUZZ_USER, FUZZ_ORG))
        cur.execute("SELECT count(*) FROM meeting_participants WHERE organization_id = %s", (FUZZ_ORG,))
        if cur.fetchone()[0] == 0:
            for i in range(3):
                cur.execute("INSERT INTO meeting_participants (organization_id, meeting_id, meeting_title, email, "
                            "display_name) VALUES (%s, 'mtg_fuzz', 'Fuzz sync', %s, %s)",
                            (FUZZ_ORG, f"p{i}@fuzz.example", f"Person {i}"))
        cur.execute("SELECT count(*) FROM intent_companies WHERE organization_id = %s", (FUZZ_ORG,))
        if cur.fetchone()[0] == 0:
            cur.execute("INSERT INTO intent_companies (organization_id, name, domain, industry, size_band, region, "
                        "churn_signal) VALUES (%s, 'Northwind', 'northwind.example', 'SaaS', 'mid', 'EMEA', true) "
                        "RETURNING id", (FUZZ_ORG,))
            company = cur.fetchone()[0]
            for days, text in ((3, "Kubernetes migration and observability platform evaluation"),
                               (40, "kubernetes migration observability platform evaluation kubernetes migration")):
                cur.execute("INSERT INTO intent_evidence (organization_id, company_id, observed_at, text) "
                            "VALUES (%s, %s, now() - make_interval(days => %s), %s)", (FUZZ_ORG, company, days, text))
        for customer, name, trend, users, tickets, days, arr in (("acme", "Acme Corp (owner copy)", "down", 12, 4, 20, 99000),
                                                                 ("hooli", "Hooli", "up", 300, 1, None, 250000)):
            cur.execute("INSERT INTO companies (external_id, name, owner_user_id) VALUES (%s, %s, %s) "
                        "ON CONFLICT DO NOTHING", (customer, name, FUZZ_OWNER))
            cur.execute("INSERT INTO usage_summaries VALUES (%s, %s, %s, %s, '[1,2,3]'::jsonb) ON CONFLICT DO NOTHING",
                        (customer, FUZZ_OWNER, trend, users))
            cur.execute("INSERT INTO ticket_summaries VALUES (%s, %s, %s, '[{\"id\":\"T-1\",\"severity\":\"high\"}]'::jsonb) "
                        "ON CONFLICT DO NOTHING", (customer, FUZZ_OWNER, tickets))
            cur.execute("INSERT INTO contracts VALUES (%s, %s, CASE WHEN %s::int IS NULL THEN NULL ELSE "
                        "date_trunc('day', now() AT TIME ZONE 'UTC') + make_interval(days => %s::int) END, %s) "
                        "ON CONFLICT DO NOTHING", (customer, FUZZ_OWNER, days, days, arr))
    finally:
        conn.close()
    return subprocess.run([str(warden), "apikey", "create", "--tenant", FUZZ_ORG, "--roles", "intent:score",
                           "--database-url", owner_url], check=True, capture_output=True, text=True).stdout.strip()


def function_env(function_url, hmac_secret, jwt_secret):
    """The environment every HTTP function gets under the bridge (rate limits off: the fuzzer would hit them)."""
    return {"DATABASE_URL": function_url, "HMAC_SECRET": hmac_secret, "JWT_SECRET": jwt_secret,
            "RATE_LIMIT_PER_MINUTE": "0", "ALLOWED_ORIGIN": "http://localhost:3000"}


def start_functions(function_url, hmac_secret, jwt_secret, tmp_path, dist=ROOT / "dist", extra_env=None):
    """One `warden emulate` per HTTP function of the document, running dist/<function>/bootstrap."""
    from conftest import Emulator
    started = {}
    try:
        for function in sorted(openapi_check.http_functions()):
            started[function] = Emulator(dist / function / "bootstrap", tmp_path=tmp_path, name=function, timeout=10,
                                         env={**function_env(function_url, hmac_secret, jwt_secret),
                                              **(extra_env or {})})
    except BaseException:
        for e in started.values():
            e.stop()
        raise
    return started


def main():
    import sys
    import argparse
    import subprocess
    import tempfile
    parser = argparse.ArgumentParser(description="Serve every HTTP function behind a local API Gateway stand-in.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--database", default="warden", help="database of the local cluster (scripts/pg.sh)")
    args = parser.parse_args()
    pg = ["bash", str(ROOT / "scripts" / "pg.sh")]
    subprocess.run(pg + ["start"], check=True, capture_output=True)
    if not args.database.replace("_", "").isalnum():
        parser.error("--database: letters, digits and _ only")
    owner_url = subprocess.run(pg + ["url", args.database], check=True, capture_output=True, text=True).stdout.strip()
    exists = subprocess.run(pg + ["psql", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'"],
                            check=True, capture_output=True, text=True).stdout.strip()
    if exists != "1":
        subprocess.run(pg + ["psql", "-c", f"CREATE DATABASE {args.database} OWNER warden"], check=True,
                       capture_output=True)
    function_url = subprocess.run(pg + ["fn-url", args.database], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([str(ROOT / ".build" / "debug" / "warden"), "migrate", "--database-url", owner_url], check=True,
                   capture_output=True)
    api_key = seed(owner_url)
    hmac_secret = os.environ.get("HMAC_SECRET", "local-dev-secret")
    jwt_secret = os.environ.get("JWT_SECRET", "local-participants-jwt-secret-0123456789")
    functions = start_functions(function_url, hmac_secret, jwt_secret, Path(tempfile.mkdtemp(prefix="bridge-")))
    bridge = Bridge(functions, port=args.port).start()
    print(f"bridge: {bridge.url} serving {', '.join(sorted(functions))}")
    print("for schemathesis (PYTHONPATH=Tests/e2e SCHEMATHESIS_HOOKS=http_bridge):")
    print(f"export WARDEN_BRIDGE_HMAC_SECRET={hmac_secret} WARDEN_BRIDGE_JWT_SECRET={jwt_secret} "
          f"WARDEN_BRIDGE_JWT_SUBJECT={FUZZ_USER} WARDEN_BRIDGE_API_KEY={api_key}", flush=True)
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        bridge.close()
        for e in functions.values():
            e.stop()


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
