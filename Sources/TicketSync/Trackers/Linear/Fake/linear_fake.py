"""A fake of Linear's GraphQL API (`POST /graphql`) on 127.0.0.1, following Linear's documented behaviour: a personal
API key sent bare in `Authorization` (no `Bearer`), errors as `errors[]` (HTTP 200; authentication and rate limiting
with 400 and `extensions.code` AUTHENTICATION_ERROR / RATELIMITED, the latter with the `X-RateLimit-Requests-*`
headers), caller-chosen ids on issueCreate/commentCreate (a duplicate id is refused), signed webhooks
(`Linear-Signature`, `Linear-Delivery`, `webhookTimestamp`), and what a sweep reads: `issues(filter:, orderBy:,
first/after | last/before)` with Linear's filter objects (`and`/`or`, comparators, `some` over comments), ordered by
`updatedAt` most recent first (Linear: "to get most recently updated resources … order by updatedAt"), archived and
trashed issues hidden unless `includeArchived`; `issue(id:)` by id or identifier (a trashed issue answers with
`trashed: true`, a deleted one "Entity not found"); each issue's `comments(filter:, first:, after:)`.

Ticket fields (issue 23): `users(filter: {email: {eq | eqIgnoreCase: $email}})` over the users a test adds
(`add_user`), disabled ones left out (`includeDisabled` defaults to false in Linear's schema);
issueCreate takes `priority`, `labelIds`, `projectId`, `dueDate`, `assigneeId` and checks them as Linear's input
validation does (type-graphql's "Argument Validation Error", `extensions.code` INVALID_INPUT, type "invalid input",
`userError`, a `userPresentableMessage` naming the property: the shape Linear's SDK reads in `error.ts`); an unknown
input field is GraphQL's own coercion error; a reference to nothing is "Entity not found: <Entity>"; issueUpdate
also takes `dueDate` (null clears it). Every issue keeps what it was created and updated with.

Tests change issues "on Linear" without any webhook through `add_comment`, `move`/`complete`/`reopen` and `delete`.
A comment does not change its issue's `updatedAt` here (Linear's is "the last time … meaningfully updated"), so a
sweep must ask for comments on their own."""
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone

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


def invalid(prop, message, value=None):
    """Linear's argument validation error for one property of the input (class-validator's wording)."""
    return 200, {}, {"errors": [{"message": "Argument Validation Error", "path": ["issueCreate"], "extensions": {
        "code": "INVALID_INPUT", "type": "invalid input", "userError": True, "userPresentableMessage": message,
        "validationErrors": [{"property": prop, "value": value, "constraints": {"isValid": message}}]}}],
        "data": None}


# The IssueCreateInput / IssueUpdateInput fields the fake knows (Linear's schema has more; sending another one is
# GraphQL's "not defined by type" error, as Linear answers a misspelt field).
CREATE_FIELDS = {"id", "teamId", "title", "description", "priority", "labelIds", "projectId", "dueDate",
                 "assigneeId", "stateId", "estimate"}
