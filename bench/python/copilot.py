"""The Python baseline's copilot middleware: the same chain as Sources/Middleware, written the way the original Python
functions were (stdlib + pg8000): API Gateway event -> origin allowlist -> CORS preflight -> method -> body limit ->
JSON content type -> HMAC v1 check -> validation -> tool -> {ok, data, error} envelope in a proxy response, then one
audit row, one log line and one CloudWatch EMF metrics line (Sources/Middleware/Metrics.swift) per request.

Database work mirrors Sources/Postgres and Sources/Middleware/RequestGuards.swift: the functions' role; the request
guards (the signature recorded in `request_nonces`, so a replay is refused, and the tenant's rate-limit tokens taken
through `warden_take_tokens`) in the same transaction as the tool's first query, or on their own when the tool makes
none; each tenant query in a transaction that first sets `app.tenant_id` (row-level security) and
`statement_timeout`; and an `audit_events` row per call. pg8000 cannot pipeline, so what libpq sends in one round
trip takes several here (BEGIN, guards, scope, query, COMMIT).

awslambdaric itself decodes the event JSON into a dict and encodes the returned dict, as it does for every Python
function. Keep this file in step with the Swift middleware when that changes, or figure 1 and 4 compare different work.
"""
import base64
import hashlib
import hmac
import json
import logging
import os
import sys
import time
from urllib.parse import parse_qs, unquote, urlparse

import pg8000.dbapi

logger = logging.getLogger()
logger.setLevel(logging.INFO)

SECRET = os.environ["HMAC_SECRET"].encode()
ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("ALLOWED_ORIGIN", "").split(",") if o.strip()]
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES") or 256 * 1024)
MAX_SKEW_MS = 5 * 60 * 1000
MAX_CLIENT_LENGTH = 128
MAX_ID_LENGTH = 256

STATUS = {"INVALID_INPUT": 400, "UNAUTHORIZED": 401, "MISSING_DATA": 404, "TOOL_FAILURE": 500,
          "PAYLOAD_TOO_LARGE": 413, "METHOD_NOT_ALLOWED": 405, "RATE_LIMITED": 429, "FORBIDDEN": 403,
          "UNSUPPORTED_MEDIA_TYPE": 415}
TENANT_LIMIT = int(os.environ.get("RATE_LIMIT_PER_MINUTE") or 100)
CLIENT_LIMIT = int(os.environ.get("CLIENT_RATE_LIMIT_PER_MINUTE") or 0)


DEADLINE_RESERVE_MS = 250
SCOPE = "SELECT set_config('app.tenant_id', %s, true), set_config('statement_timeout', %s, true)"
AUDIT = ("INSERT INTO audit_events (request_id, client_id, tenant, tool, action, outcome, status) "
         "VALUES (%s, %s, %s, %s, %s, %s, %s)")
RECORD_NONCE = "INSERT INTO request_nonces (key, expires_at) VALUES (%s, now() + interval '10 minutes')"
TAKE_TOKENS = "SELECT * FROM warden_take_tokens(%s::text[], %s::float8[], %s::float8[])"
SWEEP_NONCES = ("DELETE FROM request_nonces WHERE key IN "
                "(SELECT key FROM request_nonces WHERE expires_at < now() LIMIT 500)")


