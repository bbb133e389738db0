"""Rotation under load, through the real packaged bootstraps and the emulator.

1. The functions' Postgres password: `ALTER ROLE … PASSWORD` in a cluster of the test's own, then the new value in
   moto's SSM Parameter Store (a URL) and Secrets Manager (the JSON RDS rotation writes). Every function kind — a
   copilot tool, the participant and intent APIs, the streamed export, the enrichment worker, retention — follows it:
   at once when Postgres refuses a login made with the cached value (the connections are cut after the rotation, as a
   failover or an idle cut would), and within `SECRETS_TTL_SECONDS` when nothing forces a new login.
2. The signing keys behind `JWT_JWKS_URL`: a JWKS server on 127.0.0.1 publishes a new key, the issuer starts signing
   with it, the old key is withdrawn. Old and new tokens pass while both are published; a withdrawn key is refused
   once the function has fetched the document without it; a failing JWKS URL never makes a cached key unusable;
   tokens naming unknown keys refetch at most once per cooldown.

Meanwhile a steady stream of correct requests runs on a thread per function: not one of them may fail. Every wait is
a poll with a deadline on something observable (responses, fetches the JWKS server saw, sessions in
`pg_stat_activity`), never a fixed sleep. `WARDEN_ROTATION_DIST` points the tests at other packaged bootstraps (e.g.
an older commit's, to see them fail)."""
import json
import os
import subprocess
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import (HANG_GUARD, PG_BIN, ROOT, WARDEN, Emulator, b64url, connect, hs256_token, rest_event, sign,
                      wait_for)
from test_participant_export import event as url_event
from test_participant_export import invoke_stream
from test_secrets import Moto

DIST = Path(os.environ.get("WARDEN_ROTATION_DIST") or ROOT / "dist")
JWT_SECRET = "rotation-e2e-jwt-secret-0123456789abcdef"
REFUSED_LOGIN = "the server refused the login made with the cached database secret"
SCHEDULED = json.loads((ROOT / "events" / "enrichment_worker" / "scheduled.json").read_text())


def bootstrap(name):
    return DIST / name / "bootstrap"


def hs256(sub):
    return hs256_token(sub, JWT_SECRET, aud="authenticated", role=None)


def http_event(method, path, headers=None, body=None):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in (headers or {}).items()},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                               "requestId": uuid.uuid4().hex, "stage": "$default"},
            "body": body, "isBase64Encoded": False}


# --- a steady load ----------------------------------------------------------------------------------------------

class Load:
    """Calls each function in a loop on a thread of its own and records every outcome as (phase, ok, detail). A call
    returns (ok, detail); an exception counts as a failure. `pause()` returns once no call is in flight."""

    def __init__(self, calls):
        self.calls = calls
        self.results = {name: [] for name in calls}
        self.phase = "warm-up"
        self.paused = False
        self.stopped = False
        self.inflight = 0
        self.cond = threading.Condition()
        self.threads = [threading.Thread(target=self._run, args=(name,), daemon=True) for name in calls]
        for t in self.threads:
            t.start()

    def _run(self, name):
        call = self.calls[name]
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.stopped or not self.paused)
                if self.stopped:
                    return
                self.inflight += 1
                phase = self.phase
            try:
                ok, detail = call()
            except Exception as e:  # noqa: BLE001 - any failure of a correct request is what this test looks for
                ok, detail = False, repr(e)[:300]
            with self.cond:
                self.inflight -= 1
                self.results[name].append((phase, ok, detail))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return {name: len(r) for name, r in self.results.items()}

    def wait_for_successes(self, since, count, what, timeout=HANG_GUARD):
        """Waits until every function has `count` successful calls after `since` (a `mark()`); fails at once, with
        the failures, when any call has failed."""
        def done():
            return all(sum(1 for _, ok, _ in self.results[name][since[name]:] if ok) >= count for name in self.calls)
        with self.cond:
            finished = self.cond.wait_for(lambda: self._failed() or done(), timeout)
            assert not self._failed(), f"correct requests failed while waiting for {what}: {self.failures()}"
            assert finished, f"hung: {what} (calls and successes so far: {self.summary()})"

    def _failed(self):
        return any(not ok for r in self.results.values() for _, ok, _ in r)

    def enter(self, phase):
        with self.cond:
            self.phase = phase

    def pause(self):
        with self.cond:
            self.paused = True
            assert self.cond.wait_for(lambda: self.inflight == 0, HANG_GUARD), "hung: calls still in flight"

    def resume(self):
        with self.cond:
            self.paused = False
            self.cond.notify_all()

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        for t in self.threads:
            t.join(60)

    def summary(self):
        return {name: (len(r), sum(1 for _, ok, _ in r if ok)) for name, r in self.results.items()}

    def failures(self):
        """{function: the first few (phase, detail) of its failed calls}."""
        return {name: [(phase, detail) for phase, ok, detail in r if not ok][:3] for name, r in self.results.items()
                if any(not ok for _, ok, _ in r)}


