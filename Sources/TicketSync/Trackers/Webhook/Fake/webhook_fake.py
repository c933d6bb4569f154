"""A small webhook receiver for the outbound tests: verifies every signature (X-Signature and Standard Webhooks),
records every event, and answers from a programmable plan (status, headers, body, delay)."""
import base64
import hashlib
import hmac
import time

from fake_server import FakeServer


class Receiver(FakeServer):
    def __init__(self, secret):
        self.secret = secret.encode()
        self.default = (200, {}, b"", 0)
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def inspect(self, record):
        expected = "sha256=" + hmac.new(self.secret, record["raw"], hashlib.sha256).hexdigest()
        record["valid_x_signature"] = hmac.compare_digest(expected, record["headers"].get("X-Signature", ""))
        record["valid_standard"] = standard_webhook_valid(record["headers"], record["raw"], self.secret.decode())
        # Both schemes, and webhook-id is the event id.
        record["valid"] = record["valid_x_signature"] and record["valid_standard"] and \
            record["headers"].get("webhook-id") == record["headers"].get("X-Event-Id")
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


def standard_webhook_key(secret):
    """Standard Webhooks: a `whsec_` secret is base64 after the prefix; any other secret is its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        encoded = secret[len("whsec_"):]
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    return secret.encode()


def standard_webhook_valid(headers, raw, secret, tolerance=300):
    """What an adapter does: a `v1` signature over "<webhook-id>.<webhook-timestamp>.<raw body>", within 5 minutes."""
    msg_id, stamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and signatures and stamp.isdigit()) or abs(time.time() - int(stamp)) > tolerance:
        return False
    digest = hmac.new(standard_webhook_key(secret), f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected.encode(), given.encode()) for given in signatures.split(" "))