class Database:
    """One connection opened at first use and kept (`reuse=True`, as the Swift functions do), or one connection per
    invocation (`reuse=False`, the original functions' style)."""

    def __init__(self, url, reuse=True):
        u = urlparse(url)
        sslmode = parse_qs(u.query).get("sslmode", ["require"])[0]
        self.params = dict(user=unquote(u.username or ""), password=unquote(u.password or ""), host=u.hostname,
                           port=u.port or 5432, database=u.path.lstrip("/"),
                           ssl_context=None if sslmode == "disable" else True, application_name="warden-py")
        self.reuse = reuse
        self.conn = None
        self.preamble = []  # the request guards, run with the first query (or alone by flush_preamble)

    def _open(self):
        if self.conn is None:
            self.conn = pg8000.dbapi.connect(**self.params)
            self.conn.autocommit = True
        return self.conn

    def _run(self, work):
        try:
            return work(self._open().cursor())
        except (pg8000.dbapi.InterfaceError, OSError):
            self.conn = None  # the server dropped us: reconnect once and retry
            return work(self._open().cursor())

    def tenant_query(self, tenant, deadline_ms, sql, params=()):
        """All rows of `sql` (`$1` = tenant, then `params`) under row-level security for `tenant`."""
        timeout = max(1, deadline_ms - DEADLINE_RESERVE_MS - int(time.time() * 1000))

        def work(cur):
            cur.execute("BEGIN")
            try:
                self._guards(cur)
                cur.execute(SCOPE, (tenant, f"{timeout}ms"))
                cur.execute(sql, (tenant, *params))
                rows = cur.fetchall()
                cur.execute("COMMIT")
                return rows
            except pg8000.dbapi.DatabaseError:
                self.conn.rollback()
                raise
        return self._run(work)

    def _guards(self, cur):
        preamble, self.preamble = self.preamble, []
        for sql, params in preamble:
            try:
                cur.execute(sql, params)
            except pg8000.dbapi.DatabaseError as e:
                state = e.args[0].get("C") if e.args and isinstance(e.args[0], dict) else None
                if state == "23505":
                    raise Refused("UNAUTHORIZED", "This request was already received.")
                if state == "WR429":
                    raise Refused("RATE_LIMITED", "Too many requests; retry later.")
                raise

    def flush_preamble(self):
        """Runs the guards on their own when the tool made no query."""
        if not self.preamble:
            return

        def work(cur):
            cur.execute("BEGIN")
            try:
                self._guards(cur)
                cur.execute("COMMIT")
            except Exception:
                self.conn.rollback()
                raise
        self._run(work)

    def append_audit(self, request_id, client_id, tenant, tool, outcome, status):
        self._run(lambda cur: cur.execute(AUDIT, (request_id, client_id, tenant, tool, "invoke", outcome, status)))

    def end_invocation(self):
        self.preamble = []
        if not self.reuse and self.conn is not None:
            self.conn.close()
            self.conn = None


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _cors(origin):
    allow = origin if origin in ALLOWED_ORIGINS else (ALLOWED_ORIGINS[0] if ALLOWED_ORIGINS else "null")
    return {
        "Access-Control-Allow-Origin": allow,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type,X-Signature,X-Timestamp,X-Client",
        "Vary": "Origin",
        "Content-Type": "application/json",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "Cache-Control": "no-store",
    }


def _headers(event):
    merged = {}
    for name, value in (event.get("headers") or {}).items():
        if isinstance(value, str):
            merged.setdefault(name.lower(), []).append(value)
    for name, values in (event.get("multiValueHeaders") or {}).items():
        for value in values or []:
            if isinstance(value, str):
                merged.setdefault(name.lower(), []).append(value)
    return merged


def _single(headers, name):
    """The one value of a header; None when absent or when copies disagree."""
    values = headers.get(name)
    if not values or any(v != values[0] for v in values):
        return None
    return values[0]


_CONFLICT = object()


def _header(headers, name):
    """Swift's APIGatewayRequest.header: None when absent, _CONFLICT when copies disagree, else the value."""
    values = headers.get(name)
    if not values:
        return None
    return values[0] if all(v == values[0] for v in values) else _CONFLICT


def _require_json(headers):
    """APIGatewayRequest.requireJSONContentType: absent is fine, otherwise the media type must be application/json."""
    value = _header(headers, "content-type")
    if value is None:
        return
    if value is _CONFLICT or value.split(";", 1)[0].replace(" ", "").replace("\t", "").lower() != "application/json":
        raise Refused("UNSUPPORTED_MEDIA_TYPE", "The request must be JSON.")


