"""A local stand-in for a third-party enrichment provider (PDL/Clearbit style), a real HTTP server on 127.0.0.1.

`POST /v1/person/enrich` with `{"email": …}` and `Authorization: Bearer <key>`. What it answers depends on the
address's local part, so one server serves every scenario at once:
  slow…     waits `slow_seconds`, then a match          fail…     503
            (while the test holds the provider: until it releases it)
  garbage…  200 with a body that is not JSON             unknown…  404
  invalid…  200 with an out-of-range confidence          big…      200 with a 100 KiB body
  flaky…    503 the first `flaky_failures` times for that address, then a match
  anything else: 200 `{"found": true, "displayName": "Provider Person", "confidence": 0.9}`
A wrong key gets 401. Every request is recorded (email, authorization) and the peak of concurrent requests kept.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "fake-provider-key-0123456789"


class FakeProvider:
    def __init__(self, slow_seconds=2.0, flaky_failures=1):
        self.slow_seconds = slow_seconds
        self.flaky_failures = flaky_failures
        self.calls = []
        self.in_flight = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.seen = {}
        self.gate = None  # while set: `slow…` requests wait for it (hold / release)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with provider.lock:
                    provider.in_flight += 1
                    provider.peak = max(provider.peak, provider.in_flight)
                try:
                    status, body = provider.answer(self.path, self.headers.get("Authorization"), raw)
                finally:
                    with provider.lock:
                        provider.in_flight -= 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path, authorization, raw):
        try:
            email = json.loads(raw)["email"]
        except Exception:
            email = None
        with self.lock:
            self.calls.append({"path": path, "authorization": authorization, "email": email})
        if path != "/v1/person/enrich" or email is None:
            return 400, b'{"error":"bad request"}'
        if authorization != f"Bearer {API_KEY}":
            return 401, b'{"error":"unauthorized"}'
        local = email.split("@")[0]
        if local.startswith("slow"):
            gate = self.gate
            if gate is not None:
                gate.wait(60)  # held by the test (60 s: a hang guard should it never release)
            else:
                time.sleep(self.slow_seconds)  # the stall is the behaviour under test
        elif local.startswith("fail"):
            return 503, b'{"error":"unavailable"}'
        elif local.startswith("garbage"):
            return 200, b"<html>definitely not json"
        elif local.startswith("unknown"):
            return 404, b'{"found":false}'
        elif local.startswith("invalid"):
            return 200, b'{"found":true,"displayName":"X","confidence":7}'
        elif local.startswith("big"):
            return 200, b'{"found":true,"confidence":0.5,"pad":"' + b"x" * 100_000 + b'"}'
        elif local.startswith("flaky"):
            with self.lock:
                n = self.seen.get(email, 0)
                self.seen[email] = n + 1
            if n < self.flaky_failures:
                return 503, b'{"error":"try later"}'
        return 200, json.dumps({"found": True, "displayName": "Provider Person", "confidence": 0.9}).encode()

    def hold(self):
        """From now on `slow…` requests wait until `release()`: the test decides when they are answered."""
        self.gate = threading.Event()

    def release(self):
        gate, self.gate = self.gate, None
        if gate is not None:
            gate.set()

    def calls_for(self, email):
        with self.lock:
            return [c for c in self.calls if c["email"] == email]

    def stop(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":  # `make run` serves it as the demo provider: python3 fake_enrichment.py PORT
    import sys
    p = FakeProvider(slow_seconds=2.0)
    p.server.server_close()
    p.server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), p.server.RequestHandlerClass)
    print(f"fake enrichment provider on http://127.0.0.1:{sys.argv[1]} (key {API_KEY})", flush=True)
    p.server.serve_forever()
