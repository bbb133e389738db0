"""Python twin of functions/calculate_health: the customer snapshot (Sources/Copilot/CustomerSnapshot.swift, one
query, shared by every tool in tools.py) and the health score (Sources/Copilot/HealthScore.swift), over pg8000 (pure
Python).

`handler` opens one connection at first use and reuses it (as the Swift function does); `handler_per_call` opens
and closes a connection on every invocation (the original functions' style)."""
import json
import math
import os
import time

import copilot

SNAPSHOT = """
SELECT co.name,
       u.company_external_id IS NOT NULL, u.trend, u.avg_daily_users, u.sparkline::text,
       t.company_external_id IS NOT NULL, t.open_tickets, t.recent_tickets::text,
       c.company_external_id IS NOT NULL, to_char(c.renewal_date, 'YYYY-MM-DD"T"HH24:MI:SS'),
       floor(extract(epoch FROM c.renewal_date))::bigint, c.arr
FROM (SELECT %s::text AS owner, %s::text AS customer) k
LEFT JOIN companies co ON co.owner_user_id = k.owner AND co.external_id = k.customer
LEFT JOIN usage_summaries u ON u.owner_user_id = k.owner AND u.company_external_id = k.customer
LEFT JOIN ticket_summaries t ON t.owner_user_id = k.owner AND t.company_external_id = k.customer
LEFT JOIN contracts c ON c.owner_user_id = k.owner AND c.company_external_id = k.customer
"""


_INT64 = range(-2 ** 63, 2 ** 63)


def _number_int(text):
    """An integer literal: an int when it fits in Int64, otherwise a double, as WardenJSON's parser reads it."""
    value = int(text)
    return value if value in _INT64 else _number_float(text)


def _number_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")  # WardenJSON refuses the whole document
    return value


def _refuse_constant(name):
    raise ValueError(name)  # NaN / Infinity are not JSON


def _json_list(text):
    """The stored JSON array as CustomerSnapshot reads it (`JSON.parse(text).arrayValue`), [] when it is not one."""
    try:
        value = json.loads(text, parse_int=_number_int, parse_float=_number_float,
                           parse_constant=_refuse_constant) if text else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _ticket_id(value):
    """A string id as is, an Int64 id as its decimal text, anything else (bool, double, object…) drops the entry."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def snapshot(customer, session):
    """CustomerSnapshot.load: one row of the LEFT JOIN query, shaped as the Swift init(row:) shapes it."""
    (name, has_usage, trend, avg_users, sparkline, has_tickets, open_tickets, recent, has_contract, renewal_date,
     renewal_epoch, arr) = session(SNAPSHOT, (customer,))[0]
    snap = {"companyName": name, "usage": None, "tickets": None, "contract": None}
    if has_usage:
        snap["usage"] = {"trend": trend if trend in ("up", "down", "flat") else "flat",
                         "avgDailyUsers": avg_users if avg_users is not None else 0,
                         "sparkline": [float(x) for x in _json_list(sparkline)
                                       if isinstance(x, (int, float)) and not isinstance(x, bool)]}
    if has_tickets:
        recent_list = []
        for t in _json_list(recent):
            if isinstance(t, dict) and (tid := _ticket_id(t.get("id"))) is not None:
                severity = t.get("severity")
                recent_list.append((tid, severity if isinstance(severity, str) else "unknown"))
        snap["tickets"] = {"openTickets": open_tickets if open_tickets is not None else 0, "recent": recent_list}
    if has_contract:
        snap["contract"] = {"renewalDate": renewal_date, "renewalEpochSeconds": renewal_epoch,
                            "arr": arr if arr is not None else 0}
    return snap


def is_unknown(snap):
    """CustomerSnapshot.isUnknown: no table knows the customer."""
    return snap["companyName"] is None and snap["usage"] is None and snap["tickets"] is None and snap["contract"] is None


def trend(snap):
    return snap["usage"]["trend"] if snap["usage"] else "flat"


def open_tickets(snap):
    return snap["tickets"]["openTickets"] if snap["tickets"] else 0


def score(trend, open_tickets, renewal_epoch, now):
    usage, usage_signal = {"up": (100, "usage_up"), "down": (0, "usage_down")}.get(trend, (50, "usage_flat"))
    # The score's bands start at "<= 0", the signal's at "exactly 0" (CONTRACTS.md §1, HealthScore.swift): a negative
    # count (bad stored data) scores as no tickets but signals few_tickets.
    if open_tickets <= 0:
        tickets, ticket_signal = 100, "no_tickets" if open_tickets == 0 else "few_tickets"
    elif open_tickets <= 2:
        tickets, ticket_signal = 80, "few_tickets"
    elif open_tickets <= 5:
        tickets, ticket_signal = 50, "many_tickets"
    else:
        tickets, ticket_signal = 20, "many_tickets"
    days = 180 if renewal_epoch is None else max(0, (renewal_epoch - now) // 86400)
    renewal = 100 if days > 180 else 70 if days >= 60 else 30
    value = round(usage * 0.45 + tickets * 0.35 + renewal * 0.20)  # ties to even, as the Swift version
    signals = [usage_signal, ticket_signal]
    if days < 60:
        signals.append("renewal_near")
    elif days > 180:
        signals.append("renewal_far")
    return {"score": value, "riskLevel": "low" if value >= 75 else "medium" if value >= 50 else "high", "signals": signals}


def _calculate_health(customer, tenant, params, session):
    snap = snapshot(customer, session)
    renewal = snap["contract"]["renewalEpochSeconds"] if snap["contract"] else None
    return score(trend(snap), open_tickets(snap), renewal, int(time.time()))


_reused = copilot.Database(os.environ["DATABASE_URL"], reuse=True)
_per_call = copilot.Database(os.environ["DATABASE_URL"], reuse=False)


def handler(event, context):
    return copilot.handle(event, context, "calculate_health", _calculate_health, _reused)


def handler_per_call(event, context):
    return copilot.handle(event, context, "calculate_health", _calculate_health, _per_call)
