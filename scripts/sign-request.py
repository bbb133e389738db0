#!/usr/bin/env python3
"""Credentials for calling the functions through `warden gateway` (what `make run` serves) with curl.

    python3 scripts/sign-request.py BODY          # copilot v1 signature headers for exactly these body bytes
    python3 scripts/sign-request.py --jwt USER    # a bearer token (HS256, 10 minutes) for a participant-API user,
                                                  # also accepted by the MCP endpoint for the copilot tenant USER

The headers are printed one per line, for curl's `-H @file`:

    body='{"customerId":"acme","params":{"ownerUserId":"user_demo_owner"}}'
    curl -s http://127.0.0.1:3000/prod/calculate_health -H 'Content-Type: application/json' \\
         -H @<(python3 scripts/sign-request.py "$body") -d "$body"

The HMAC secret is --secret, else $HMAC_SECRET, else `local-dev-secret`; the JWT secret --secret, else $JWT_SECRET,
else `local-dev-jwt-secret-0123456789abcdef` (both what `make run` configures). A signature is accepted once (replays
are refused) and for five minutes. A token carries `aud` --audience (default `warden-mcp`, the template's McpAudience
that `make run` uses): the MCP endpoint requires it, the participant API checks no audience unless JWT_AUDIENCE is
set."""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("body", nargs="?", help="the exact request body to sign (copilot tools)")
    parser.add_argument("--jwt", metavar="USER", help="print a bearer token for USER instead")
    parser.add_argument("--secret", help="HMAC or JWT secret")
    parser.add_argument("--client", default="copilot-frontend", help="X-Client id (default copilot-frontend)")
    parser.add_argument("--audience", default=os.environ.get("MCP_AUDIENCE") or "warden-mcp",
                        help="the token's aud (default $MCP_AUDIENCE, else warden-mcp: what make run's MCP endpoint requires)")
    args = parser.parse_args()
    if args.jwt:
        secret = args.secret or os.environ.get("JWT_SECRET") or "local-dev-jwt-secret-0123456789abcdef"
        now = int(time.time())
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = b64url(json.dumps({"sub": args.jwt, "iat": now, "exp": now + 600, "role": "authenticated",
                                    "aud": args.audience}).encode())
        sig = b64url(hmac.new(secret.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest())
        print(f"{head}.{claims}.{sig}")
        return
    if args.body is None:
        parser.error("give the request body to sign, or --jwt USER")
    secret = args.secret or os.environ.get("HMAC_SECRET") or "local-dev-secret"
    ts = str(int(time.time() * 1000))
    mac = hmac.new(secret.encode(), f"{ts}.{args.client}.".encode() + args.body.encode(), hashlib.sha256).hexdigest()
    sys.stdout.write(f"X-Timestamp: {ts}\nX-Client: {args.client}\nX-Signature: {mac}\n")


main()