UPDATE_FIELDS = {"stateId", "dueDate", "priority", "assigneeId", "title", "description"}


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_time(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


class FilterError(Exception):
    pass


def compare(value, comparator, convert=lambda v: v):
    """Linear's comparators (`eq`, `neq`, `in`, `nin`, `gt`, `gte`, `lt`, `lte`, `null`) on one value."""
    if not isinstance(comparator, dict):
        raise FilterError("a comparator must be an object")
    for op, wanted in comparator.items():
        if op == "null":
            if (value is None) != bool(wanted):
                return False
            continue
        if value is None:
            return False
        if op in ("in", "nin"):
            found = value in [convert(w) for w in wanted]
            if found != (op == "in"):
                return False
            continue
        if op not in ("eq", "neq", "gt", "gte", "lt", "lte"):
            raise FilterError(f"Unknown comparator {op}")
        target = convert(wanted)
        if not {"eq": value == target, "neq": value != target, "gt": value > target, "gte": value >= target,
                "lt": value < target, "lte": value <= target}[op]:
            return False
    return True


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
        self.users = {self.viewer["id"]: self.viewer}
        self.projects = {str(uuid.uuid4()): "Audit 2026"}
        self.labels = {str(uuid.uuid4()): "compliance"}
        self.issues = {}      # id -> issue
        self.comments = {}    # id -> comment
        self.rate_limited = 0  # the next n calls answer RATELIMITED
        self.rate_limit_reset = 1.0  # seconds from the limited call to X-RateLimit-Requests-Reset
        self.page_limit = None  # answer at most this many issues a page (Relay lets a server give fewer than asked)
        self.number = 0
        self.last_ms = 0
        self.data_lock = threading.RLock()
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"

    def now(self):
        """Linear's clock in epoch ms, strictly increasing (so every change has its own time)."""
        with self.data_lock:
            self.last_ms = max(int(time.time() * 1000), self.last_ms + 1)
            return self.last_ms

    def state(self, name):
        return next(s for s in self.states if s["name"] == name)

    def user(self, name):
        """A Linear user (not the API key's) by name, made on first use."""
        with self.data_lock:
            for existing in self.users.values():
                if existing["name"] == name and existing is not self.viewer:
                    return existing
            made = {"id": str(uuid.uuid4()), "name": name}
            self.users[made["id"]] = made
            return made

    def add_user(self, name, email, active=True):
        """A workspace member with an e-mail (a disabled one is left out of `users` as Linear leaves it out)."""
        with self.data_lock:
            made = {"id": str(uuid.uuid4()), "name": name, "email": email, "active": active}
            self.users[made["id"]] = made
            return made

    def validate_input(self, data, known, type_name):
        """Linear's checks of the fields the fake knows; None when the input passes."""
        for name in data:
            if name not in known:
                return error(f'Variable "$input" got invalid value {json.dumps(data)}; Field "{name}" is not defined '
                             f'by type "{type_name}".', "GRAPHQL_VALIDATION_FAILED", status=400)
        if "priority" in data and (not isinstance(data["priority"], int) or not 0 <= data["priority"] <= 4):
            if not isinstance(data["priority"], int):
                return error(f'Variable "$input" got invalid value {json.dumps(data["priority"])} at "input.priority"; '
                             f'Int cannot represent non-integer value: {json.dumps(data["priority"])}',
                             "GRAPHQL_VALIDATION_FAILED", status=400)
            bound = "greater than 4" if data["priority"] > 4 else "less than 0"
            return invalid("priority", f"priority must not be {bound}", data["priority"])
        if data.get("dueDate") is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(data["dueDate"])):
            return invalid("dueDate", "dueDate must be a valid date (YYYY-MM-DD)", data["dueDate"])
        if data.get("projectId") is not None and data["projectId"] not in self.projects:
            said = "Could not find referenced Project."
            return 200, {}, {"errors": [{"message": "Entity not found: Project", "path": ["issueCreate"],
                                         "extensions": {"code": "INVALID_INPUT", "type": "invalid input",
                                                        "userError": True, "userPresentableMessage": said}}],
                             "data": None}
        for label in data.get("labelIds") or []:
            if label not in self.labels:
                return error("Entity not found: IssueLabel", "INVALID_INPUT")
        if data.get("assigneeId") is not None and data["assigneeId"] not in self.users:
            return error("Entity not found: User", "INVALID_INPUT")
        return None

    def operations(self, name):
        """The recorded calls of one operation (by operation name), as their variables."""
        return [r["json"]["variables"] for r in self.requests if r.get("operation") == name]

    def issue(self, identifier):
        return next(i for i in self.issues.values() if i["identifier"] == identifier)

    # -- Changes made on Linear, without any webhook ---------------------------------------------------------------

    def add_issue(self, title, author="Dana"):
        """Someone creates an issue in the team in Linear (not one of Ticket Sync's)."""
        with self.data_lock:
            self.number += 1
            identifier = f"{self.team_key}-{self.number}"
            at = self.now()
            issue = {"id": str(uuid.uuid4()), "identifier": identifier, "title": title, "description": "",
                     "stateId": self.state("Backlog")["id"], "teamId": self.team, "creatorId": self.user(author)["id"],
                     "createdAt": at, "updatedAt": at, "startedAt": None, "completedAt": None, "canceledAt": None,
                     "archivedAt": None, "trashed": False,
                     "url": f"https://linear.app/acme/issue/{identifier.lower()}/other"}
            self.issues[issue["id"]] = issue
            return issue

    def add_comment(self, issue, body, author="Sam Auditor"):
        """Someone writes a comment on the issue in Linear."""
        with self.data_lock:
            at = self.now()
            comment = {"id": str(uuid.uuid4()), "issueId": issue["id"], "body": body,
                       "userId": self.user(author)["id"], "createdAt": at, "updatedAt": at}
            self.comments[comment["id"]] = comment
            return comment

    def move(self, issue, state_name):
        """Someone moves the issue to another workflow state in Linear."""
        with self.data_lock:
            state = self.state(state_name)
            at = self.now()
            previous = self.state_of(issue)["type"]
            issue["stateId"] = state["id"]
            issue["updatedAt"] = at
            if state["type"] == "started" and previous != "started":
                issue["startedAt"] = at
            issue["completedAt"] = at if state["type"] == "completed" else None
            issue["canceledAt"] = at if state["type"] == "canceled" else None
            return issue

    def complete(self, issue):
        return self.move(issue, "Done")

    def reopen(self, issue):
        return self.move(issue, "Todo")

    def delete(self, issue, permanently=False):
        """Deleting in Linear moves the issue to the trash (archived, `trashed: true`); `permanently` purges it."""
        with self.data_lock:
            if permanently:
                self.issues.pop(issue["id"], None)
                for comment_id in [c["id"] for c in self.comments.values() if c["issueId"] == issue["id"]]:
                    del self.comments[comment_id]
                return
            at = self.now()
            issue.update(trashed=True, archivedAt=at, updatedAt=at)

    def rate_limit(self, calls=1, reset_seconds=1.0):
        """The next `calls` calls answer RATELIMITED, the window resetting `reset_seconds` after each."""
        with self.data_lock:
            self.rate_limited = calls
            self.rate_limit_reset = reset_seconds

    # -- The API --------------------------------------------------------------------------------------------------

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
                reset = int((time.time() + self.rate_limit_reset) * 1000)
                r["rate_limited"] = True
                return error("Rate limit exceeded", "RATELIMITED", status=400,
                             headers={"X-RateLimit-Requests-Limit": "5000", "X-RateLimit-Requests-Remaining": "0",
                                      "X-RateLimit-Requests-Reset": str(reset)})
            body = r["json"]
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                return error("Must provide query string.", "GRAPHQL_PARSE_FAILED", status=400)
            try:
                return self.execute(body["query"], body.get("variables") or {})
            except FilterError as problem:
                return error(str(problem), "GRAPHQL_VALIDATION_FAILED", status=400)

    def execute(self, query, variables):
        def has(field):
            return re.search(r"\b" + field + r"\s*\(", query) is not None

        if has("issueCreate"):
            data = variables["input"]
            refused = self.validate_input(data, CREATE_FIELDS, "IssueCreateInput")
            if refused:
                return refused
            if data.get("teamId") != self.team:
                return error("Entity not found: Team", "INVALID_INPUT")
            issue_id = data.get("id") or str(uuid.uuid4())
            if issue_id in self.issues:
                return error("Argument Validation Error: id already exists", "INVALID_INPUT")
            self.number += 1
            identifier = f"{self.team_key}-{self.number}"
            at = self.now()
            issue = {"id": issue_id, "identifier": identifier, "title": data["title"],
                     "description": data.get("description"), "stateId": self.state("Backlog")["id"],
                     "teamId": self.team, "creatorId": self.viewer["id"], "createdAt": at, "updatedAt": at,
                     "startedAt": None, "completedAt": None, "canceledAt": None, "archivedAt": None,
                     "trashed": False, "url": f"https://linear.app/acme/issue/{identifier.lower()}/access-review"}
            for name in ("priority", "labelIds", "projectId", "dueDate", "assigneeId", "estimate"):
                if name in data:
                    issue[name] = data[name]
            self.issues[issue_id] = issue
            return 200, {}, {"data": {"issueCreate": {"success": True, "issue": self.public(issue)}}}
        if has("commentCreate"):
            data = variables["input"]
            if data.get("issueId") not in self.issues:
                return error("Entity not found: Issue", "INVALID_INPUT")
            comment_id = data.get("id") or str(uuid.uuid4())
            if comment_id in self.comments:
                return error("Argument Validation Error: id already exists", "INVALID_INPUT")
            at = self.now()
            self.comments[comment_id] = {"id": comment_id, "issueId": data["issueId"], "body": data["body"],
                                         "userId": self.viewer["id"], "createdAt": at, "updatedAt": at}
            return 200, {}, {"data": {"commentCreate": {"success": True, "comment": {"id": comment_id}}}}
        if has("issueUpdate"):
            issue = self.issues.get(variables.get("id"))
            if issue is None:
                return error("Entity not found: Issue", "INVALID_INPUT")
            data = variables["input"]
            refused = self.validate_input(data, UPDATE_FIELDS, "IssueUpdateInput")
            if refused:
                return refused
            if "stateId" in data:
                state = next((s for s in self.states if s["id"] == data.get("stateId")), None)
                if state is None:
                    return error("Entity not found: WorkflowState", "INVALID_INPUT")
                self.move(issue, state["name"])
            for name in ("dueDate", "priority", "assigneeId", "title", "description"):
                if name in data:
                    issue[name] = data[name]
                    issue["updatedAt"] = self.now()
            return 200, {}, {"data": {"issueUpdate": {"success": True}}}
        if has("users"):
            # users(filter: { email: { eq | eqIgnoreCase: $email } }): members with that e-mail, disabled ones left out.
            match = re.search(r"email\s*:\s*\{\s*(eq|eqIgnoreCase)\s*:\s*\$email\s*\}", query)
            if not match:
                return error("Only an e-mail filter is supported here", "GRAPHQL_VALIDATION_FAILED", status=400)
            fold = (lambda text: (text or "").lower()) if match.group(1) == "eqIgnoreCase" else (lambda text: text)
            wanted = fold(variables.get("email"))
            nodes = [{"id": u["id"]} for u in self.users.values()
                     if u.get("email") and fold(u["email"]) == wanted and u.get("active", True)]
            return 200, {}, {"data": {"users": {"nodes": nodes}}}
        if has("team"):
            if variables.get("id") != self.team:
                return error("Entity not found: Team", "INVALID_INPUT")
            return 200, {}, {"data": {"team": {"id": self.team, "key": self.team_key, "states": {"nodes": [
                {"id": s["id"], "type": s["type"], "position": s["position"]} for s in self.states]}}}}
        if has("issues"):
            return 200, {}, {"data": {"issues": self.issue_connection(query, variables)}}
        if has("issue"):
            wanted = variables.get("id")
            issue = self.issues.get(wanted) or next(
                (i for i in self.issues.values() if i["identifier"] == wanted), None)
            if issue is None:
                return error("Entity not found: Issue - Could not find referenced Issue.", "INVALID_INPUT")
            return 200, {}, {"data": {"issue": self.node(issue, query, variables)}}
        if has("comment"):
            comment = self.comments.get(variables.get("id"))
            if comment is None:
                return error("Entity not found: Comment", "INVALID_INPUT")
            return 200, {}, {"data": {"comment": {"id": comment["id"]}}}
        if re.search(r"\bviewer\b", query):
            return 200, {}, {"data": {"viewer": self.viewer}}
        return error("Cannot query this field", "GRAPHQL_VALIDATION_FAILED", status=400)

    @staticmethod
    def arguments(query, field, variables):
        """The arguments of `field(...)` in the document, with `$variables` substituted (literals: ints, enums)."""
        match = re.search(r"\b" + field + r"\s*\(([^)]*)\)", query)
        if not match:
            return {}
        args = {}
        for part in match.group(1).split(","):
            if ":" not in part:
                continue
            name, value = (p.strip() for p in part.split(":", 1))
            if value.startswith("$"):
                args[name] = variables.get(value[1:])
            elif re.fullmatch(r"-?\d+", value):
                args[name] = int(value)
            else:
                args[name] = value.strip('"')
        return args

    @staticmethod
    def page(items, args, cursor_of, limit=250):
        """Relay paging: `first`/`after` forwards, `last`/`before` backwards (50 when neither is given)."""
        def index(cursor):
            return next((n for n, item in enumerate(items) if cursor_of(item) == cursor), None)

        start, end = 0, len(items)
        if args.get("after") is not None:
            found = index(args["after"])
            start = len(items) if found is None else found + 1
        if args.get("before") is not None:
            found = index(args["before"])
            end = 0 if found is None else found
        window = items[start:end]
        if args.get("last") is not None:
            chosen = window[max(0, len(window) - min(args["last"], limit)):]
        else:
            chosen = window[:min(args.get("first") or 50, limit)]
        first_at = start + window.index(chosen[0]) if chosen else start
        last_at = first_at + len(chosen)
        return chosen, {"hasPreviousPage": first_at > 0, "hasNextPage": last_at < len(items),
                        "startCursor": cursor_of(chosen[0]) if chosen else None,
                        "endCursor": cursor_of(chosen[-1]) if chosen else None}

    def issue_connection(self, query, variables):
        args = self.arguments(query, "issues", variables)
        issues = [i for i in self.issues.values() if args.get("includeArchived") or i["archivedAt"] is None]
        issues = [i for i in issues if self.issue_matches(i, args.get("filter") or {})]
        if args.get("orderBy") == "updatedAt":
            issues.sort(key=lambda i: i["updatedAt"], reverse=True)  # most recently updated first
        else:
            issues.sort(key=lambda i: i["createdAt"])
        chosen, info = self.page(issues, args, lambda i: "issue:" + i["id"], self.page_limit or 250)
        return {"nodes": [self.node(i, query, variables) for i in chosen], "pageInfo": info}

    def node(self, issue, query, variables):
        """An issue with every field a sweep or a create selects (extra fields are harmless to the readers)."""
        state = self.state_of(issue)
        data = {**self.public(issue), "title": issue["title"], "createdAt": iso(issue["createdAt"]),
                "updatedAt": iso(issue["updatedAt"]), "trashed": issue["trashed"],
                "archivedAt": iso(issue["archivedAt"]) if issue["archivedAt"] else None,
                "state": {"id": state["id"], "name": state["name"], "type": state["type"]}}
        for field in ("startedAt", "completedAt", "canceledAt"):
            data[field] = iso(issue[field]) if issue[field] else None
        if re.search(r"\bcomments\s*\(", query):
            args = self.arguments(query, "comments", variables)
            comments = sorted((c for c in self.comments.values() if c["issueId"] == issue["id"]
                               and self.comment_matches(c, args.get("filter") or {})), key=lambda c: c["createdAt"])
            chosen, info = self.page(comments, args, lambda c: "comment:" + c["id"])
            data["comments"] = {"nodes": [self.comment_node(c) for c in chosen], "pageInfo": info}
        return data

    def comment_node(self, comment):
        user = self.users[comment["userId"]]
        return {"id": comment["id"], "body": comment["body"], "createdAt": iso(comment["createdAt"]),
                "updatedAt": iso(comment["updatedAt"]), "botActor": None,
                "user": {"id": user["id"], "name": user["name"], "isMe": user["id"] == self.viewer["id"]}}

    def state_of(self, issue):
        return next(s for s in self.states if s["id"] == issue["stateId"])

    def issue_matches(self, issue, where):
        for name, condition in where.items():
            if name == "and":
                ok = all(self.issue_matches(issue, part) for part in condition)
            elif name == "or":
                ok = any(self.issue_matches(issue, part) for part in condition)
            elif name in ("id", "identifier"):
                ok = compare(issue[name], condition)
            elif name in ("updatedAt", "createdAt", "completedAt", "canceledAt", "startedAt", "archivedAt"):
                ok = compare(issue[name], condition, parse_time)
            elif name == "team":
                if not set(condition) <= {"id", "key"}:
                    raise FilterError("Only the team's id and key are filtered here")
                ok = all(compare(self.team if key == "id" else self.team_key, value)
                         for key, value in condition.items())
            elif name == "state":
                state = self.state_of(issue)
                ok = all(compare(state[key], value) for key, value in condition.items())
            elif name == "comments":
                comments = [c for c in self.comments.values() if c["issueId"] == issue["id"]]
                ok = True
                for quantifier, inner in condition.items():
                    if quantifier == "some":
                        ok = ok and any(self.comment_matches(c, inner) for c in comments)
                    elif quantifier == "every":
                        ok = ok and all(self.comment_matches(c, inner) for c in comments)
                    else:
                        raise FilterError(f"Field \"{quantifier}\" is not defined by type CommentCollectionFilter")
            else:
                raise FilterError(f"Field \"{name}\" is not defined by type IssueFilter")
            if not ok:
                return False
        return True

    def comment_matches(self, comment, where):
        for name, condition in where.items():
            if name == "and":
                ok = all(self.comment_matches(comment, part) for part in condition)
            elif name == "or":
                ok = any(self.comment_matches(comment, part) for part in condition)
            elif name == "id":
                ok = compare(comment["id"], condition)
            elif name in ("createdAt", "updatedAt"):
                ok = compare(comment[name], condition, parse_time)
            elif name == "user":
                user = self.users[comment["userId"]]
                ok = all(compare(user["id"] == self.viewer["id"] if key == "isMe" else user.get(key), value)
                         for key, value in condition.items())
            else:
                raise FilterError(f"Field \"{name}\" is not defined by type CommentFilter")
            if not ok:
                return False
        return True

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
