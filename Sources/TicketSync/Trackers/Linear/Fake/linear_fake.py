"""A fake of Linear's GraphQL API (`POST /graphql`) on 127.0.0.1, following Linear's documented behaviour: a personal
API key sent bare in `Authorization` (no `Bearer`), errors as `errors[]` (HTTP 200; authentication and rate limiting
with 400 and `extensions.code` AUTHENTICATION_ERROR / RATELIMITED), caller-chosen ids on issueCreate/commentCreate
(a duplicate id is refused), and signed webhooks (`Linear-Signature`, `Linear-Delivery`, `webhookTimestamp`)."""
import hashlib
import hmac
import json
import re
import threading
import time
import uuid

import requests

from fake_server import FakeServer

NAMESPACE_ISSUE = b"5c1d8f0e-3b7a-4e2c-9d61-7a4b2e9f0c35"
NAMESPACE_COMMENT = b"b2a4c6e8-0f1d-4b3c-8e5a-6d7f9a1b3c5e"


def derived_id(namespace, name):
    """The id Ticket Sync chooses (docs/trackers/linear.md): SHA-256(namespace ‖ name), stamped as a UUID v4."""
    raw = bytearray(hashlib.sha256(namespace + name.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def error(message, code="INVALID_INPUT", status=200, headers=None):
    return status, headers or {}, {"errors": [{"message": message, "extensions": {
        "code": code, "type": code.lower().replace("_", " "), "userPresentableMessage": message}}], "data": None}


class FakeLinear(FakeServer):
    def __init__(self, key="lin_api_fake0123456789"):
        self.key = key
        self.team = str(uuid.uuid4())
        self.team_key = "GRC"
        # Listed out of position order: the first `completed` state is the one with the lowest position.
        self.states = [
            {"id": str(uuid.uuid4()), "name": "Released", "type": "completed", "position": 5},
            {"id": str(uuid.uuid4()), "name": "Backlog", "type": "backlog", "position": 0},
            {"id": str(uuid.uuid4()), "name": "Todo", "type": "unstarted", "position": 1},
            {"id": str(uuid.uuid4()), "name": "In Progress", "type": "started", "position": 2},
            {"id": str(uuid.uuid4()), "name": "Done", "type": "completed", "position": 3},
            {"id": str(uuid.uuid4()), "name": "Canceled", "type": "canceled", "position": 4},
        ]
        self.viewer = {"id": str(uuid.uuid4()), "name": "Ticket Sync bot"}
        self.issues = {}      # id -> issue
        self.comments = {}    # id -> comment
        self.rate_limited = 0  # the next n calls answer RATELIMITED
        self.number = 0
        self.data_lock = threading.Lock()
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"

    def state(self, name):
        return next(s for s in self.states if s["name"] == name)

    def operations(self, name):
        """The recorded calls of one operation (by operation name), as their variables."""
        return [r["json"]["variables"] for r in self.requests if r.get("operation") == name]

    def inspect(self, record):
        query = (record["json"] or {}).get("query", "") if isinstance(record["json"], dict) else ""
        match = re.match(r"\s*(?:query|mutation)\s+(\w+)", query)
        record["operation"] = match.group(1) if match else None

    def route(self, r):
        if r["method"] != "POST" or r["path"] != "/graphql":
            return 404, {}, {"errors": [{"message": "Not found"}]}
        if r["headers"].get("Authorization") != self.key:
            return error("Authentication required, not authenticated", "AUTHENTICATION_ERROR", status=400)
        with self.data_lock:
            if self.rate_limited > 0:
                self.rate_limited -= 1
                reset = int(time.time() * 1000) + 1000
                return error("Rate limit exceeded", "RATELIMITED", status=400,
                             headers={"X-RateLimit-Requests-Remaining": "0",
                                      "X-RateLimit-Requests-Reset": str(reset)})
            body = r["json"]
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                return error("Must provide query string.", "GRAPHQL_PARSE_FAILED", status=400)
            return self.execute(body["query"], body.get("variables") or {})

    def execute(self, query, variables):
        def has(field):
            return re.search(r"\b" + field + r"\s*\(", query) is not None

        if has("issueCreate"):
            data = variables["input"]
            if data.get("teamId") != self.team:
                return error("Entity not found: Team", "INVALID_INPUT")
            issue_id = data.get("id") or str(uuid.uuid4())
            if issue_id in self.issues:
                return error("Argument Validation Error: id already exists", "INVALID_INPUT")
            self.number += 1
            identifier = f"{self.team_key}-{self.number}"
            issue = {"id": issue_id, "identifier": identifier, "title": data["title"],
                     "description": data.get("description"), "stateId": self.state("Backlog")["id"],
                     "url": f"https://linear.app/acme/issue/{identifier.lower()}/access-review"}
            self.issues[issue_id] = issue
            return 200, {}, {"data": {"issueCreate": {"success": True, "issue": self.public(issue)}}}
        if has("commentCreate"):
            data = variables["input"]
            if data.get("issueId") not in self.issues:
                return error("Entity not found: Issue", "INVALID_INPUT")
            comment_id = data.get("id") or str(uuid.uuid4())
            if comment_id in self.comments:
                return error("Argument Validation Error: id already exists", "INVALID_INPUT")
            self.comments[comment_id] = {"id": comment_id, "issueId": data["issueId"], "body": data["body"],
                                         "userId": self.viewer["id"]}
            return 200, {}, {"data": {"commentCreate": {"success": True, "comment": {"id": comment_id}}}}
        if has("issueUpdate"):
            issue = self.issues.get(variables.get("id"))
            if issue is None:
                return error("Entity not found: Issue", "INVALID_INPUT")
            state = variables["input"].get("stateId")
            if state not in {s["id"] for s in self.states}:
                return error("Entity not found: WorkflowState", "INVALID_INPUT")
            issue["stateId"] = state
            return 200, {}, {"data": {"issueUpdate": {"success": True}}}
        if has("team"):
            if variables.get("id") != self.team:
                return error("Entity not found: Team", "INVALID_INPUT")
            return 200, {}, {"data": {"team": {"id": self.team, "key": self.team_key, "states": {"nodes": [
                {"id": s["id"], "type": s["type"], "position": s["position"]} for s in self.states]}}}}
        if has("issue"):
            issue = self.issues.get(variables.get("id"))
            if issue is None:
                return error("Entity not found: Issue - Could not find referenced Issue.", "INVALID_INPUT")
            return 200, {}, {"data": {"issue": self.public(issue)}}
        if has("comment"):
            comment = self.comments.get(variables.get("id"))
            if comment is None:
                return error("Entity not found: Comment", "INVALID_INPUT")
            return 200, {}, {"data": {"comment": {"id": comment["id"]}}}
        if re.search(r"\bviewer\b", query):
            return 200, {}, {"data": {"viewer": self.viewer}}
        return error("Cannot query this field", "GRAPHQL_VALIDATION_FAILED", status=400)

    @staticmethod
    def public(issue):
        return {"id": issue["id"], "identifier": issue["identifier"], "url": issue["url"]}


def send_webhook(stack, inbound_url, payload, secret, delivery=None, timestamp_ms=None, signature=None):
    """Posts a Linear webhook to a connection's inbound URL, as Linear sends it."""
    payload = dict(payload)
    payload.setdefault("webhookTimestamp", int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    payload.setdefault("webhookId", "6a0e0d5d-6a3a-4c1b-9f2e-3a1c9b7d2e10")
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "Linear-Event": payload.get("type", ""),
               "Linear-Delivery": delivery or str(uuid.uuid4()),
               "Linear-Signature": signature or hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    path = inbound_url[inbound_url.index("/api/v1/"):]
    return requests.post(stack.url(path), data=body, headers=headers)


def comment_event(issue, comment_id, body, author="Sam Auditor"):
    return {"action": "create", "type": "Comment", "actor": {"id": str(uuid.uuid4()), "name": author, "type": "user"},
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "data": {"id": comment_id, "body": body, "issueId": issue["id"],
                     "issue": {"id": issue["id"], "title": issue["title"]}, "user": {"id": "u1", "name": author}}}


def state_event(issue, state, updated_at, previous_state_id, actor="Dana"):
    return {"action": "update", "type": "Issue", "actor": {"id": str(uuid.uuid4()), "name": actor, "type": "user"},
            "data": {"id": issue["id"], "identifier": issue["identifier"], "title": issue["title"],
                     "stateId": state["id"], "updatedAt": updated_at,
                     "state": {"id": state["id"], "name": state["name"], "type": state["type"], "color": "#5e6ad2"}},
            "updatedFrom": {"stateId": previous_state_id, "updatedAt": "2026-01-01T00:00:00.000Z"}}
