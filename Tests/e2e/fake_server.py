"""The base of every tracker fake: an HTTP server on 127.0.0.1 that records each request and answers from its
`route()` or from queued answers. The fakes themselves live in their tracker's folder
(`Sources/TicketSync/Trackers/<Name>/Fake/`); `trackers.py` puts them on the import path."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

from conftest import free_port


class FakeServer:
    """An HTTP server on 127.0.0.1 that records every request and answers from `route()`, unless answers were queued
    with `answer()`. It can go down and come back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.lock = threading.Lock()
        self.requests = []   # dicts: method, path, query, headers, raw, json, at (+ what inspect() adds)
        self.plan = []       # queued answers: (status, headers, body, delay); body is bytes, JSON-able or None
        self.slow = 0        # seconds every routed answer waits (a tracker that takes a moment)
        self.server = None
        self.up()

    def up(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                parts = urlsplit(self.path)
                record = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                          "headers": CaseInsensitiveDict(self.headers.items()), "raw": raw, "at": time.monotonic()}
                try:
                    record["json"] = json.loads(raw) if raw else None
                except ValueError:
                    record["json"] = "invalid"
                fake.inspect(record)
                with fake.lock:
                    fake.requests.append(record)
                    forced = fake.plan.pop(0) if fake.plan else None
                status, headers, body, delay = forced or (fake.route(record) + (fake.slow,))[:4]
                time.sleep(delay)
                payload = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if payload and not isinstance(body, bytes):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()

    stop = down

    def inspect(self, record):
        """Adds to a request's record before it is stored (subclasses)."""

    def answer(self, *answers):
        """Queue answers: each a status, or (status, headers, body[, delay])."""
        with self.lock:
            for item in answers:
                item = (item, {}, None) if isinstance(item, int) else tuple(item)
                self.plan.append(item + (0,) * (4 - len(item)))

    def calls(self, method=None, path_part=""):
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and path_part in r["path"]]

