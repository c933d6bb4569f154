"""A small webhook receiver for the outbound tests: verifies every signature (X-Signature and Standard Webhooks),
records every event, and answers from a programmable plan (status, headers, body, delay).

With `tracker=True` it is also an adapter with a tracker behind it (docs/webhooks.md, "Sweeps"): events create
tickets and comments there, and `GET <url>/changes` serves what changed, signed with the secret, as the adapter
contract says. The test helpers change a ticket "on the tracker" without sending any webhook (nothing here ever
calls Ticket Sync), so only a sweep or "Re-sync now" can find out."""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime, timezone

from fake_server import FakeServer


class Receiver(FakeServer):
    def __init__(self, secret, tracker=False):
        self.secret = secret.encode()
        self.default = (200, {}, b"", 0)
        self.tracker = tracker
        self.tickets = {}           # external_id → {"status": change, "comments": [change], "deleted": bool}
        self.history = []           # every change on the tracker, oldest first: (epoch seconds, change object)
        self.page_size = 2          # changes per page of GET /changes
        self.sweepable = True       # False: GET /changes answers 404, as an adapter without the endpoint does
        self.answer_signature = "standard"  # or "x-signature", "none", "wrong" (signed with another secret)
        self.throttle = []          # Retry-After seconds of the next 429 answers to GET /changes
        self.tracker_lock = threading.RLock()
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
        if self.tracker and record["method"] == "GET" and record["path"] == "/hook/changes":
            return self.changes(record)
        if self.tracker and record["method"] == "POST" and self.default == (200, {}, b"", 0) and record["event"]:
            return self.on_event(record["event"])
        return self.default

    # The adapter's tracker side.

    def on_event(self, event):
        """What an adapter does with our events: a ticket, and our comments on it (with the tracker's comment id,
        which the adapter answers and its sweep reports for them). A close is only acknowledged."""
        with self.tracker_lock:
            key = event.get("external_id")
            if event.get("event_type") == "ticket.create":
                self.tickets[key] = {"status": None, "comments": [], "deleted": False}
                self.move(key, "Open", "new", by="Ticket Sync")
            elif event.get("event_type") == "ticket.comment" and key in self.tickets:
                comment = self.comment_on(key, event["comment"]["body"], author="Ticket Sync")
                return 200, {}, {"external_comment_id": comment["comment"]["external_comment_id"]}
        return 200, {}, {}

    def record(self, key, change):
        at = time.time()
        change = dict(change, changed_at=iso(at))
        self.history.append((at, change))
        return change

    def comment_on(self, key, body, author="Jane (tracker)"):
        """A comment written on the tracker; returns its change object (what a late webhook would carry)."""
        with self.tracker_lock:
            number = sum(len(t["comments"]) for t in self.tickets.values()) + 1
            change = self.record(key, {"external_id": key, "comment": {
                "external_comment_id": f"tc-{number}", "author": author, "body": body}})
            self.tickets[key]["comments"].append(change)
            return change

    def move(self, key, name, category, by="Dana"):
        """The ticket moved to a status on the tracker; returns its change object."""
        with self.tracker_lock:
            change = self.record(key, {"external_id": key, "tracker_status": {
                "name": name, "category": category, "updated_at": iso(time.time()), "updated_by": by}})
            self.tickets[key]["status"] = change
            return change

    def resolve(self, key):
        return self.move(key, "Done", "done")

    def reopen(self, key):
        return self.move(key, "Reopened", "indeterminate")

    def delete(self, key):
        with self.tracker_lock:
            self.tickets[key]["deleted"] = True

    def sweep_calls(self):
        """Every GET /changes (sweeps' pages and look-ups), in arrival order."""
        return self.calls("GET", "/hook/changes")

    def changes(self, record):
        query = record["query"]
        if self.throttle:
            record["throttled"] = True
            return 429, {"Retry-After": str(self.throttle.pop(0))}, {"error": "slow down"}
        if not self.sweepable:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        first = lambda name: (query.get(name) or [None])[0]  # noqa: E731
        with self.tracker_lock:
            key = first("external_id")
            if key is not None:
                ticket = self.tickets.get(key)
                if ticket is None or ticket["deleted"]:
                    return self.signed(404, b"")
                listed = ticket["comments"] + ([ticket["status"]] if ticket["status"] else [])
            else:
                since = datetime.fromisoformat(first("since").replace("Z", "+00:00")).timestamp()
                listed = [change for at, change in self.history
                          if at >= since and not self.tickets[change["external_id"]]["deleted"]]
        start = int(first("cursor") or 0)
        page = listed[start:start + self.page_size]
        more = start + self.page_size < len(listed)
        body = json.dumps({"changes": page, "next": str(start + self.page_size) if more else None}).encode()
        return self.signed(200, body)

    def signed(self, status, body):
        """An answer signed as the adapter contract says (or, to test the refusals, not or wrongly)."""
        secret = b"someone-else" if self.answer_signature == "wrong" else self.secret
        headers = {"Content-Type": "application/json"} if body else {}
        if self.answer_signature == "x-signature":
            headers["X-Signature"] = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        elif self.answer_signature in ("standard", "wrong"):
            headers.update(standard_webhook_headers(body, secret.decode(), "msg_" + uuid.uuid4().hex))
        return status, headers, body

    def events(self, event_type=None):
        """The events posted to the adapter (a sweep's GET <url>/changes is not one)."""
        with self.lock:
            return [r for r in self.requests if r["method"] == "POST"
                    and (event_type is None or r["headers"].get("X-Event-Type") == event_type)]

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


def standard_webhook_headers(raw, secret, msg_id):
    """What an adapter sends: `webhook-id`, `webhook-timestamp` and a `v1` signature over "<id>.<timestamp>.<body>"."""
    stamp = str(int(time.time()))
    digest = hmac.new(standard_webhook_key(secret), f"{msg_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp,
            "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def iso(epoch_seconds):
    """RFC 3339 in UTC with milliseconds."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
