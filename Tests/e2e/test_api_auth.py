"""The shared HTTP API chain: bearer JWTs (HS256, RS256 via JWKS) scoped to the user's organization, API keys
with roles per route and immediate revocation — through a real function binary, the emulator and Postgres."""
import hashlib
import json
import subprocess
import time
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from conftest import ROOT, WARDEN, Emulator, b64url, hs256_jwt, snapshot

TESTAPI = ROOT / ".build" / "debug" / "warden-testapi"
JWT_SECRET = "supabase-project-jwt-secret-0123456789abcdef"
ISSUER = "https://project.supabase.co/auth/v1"


def hs256(claims, secret=JWT_SECRET, header=None):
    return hs256_jwt(claims, secret, header)


def claims(sub, **extra):
    now = int(time.time())
    return {"sub": sub, "iss": ISSUER, "aud": "authenticated", "iat": now, "exp": now + 600, "role": "authenticated", **extra}


def http_event(method, path, headers=None, body=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in (headers or {}).items()},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": body, "isBase64Encoded": False}


def call(fn, method, path, headers=None, body=None):
    _, _, out = fn.invoke(http_event(method, path, headers, body))
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"]) if resp["body"] else None


@pytest.fixture(scope="module")
def orgs(db):
    cur = db.cursor()
    users = {"user_alice": "org_acme", "user_bob": "org_globex"}
    for user, org in users.items():
        cur.execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s) "
                    "ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id", (user, org))
    return users


@pytest.fixture(scope="module")
def rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
           "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")), "e": b64url(numbers.e.to_bytes(3, "big"))}
    return key, {"keys": [jwk]}


