"""Python twin of bench/echo-tool: the full copilot middleware around a tool that answers a constant (no database)."""
import copilot


def _echo(customer, tenant, params):
    return {"customerId": customer, "tenant": tenant}


def handler(event, context):
    return copilot.handle(event, context, "bench_echo", _echo)