# --- database rotation --------------------------------------------------------------------------------------------

def cluster_rows(cluster, sql):
    """Rows of `sql` run as the cluster's superuser (psql, unaligned, `|` between columns)."""
    out = subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "psql"), "-h", str(cluster.dir), "-p",
                          str(cluster.port), "-U", "postgres", "-d", "warden", "-v", "ON_ERROR_STOP=1", "-At",
                          "-F", "|", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def app_sessions(cluster):
    """{pid: application_name} of the functions' role's sessions."""
    return {int(pid): name for pid, name in
            cluster_rows(cluster, "SELECT pid, application_name FROM pg_stat_activity WHERE usename = 'warden_app'")}


def function_url(cluster, password, application_name=None):
    query = "sslmode=disable" + (f"&application_name={application_name}" if application_name else "")
    return f"postgresql://warden_app:{urllib.parse.quote(password, safe='')}@127.0.0.1:{cluster.port}/warden?{query}"


def rds_secret(cluster, password):
    return json.dumps({"username": "warden_app", "password": password, "host": "127.0.0.1", "port": cluster.port,
                       "dbname": "warden", "engine": "postgres", "sslmode": "disable"})


class Fleet:
    """The six function kinds on one database, each reading its database secret from moto: `ssm` ones from an SSM
    parameter of their own (a URL naming the function as `application_name`), `secretsmanager` ones from a secret of
    their own (RDS JSON, or with `url_secrets` the URL form)."""

    SSM = ("calculate_health", "intent", "enrichment_worker")
    SECRETS_MANAGER = ("participants", "participant_export", "retention")

    def __init__(self, cluster, moto, tmp_path, ttl_seconds, url_secrets=False):
        self.cluster, self.moto, self.url_secrets = cluster, moto, url_secrets
        self.password = "app-pw"  # PrivateCluster's
        self.ssm, self.sm = moto.client("ssm"), moto.client("secretsmanager")
        self.org, self.user = f"org_rot_{uuid.uuid4().hex[:8]}", f"user_rot_{uuid.uuid4().hex[:8]}"
        owner = connect(cluster.owner_url)
        owner.autocommit = True
        owner.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)",
                               (self.user, self.org))
        owner.close()
        self.api_key = subprocess.run([str(WARDEN), "apikey", "create", "--tenant", self.org, "--roles", "intent:score",
                                       "--database-url", cluster.owner_url], check=True, capture_output=True,
                                      text=True).stdout.strip()
        self.arns = {}
        self.store()
        self.functions = {}
        try:
            for name in self.SSM + self.SECRETS_MANAGER:
                env = moto.function_env(SECRETS_TTL_SECONDS=str(ttl_seconds), HMAC_SECRET=JWT_SECRET,
                                        JWT_SECRET=JWT_SECRET, RATE_LIMIT_PER_MINUTE="0")
                if name in self.SSM:
                    env["DATABASE_URL_PARAM_NAME"] = self.parameter(name)
                else:
                    env["DATABASE_SECRET_ARN"] = self.arns[name]
                self.functions[name] = Emulator(bootstrap(name), tmp_path=tmp_path, name=name, env=env, timeout=10)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def parameter(name):
        return f"/warden/rotation/{name}/database-url"

    def store(self):
        """Writes the current password into every function's parameter or secret."""
        for name in self.SSM:
            self.ssm.put_parameter(Name=self.parameter(name), Type="SecureString", Overwrite=True,
                                   Value=function_url(self.cluster, self.password, f"rot-{name}"))
        for name in self.SECRETS_MANAGER:
            value = (function_url(self.cluster, self.password, f"rot-{name}") if self.url_secrets
                     else rds_secret(self.cluster, self.password))
            if name in self.arns:
                self.sm.put_secret_value(SecretId=self.arns[name], SecretString=value)
            else:
                self.arns[name] = self.sm.create_secret(Name=f"warden/rotation/{name}", SecretString=value)["ARN"]

    def rotate(self):
        """The order of a single-user rotation: the database first, then the store (sessions already open keep
        working in between; the functions keep serving from them)."""
        self.password = f"rotated-{uuid.uuid4().hex}"
        self.cluster.psql(f"ALTER ROLE warden_app PASSWORD '{self.password}'")
        self.store()

    def calls(self):
        fns = self.functions

        def copilot():
            body = json.dumps({"customerId": "rotation-co"})
            _, _, out = fns["calculate_health"].invoke(rest_event("calculate_health", body, sign(body, secret=JWT_SECRET)))
            resp = json.loads(out)
            return resp["statusCode"] == 200 and json.loads(resp["body"])["ok"] is True, out[:300]

        def participants():
            ev = http_event("GET", "/api/participants", {"Authorization": f"Bearer {hs256(self.user)}"})
            _, _, out = fns["participants"].invoke(ev)
            return json.loads(out)["statusCode"] == 200, out[:300]

        def intent():
            ev = http_event("POST", "/v1/intent/score", {"X-API-Key": self.api_key, "Content-Type": "application/json"},
                            json.dumps({"query": "kubernetes migration"}))
            _, _, out = fns["intent"].invoke(ev)
            return json.loads(out)["statusCode"] == 200, out[:300]

        def export():
            result = invoke_stream(fns["participant_export"],
                                   url_event(headers={"Authorization": f"Bearer {hs256(self.user)}"}), timeout=30)
            return result.code == 200 and not result.trailers, result.raw[:300]

        def worker():
            status, headers, out = fns["enrichment_worker"].invoke(SCHEDULED)
            failed = any(k.lower() == "x-amz-function-error" for k in headers)
            return status == 200 and not failed and json.loads(out)["ok"] is True, out[:300]

        def retention():
            now = (datetime.now(timezone.utc) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
            ev = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                  "account": "123456789012", "time": now, "region": "us-east-1", "resources": [], "detail": {}}
            status, headers, out = fns["retention"].invoke(ev)
            failed = any(k.lower() == "x-amz-function-error" for k in headers)
            return status == 200 and not failed and json.loads(out)["ok"] is True, out[:300]

        return {"calculate_health": copilot, "participants": participants, "intent": intent,
                "participant_export": export, "enrichment_worker": worker, "retention": retention}

    def outputs(self):
        return {name: fn.output() for name, fn in self.functions.items()}

    def stop(self):
        for fn in self.functions.values():
            fn.stop()


