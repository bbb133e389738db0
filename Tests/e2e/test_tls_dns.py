"""TLS to PostgreSQL and name resolution without NSS, through the real static bootstrap.

A second, throwaway PostgreSQL cluster accepts only TLS (`hostssl`) with a certificate from a throwaway CA
(SAN: db.warden.test, localhost, 127.0.0.1). The packaged `calculate_health` bootstrap runs under `warden emulate`
with DATABASE_URL variants; its connection opens lazily on the first call, so a refused connection shows as a
TOOL_FAILURE envelope plus a log line naming the reason (`tlsFailed` / `connectionFailed`).

The chroot cases run the bootstrap in an otherwise empty directory — no /etc/hosts, no nsswitch.conf, no shared
libraries, no $HOME, as on Lambda's provided.al2023 for a static binary — where the only way to find
db.warden.test is c-ares asking the DNS server of its /etc/resolv.conf: a local dnsmasq.
"""
import json
import os
import random
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import warnings
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SECRET, WARDEN, Emulator, free_port, rest_event, sign, wait_for

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SAN = "DNS:db.warden.test,DNS:localhost,IP:127.0.0.1"
OWNER_PW = "tls-owner-password"
APP_PW = "tls-app-password"
DB = "warden_tls"
OWNER = "user_tls"
# One usage row, trend up; no tickets, no contract: 100·0.45 + 100·0.35 + 70·0.20 = 94.
EXPECTED = {"ok": True, "data": {"score": 94, "riskLevel": "low", "signals": ["usage_up", "no_tickets"]}, "error": None}


# ----------------------------------------------------------------------------------------------------- helpers

def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw)


