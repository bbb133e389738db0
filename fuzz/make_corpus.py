#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/corpus/<target>/ from events/ and hand-written edge cases.

Deterministic: run it again after changing events/, docs/openapi.yaml or the cases below (`python3
fuzz/make_corpus.py`; `--out DIR` writes elsewhere, which Tests/e2e/test_fuzz.py uses to check that the committed
corpus is exactly this output). The keys and clock match the fuzz targets' own (fuzz/*/…Fuzz.swift): copilot events
are signed for the event target's secret at its fixed time, so the fuzzer starts from requests that get past the
signature.
"""
import argparse
import base64
import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fuzz" / "corpus"
NOW_MS = 1_700_000_000_000
EVENT_SECRET = b"fuzz-hmac-secret-0123456789abcdef"
SHARED_SECRET = b"fuzz-shared-secret-0123456789abcdef"
JWT_SECRET = b"warden-test-hs256-secret-0123456789abcdef"
COPILOT_TOOLS = ["calculate_health", "generate_email", "generate_qbr_outline", "get_contract_info",
                 "get_customer_usage", "get_recent_tickets"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(target: str, name: str, data):
    path = OUT / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def sign_v1(secret: bytes, ts: str, client: str, body: bytes) -> str:
    return hmac.new(secret, f"{ts}.{client}.".encode() + body, hashlib.sha256).hexdigest()


def dump(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def event_seeds():
    for path in sorted((ROOT / "events").glob("*/*.json")):
        write("event", f"{path.parent.name}-{path.name}", path.read_bytes())
    # Copilot events signed for the target's secret at its clock (they pass the signature, then validate the body).
    for tool in COPILOT_TOOLS:
        for sample in ["public-acme", "owner-hooli"]:
            event = json.loads((ROOT / "events" / tool / f"{sample}.json").read_text())
            body = event["body"].encode()
            ts = str(NOW_MS - 1000)
            headers = dict(event["headers"] or {})
            headers.update({"X-Timestamp": ts, "X-Client": "copilot-frontend",
                            "X-Signature": sign_v1(EVENT_SECRET, ts, "copilot-frontend", body)})
            event["headers"] = headers
            event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
            write("event", f"signed-{tool}-{sample}.json", dump(event))
    rest = {"resource": "/calculate_health", "path": "/calculate_health", "httpMethod": "POST",
            "requestContext": {"stage": "prod", "requestId": "fuzz"}}
    body = b'{"customerId":"acme","params":{"ownerUserId":"user_demo_owner"}}'
    ts = str(NOW_MS)
    signed = {"X-Timestamp": ts, "X-Client": "copilot-frontend",
              "X-Signature": sign_v1(EVENT_SECRET, ts, "copilot-frontend", body)}
    cases = {
        "rest-base64-body": {**rest, "headers": signed, "body": base64.b64encode(body).decode(), "isBase64Encoded": True},
        "rest-base64-unpadded": {**rest, "headers": signed, "body": base64.b64encode(b"{}").decode().rstrip("="),
                                 "isBase64Encoded": True},
        "rest-base64-invalid": {**rest, "body": "e30=x", "isBase64Encoded": True},
        "rest-conflicting-client": {**rest, "headers": signed, "multiValueHeaders": {"x-client": ["other"]},
                                    "body": body.decode()},
        "rest-lowercase-headers": {**rest, "headers": {k.lower(): v for k, v in signed.items()}, "body": body.decode()},
        "rest-preflight": {**rest, "httpMethod": "options", "headers": {"Origin": "http://localhost:3000"}},
        "rest-foreign-origin": {**rest, "headers": {**signed, "Origin": "https://evil.example"}, "body": body.decode()},
        "rest-get": {**rest, "httpMethod": "GET", "headers": signed},
        "rest-text-plain": {**rest, "headers": {**signed, "Content-Type": "text/plain"}, "body": body.decode()},
        "rest-json-charset": {**rest, "headers": {**signed, "content-type": "Application/JSON; charset=utf-8"},
                              "body": body.decode()},
        "rest-too-large": {**rest, "headers": signed, "body": "x" * 2100},
        "rest-stale-timestamp": {**rest, "headers": {**signed, "X-Timestamp": str(NOW_MS - 300_001)},
                                 "body": body.decode()},
        "rest-bad-body": {**rest, "headers": signed, "body": '{"customerId":"","params":[]}'},
        "rest-null-headers": {**rest, "headers": None, "multiValueHeaders": None, "body": None},
        "rest-query": {**rest, "queryStringParameters": {"limit": "5", "cursor": "MTIz"}, "headers": signed},
        "v2-named-stage": {"version": "2.0", "rawPath": "/prod/api/participants", "headers": {"content-type": "application/json"},
                           "requestContext": {"stage": "prod", "http": {"method": "post"}}, "body": "{}"},
        "v2-stage-only": {"version": "2.0", "rawPath": "/prod", "requestContext": {"stage": "prod", "http": {"method": "GET"}}},
        "v2-stage-prefix-word": {"version": "2.0", "rawPath": "/production/x",
                                 "requestContext": {"stage": "prod", "http": {"method": "GET"}}},
        "v2-cookies": {"version": "2.0", "rawPath": "/x", "cookies": ["a=b"], "headers": {"cookie": "a=b"},
                       "requestContext": {"stage": "$default", "http": {"method": "DELETE"}}},
        "not-an-event": {"source": "aws.events", "detail-type": "Scheduled Event"},
    }
    for name, event in cases.items():
        write("event", f"{name}.json", dump(event))
    write("event", "deep.json", "[" * 40 + "]" * 40)
    write("event", "not-json", "httpMethod")


def signature_seeds():
    body = '{"customerId":"acme"}'
    ts = str(NOW_MS)
    raw = sign_v1(SHARED_SECRET, ts, "copilot-frontend", body.encode())
    nonce = "nonce-0123456789abcdef"
    lines = {
        "v1-shared": ["1sh", ts, "copilot-frontend", "", "", "POST", "/calculate_health", body],
        "v1-upper-multi": ["Usm", str(NOW_MS - 299_999), "copilot-frontend", "", "", "POST", "/calculate_health", body],
        "v1-named-rotated-key": ["1nb", ts, "copilot-frontend", "", "", "POST", "/get_contract_info", body + " "],
        "v1-named-v2-only-client": ["1nh", ts, "reports-job", "", "", "POST", "/x", body],
        "v1-unknown-client": ["1nh", ts, "somebody", "", "", "POST", "/x", body],
        "v1-lowercase-names": ["1sl", ts, "copilot-frontend", "", "", "POST", "/x", body],
        "v1-ambiguous": ["1sd", ts, "copilot-frontend", "", "", "POST", "/x", body],
        "v1-tampered": ["xsh", ts, "copilot-frontend", "A", "", "POST", "/x", body],
        "v1-stale": ["1sh", str(NOW_MS + 300_001), "copilot-frontend", "", "", "POST", "/x", body],
        "v1-bad-timestamp": ["1sh", "1.7e12", "copilot-frontend", "", "", "POST", "/x", body],
        "v1-long-client": ["1sh", ts, "c" * 129, "", "", "POST", "/x", body],
        "v1-space-client": ["1sh", ts, "copilot frontend", "", "", "POST", "/x", body],
        "v1-binary-body": ["1sh", ts, "copilot-frontend", "", "", "POST", "/x", "\udcff\udcfe{"],
        "v2-shared": ["2sh", ts, "copilot-frontend", "", nonce, "post", "/calculate_health", body],
        "v2-list": ["2nb", ts, "reports-job", "v2=" + "0" * 64 + " , v2=$", nonce, "POST", "/get_contract_info", body],
        "v2-list-too-long": ["2sh", ts, "a", ",".join(["v2=$"] * 6), nonce, "POST", "/x", body],
        "v2-empty-entry": ["2sh", ts, "a", "v2=$,", nonce, "POST", "/x", body],
        "v2-short-nonce": ["2sh", ts, "copilot-frontend", "", "short", "POST", "/x", body],
        "v2-no-nonce": ["2sh", ts, "copilot-frontend", "", "", "POST", "/x", body],
        "v2-bad-nonce": ["2sh", ts, "copilot-frontend", "", "nonce with spaces 0123", "POST", "/x", body],
        "raw-valid": ["rsh", ts, "copilot-frontend", raw, "", "POST", "/x", body],
        "raw-garbage": ["rsh", ts, "copilot-frontend", "zz" * 32, "", "POST", "/x", body],
        "raw-v2-garbage": ["rsh", ts, "copilot-frontend", "v2=xyz", nonce, "POST", "/x", body],
    }
    for name, fields in lines.items():
        write("signature", name, "\n".join(fields).encode("utf-8", "surrogateescape"))
    keyrings = {
        "keyring-two-clients": {"copilot-frontend": {"keys": ["0123456789abcdef0123", "fedcba9876543210fedc"],
                                                     "schemes": ["v1", "v2"]},
                                "reports-job": {"keys": ["reports-key-0123456789"]}},
        "keyring-short-key": {"a": {"keys": ["short"]}},
        "keyring-bad-scheme": {"a": {"keys": ["0123456789abcdef0123"], "schemes": ["v3"]}},
        "keyring-empty": {},
    }
    for name, doc in keyrings.items():
        write("signature", name, "kxx\n" + dump(doc))
    write("signature", "keyring-duplicate", 'kxx\n{"a":{"keys":["0123456789abcdef0123"]},"a":{"keys":["0123456789abcdef0124"]}}')


def vectors():
    """The fixed tokens and JWKS of Tests/AuthTests/Vectors.swift (their private keys were discarded)."""
    src = (ROOT / "Tests" / "AuthTests" / "Vectors.swift").read_text()
    out = {}
    for match in re.finditer(r"static let (\w+) =\s*\n((?:\s*#\".*?\"#\s*\+?\s*\n)+)", src):
        out[match.group(1)] = "".join(re.findall(r'#"(.*?)"#', match.group(2)))
    return out


def hs256(header, payload) -> str:
    h = header if isinstance(header, str) else dump(header)
    p = payload if isinstance(payload, str) else dump(payload)
    signing_input = b64url(h.encode()) + "." + b64url(p.encode())
    return signing_input + "." + b64url(hmac.new(JWT_SECRET, signing_input.encode(), hashlib.sha256).digest())


def jwt_seeds():
    v = vectors()
    for name in ["hs256Python", "rs256Valid", "rs256NoKid", "rs256OtherKey", "rs256Weak", "rs256EmbeddedJWK",
                 "es256Valid", "es256DER"]:
        write("jwt", f"token-{name}", "t\n" + v[name])
    write("jwt", "jwks-vectors", "k\n" + v["jwks"])
    write("jwt", "jwks-weak-rsa", "k\n" + dump({"keys": [json.loads(v["rsaWeakJWK"])]}))
    write("jwt", "jwks-ec-only", "k\n" + dump({"keys": [{"kty": "EC", "crv": "P-256", "kid": "ec-1", "x": v["ecX"],
                                                          "y": v["ecY"]}]}))
    write("jwt", "jwks-rsa-a-other-kid", "k\n" + dump({"keys": [{"kty": "RSA", "kid": "rsa-b", "n": v["rsaAModulus"],
                                                                  "e": "AQAB"}, {"kty": "RSA", "kid": "rsa-a",
                                                                                 "n": v["rsaAModulus"], "e": "AQAB",
                                                                                 "key_ops": ["verify"]}]}))
    write("jwt", "jwks-not-keys", 'k\n{"keys":{}}')
    claims = {"sub": "user-123", "iss": "https://proj.supabase.co/auth/v1", "aud": "authenticated",
              "exp": 1_700_003_600, "iat": 1_699_999_940, "role": "authenticated", "email": "alice@example.com"}
    header = {"alg": "HS256", "typ": "JWT"}
    harness = {
        "basic": (header, claims),
        "aud-list": (header, {**claims, "aud": ["other", "authenticated"]}),
        "fractional-dates": (header, {**claims, "exp": 1_700_000_000.5, "nbf": 1_700_000_029.9, "iat": 1.7e9}),
        "expired": (header, {**claims, "exp": 1_699_999_970}),
        "not-yet": (header, {**claims, "nbf": 1_700_000_031}),
        "no-sub": (header, {k: x for k, x in claims.items() if k != "sub"}),
        "empty-sub": (header, {**claims, "sub": ""}),
        "wrong-iss": (header, {**claims, "iss": "https://evil.example"}),
        "crit": ({**header, "crit": ["b64"]}, claims),
        "typ-lower": ({**header, "typ": "jwt"}, claims),
        "typ-other": ({**header, "typ": "at+jwt"}, claims),
        "kid-number": ({**header, "kid": 7}, claims),
        "alg-none": ({"alg": "none"}, claims),
        "alg-lower": ({"alg": "hs256"}, claims),
        "alg-rs256": ({"alg": "RS256", "kid": "rsa-a"}, claims),
        "huge-exp": (header, {**claims, "exp": 1e300}),
        "role-number": (header, {**claims, "role": 1}),
    }
    for name, (h, p) in harness.items():
        write("jwt", f"signed-{name}", "h\n" + dump(h) + "\n" + dump(p))
    write("jwt", "signed-duplicate-sub", 'h\n' + dump(header) + '\n{"sub":"a","sub":"b","exp":1700003600}')
    write("jwt", "token-hs256-strict", "t\n" + hs256(header, claims))
    write("jwt", "token-two-dots-only", "t\n..")
    write("jwt", "token-padded", "t\n" + hs256(header, claims) + "=")
    for name, value in {"plain": "Bearer abc.def.ghi", "spaces": "bearer    abc.def.ghi   ", "tab": "Bearer\tabc",
                        "basic": "Basic dXNlcjpwYXNz", "inner-space": "Bearer abc def"}.items():
        write("jwt", f"bearer-{name}", "b\n" + value)
    for name, value in {"plain": "eyJhbGciOiJIUzI1NiJ9", "unused-bits": "QR", "padding": "QQ==", "plus": "a+b/",
                        "len1": "A"}.items():
        write("jwt", f"base64url-{name}", "u\n" + value)
    write("jwt", "sig-64", "s\n" + "A" * 64)
    write("jwt", "sig-256", b"s\n" + bytes(range(256)))


def validation_seeds():
    for tool in COPILOT_TOOLS:
        for path in sorted((ROOT / "events" / tool).glob("*.json")):
            body = json.loads(path.read_text()).get("body")
            if body:
                write("validation", f"copilot-{tool}-{path.stem}", "c\n" + body)
    copilot = {
        "owner-null": '{"customerId":"acme","params":{"ownerUserId":null}}',
        "owner-empty": '{"customerId":"acme","params":{"ownerUserId":""}}',
        "owner-number": '{"customerId":"acme","params":{"ownerUserId":7}}',
        "owner-control": '{"customerId":"acme","params":{"ownerUserId":"a\\u0000b"}}',
        "params-array": '{"customerId":"acme","params":[]}',
        "customer-long": '{"customerId":"' + "a" * 257 + '"}',
        "customer-newline": '{"customerId":"a\\nb"}',
        "duplicate": '{"customerId":"a","customerId":"b"}',
        "deep": '{"customerId":"a","params":' + '{"a":' * 16 + "1" + "}" * 17,
        "unicode": '{"customerId":"caf\\u00e9 \\ud83d\\ude00","params":{"ownerUserId":"user_\\u00fc"}}',
    }
    for name, body in copilot.items():
        write("validation", f"copilot-{name}", "c\n" + body)
    for path in sorted((ROOT / "events" / "mcp").glob("*.json")):
        event = json.loads(path.read_text())
        if event.get("body"):
            write("validation", f"mcp-{path.stem}", "m\n" + event["headers"].get("mcp-protocol-version", "") + "\n"
                  + event["body"])
    call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"generate_email","arguments":%s}}'
    mcp = {
        "call-legacy": ("2025-06-18", call % '{"customerId":"acme"}'),
        "call-extra": ("", call % '{"customerId":"acme","ownerUserId":"x"}'),
        "call-control": ("", call % '{"customerId":"a\\u0000b"}'),
        "batch": ("", "[" + call % '{"customerId":"a"}' + "," + call % '{"customerId":"b"}' + "]"),
        "notification": ("2025-11-25", '{"jsonrpc":"2.0","method":"notifications/initialized"}'),
        "future-version": ("2099-01-01", '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'),
    }
    for name, (version, body) in mcp.items():
        write("validation", f"mcp-{name}", f"m\n{version}\n{body}")
    for path in sorted((ROOT / "events" / "participants").glob("*.json")):
        event = json.loads(path.read_text())
        body = event.get("body")
        if body and path.stem == "create":
            write("validation", "participant-create-event", "p\n" + body)
        elif body and path.stem == "update":
            write("validation", "participant-update-event", "u\n" + body)
        query = event.get("queryStringParameters") or {}
        if query:
            write("validation", f"query-{path.stem}", "q\n" + query.get("limit", "") + "\n" + query.get("cursor", ""))
    base = {"meetingId": "mtg-1", "email": "Jane.Doe@Acme.Example"}
    participants = {
        "minimal": base,
        "dates": {**base, "meetingDateTime": "2026-11-24T15:00:00.123456789+01:00"},
        "date-compact-zone": {**base, "meetingDateTime": "2026-11-24t15:00-0130"},
        "date-leap-second": {**base, "meetingDateTime": "2026-12-31T23:59:60Z"},
        "date-no-zone": {**base, "meetingDateTime": "2026-11-24T15:00:00"},
        "email-two-ats": {**base, "email": "a@b@c.d"},
        "email-dot-end": {**base, "email": "a@b.c."},
        "email-dot-start": {**base, "email": "a@.bc"},
        "blank-meeting": {**base, "meetingId": "   "},
        "unknown-field": {**base, "phone": "1"},
        "flags": {**base, "isOrganizer": True, "isOptional": None},
        "long-title": {**base, "meetingTitle": "t" * 501},
    }
    for name, body in participants.items():
        write("validation", f"participant-{name}", "p\n" + dump(body))
    changes = {
        "clear": {"displayName": None, "responseStatus": None},
        "email": {"email": "NEW@Example.COM"},
        "optional-null": {"isOptional": None},
        "empty": {},
        "unknown": {"meetingId": "x"},
    }
    for name, body in changes.items():
        write("validation", f"change-{name}", "u\n" + dump(body))
    scores = {
        "full": {"query": "kubernetes migration", "industry": "SaaS", "size": "mid", "region": "EMEA", "limit": 50},
        "minimal": {"query": "x"},
        "personal-field": {"query": "x", "first_name": "Ann"},
        "consumer-email": {"query": "contact ann@GMAIL.com. now"},
        "limit-zero": {"query": "x", "limit": 0},
        "limit-float": {"query": "x", "limit": 10.0},
        "blank": {"query": "   "},
        "empty-filter": {"query": "x", "region": ""},
    }
    for name, body in scores.items():
        write("validation", f"score-{name}", "i\n" + dump(body))
    for name, value in {"plain": "20\nMTIz", "zeros": "007\nMA", "max": "999999999999999999\nOTIyMzM3MjAzNjg1NDc3NTgwNw",
                        "padded": "1\nMTIz=", "negative": "-1\nLTE"}.items():
        write("validation", f"query-{name}", "q\n" + value)
    for name, value in {"numbers": "[0,-0,1e308,-1.5e-300,9223372036854775807,9223372036854775808,0.1,1E2]",
                        "strings": '["\\u0000\\ud83d\\ude00\\"\\\\/\\b\\f\\n\\r\\t","caf\u00e9"]',
                        "duplicates": '{"a":1,"a":2,"b":{"c":[]}}', "nested": "[" * 60 + "]" * 60,
                        "scalar": "  true  "}.items():
        write("validation", f"json-{name}", "j\n" + value)


def route_tables():
    """Each HTTP function's routes as docs/openapi.yaml documents them (`METHOD /template`, OPTIONS left out: the
    chain answers preflights before routing), by function."""
    import yaml
    doc = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
    tables = {}
    for template, item in doc["paths"].items():
        for method in ("get", "put", "post", "delete", "patch"):
            op = item.get(method)
            if op and op.get("x-warden-function"):
                tables.setdefault(op["x-warden-function"], []).append(f"{method.upper()} {template}")
    return {fn: sorted(routes) for fn, routes in sorted(tables.items())}


def route_seeds():
    tables = route_tables()
    for fn, routes in tables.items():
        table = "\n".join(routes)
        for i, route in enumerate(routes):
            method, template = route.split(" ", 1)
            path = re.sub(r"\{[^}]+\}", "42", template)
            write("route", f"{fn}-{i}-{method.lower()}", f"h\n{method}\n{path}\n{table}")
            write("route", f"{fn}-{i}-rest", f"r\n{method}\n{path}\n{table}")
            write("route", f"{fn}-{i}-405", f"h\nPATCH\n{path}\n{table}")
            write("route", f"{fn}-{i}-slash", f"h\n{method}\n{path}/\n{table}")
        write("route", f"{fn}-404", f"h\nGET\n/no/such/route\n{table}")
        write("route", f"{fn}-root", f"h\nGET\n/\n{table}")
    participants = "\n".join(tables["participants"])
    cases = {
        "literal-beats-parameter": f"h\nPOST\n/api/participants/enrich\n{participants}",
        "literal-hides-other-method": f"h\nGET\n/api/participants/enrich\n{participants}",
        "double-slash": f"h\nGET\n/api//participants\n{participants}",
        "no-leading-slash": f"h\nGET\napi/participants\n{participants}",
        "lower-case-method": f"h\nget\n/api/participants\n{participants}",
        "options": f"h\nOPTIONS\n/api/participants/7\n{participants}",
        "encoded-segment": f"h\nPUT\n/api/participants/a%2Fb\n{participants}",
        "unicode-segment": "h\nGET\n/api/caf\u00e9\nGET /api/{name}\nGET /api/cafe\u0301",
        "combining-after-slash": "h\nGET\n/api/\u0301x\nGET /api/{id}",
        "same-name-twice": "h\nGET\n/a/1/b/2\nGET /a/{id}/b/{id}",
        "ties-first-wins": "h\nGET\n/x/y\nGET /x/{a}\nGET /{b}/y\nPOST /x/y",
        "empty-braces": "h\nGET\n/x/y\nGET /x/{}\nGET /{/y",
        "empty-table": "h\nGET\n/x\n",
        "options-route": "h\nDELETE\n/x\nOPTIONS /x\nGET /x",
    }
    for name, data in cases.items():
        write("route", name, data)


def apikey_seeds():
    key = "wk_0123456789ab_" + "0123456789abcdef" * 3
    cases = {
        "x-api-key": f"x\n{key}\n",
        "bearer": f"a\nBearer {key}\n",
        "bearer-lower": f"a\nbearer {key}\n",
        "bearer-two-spaces": f"a\nBearer  {key}\n",
        "bearer-jwt": "a\nBearer eyJhbGciOiJIUzI1NiJ9.e30.sig\n",
        "both": f"b\n{key}\nBearer wk_ffffffffffff_{'f' * 48}",
        "both-lower-multi": f"l\n{key}\nBearer {key}",
        "x-api-key-twice-same": f"m\n{key}\n{key}",
        "x-api-key-twice-different": f"m\n{key}\n{key[:-1]}1",
        "authorization-twice": f"z\nBearer {key}\nBearer {key[:-1]}1",
        "upper-hex": f"x\n{key.upper()}\n",
        "short-secret": f"x\n{key[:-1]}\n",
        "extra-part": f"x\n{key}_x\n",
        "empty": "x\n\n",
        "mutate-prefix": "k\n0123456789abcdef\nZ\x05",
        "mutate-secret": "k\n0123456789abcdef\n0\x30",
        "mutate-underscore": "k\n\x00\x01\x02\n-\x0f",
        "roles": "r\nintent:score,participants:read\n",
        "roles-odd": "r\na,,b, c,NULL,x{y}\n",
    }
    for name, data in cases.items():
        write("apikey", name, data)


def idempotency_seeds():
    cases = {
        "key-uuid": "k\n3f1c2a9e-6d1b-4c47-9a5e-0b7f8e2d4c11\n",
        "key-lower-name": "kl\norder-2026-11-24\n",
        "key-empty": "k\n\n",
        "key-255": "k\n" + "k" * 255 + "\n",
        "key-256": "k\n" + "k" * 256 + "\n",
        "key-space-tilde": "k\n ~\n",
        "key-tab": "k\na\tb\n",
        "key-del": "k\na\x7fb\n",
        "key-unicode": "k\ncl\u00e9\n",
        "key-twice-same": "km\nabc\nabc",
        "key-twice-different": "km\nabc\nabd",
        "key-both-layouts": "kb\nabc\nabc",
        "fingerprint-create": 'f\nPOST\n/api/participants\n{"meetingId":"m1","email":"a@b.example"}',
        "fingerprint-v2": 'f2\npost\n/api/participants/7/erase\n',
        "fingerprint-binary": "f\nPUT\n/api/participants/7\n\udcff\udcfe{}",
        "fingerprint-newlines": "f\nPOST\n/a\n3\n/b\nbody",
        "headers-cors": "h\n\n\nContent-Type:application/json\nAccess-Control-Allow-Origin:https://x.example\n"
                        "Vary:Origin\nX-Content-Type-Options:nosniff\n+Idempotency-Replayed:true",
        "headers-override": "h\n\n\nContent-Type:application/json\ncontent-type:text/plain\n+CONTENT-TYPE:a\n+content-type:b\n+X-New:1",
        "headers-duplicates": "h\n\n\nX-A:1\nX-A:2\nx-a:3\n+X-B:4",
        "headers-unicode": "h\n\n\n\u00c9tag:1\nE\u0301tag:2\n+\u212a:kelvin\n+k:x",
    }
    for name, data in cases.items():
        write("idempotency", name, data.encode("utf-8", "surrogateescape"))


def v2sign_seeds():
    body = '{"customerId":"acme","params":{"ownerUserId":"user_demo_owner"}}'
    base = ["POST", "/calculate_health", "nonce-0123456789abcdef", "copilot-frontend", "300000", body]
    for change in "mptznbcskxd6eurL-":
        for layout in "hmlb":
            fields = list(base)
            if layout == "m":
                fields[1] = "/api/participants/7/erase"
                fields[5] = ""
            if layout == "l":
                fields[0] = "put"
                fields[4] = "0"
            if layout == "b":
                fields[4] = "600000"
                fields[5] = "\udcff\udcfe"
            name = {"-": "none", "6": "six"}.get(change, change)
            write("v2sign", f"{name}-{layout}", "\n".join([change + layout, *fields]).encode("utf-8", "surrogateescape"))


def main():
    global OUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the corpora (default fuzz/corpus)")
    OUT = parser.parse_args().out
    if OUT.exists():
        shutil.rmtree(OUT)
    event_seeds()
    signature_seeds()
    jwt_seeds()
    validation_seeds()
    route_seeds()
    apikey_seeds()
    idempotency_seeds()
    v2sign_seeds()
    for target in sorted(p.name for p in OUT.iterdir()):
        print(f"{target}: {len(list((OUT / target).iterdir()))} seeds")


if __name__ == "__main__":
    main()