@pytest.fixture
def fleet_parts(private_cluster, tmp_path):
    moto = Moto()
    fleets = []
    yield private_cluster, moto, tmp_path, fleets
    for fleet in fleets:
        fleet.stop()
    moto.stop()


def test_every_function_follows_a_rotated_database_password_at_once(fleet_parts):
    """With a long TTL (300 s) nothing but a refused login can make a function read its secret again: after the
    rotation the sessions are cut, each function's next login with the cached password is refused (28P01), the
    secret is refetched at once, and the call succeeds with the new password — one refused login per function, no
    failed request."""
    cluster, moto, tmp_path, fleets = fleet_parts
    fleet = Fleet(cluster, moto, tmp_path, ttl_seconds=300)
    fleets.append(fleet)
    old_password = fleet.password
    load = Load(fleet.calls())
    try:
        load.wait_for_successes(load.mark(), 3, "every function to serve before the rotation")
        load.enter("rotated")
        fleet.rotate()
        load.wait_for_successes(load.mark(), 3, "every function to serve after the rotation, on its open session")

        load.pause()
        cluster_rows(cluster, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'warden_app'")
        wait_for(lambda: not app_sessions(cluster), "the functions' sessions to end")
        load.enter("sessions cut")
        load.resume()
        load.wait_for_successes(load.mark(), 3, "every function to serve after its sessions were cut")
    finally:
        load.stop()
    assert not load.failures(), f"correct requests failed: {load.failures()}"
    # Cause: each function logged in again with the new password after exactly one refused login.
    sessions = app_sessions(cluster)
    assert {f"rot-{name}" for name in Fleet.SSM} <= set(sessions.values()), sessions
    for name, log in fleet.outputs().items():
        assert log.count(REFUSED_LOGIN) == 1, f"{name}: {log.count(REFUSED_LOGIN)} refused logins logged\n{log[-3000:]}"
        for secret in (old_password, fleet.password, urllib.parse.quote(fleet.password, safe="")):
            assert secret not in log, f"{name} logged a password"


def test_every_function_picks_up_a_rotated_database_secret_within_the_ttl(fleet_parts):
    """With a 1 s TTL and no session cut, each function reads the rotated secret on its own, drops the session made
    with the old password and logs in with the new one — no login is ever refused, no request fails."""
    cluster, moto, tmp_path, fleets = fleet_parts
    fleet = Fleet(cluster, moto, tmp_path, ttl_seconds=1, url_secrets=True)
    fleets.append(fleet)
    names = set(fleet.functions)
    load = Load(fleet.calls())
    try:
        load.wait_for_successes(load.mark(), 3, "every function to serve before the rotation")
        before = app_sessions(cluster)
        assert {f"rot-{name}" for name in names} <= set(before.values()), before
        load.enter("rotated")
        fleet.rotate()

        def reconnected():
            now = app_sessions(cluster)
            fresh = {app for pid, app in now.items() if pid not in before}
            stale = {app for pid, app in now.items() if pid in before}
            return {f"rot-{name}" for name in names} <= fresh and not stale
        wait_for(reconnected, "every function to log in again with the rotated secret")
        load.wait_for_successes(load.mark(), 3, "every function to serve on its new session")
    finally:
        load.stop()
    assert not load.failures(), f"correct requests failed: {load.failures()}"
    for name, log in fleet.outputs().items():
        assert REFUSED_LOGIN not in log, f"{name} had a login refused: the TTL should have picked the secret up"


def test_an_unreachable_secret_store_never_stops_an_open_session(fleet_parts):
    """moto goes away under load, with a 1 s TTL: each function serves on from its open session — first from the
    cached secret (one more TTL), then, once the store counts as failed, without it — and says so in a warning that
    names the secret, never its value."""
    cluster, moto, tmp_path, fleets = fleet_parts
    fleet = Fleet(cluster, moto, tmp_path, ttl_seconds=1)
    fleets.append(fleet)
    load = Load(fleet.calls())
    try:
        load.wait_for_successes(load.mark(), 3, "every function to serve with the store up")
        load.enter("store down")
        moto.stop()
        outputs = fleet.functions
        wait_for(lambda: all("the database secret could not be read" in fn.output() for fn in outputs.values()),
                 lambda: f"every function to find the store unreachable: {load.summary()}")
        load.wait_for_successes(load.mark(), 3, "every function to serve on without the store")
    finally:
        load.stop()
    assert not load.failures(), f"correct requests failed: {load.failures()}"
    for name, log in fleet.outputs().items():
        assert fleet.password not in log and REFUSED_LOGIN not in log, name


# --- signing keys -------------------------------------------------------------------------------------------------

class SigningKey:
    """An issuer's key pair (RS256 or ES256) with its public JWK."""

    def __init__(self, kid, alg="RS256"):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            n = self.key.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "kid": kid, "alg": alg, "use": "sig",
                        "n": b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")), "e": b64url(n.e.to_bytes(3, "big"))}
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            n = self.key.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "kid": kid, "alg": alg, "use": "sig",
                        "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}

    def token(self, sub, kid=None):
        now = int(time.time())
        h = b64url(json.dumps({"alg": self.alg, "typ": "JWT", "kid": kid or self.kid}).encode())
        p = b64url(json.dumps({"sub": sub, "aud": "authenticated", "role": "authenticated", "iat": now,
                               "exp": now + 600}).encode())
        data = f"{h}.{p}".encode()
        if self.alg == "RS256":
            sig = self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{h}.{p}.{b64url(sig)}"


class JWKSServer:
    """An issuer's JWKS endpoint on 127.0.0.1: `GET /<name>/jwks.json` answers `document` (or, by `mode`, a 500 or
    a page that is no JWKS); every GET is counted per name."""

    def __init__(self):
        self.document = {"keys": []}
        self.mode = "ok"
        self.fetches = {}
        self.cond = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                name = self.path.strip("/").split("/")[0]
                with outer.cond:
                    mode, document = outer.mode, json.dumps(outer.document).encode()
                    outer.fetches[name] = outer.fetches.get(name, 0) + 1
                    outer.cond.notify_all()
                status, body = {"ok": (200, document), "500": (500, b'{"message":"internal"}'),
                                "garbage": (200, b"<html>maintenance</html>")}[mode]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}/jwks.json"

    def publish(self, *keys, mode="ok"):
        with self.cond:
            self.document = {"keys": [k.jwk for k in keys]}
            self.mode = mode

    def set_mode(self, mode):
        with self.cond:
            self.mode = mode

    def count(self, name):
        with self.cond:
            return self.fetches.get(name, 0)

    def close(self):
        self.server.shutdown()


