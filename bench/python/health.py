"""Python twin of functions/calculate_health: the same one-round-trip query and score, over pg8000 (pure Python).

`handler` opens one connection at first use and reuses it (as our Swift function does); `handler_per_call` opens
and closes a connection on every invocation (the original functions' style)."""
import os
import time
from urllib.parse import parse_qs, unquote, urlparse

import pg8000.dbapi

import copilot

INPUTS = """
SELECT u.trend, t.open_tickets,
       floor(extract(epoch FROM c.renewal_date))::bigint AS renewal_epoch
FROM (SELECT %s::text AS owner, %s::text AS customer) k
LEFT JOIN usage_summaries u ON u.owner_user_id = k.owner AND u.company_external_id = k.customer
LEFT JOIN ticket_summaries t ON t.owner_user_id = k.owner AND t.company_external_id = k.customer
LEFT JOIN contracts c ON c.owner_user_id = k.owner AND c.company_external_id = k.customer
"""

_url = urlparse(os.environ["DATABASE_URL"])
_sslmode = parse_qs(_url.query).get("sslmode", ["require"])[0]
_conn = None


def _connect():
    ssl_context = None if _sslmode == "disable" else True
    conn = pg8000.dbapi.connect(
        user=unquote(_url.username or ""), password=unquote(_url.password or ""), host=_url.hostname,
        port=_url.port or 5432, database=_url.path.lstrip("/"), ssl_context=ssl_context, application_name="warden-py")
    conn.autocommit = True
    return conn


def _query(conn, tenant, customer):
    cur = conn.cursor()
    cur.execute(INPUTS, (tenant, customer))
    return cur.fetchone()


def _inputs_reused(tenant, customer):
    global _conn
    if _conn is None:
        _conn = _connect()
    try:
        return _query(_conn, tenant, customer)
    except (pg8000.dbapi.InterfaceError, OSError):
        _conn = _connect()  # the server dropped us: reconnect once and retry
        return _query(_conn, tenant, customer)


def _inputs_per_call(tenant, customer):
    conn = _connect()
    try:
        return _query(conn, tenant, customer)
    finally:
        conn.close()


def score(trend, open_tickets, renewal_epoch, now):
    usage, usage_signal = {"up": (100, "usage_up"), "down": (0, "usage_down")}.get(trend, (50, "usage_flat"))
    if open_tickets <= 0:
        tickets, ticket_signal = 100, "no_tickets"
    elif open_tickets <= 2:
        tickets, ticket_signal = 80, "few_tickets"
    elif open_tickets <= 5:
        tickets, ticket_signal = 50, "many_tickets"
    else:
        tickets, ticket_signal = 20, "many_tickets"
    days = 180 if renewal_epoch is None else max(0, (renewal_epoch - now) // 86400)
    renewal = 100 if days > 180 else 70 if days >= 60 else 30
    value = round(usage * 0.45 + tickets * 0.35 + renewal * 0.20)
    signals = [usage_signal, ticket_signal]
    if days < 60:
        signals.append("renewal_near")
    elif days > 180:
        signals.append("renewal_far")
    return {"score": value, "riskLevel": "low" if value >= 75 else "medium" if value >= 50 else "high", "signals": signals}


def _tool(inputs):
    def run(customer, tenant, params):
        row = inputs(tenant, customer) or (None, None, None)
        trend, open_tickets, renewal_epoch = row
        return score(trend or "flat", open_tickets or 0, renewal_epoch, int(time.time()))
    return run


_reused = _tool(_inputs_reused)
_per_call = _tool(_inputs_per_call)


def handler(event, context):
    return copilot.handle(event, context, "calculate_health", _reused)


def handler_per_call(event, context):
    return copilot.handle(event, context, "calculate_health", _per_call)
