"""Python twins of the other five copilot tools (functions/*/<Tool>.swift), over the same snapshot query as
calculate_health (health.snapshot: Sources/Copilot/CustomerSnapshot.swift) and the same templates
(Sources/Copilot/EmailDraft.swift, Sources/Copilot/QBROutline.swift: keep the text identical, the bench compares
every answer with the Swift function's).

For each tool `<tool>`: `handler_<tool>` opens one connection at first use and reuses it (as the Swift functions
do); `handler_<tool>_per_call` opens and closes a connection on every invocation (the original functions' style)."""
import os

import copilot
from health import is_unknown, open_tickets, snapshot, trend


def get_customer_usage(customer, tenant, params, session):
    usage = snapshot(customer, session)["usage"]
    return {
        "trend": usage["trend"] if usage else "flat",
        "avgDailyUsers": usage["avgDailyUsers"] if usage else 0,
        "sparkline": usage["sparkline"] if usage else [],
        "missingData": usage is None,
    }


def get_recent_tickets(customer, tenant, params, session):
    tickets = snapshot(customer, session)["tickets"]
    return {
        "openTickets": tickets["openTickets"] if tickets else 0,
        "recentTickets": [{"id": i, "severity": s} for i, s in tickets["recent"]] if tickets else [],
        "missingData": tickets is None,
    }


def get_contract_info(customer, tenant, params, session):
    contract = snapshot(customer, session)["contract"]
    return {
        "renewalDate": contract["renewalDate"] if contract else None,
        "arr": contract["arr"] if contract else 0,
        "missingData": contract is None,
    }


def email_draft(snap, customer):
    """EmailDraft(snapshot:customerId:)."""
    name = snap["companyName"] if snap["companyName"] is not None else customer
    contract = snap["contract"]
    renewal = contract["renewalDate"][:10] if contract and contract["renewalDate"] is not None else None
    subject = (f"{name}: planning ahead of your renewal on {renewal}" if renewal is not None
               else f"{name}: checking in on your account")
    users = snap["usage"]["avgDailyUsers"] if snap["usage"] else 0
    paragraphs = [f"Hi {name} team,"]
    t = trend(snap)
    if t == "up":
        paragraphs.append(f"Great news: usage keeps growing, with about {users} people active on a typical day. "
                          "We'd love to hear what is working so well.")
    elif t == "down":
        paragraphs.append(f"We noticed usage has dipped recently (about {users} daily active users). We'd like to "
                          "understand what changed and how we can help your team get more value.")
    else:
        paragraphs.append(f"Usage has been steady, with about {users} daily active users. We have a few ideas that "
                          "could help your team do more.")
    n = open_tickets(snap)
    if n <= 0:
        paragraphs.append("You have no open support tickets with us right now.")
    elif n == 1:
        paragraphs.append("You have 1 open support ticket; we are on it and will keep you posted.")
    else:
        paragraphs.append(f"You have {n} open support tickets; we are prioritising them and will share an update "
                          "shortly.")
    if renewal is not None:
        paragraphs.append(f"Your renewal is coming up on {renewal}. Could we find 30 minutes to review your goals "
                          "for the next term?")
    else:
        paragraphs.append("Could we find 30 minutes to review your goals for the coming months?")
    paragraphs.append("Best regards,\nYour Customer Success team")
    return subject, "\n\n".join(paragraphs)


def generate_email(customer, tenant, params, session):
    snap = snapshot(customer, session)
    if is_unknown(snap):
        raise copilot.Refused("MISSING_DATA", "No data is available for this customer.")
    subject, body = email_draft(snap, customer)
    return {"subject": subject, "body": body}


def qbr_sections(snap):
    """QBROutline(snapshot:)."""
    sections = ["Executive summary"]
    t = trend(snap)
    if t == "up":
        sections.append("Adoption wins: usage trending up")
    elif t == "down":
        sections.append("Adoption risks: usage trending down and recovery plan")
    else:
        sections.append("Adoption review: steady usage and growth opportunities")
    n = open_tickets(snap)
    if n <= 0:
        sections.append("Support: no open tickets")
    elif n <= 2:
        sections.append(f"Support: {n} open tickets and their status")
    else:
        sections.append(f"Support escalations: {n} open tickets and remediation plan")
    sections += ["Renewal and commercial outlook", "Goals and success metrics for next quarter",
                 "Action items and owners"]
    return sections


def generate_qbr_outline(customer, tenant, params, session):
    return {"sections": qbr_sections(snapshot(customer, session))}


_reused = copilot.Database(os.environ["DATABASE_URL"], reuse=True)
_per_call = copilot.Database(os.environ["DATABASE_URL"], reuse=False)


def _handlers(name, tool):
    def handler(event, context):
        return copilot.handle(event, context, name, tool, _reused)

    def handler_per_call(event, context):
        return copilot.handle(event, context, name, tool, _per_call)
    return handler, handler_per_call


handler_get_customer_usage, handler_get_customer_usage_per_call = _handlers("get_customer_usage", get_customer_usage)
handler_get_recent_tickets, handler_get_recent_tickets_per_call = _handlers("get_recent_tickets", get_recent_tickets)
handler_get_contract_info, handler_get_contract_info_per_call = _handlers("get_contract_info", get_contract_info)
handler_generate_email, handler_generate_email_per_call = _handlers("generate_email", generate_email)
handler_generate_qbr_outline, handler_generate_qbr_outline_per_call = _handlers("generate_qbr_outline",
                                                                                 generate_qbr_outline)