@pytest.fixture
def issuer():
    server = JWKSServer()
    yield server
    server.close()


@pytest.fixture
def member(db):
    """A user of an organization of this test's own."""
    user, org = f"user_jwks_{uuid.uuid4().hex[:8]}", f"org_jwks_{uuid.uuid4().hex[:8]}"
    db.cursor().execute("INSERT INTO organization_members (user_id, organization_id) VALUES (%s, %s)", (user, org))
    yield user
    db.cursor().execute("DELETE FROM organization_members WHERE user_id = %s", (user,))


def jwks_function(name, issuer, function_url, tmp_path, **env):
    base = {"DATABASE_URL": function_url, "JWT_SECRET": "", "JWT_JWKS": "", "JWT_JWKS_URL": issuer.url(name),
            "RATE_LIMIT_PER_MINUTE": "0"}
    return Emulator(bootstrap(name), tmp_path=tmp_path, name=name, env={**base, **env}, timeout=10)


def list_participants(fn, token):
    _, _, out = fn.invoke(http_event("GET", "/api/participants", {"Authorization": f"Bearer {token}"}))
    resp = json.loads(out)
    return resp["statusCode"], json.loads(resp["body"])


@pytest.fixture
def emulators():
    """Emulators a test starts (`start(name, …)`), stopped when it ends, however it ends."""
    started = []
    yield started
    for fn in started:
        fn.stop()


