"""Python twin of bench/echo-tool: the full copilot middleware (audit row included, as the Swift one writes it) around
a tool that answers a constant without querying."""
import os

import copilot

_database = copilot.Database(os.environ["DATABASE_URL"])


def _echo(customer, tenant, params, session):
    return {"customerId": customer, "tenant": tenant}


def handler(event, context):
    return copilot.handle(event, context, "bench_echo", _echo, _database)