def _verify(headers, raw):
    signature, ts, client = _single(headers, "x-signature"), _single(headers, "x-timestamp"), _single(headers, "x-client")
    if signature is None or ts is None or client is None:
        raise Refused("UNAUTHORIZED", "Missing or ambiguous authentication headers.")
    if not (1 <= len(ts) <= 16 and ts.isascii() and ts.isdigit()):
        raise Refused("UNAUTHORIZED", "Invalid timestamp.")
    if abs(int(time.time() * 1000) - int(ts)) > MAX_SKEW_MS:
        raise Refused("UNAUTHORIZED", "Request timestamp outside the allowed window.")
    if not client or len(client.encode()) > MAX_CLIENT_LENGTH or any(not (0x20 < ord(c) < 0x7F) for c in client):
        raise Refused("UNAUTHORIZED", "Invalid client.")
    expected = hmac.new(SECRET, f"{ts}.{client}.".encode() + raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.lower(), expected):
        raise Refused("UNAUTHORIZED", "Invalid signature.")
    return client, f"v1:{expected}"  # the replay key: a signature is accepted once


def _identifier(value):
    return 0 < len(value.encode()) <= MAX_ID_LENGTH and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def _request(raw):
    if not raw:
        raise Refused("INVALID_INPUT", "The request body is required.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise Refused("INVALID_INPUT", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise Refused("INVALID_INPUT", "The request body must be a JSON object.")
    customer = body.get("customerId")
    if not isinstance(customer, str) or not customer:
        raise Refused("INVALID_INPUT", "customerId must be a non-empty string.")
    if not _identifier(customer):
        raise Refused("INVALID_INPUT", "customerId is not a valid identifier.")
    params = body.get("params", {})
    if not isinstance(params, dict):
        raise Refused("INVALID_INPUT", "params must be an object.")
    owner = params.get("ownerUserId")
    tenant = "public"
    if owner is not None:
        if not isinstance(owner, str):
            raise Refused("INVALID_INPUT", "ownerUserId must be a string.")
        if owner:
            if not _identifier(owner):
                raise Refused("INVALID_INPUT", "ownerUserId is not a valid identifier.")
            tenant = owner
    return customer, tenant, params


def _response(status, headers, body):
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def _failure(code, message, headers):
    body = json.dumps({"ok": False, "data": None, "error": {"code": code, "message": message}}, separators=(",", ":"))
    return _response(STATUS[code], headers, body)


_invocations = [0]

_METRICS = [{"Name": n, "Unit": u} for n, u in (("Duration", "Milliseconds"), ("Errors", "Count"),
                                                 ("Unauthorized", "Count"), ("RateLimited", "Count"),
                                                 ("BudgetSpentCents", "None"))]


def _emit_metrics(name, status, code, started):
    """Sources/Middleware/Metrics.swift's CloudWatch EMF line, written as the Swift chain writes it: last, after the
    audit row and the log line, with `Duration` the handler's own time in ms (from the start of `handle` until now).
    The bench reads it as the warm handler time of both sides; awslambdaric's decoding of the event before `handle`
    (the Swift span includes it) is not in it."""
    duration_ms = (time.perf_counter_ns() - started) // 1000 / 1000
    line = json.dumps({
        "_aws": {"Timestamp": int(time.time() * 1000),
                 "CloudWatchMetrics": [{"Namespace": "Warden", "Dimensions": [["Function"], []], "Metrics": _METRICS}]},
        "Function": name, "Duration": duration_ms, "Errors": int(status >= 500 or code == "TOOL_FAILURE"),
        "Unauthorized": int(code == "UNAUTHORIZED"), "RateLimited": int(code == "RATE_LIMITED"),
        "BudgetSpentCents": 0, "Outcome": code or "ok"}, separators=(",", ":"))
    sys.stdout.write(line + "\n")  # awslambdaric makes stdout unbuffered: one write per line


def _guard_statements(replay_key, client, tenant, sweep):
    statements = [(RECORD_NONCE, (replay_key,))]
    keys, capacities, rates = [], [], []
    if TENANT_LIMIT > 0:
        keys.append(f"tenant:{tenant}"), capacities.append(float(TENANT_LIMIT)), rates.append(TENANT_LIMIT / 60)
    if CLIENT_LIMIT > 0:
        keys.append(f"client:{client}"), capacities.append(float(CLIENT_LIMIT)), rates.append(CLIENT_LIMIT / 60)
    if keys:
        statements.append((TAKE_TOKENS, (keys, capacities, rates)))
    if sweep:
        statements.append((SWEEP_NONCES, ()))
    return statements


def handle(event, context, name, tool, database):
    """Runs `tool(customer_id, tenant, params, session) -> data` behind the copilot middleware, where
    `session(sql, params)` runs a tenant-scoped query."""
    started = time.perf_counter_ns()
    status, code, client, tenant = 200, None, None, None
    headers = _cors(None)
    try:
        method = event.get("httpMethod") or ((event.get("requestContext") or {}).get("http") or {}).get("method")
        if not isinstance(method, str):
            raise Refused("INVALID_INPUT", "The request is not a valid API request.")
        hdrs = _headers(event)
        origin = _header(hdrs, "origin")
        headers = _cors(None if origin is _CONFLICT else origin)
        # Browsers' calls from origins not on the allowlist are refused outright, preflights included.
        if origin is _CONFLICT or (origin is not None and origin not in ALLOWED_ORIGINS):
            raise Refused("FORBIDDEN", "This origin is not allowed.")
        if method.upper() == "OPTIONS":
            status = 204
            return _response(204, headers, "")
        if method.upper() != "POST":
            raise Refused("METHOD_NOT_ALLOWED", "Only POST is supported.")
        body = event.get("body")
        raw = None
        if isinstance(body, str):
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        if raw is not None and len(raw) > MAX_BODY_BYTES:
            raise Refused("PAYLOAD_TOO_LARGE", "The request body is too large.")
        _require_json(hdrs)
        client, replay_key = _verify(hdrs, raw or b"")
        customer, tenant, params = _request(raw)
        _invocations[0] += 1
        database.preamble = _guard_statements(replay_key, client, tenant, sweep=_invocations[0] % 256 == 0)
        deadline = context.get_remaining_time_in_millis() + int(time.time() * 1000)

        def session(sql, binds=()):
            return database.tenant_query(tenant, deadline, sql, binds)

        data = tool(customer, tenant, params, session)
        database.flush_preamble()
        return _response(200, headers, json.dumps({"ok": True, "data": data, "error": None}, separators=(",", ":")))
    except Refused as e:
        status, code = STATUS[e.code], e.code
        return _failure(e.code, e.message, headers)
    except Exception as e:  # noqa: BLE001 - every unexpected failure is TOOL_FAILURE
        status, code = 500, "TOOL_FAILURE"
        logger.error("tool failure error.kind=%s", type(e).__name__)
        return _failure("TOOL_FAILURE", "The tool failed to complete the request.", headers)
    finally:
        if status != 204:
            try:
                database.append_audit(context.aws_request_id, client, tenant, name, code or "ok", status)
            except Exception as e:  # noqa: BLE001
                logger.error("audit write failed error.kind=%s", type(e).__name__)
        database.end_invocation()
        micros = (time.perf_counter_ns() - started) // 1000
        if code:
            logger.info("request durationUs=%d error.code=%s status=%d tool=%s", micros, code, status, name)
        else:
            logger.info("request durationUs=%d status=%d tool=%s", micros, status, name)
        if status != 204:  # as the Swift chain: no metric for a preflight
            _emit_metrics(name, status, code, started)