def test_signing_keys_rotate_under_load_with_an_overlap(issuer, member, function_url, tmp_path, emulators):
    """Key A, then A and B published (the issuer signs with both while tokens of A are still in use), then B alone.
    The first token of B makes each function refetch at once; no correct request fails; A is refused once the
    function has fetched the document without it."""
    a, b, c = SigningKey("key-a"), SigningKey("key-b", "ES256"), SigningKey("key-c")
    issuer.publish(a)
    fns = {name: jwks_function(name, issuer, function_url, tmp_path, JWT_JWKS_COOLDOWN_SECONDS="1")
           for name in ("participants", "participant_export")}
    emulators.extend(fns.values())
    signing = {"keys": [a]}
    turns = {name: 0 for name in fns}

    def token(name):
        """The next token of function `name`'s caller: its calls take the keys being signed with in turn."""
        keys = signing["keys"]
        turns[name] += 1
        return keys[turns[name] % len(keys)].token(member)

    def participants():
        status, body = list_participants(fns["participants"], token("participants"))
        return status == 200, body

    def export():
        headers = {"Authorization": f"Bearer {token('participant_export')}"}
        result = invoke_stream(fns["participant_export"], url_event(headers=headers))
        return result.code == 200 and not result.trailers, result.raw[:300]

    load = Load({"participants": participants, "participant_export": export})
    try:
        load.wait_for_successes(load.mark(), 3, "tokens of key A to pass")
        assert {name: issuer.count(name) for name in fns} == {"participants": 1, "participant_export": 1}

        load.enter("A and B published")
        issuer.publish(a, b)
        load.wait_for_successes(load.mark(), 3, "tokens of key A to pass while B is published")
        load.enter("signing with A and B")
        signing["keys"] = [a, b]
        load.wait_for_successes(load.mark(), 6, "tokens of both keys to pass")
        # Each function fetched again for B's unknown kid, once, well within the TTL (600 s).
        assert {name: issuer.count(name) for name in fns} == {"participants": 2, "participant_export": 2}

        load.enter("A withdrawn")
        signing["keys"] = [b]
        issuer.publish(b)
        load.wait_for_successes(load.mark(), 3, "tokens of key B to pass after A was withdrawn")
    finally:
        load.stop()
    assert not load.failures(), f"correct requests failed: {load.failures()}"

    # A token naming an unknown key (C) makes the function fetch again once the cooldown (1 s) has passed: from then
    # on A is refused and B still passes.
    fn = fns["participants"]
    before = issuer.count("participants")
    wait_for(lambda: list_participants(fn, c.token(member))[0] == 401 and issuer.count("participants") > before,
             "a refetch for an unknown kid")
    status, body = list_participants(fn, a.token(member))
    assert status == 401 and body["error"]["message"] == "Missing, invalid or expired token.", body
    assert list_participants(fn, b.token(member))[0] == 200