def openssl_ca(directory: Path, name: str):
    """A self-signed P-256 CA: (cert path, key path)."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN=Warden throwaway {name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def as_postgres(*args, **kw):
    return run("runuser", "-u", "postgres", "--", *args, **kw)


def dns_answer(server: str, name: str, timeout=0.5):
    """The A records (dotted quads) dnsmasq gives for `name`, or None when it does not answer."""
    query = struct.pack(">HHHHHH", 0x5752, 0x0100, 1, 0, 0, 0)
    query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(query, (server, 53))
            reply, _ = s.recvfrom(512)
        except OSError:
            return None
    answers = struct.unpack(">H", reply[6:8])[0]
    return [".".join(str(b) for b in reply[-4:])] if answers else []


def envelope(out: bytes):
    return json.loads(json.loads(out)["body"])


def call_function(tmp_path, url, launcher=BOOTSTRAP, extra_env=None, check=None):
    """One signed calculate_health call with DATABASE_URL=url. Returns (proxy status code, envelope, log).
    `check(emulator)` runs while the function process (and its database connection) is still alive."""
    env = {"HMAC_SECRET": SECRET, "DATABASE_URL": url, "AWS_LAMBDA_LOG_FORMAT": "JSON", **(extra_env or {})}
    e = Emulator(launcher, tmp_path=tmp_path, name="calculate_health", env=env, timeout=10)
    try:
        body = json.dumps({"customerId": "tlsco", "params": {"ownerUserId": OWNER}})
        status, _, out = e.invoke(rest_event("calculate_health", body, sign(body)))
        assert status == 200, out
        if check:
            check(e)
        return json.loads(out)["statusCode"], envelope(out), e.output()
    finally:
        e.stop()


def failure_codes(log: str):
    """`error.code` of each "tool failure" log line (JSON format)."""
    codes = []
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        if rec.get("message") == "tool failure":
            codes.append(rec.get("error.code"))
    return codes


def assert_refused(status, env, log, code, password=APP_PW):
    assert status == 500
    assert env["ok"] is False and env["error"]["code"] == "TOOL_FAILURE", env
    assert failure_codes(log) == [code], log
    assert "Runtime exited" not in log and "Runtime.ExitError" not in log, log
    assert password not in log


# ---------------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """Our CA, a server certificate it signed for SAN, and an unrelated second CA."""
    d = tmp_path_factory.mktemp("pki")
    ca, ca_key = openssl_ca(d, "ca")
    other_ca, _ = openssl_ca(d, "other-ca")
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.pem"
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=db.warden.test")
    (d / "server.ext").write_text(f"subjectAltName={SAN}\nbasicConstraints=CA:FALSE\n"
                                  "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
        "-days", "2", "-extfile", d / "server.ext")
    return {"ca": ca, "other_ca": other_ca, "cert": cert, "key": key}


@pytest.fixture(scope="module")
def tls_cluster(pki):
    """A second PostgreSQL 15 cluster on 127.0.0.1 that accepts TCP only over TLS, migrated, with one usage row."""
    assert (PG_BIN / "initdb").exists(), "postgresql-15 is not installed (scripts/ensure-tools.sh installs it)"
    # Not under pytest's tmp dir: the postgres user must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="warden-tls-pg-"))
    data, sock = base / "data", base / "sock"
    port = free_port()
    started = False
    try:
        sock.mkdir()
        shutil.copy(pki["cert"], base / "server.pem")
        shutil.copy(pki["key"], base / "server.key")
        os.chmod(base / "server.key", 0o600)
        run("chown", "-R", "postgres:postgres", base)
        as_postgres(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth-local=trust",
                    "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"""
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sock}'
ssl = on
ssl_cert_file = '{base / "server.pem"}'
ssl_key_file = '{base / "server.key"}'
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
""")
        # TCP only with TLS: a plain-text connection finds no matching line.
        (data / "pg_hba.conf").write_text("local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
        as_postgres(PG_BIN / "pg_ctl", "-D", data, "-l", base / "server.log", "-w", "-t", "30", "start")
        started = True

        def psql(sql, db="postgres"):
            return as_postgres(PG_BIN / "psql", "-h", sock, "-p", port, "-U", "postgres", "-d", db,
                               "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql).stdout.strip()

        psql(f"CREATE ROLE warden LOGIN PASSWORD '{OWNER_PW}'")
        psql("CREATE ROLE warden_fn NOLOGIN")
        psql(f"CREATE ROLE warden_app LOGIN PASSWORD '{APP_PW}' IN ROLE warden_fn")
        psql(f"CREATE DATABASE {DB} OWNER warden")
        # The local tool goes through the same preparation: c-ares for `localhost`, verify-full with our CA.
        migrate_url = f"postgresql://warden:{OWNER_PW}@localhost:{port}/{DB}?sslmode=verify-full&sslrootcert={pki['ca']}"
        run(WARDEN, "migrate", "--database-url", migrate_url, cwd=ROOT)
        psql("INSERT INTO usage_summaries (company_external_id, owner_user_id, trend) "
             f"VALUES ('tlsco', '{OWNER}', 'up')", db=DB)
        yield {"port": port, "psql": psql, "log": base / "server.log"}
    finally:
        if started:
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data),
                            "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def url(cluster, host, query, user="warden_app", password=APP_PW):
    return f"postgresql://{user}:{password}@{host}:{cluster['port']}/{DB}?{query}"


def ssl_of(cluster, application_name):
    """Whether the function's live connection (found by its application_name) uses TLS, per pg_stat_ssl."""
    return cluster["psql"]("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                           f"WHERE a.application_name = '{application_name}'")


@pytest.fixture(scope="module")
def dns():
    """dnsmasq on a loopback address of its own, port 53: db.warden.test and other.warden.test are 127.0.0.1,
    every other *.warden.test name does not exist."""
    dnsmasq = shutil.which("dnsmasq")
    assert dnsmasq, "dnsmasq is not installed: apt-get install -y dnsmasq-base (scripts/ensure-tools.sh)"
    address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.53"
    log = Path(tempfile.mkdtemp(prefix="warden-dns-")) / "dnsmasq.log"
    proc = subprocess.Popen(
        [dnsmasq, "--no-daemon", "--no-resolv", "--no-hosts", "--bind-interfaces", f"--listen-address={address}",
         "--port=53", "--user=root", "--pid-file=", "--log-queries", f"--log-facility={log}",
         "--local=/warden.test/", "--address=/db.warden.test/127.0.0.1", "--address=/other.warden.test/127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def answering():
            assert proc.poll() is None, f"dnsmasq exited: {proc.stderr.read().decode(errors='replace')}"
            return dns_answer(address, "db.warden.test") == ["127.0.0.1"]

        wait_for(answering, "dnsmasq answering for db.warden.test")
        yield {"address": address, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(log.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def jail(tmp_path_factory, pki, dns):
    """An otherwise empty chroot: /bootstrap from the zip, /ca.pem, the same CA as Amazon Linux's system bundle,
    /etc/resolv.conf naming dnsmasq, an nsswitch.conf that keeps glibc from DNS, /proc and /tmp. Returns the
    launcher for `warden emulate`."""
    d = tmp_path_factory.mktemp("tls-jail")
    root = d / "root"
    root.mkdir()
    with zipfile.ZipFile(ROOT / "dist" / "calculate_health.zip") as zf:
        zf.extract("bootstrap", root)
    os.chmod(root / "bootstrap", 0o755)
    shutil.copy(pki["ca"], root / "ca.pem")
    (root / "etc" / "pki" / "tls" / "certs").mkdir(parents=True)
    shutil.copy(pki["ca"], root / "etc" / "pki" / "tls" / "certs" / "ca-bundle.crt")
    (root / "etc" / "resolv.conf").write_text(f"nameserver {dns['address']}\n")
    # Leaves glibc no way to find db.warden.test (there is no /etc/hosts): only a resolver that reads resolv.conf
    # itself, as c-ares does, gets an answer. (With no nsswitch.conf at all, static glibc would fall back to DNS.)
    (root / "etc" / "nsswitch.conf").write_text("hosts: files\npasswd: files\n")
    (root / "tmp").mkdir()
    (root / "proc").mkdir()
    found = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    assert found == ["bootstrap", "ca.pem", "etc", "etc/nsswitch.conf", "etc/pki", "etc/pki/tls", "etc/pki/tls/certs",
                     "etc/pki/tls/certs/ca-bundle.crt", "etc/resolv.conf", "proc", "tmp"]
    run("mount", "-t", "proc", "proc", root / "proc")
    try:
        launcher = d / "launch.sh"
        # Lambda gives a custom runtime no $HOME; nothing from this machine's TLS or libpq setup leaks in either.
        launcher.write_text("#!/bin/sh\nexec env -u HOME -u SSL_CERT_FILE -u WARDEN_CA_BUNDLE -u PGHOST -u PGUSER "
                            f"-u PGSSLROOTCERT chroot {root} /bootstrap\n")
        launcher.chmod(0o755)
        yield launcher
    finally:
        subprocess.run(["umount", "-l", str(root / "proc")], check=False)


# ------------------------------------------------------------------------------------------------ TLS (Task B)

@pytest.mark.parametrize("host,mode", [("localhost", "verify-full"), ("127.0.0.1", "verify-full"),
                                       ("127.0.0.1", "verify-ca")])
def test_verified_tls_answers_with_the_row(tls_cluster, pki, tmp_path, host, mode):
    name = f"e2e-{mode}-{host}"
    seen = {}
    status, env, log = call_function(
        tmp_path, url(tls_cluster, host, f"sslmode={mode}&sslrootcert={pki['ca']}&application_name={name}"),
        check=lambda _: seen.update(ssl=ssl_of(tls_cluster, name)))
    assert (status, env) == (200, EXPECTED), log
    assert seen["ssl"] == "t"


def test_verify_full_refuses_a_server_certificate_from_an_unknown_ca(tls_cluster, pki, tmp_path):
    status, env, log = call_function(tmp_path, url(tls_cluster, "localhost",
                                                   f"sslmode=verify-full&sslrootcert={pki['other_ca']}"))
    assert_refused(status, env, log, "tlsFailed")


def test_verify_full_refuses_a_host_name_outside_the_certificate(tls_cluster, pki, tmp_path):
    # The right server and CA, reached as a name the certificate does not carry (hostaddr given: no lookup).
    status, env, log = call_function(tmp_path, url(tls_cluster, "other.warden.test",
                                                   f"hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={pki['ca']}"))
    assert_refused(status, env, log, "tlsFailed")


def test_require_without_a_root_certificate_connects_encrypted(tls_cluster, tmp_path):
    seen = {}
    status, env, log = call_function(tmp_path, url(tls_cluster, "127.0.0.1", "sslmode=require&application_name=e2e-require"),
                                     check=lambda _: seen.update(ssl=ssl_of(tls_cluster, "e2e-require")))
    assert (status, env) == (200, EXPECTED), log
    assert seen["ssl"] == "t"


def test_disable_is_refused_by_a_tls_only_server(tls_cluster, tmp_path):
    status, env, log = call_function(tmp_path, url(tls_cluster, "127.0.0.1", "sslmode=disable"))
    assert_refused(status, env, log, "connectionFailed")


class CappedTLSServer:
    """Stands in for a PostgreSQL server that speaks TLS up to `maximum` only: it answers libpq's SSLRequest with
    `S`, shakes hands with Python's own OpenSSL (which still offers TLS 1.0 and 1.1 when told to), records each
    handshake's outcome (the version agreed, or the error) and hangs up."""

    def __init__(self, pki, maximum):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 are what this server is for
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(pki["cert"], pki["key"])
            self.context.set_ciphers("DEFAULT:@SECLEVEL=0")
            self.context.minimum_version = ssl.TLSVersion.TLSv1
            self.context.maximum_version = maximum
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.outcomes, self.stopping = [], threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    code = struct.unpack(">ii", conn.recv(8, socket.MSG_WAITALL))[1]
                    if code == 80877104:  # GSSENCRequest: not here
                        conn.sendall(b"N")
                        code = struct.unpack(">ii", conn.recv(8, socket.MSG_WAITALL))[1]
                    if code != 80877103:
                        self.outcomes.append(f"no SSLRequest ({code})")
                        continue
                    conn.sendall(b"S")
                    with self.context.wrap_socket(conn, server_side=True) as tls:
                        self.outcomes.append(tls.version())
                except (ssl.SSLError, OSError, struct.error) as e:
                    self.outcomes.append(f"refused: {getattr(e, 'reason', None) or e}")

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


def test_the_bootstraps_speak_no_tls_below_1_2(pki, tmp_path):
    """The bootstraps' OpenSSL is built without TLS 1.0 and 1.1 (scripts/deps.sh): a server that offers at most TLS
    1.1 gets no handshake and the call is a TOOL_FAILURE; the same server allowing TLS 1.2 gets a TLS 1.2 handshake
    (after which it hangs up, so that call fails too, for another reason). docs/SECURITY.md, S0-26."""
    outcomes = {}
    for maximum in (ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2):
        server = CappedTLSServer(pki, maximum)
        try:
            status, env, log = call_function(
                tmp_path, f"postgresql://warden_app:{APP_PW}@127.0.0.1:{server.port}/{DB}?sslmode=require")
        finally:
            server.stop()
        assert (status, env["error"]["code"]) == (500, "TOOL_FAILURE"), env
        assert APP_PW not in log
        outcomes[maximum.name] = (set(server.outcomes), failure_codes(log))
    refused, codes = outcomes["TLSv1_1"]
    assert refused == {"refused: UNSUPPORTED_PROTOCOL"} and codes == ["tlsFailed"], outcomes
    assert outcomes["TLSv1_2"][0] == {"TLSv1.2"}, outcomes["TLSv1_2"]


# ---------------------------------------------------------------------------------------- DNS in a chroot (C)

def test_empty_chroot_resolves_through_dns_and_verifies_with_ca_pem(tls_cluster, dns, jail, tmp_path):
    status, env, log = call_function(
        tmp_path, url(tls_cluster, "db.warden.test", "sslmode=verify-full&sslrootcert=/ca.pem"), launcher=jail)
    assert (status, env) == (200, EXPECTED), log
    # c-ares asked dnsmasq (the chroot has no /etc/hosts to answer from).
    assert "query[A] db.warden.test" in dns["log"].read_text()


def test_empty_chroot_verifies_with_the_system_bundle(tls_cluster, jail, tmp_path):
    # No sslrootcert: Amazon Linux's bundle path, which here holds our CA.
    status, env, log = call_function(tmp_path, url(tls_cluster, "db.warden.test", "sslmode=verify-full"),
                                     launcher=jail)
    assert (status, env) == (200, EXPECTED), log


def test_empty_chroot_refuses_a_resolved_name_outside_the_certificate(tls_cluster, jail, tmp_path):
    status, env, log = call_function(
        tmp_path, url(tls_cluster, "other.warden.test", "sslmode=verify-full&sslrootcert=/ca.pem"), launcher=jail)
    assert_refused(status, env, log, "tlsFailed")


def test_empty_chroot_unknown_name_is_a_tool_failure_not_a_crash(tls_cluster, dns, jail, tmp_path):
    status, env, log = call_function(
        tmp_path, url(tls_cluster, "nowhere.warden.test", "sslmode=verify-full&sslrootcert=/ca.pem"), launcher=jail)
    assert_refused(status, env, log, "connectionFailed")
    assert "query[A] nowhere.warden.test" in dns["log"].read_text()
