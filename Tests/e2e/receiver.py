"""A small webhook receiver for the outbound tests: verifies every signature, records every event,
and answers from a programmable plan (status, headers, body, delay)."""
import hashlib
import hmac

from trackers import FakeServer


class Receiver(FakeServer):
    def __init__(self, secret):
        self.secret = secret.encode()
        self.default = (200, {}, b"", 0)
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def inspect(self, record):
        expected = "sha256=" + hmac.new(self.secret, record["raw"], hashlib.sha256).hexdigest()
        record["valid"] = hmac.compare_digest(expected, record["headers"].get("X-Signature", ""))
        record["body"] = record["raw"]
        record["event"] = record["json"] if isinstance(record["json"], dict) else None

    def route(self, record):
        return self.default

    def events(self, event_type=None):
        with self.lock:
            return [r for r in self.requests if event_type is None or r["headers"].get("X-Event-Type") == event_type]

    def event_ids(self, event_type):
        """The X-Event-Id of every request of that type, in arrival order (retries repeat an id)."""
        return [r["headers"]["X-Event-Id"] for r in self.events(event_type)]
