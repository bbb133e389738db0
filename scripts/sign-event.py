#!/usr/bin/env python3
"""Print an API Gateway event from events/ with fresh copilot v1 signature headers (X-Timestamp, X-Client,
X-Signature), for sending to a running `warden emulate` with curl.

    python3 scripts/sign-event.py events/calculate_health/public-acme.json [SECRET]

SECRET defaults to $HMAC_SECRET, else `local-dev-secret` (what `make run` configures)."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    event = json.load(open(sys.argv[1]))
    secret = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("HMAC_SECRET", "local-dev-secret")
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    headers = event.get("headers") or {}
    client = headers.get("X-Client", "copilot-frontend")
    ts = str(int(time.time() * 1000))
    sig = hmac.new(secret.encode(), f"{ts}.{client}.".encode() + raw, hashlib.sha256).hexdigest()
    signed = {"X-Timestamp": ts, "X-Client": client, "X-Signature": sig}
    event["headers"] = {**headers, **signed}
    if isinstance(event.get("multiValueHeaders"), dict):
        event["multiValueHeaders"].update({k: [v] for k, v in signed.items()})
    json.dump(event, sys.stdout)


main()
