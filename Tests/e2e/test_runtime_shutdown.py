"""Shutdown of a real function: on SIGTERM every worker closes its Postgres connection with libpq's Terminate
message before the process exits 0, whether it was idle or had served invocations, one worker or four.

A TCP relay between the function and Postgres sees every byte the function sends; a connection that libpq closed
cleanly ends with the Terminate message (`X`, length 4), one that died with its process does not."""
import json
import signal
import socket
import threading
import urllib.parse

import pytest

from conftest import HANG_GUARD, ROOT, SECRET, rest_event, sign
from test_runtime_workers import GatedRuntimeAPI

BOOTSTRAP = ROOT / "dist" / "calculate_health" / "bootstrap"
TERMINATE = b"X\x00\x00\x00\x04"


class RecordingRelay:
    """Relays TCP connections to `target`, keeping what each client sent and whether it has closed."""

    def __init__(self, target):
        self.target = target
        self.sent = []  # per connection: bytearray of client → server bytes
        self.closed = []  # per connection: threading.Event set when the client closed its side
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                sent, closed = bytearray(), threading.Event()
                self.sent.append(sent)
                self.closed.append(closed)
            threading.Thread(target=self._pump, args=(client, server, sent, closed), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None, None), daemon=True).start()

    @staticmethod
    def _pump(src, dst, record, closed):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if closed is not None:
                closed.set()
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def connections(self):
        with self.lock:
            return list(zip(self.sent, self.closed))

    def close(self):
        self.sock.close()


def relayed_url(function_url, port, application_name):
    u = urllib.parse.urlparse(function_url)
    netloc = f"{u.username}:{u.password}@127.0.0.1:{port}"
    return urllib.parse.urlunparse(u._replace(netloc=netloc)) + f"&application_name={application_name}"


def health_event(customer):
    body = json.dumps({"customerId": customer})
    return rest_event("calculate_health", body, sign(body))


def start_function(api, url, workers):
    import os
    import subprocess
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{api.port}", DATABASE_URL=url,
               AWS_LAMBDA_MAX_CONCURRENCY=str(workers), HMAC_SECRET=SECRET)
    return subprocess.Popen([str(BOOTSTRAP)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("workers", [1, 4])
def test_sigterm_closes_every_database_connection_cleanly(function_url, workers):
    pg = urllib.parse.urlparse(function_url)
    relay = RecordingRelay((pg.hostname, pg.port))
    events = [(f"c{i}", health_event(f"cust-{i}"), {}) for i in range(workers)]
    # Each worker takes one invocation (answers are held until all are out), so each opens its own connection.
    api = GatedRuntimeAPI(events, hold_answers_until=workers)
    proc = start_function(api, relayed_url(function_url, relay.port, f"shutdown-{workers}"), workers)
    try:
        api.wait(lambda a: len(a.answers()) == workers and a.waiting_next == workers, "every worker served, polling")
        for _, path, _, body in api.answers():
            assert path.endswith("/response") and json.loads(json.loads(body)["body"])["ok"] is True
        assert len(relay.connections()) == workers  # one connection per worker
        assert not any(closed.is_set() for _, closed in relay.connections())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
        for sent, closed in relay.connections():
            assert closed.wait(HANG_GUARD)
            assert bytes(sent).endswith(TERMINATE), "a connection ended without libpq's Terminate message"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        api.close()
        relay.close()


def test_the_relay_tells_a_killed_connection_from_a_closed_one(function_url):
    # The check above can fail: a process killed outright leaves its connection without the Terminate message.
    pg = urllib.parse.urlparse(function_url)
    relay = RecordingRelay((pg.hostname, pg.port))
    api = GatedRuntimeAPI([("k1", health_event("cust-k"), {})])
    proc = start_function(api, relayed_url(function_url, relay.port, "shutdown-kill"), 1)
    try:
        api.wait(lambda a: len(a.answers()) == 1 and a.waiting_next == 1, "the invocation served")
        proc.kill()
        proc.wait()
        [(sent, closed)] = relay.connections()
        assert closed.wait(HANG_GUARD)
        assert not bytes(sent).endswith(TERMINATE)
    finally:
        api.close()
        relay.close()