@pytest.fixture(scope="module")
def api(orgs, function_url, rsa_key, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api")
    base = {"DATABASE_URL": function_url, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": "authenticated"}
    hs = Emulator(TESTAPI, tmp_path=tmp, name="testapi", env={**base, "JWT_SECRET": JWT_SECRET})
    rs = Emulator(TESTAPI, tmp_path=tmp, name="testapi-jwks", env={**base, "JWT_JWKS": json.dumps(rsa_key[1])})
    yield hs, rs
    hs.stop()
    rs.stop()


def rs256(key, payload, kid="k1"):
    h = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    p = b64url(json.dumps(payload).encode())
    sig = key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{h}.{p}.{b64url(sig)}"


def test_a_valid_token_is_scoped_to_the_users_organization(api):
    hs, _ = api
    for user, org in (("user_alice", "org_acme"), ("user_bob", "org_globex")):
        status, env = call(hs, "GET", "/api/whoami", {"Authorization": f"Bearer {hs256(claims(user))}"})
        assert status == 200 and env["data"] == {"subject": user, "organization": org}
    status, env = call(hs, "GET", "/api/items/42", {"Authorization": f"Bearer {hs256(claims('user_bob'))}"})
    assert env["data"] == {"id": "42", "organization": "org_globex"}


def test_rs256_from_a_jwks(api, rsa_key):
    _, rs = api
    status, env = call(rs, "GET", "/api/whoami", {"Authorization": f"Bearer {rs256(rsa_key[0], claims('user_alice'))}"})
    assert status == 200 and env["data"]["organization"] == "org_acme"


def bad_tokens(rsa_key):
    now = int(time.time())
    pem = rsa_key[0].public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    none_header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return {
        "expired": ("hs", hs256(claims("user_alice", exp=now - 120, iat=now - 900))),
        "not yet valid": ("hs", hs256(claims("user_alice", nbf=now + 600))),
        "issued in the future": ("hs", hs256(claims("user_alice", iat=now + 600))),
        "wrong secret": ("hs", hs256(claims("user_alice"), secret="another-secret-0123456789abcdef-xyz")),
        "alg none": ("hs", f"{none_header}.{b64url(json.dumps(claims('user_alice')).encode())}."),
        "wrong issuer": ("hs", hs256(claims("user_alice", iss="https://evil.example/auth"))),
        "wrong audience": ("hs", hs256(claims("user_alice", aud="service_role"))),
        "no subject": ("hs", hs256({k: v for k, v in claims("user_alice").items() if k != "sub"})),
        "tampered payload": ("hs", (lambda t: t.split(".")[0] + "." + b64url(json.dumps(claims("user_bob")).encode()) + "." + t.split(".")[2])(hs256(claims("user_alice")))),
        "garbage": ("hs", "not.a.jwt"),
        "HS256 signed with the RSA public key (algorithm confusion)": ("rs", hs256(claims("user_alice"), secret=pem)),
        "RS256 signed by another key": ("rs", rs256(other, claims("user_alice"))),
        "RS256 with an unknown kid": ("rs", rs256(rsa_key[0], claims("user_alice"), kid="k9")),
        "HS256 on a JWKS-only function": ("rs", hs256(claims("user_alice"))),
    }


def test_bad_tokens_are_refused(api, rsa_key, db):
    hs, rs = api
    before = snapshot(db)
    for name, (which, token) in bad_tokens(rsa_key).items():
        status, env = call(hs if which == "hs" else rs, "GET", "/api/whoami", {"Authorization": f"Bearer {token}"})
        assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED"), name
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
        assert call(hs, "GET", "/api/whoami", headers)[0] == 401
    assert snapshot(db) == before


def test_a_user_without_an_organization_is_forbidden(api):
    hs, _ = api
    status, env = call(hs, "GET", "/api/whoami", {"Authorization": f"Bearer {hs256(claims('user_nobody'))}"})
    assert (status, env["error"]["code"]) == (403, "FORBIDDEN")


def test_routes_and_methods(api):
    hs, _ = api
    token = {"Authorization": f"Bearer {hs256(claims('user_alice'))}"}
    assert call(hs, "GET", "/api/nothing-here", token)[1]["error"]["code"] == "NOT_FOUND"
    assert call(hs, "DELETE", "/api/whoami", token)[1]["error"]["code"] == "METHOD_NOT_ALLOWED"


def mint(database_url, tenant, roles):
    return subprocess.run([str(WARDEN), "apikey", "create", "--tenant", tenant, "--roles", roles, "--database-url",
                           database_url], check=True, capture_output=True, text=True).stdout.strip()


def test_api_keys_roles_and_revocation(api, db, database_url):
    hs, _ = api
    reader = mint(database_url, "org_acme", "things:read")
    writer = mint(database_url, "org_globex", "things:read,things:write")
    assert reader.startswith("wk_") and len(reader) == 64
    status, env = call(hs, "GET", "/v1/things", {"X-API-Key": reader})
    assert status == 200 and env["data"] == {"tenant": "org_acme", "roles": ["things:read"]}
    # Roles are checked per route.
    status, env = call(hs, "POST", "/v1/things", {"Authorization": f"Bearer {reader}", "Content-Type": "application/json"}, '{"name":"x"}')
    assert (status, env["error"]["code"]) == (403, "FORBIDDEN")
    status, env = call(hs, "POST", "/v1/things", {"Authorization": f"Bearer {writer}", "Content-Type": "application/json"}, '{"name":"x"}')
    assert status == 201 and env["data"] == {"created": "x"}
    # Only a hash is stored.
    cur = db.cursor()
    cur.execute("SELECT prefix, encode(secret_hash, 'hex') FROM api_keys WHERE prefix = %s", (reader.split("_")[1],))
    prefix, stored = cur.fetchone()
    assert stored == hashlib.sha256(reader.encode()).hexdigest() and reader.split("_")[2] not in stored
    # Tampered, unknown and malformed keys.
    before = snapshot(db)
    for bad in (reader[:-1] + ("0" if reader[-1] != "0" else "1"), "wk_000000000000_" + "0" * 48, "wk_short", reader + "x"):
        assert call(hs, "GET", "/v1/things", {"X-API-Key": bad})[0] == 401
        status, env = call(hs, "POST", "/v1/things", {"X-API-Key": bad, "Content-Type": "application/json"}, '{"name":"x"}')
        assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    assert snapshot(db) == before
    # Revocation is effective on the next call.
    out = subprocess.run([str(WARDEN), "apikey", "revoke", prefix, "--database-url", database_url], check=True,
                         capture_output=True, text=True).stdout
    assert "revoked" in out
    status, env = call(hs, "GET", "/v1/things", {"X-API-Key": reader})
    assert (status, env["error"]["code"]) == (401, "UNAUTHORIZED")
    # A JWT is no key, and a key is no JWT.
    assert call(hs, "GET", "/v1/things", {"Authorization": f"Bearer {hs256(claims('user_alice'))}"})[0] == 401
    assert call(hs, "GET", "/api/whoami", {"Authorization": f"Bearer {writer}"})[0] == 401


def test_no_token_or_key_in_any_log_line(api, rsa_key, database_url):
    hs, rs = api
    key = mint(database_url, "org_acme", "things:read")
    token = hs256(claims("user_alice", email="alice@example.com"))
    call(hs, "GET", "/api/whoami", {"Authorization": f"Bearer {token}"})
    call(hs, "GET", "/v1/things", {"X-API-Key": key})
    text = hs.output() + rs.output()
    for value in (token, token.split(".")[2], key, key.split("_")[2], JWT_SECRET, "alice@example.com"):
        assert value not in text


PARTICIPANTS = ROOT / "dist" / "participants" / "bootstrap"
EXPORT = ROOT / "dist" / "participant_export" / "bootstrap"
LEEWAY_TABLES = ["organization_members", "api_keys", "meeting_participants"]


def participants_fn(tmp_path, function_url, name, **env):
    return Emulator(PARTICIPANTS, tmp_path=tmp_path, name=name,
                    env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_ISSUER": ISSUER,
                         "JWT_AUDIENCE": "authenticated", **env})


def test_the_clock_leeway_is_a_setting(orgs, function_url, db, tmp_path):
    """Red-team finding (issue 14): the leeway for `exp`, `nbf` and `iat` is `JWT_CLOCK_LEEWAY_SECONDS` (default
    30 s). A token that expired 10 s ago, or becomes valid in 10 s, passes with 30 and is refused with 0 — through
    the packaged participants bootstrap, on a route that writes, so a refusal provably changes nothing."""
    now = int(time.time())
    expired = hs256(claims("user_alice", exp=now - 10, iat=now - 600))
    early = hs256(claims("user_alice", nbf=now + 10))
    fresh = hs256(claims("user_alice"))

    def create(fn, token):
        body = json.dumps({"meetingId": f"mtg_leeway_{uuid.uuid4().hex[:8]}", "email": "leeway@acme.example"})
        return call(fn, "POST", "/api/participants", {"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"}, body)

    for setting in (None, "30"):
        fn = participants_fn(tmp_path, function_url, "participants-leeway",
                             **({"JWT_CLOCK_LEEWAY_SECONDS": setting} if setting else {}))
        try:
            for token in (expired, early):
                status, env = create(fn, token)
                assert status == 201 and env["data"]["organizationId"] == "org_acme", (setting, env)
        finally:
            fn.stop()
    fn = participants_fn(tmp_path, function_url, "participants-no-leeway", JWT_CLOCK_LEEWAY_SECONDS="0")
    try:
        before = snapshot(db, LEEWAY_TABLES)
        for token in (expired, early):
            status, env = create(fn, token)
            assert (status, env["ok"], env["data"], env["error"]) == (401, False, None, {
                "code": "UNAUTHORIZED", "message": "Missing, invalid or expired token."}), env
        assert snapshot(db, LEEWAY_TABLES) == before
        assert create(fn, fresh)[0] == 201
    finally:
        fn.stop()


@pytest.mark.parametrize("value", ["-1", "301", "1000", "30s", "1e2", "+30", " 30", "3.5", "thirty", "\uff13\uff10"])
def test_an_invalid_clock_leeway_fails_initialization(orgs, function_url, db, tmp_path, value):
    """Never a silent fallback: the function does not start, and says which setting is wrong (not its value)."""
    for bootstrap, name in ((PARTICIPANTS, "participants-bad-leeway"), (EXPORT, "participant_export-bad-leeway")):
        fn = Emulator(bootstrap, tmp_path=tmp_path, name=name,
                      env={"DATABASE_URL": function_url, "JWT_SECRET": JWT_SECRET, "JWT_CLOCK_LEEWAY_SECONDS": value})
        try:
            before = snapshot(db, LEEWAY_TABLES)
            _, _, out = fn.invoke(http_event("GET", "/api/participants/export" if bootstrap == EXPORT else "/api/participants",
                                             {"Authorization": f"Bearer {hs256(claims('user_alice'))}"}))
            error = json.loads(out)
            assert error["errorType"] == "Runtime.ConfigurationError", (name, error)
            assert error["errorMessage"] == \
                "Configuration error: JWT_CLOCK_LEEWAY_SECONDS must be a whole number of seconds from 0 to 300"
            assert snapshot(db, LEEWAY_TABLES) == before
        finally:
            fn.stop()
