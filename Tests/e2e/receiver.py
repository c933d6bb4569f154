"""A small webhook receiver for the outbound tests: verifies every signature, records every event,
and answers from a programmable plan (status, headers, body, delay)."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port


class Receiver:
    def __init__(self, secret):
        self.secret = secret.encode()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.lock = threading.Lock()
        self.requests = []     # every request received: dict(headers, body, event, valid, at)
        self.plan = []         # answers to give, in order: (status, headers, body, delay); then `default`
        self.default = (200, {}, b"", 0)
        self.server = None
        self.up()

    def up(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                record = {"headers": dict(self.headers), "body": body, "at": time.monotonic(),
                          "valid": hmac.compare_digest(expected, self.headers.get("X-Signature", ""))}
                try:
                    record["event"] = json.loads(body)
                except ValueError:
                    record["event"] = None
                with receiver.lock:
                    receiver.requests.append(record)
                    status, headers, answer, delay = receiver.plan.pop(0) if receiver.plan else receiver.default
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, *answers):
        """Queue answers: each a status, or (status, headers, body[, delay])."""
        with self.lock:
            for item in answers:
                if isinstance(item, int):
                    item = (item, {}, b"")
                self.plan.append(tuple(item) + (0,) * (4 - len(item)))

    def events(self, event_type=None):
        with self.lock:
            return [r for r in self.requests if event_type is None or r["headers"].get("X-Event-Type") == event_type]

    def event_ids(self, event_type):
        """The X-Event-Id of every request of that type, in arrival order (retries repeat an id)."""
        return [r["headers"]["X-Event-Id"] for r in self.events(event_type)]