def test_a_failing_jwks_url_never_makes_a_cached_key_unusable(issuer, member, function_url, tmp_path):
    """Past the TTL (1 s) the JWKS URL answers 500, then a page that is no JWKS: every call with the cached key still
    passes, each failed fetch is a warning naming the setting (never the URL), and the callers learn nothing."""
    a, unknown = SigningKey("key-a"), SigningKey("key-unknown")
    issuer.publish(a)
    fn = jwks_function("participants", issuer, function_url, tmp_path, JWT_JWKS_TTL_SECONDS="1",
                       JWT_JWKS_COOLDOWN_SECONDS="1")
    try:
        assert list_participants(fn, a.token(member))[0] == 200
        assert issuer.count("participants") == 1
        statuses = []

        def refetch_failed(mode, fetches):
            issuer.set_mode(mode)

            def failed():
                statuses.append(list_participants(fn, a.token(member))[0])
                return issuer.count("participants") >= fetches
            wait_for(failed, f"a fetch answered with {mode}")

        refetch_failed("500", 2)
        refetch_failed("garbage", 3)
        statuses.append(list_participants(fn, a.token(member))[0])
        assert set(statuses) == {200}, statuses

        status, body = list_participants(fn, unknown.token(member))
        assert status == 401 and body["error"] == {"code": "UNAUTHORIZED", "message": "Missing, invalid or expired token."}
        log = fn.output()
        assert "jwks: JWT_JWKS_URL is unavailable (HTTP 500); the 1 keys fetched" in log
        assert "jwks: JWT_JWKS_URL did not answer with a JSON Web Key Set; the 1 keys fetched" in log
        assert f"127.0.0.1:{issuer.port}" not in log and "jwks.json" not in log
    finally:
        fn.stop()


def test_tokens_naming_unknown_keys_refetch_at_most_once_per_cooldown(issuer, member, function_url, tmp_path):
    a, forger = SigningKey("key-a"), SigningKey("key-forged")
    issuer.publish(a)
    fn = jwks_function("participants", issuer, function_url, tmp_path, JWT_JWKS_COOLDOWN_SECONDS="3600")
    try:
        assert list_participants(fn, a.token(member))[0] == 200
        for _ in range(20):
            assert list_participants(fn, forger.token(member, kid=f"kid-{uuid.uuid4().hex}"))[0] == 401
        assert issuer.count("participants") == 2
        assert list_participants(fn, a.token(member))[0] == 200
        assert issuer.count("participants") == 2
    finally:
        fn.stop()


@pytest.mark.parametrize("env, message", [
    ({"JWT_JWKS_URL": "http://idp.example.test/jwks.json"},
     "JWT_JWKS_URL is not configured: must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
    ({"JWT_JWKS_URL": "file:///etc/passwd"},
     "JWT_JWKS_URL is not configured: must be an https:// URL (http:// only to 127.0.0.1 or [::1])"),
    ({"JWT_JWKS_URL": "https://idp.example.test/jwks.json", "JWT_JWKS": '{"keys":[]}'},
     "set JWT_JWKS or JWT_JWKS_URL, not both"),
    ({"JWT_JWKS_URL": "https://idp.example.test/jwks.json", "JWT_JWKS_TTL_SECONDS": "0"},
     "JWT_JWKS_TTL_SECONDS must be a whole number of seconds from 1 to 86400"),
    ({"JWT_JWKS_URL": "https://idp.example.test/jwks.json", "JWT_JWKS_COOLDOWN_SECONDS": "1.5"},
     "JWT_JWKS_COOLDOWN_SECONDS must be a whole number of seconds from 1 to 3600"),
])
def test_jwks_url_settings_are_checked_at_initialization(function_url, tmp_path, env, message):
    fn = Emulator(bootstrap("participants"), tmp_path=tmp_path, name="participants",
                  env={"DATABASE_URL": function_url, "JWT_SECRET": "", "JWT_JWKS": "", **env})
    try:
        _, _, out = fn.invoke(http_event("GET", "/api/participants"))
        err = json.loads(out)
        assert err["errorType"] == "Runtime.ConfigurationError"
        assert err["errorMessage"] == f"Configuration error: {message}"
        assert "idp.example.test" not in fn.output() and "/etc/passwd" not in fn.output()
    finally:
        fn.stop()
