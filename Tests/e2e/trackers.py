"""Fake Jira and ServiceNow servers on 127.0.0.1. Each checks every request against the documented wire format
(../shared/reference/providers.md: method, path, auth header, JSON shape) and answers with the documented bodies.
`answer(...)` queues forced answers (errors, rate limits) that replace the next responses."""
import base64
import json
import threading
import time
import uuid
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


class FakeJira(FakeServer):
    """Jira REST v2 under a context path, Basic (Cloud) or Bearer (DC PAT) auth, as Cloud (the default) or Data Center.
    `GET /rest/api/2/serverInfo` says which (`deploymentType` Cloud or Server). Issue search as each documents it:
    Cloud answers 410 Gone on `/rest/api/{2,3}/search` (CHANGE-2046) and serves `/rest/api/{2,3}/search/jql`
    (`nextPageToken`/`isLast`, no total, `fields` default id only), whose index lags: an issue is invisible to it for
    `search_lag` seconds after its create unless named in `reconcileIssues`. Data Center serves `/rest/api/2/search`
    (`startAt`/`maxResults`/`total`) and has no `/search/jql`."""

    REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full "
               "migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")

    def __init__(self, token="jira-api-token", email=None, project=None, context="/jira", has_done=True,
                 deployment="cloud", search_lag=0.0):
        # Issue keys are unique per Jira; every fake gets its own project so tests never share a key.
        project = project or "SOX" + "".join(chr(65 + b % 26) for b in uuid.uuid4().bytes[:4])
        self.token, self.email, self.project, self.context = token, email, project, context
        self.has_done = has_done
        assert deployment in ("cloud", "datacenter")
        self.deployment, self.search_lag = deployment, search_lag
        self.issues = {}
        self.next_id = 10000 + uuid.uuid4().int % 90_000_000  # ids unique per Jira, so across fakes too
        self.myself = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ticket Sync Bot",
                       "name": "ticketsync", "key": "ticketsync"}
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}{context}"

    def key(self, n):
        return f"{self.project}-{n}"

    def expected_auth(self):
        if self.email:
            return "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return f"Bearer {self.token}"

    @staticmethod
    def error(status, messages=(), errors=None):
        return status, {}, {"errorMessages": list(messages), "errors": errors or {}}

    def searches(self):
        """Every issue search Ticket Sync made, whichever endpoint."""
        return [c for c in self.calls("GET") if "/search" in c["path"]] + \
            [c for c in self.calls("POST") if "/search" in c["path"]]

    def route(self, r):
        api = self.context + "/rest/api/2"
        v3 = self.context + "/rest/api/3"
        if r["path"].startswith(v3) and self.deployment == "cloud":
            if r["headers"].get("Authorization") != self.expected_auth():
                return self.error(401, ["You are not authenticated."])
            path = r["path"][len(v3):]
            if path in ("/search", "/search/"):
                return self.error(410, [self.REMOVED])
            if path == "/search/jql" and r["method"] in ("GET", "POST"):
                return self.search_jql(r)
            return self.error(404, ["No such path"])
        if not r["path"].startswith(api):
            return self.error(404, ["No such path"])
        if r["headers"].get("Authorization") != self.expected_auth():
            return self.error(401, ["You are not authenticated. Authentication required to perform this operation."])
        if r["method"] in ("POST", "PUT") and r["headers"].get("Content-Type") != "application/json":
            return self.error(415, ["Unsupported media type"])
        path, body = r["path"][len(api):], r["json"]
        parts = path.strip("/").split("/")
        if r["method"] == "GET" and path == "/myself":
            return 200, {}, self.myself
        if r["method"] == "GET" and path == "/serverInfo":
            if self.deployment == "cloud":
                return 200, {}, {"baseUrl": self.base, "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
                                 "deploymentType": "Cloud", "buildNumber": 100295, "serverTitle": "Jira"}
            return 200, {}, {"baseUrl": self.base, "version": "9.12.15", "versionNumbers": [9, 12, 15],
                             "deploymentType": "Server", "buildNumber": 9120015, "serverTitle": "Jira"}
        if path in ("/search", "/search/") and r["method"] in ("GET", "POST"):
            if self.deployment == "cloud":
                return self.error(410, [self.REMOVED])
            return self.search_dc(r)
        if path == "/search/jql" and r["method"] in ("GET", "POST"):
            if self.deployment != "cloud":
                return self.error(404, ["No such path"])
            return self.search_jql(r)
        if r["method"] == "GET" and parts[0] == "project" and len(parts) == 2:
            if parts[1] != self.project:
                return self.error(404, [f"No project could be found with key '{parts[1]}'."])
            return 200, {}, {"id": "10000", "key": self.project, "name": "Compliance"}
        if r["method"] == "POST" and path == "/comment/list" and self.deployment == "cloud":
            ids = body.get("ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or len(ids) > 1000:
                return self.error(400, ["ids must be a list of at most 1000 comment ids"])
            expand = "properties" in r["query"].get("expand", [""])[0]
            wanted = {str(i) for i in ids}
            found = [c for issue in self.issues.values() for c in issue["comments"] if c["id"] in wanted]
            return 200, {}, {"startAt": 0, "maxResults": len(found), "total": len(found), "isLast": True, "values": [
                {"id": c["id"], "body": c["body"], **({"properties": c["properties"]} if expand else {})}
                for c in found]}
        if r["method"] == "POST" and path == "/issue":
            return self.create(body)
        if len(parts) >= 2 and parts[0] == "issue":
            issue = self.issues.get(parts[1]) or next((i for i in self.issues.values() if i["id"] == parts[1]), None)
            if issue is None:
                return self.error(404, ["Issue does not exist or you do not have permission to see it."])
            if r["method"] == "GET" and parts[2:] == []:
                return 200, {}, {"id": issue["id"], "key": issue["key"],
                                 "self": f"{self.base}/rest/api/2/issue/{issue['id']}", "fields": {}}
            if r["method"] == "POST" and parts[2:] == ["comment"]:
                if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
                    return self.error(400, [], {"comment": "Comment body can not be empty!"})
                comment_id = str(self.next_id)
                self.next_id += 1
                issue["comments"].append({"id": comment_id, "body": body["body"],
                                          "properties": body.get("properties", [])})
                return 201, {}, {"id": comment_id, "body": body["body"], "author": self.myself,
                                 "self": f"{self.base}/rest/api/2/issue/{issue['id']}/comment/{comment_id}",
                                 "created": "2026-01-17T12:34:00.000+0000"}
            if r["method"] == "GET" and parts[2:] == ["comment"]:
                # Cloud documents only `renderedBody` here (properties: POST /comment/list); Data Center expands them.
                expand = "properties" in r["query"].get("expand", [""])[0] and self.deployment != "cloud"
                return 200, {}, {"total": len(issue["comments"]), "comments": [
                    {"id": c["id"], "body": c["body"], **({"properties": c["properties"]} if expand else {})}
                    for c in reversed(issue["comments"])]}
            if parts[2:] == ["transitions"]:
                return self.transitions(r["method"], issue, body)
        return self.error(404, ["No such path"])

    def create(self, body):
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return self.error(400, ["Request body is missing `fields`"])
        errors = {}
        if fields.get("project") != {"key": self.project}:
            errors["project"] = "project is required"
        if not isinstance(fields.get("summary"), str) or not fields["summary"]:
            errors["summary"] = "You must specify a summary of the issue."
        if not isinstance(fields.get("issuetype"), dict) or not isinstance(fields["issuetype"].get("name"), str):
            errors["issuetype"] = "issue type is required"
        if not isinstance(fields.get("description", ""), str):
            errors["description"] = "REST API v2 takes a plain string"
        if errors:
            return self.error(400, [], errors)
        issue_id = str(self.next_id)
        self.next_id += 1
        key = f"{self.project}-{len(self.issues) + 1}"
        self.issues[key] = {"id": issue_id, "key": key, "fields": fields, "comments": [], "status": "new",
                            "created": time.monotonic()}
        return 201, {}, {"id": issue_id, "key": key, "self": f"{self.base}/rest/api/2/issue/{issue_id}"}

    @staticmethod
    def search_params(r):
        """GET query parameters or the POST body, as one dict of lists."""
        if r["method"] == "POST":
            body = r["json"] if isinstance(r["json"], dict) else {}
            return {k: (v if isinstance(v, list) else [str(v)]) for k, v in body.items()}
        return {k: (",".join(v).split(",") if k in ("fields", "reconcileIssues") else v) for k, v in r["query"].items()}

    def matching(self, jql):
        """Only what Ticket Sync asks: `labels = "<label>"`. None: JQL the fake does not take."""
        import re
        match = re.fullmatch(r'labels = "([^"]+)"', jql)
        if not match:
            return None
        return [issue for issue in self.issues.values() if match.group(1) in issue.get("fields", {}).get("labels", [])]

    def shown(self, issue, fields):
        """An issue as search shows it: `id` always; `key`, `self` and `fields` only when fields were asked for."""
        if not fields or fields == ["id"]:
            return {"id": issue["id"]}
        return {"id": issue["id"], "key": issue["key"], "self": f"{self.base}/rest/api/2/issue/{issue['id']}",
                "fields": {f: issue["fields"].get(f) for f in fields if f in issue["fields"]}}

    def search_jql(self, r):
        """Cloud: bounded JQL, token paging, no total; eventually consistent unless reconciled."""
        params = self.search_params(r)
        jql = params.get("jql", [""])[0]
        if not jql.strip():
            return self.error(400, ["Unbounded JQL queries are not allowed here. Please add a search restriction."])
        found = self.matching(jql)
        if found is None:
            return self.error(400, [f"Unsupported JQL in the fake: {jql}"])
        reconcile = {str(i) for i in params.get("reconcileIssues", [])}
        now = time.monotonic()
        found = [i for i in found if now - i.get("created", 0) >= self.search_lag or i["id"] in reconcile]
        limit = int(params.get("maxResults", ["50"])[0])
        start = int(params.get("nextPageToken", ["0"])[0] or 0)
        page = found[start:start + limit]
        answer = {"issues": [self.shown(i, params.get("fields")) for i in page],
                  "isLast": start + limit >= len(found)}
        if not answer["isLast"]:
            answer["nextPageToken"] = str(start + limit)
        return 200, {}, answer

    def search_dc(self, r):
        """Data Center: `startAt`/`maxResults`/`total`, consistent."""
        params = self.search_params(r)
        jql = params.get("jql", [""])[0]
        found = self.matching(jql)
        if found is None:
            return self.error(400, [f"Unsupported JQL in the fake: {jql}"])
        start, limit = int(params.get("startAt", ["0"])[0]), int(params.get("maxResults", ["50"])[0])
        fields = params.get("fields") or ["*navigable"]
        return 200, {}, {"startAt": start, "maxResults": limit, "total": len(found),
                         "issues": [{"id": i["id"], "key": i["key"], "self": f"{self.base}/rest/api/2/issue/{i['id']}",
                                     "fields": {f: i["fields"].get(f) for f in fields if f in i["fields"]}}
                                    for i in found[start:start + limit]]}

    def available_transitions(self):
        def transition(tid, name, category):
            return {"id": tid, "name": name, "hasScreen": False, "isAvailable": True,
                    "to": {"id": str(100 + int(tid)), "name": name,
                           "statusCategory": {"id": {"new": 2, "indeterminate": 4, "done": 3}[category], "key": category}}}
        # Names deliberately misleading: only the status category says which one is done.
        items = [transition("11", "Done-ish review", "indeterminate"), transition("21", "Back to backlog", "new")]
        if self.has_done:
            items.append(transition("31", "Ship it", "done"))
        return items

    def transitions(self, method, issue, body):
        if method == "GET":
            return 200, {}, {"expand": "transitions", "transitions": self.available_transitions()}
        chosen = (body or {}).get("transition", {}).get("id") if isinstance(body, dict) else None
        match = [t for t in self.available_transitions() if t["id"] == chosen]
        if not match:
            return self.error(400, ["Transition id is not valid for this issue."])
        issue["status"] = match[0]["to"]["statusCategory"]["key"]
        return 204, {}, None


class FakeServiceNow(FakeServer):
    """The Table API for one table, with sys_journal_field, API key (x-sn-apikey) or Bearer auth."""

    def __init__(self, token="sn-api-token", auth="apikey", table="incident", journal_readable=True,
                 close_codes=("Solution provided", "Resolved by caller")):
        self.token, self.auth, self.table = token, auth, table
        self.journal_readable = journal_readable
        self.close_codes = close_codes
        self.records = {}
        self.journal = []
        self.first_number = 10001 + uuid.uuid4().int % 9_000_000  # record numbers unique across fakes
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"

    @staticmethod
    def error(status, message, detail=""):
        return status, {}, {"error": {"message": message, "detail": detail}, "status": "failure"}

    @staticmethod
    def rate_limited(seconds):
        """A rate-limit rule's refusal (inbound REST API rate limiting): 429 with Retry-After and the X-RateLimit-*
        headers."""
        reset = int(time.time()) + seconds
        return (429, {"Retry-After": str(seconds), "X-RateLimit-Limit": "100", "X-RateLimit-Reset": str(reset),
                      "X-RateLimit-Rule": "b3ad8f3e1b5a1010f877e4d2b4bcbb7b"},
                {"error": {"message": "Rate limit exceeded",
                           "detail": "Rate limit of 100 requests per hour for Table API exceeded"}, "status": "failure"})

    def authorized(self, headers):
        if self.auth == "apikey":
            return headers.get("x-sn-apikey") == self.token and "Authorization" not in headers
        return headers.get("Authorization") == f"Bearer {self.token}"

    def route(self, r):
        if not self.authorized(r["headers"]):
            return self.error(401, "User Not Authenticated", "Required to provide Auth information")
        if r["headers"].get("Accept") != "application/json":
            return self.error(400, "Accept header must be application/json")
        if r["method"] in ("POST", "PATCH", "PUT") and r["headers"].get("Content-Type") != "application/json":
            return self.error(400, "Content-Type header must be application/json")
        table_path = f"/api/now/table/{self.table}"
        body = r["json"]
        if r["method"] == "POST" and r["path"] == table_path:
            if not isinstance(body, dict) or not isinstance(body.get("short_description"), str):
                return self.error(400, "Invalid request body")
            sys_id = uuid.uuid4().hex
            number = f"INC{len(self.records) + self.first_number:07d}"
            self.records[sys_id] = {"sys_id": sys_id, "number": number, "state": "1", **body}
            fields = r["query"].get("sysparm_fields", ["sys_id,number"])[0].split(",")
            return 201, {"Location": f"{self.base}{table_path}/{sys_id}"}, \
                {"result": {f: self.records[sys_id].get(f, "") for f in fields}}
        if r["method"] == "PATCH" and r["path"].startswith(table_path + "/"):
            record = self.records.get(r["path"].rsplit("/", 1)[1])
            if record is None:
                return self.error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
            if not isinstance(body, dict):
                return self.error(400, "Invalid request body")
            if body.get("state") in ("6", "7") and (body.get("close_code") not in self.close_codes
                                                     or not body.get("close_notes")):
                return self.error(403, "Operation Failed",
                                  "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes")
            if "comments" in body:
                self.journal.append({"sys_id": uuid.uuid4().hex, "element_id": record["sys_id"], "element": "comments",
                                     "value": body["comments"], "sys_created_on": time.time()})
            record.update({k: v for k, v in body.items() if k != "comments"})
            # As documented, journal fields are not echoed back.
            return 200, {}, {"result": {**record, "comments": "", "work_notes": ""}}
        if r["method"] == "GET" and r["path"] == table_path:
            limit = int(r["query"].get("sysparm_limit", ["10000"])[0])
            query = r["query"].get("sysparm_query", [""])[0]
            rows = list(self.records.values())
            if query:
                field, _, value = query.partition("=")
                rows = [row for row in rows if row.get(field) == value]
            fields = r["query"].get("sysparm_fields", ["sys_id"])[0].split(",")
            return 200, {}, {"result": [{f: row.get(f, "") for f in fields} for row in rows[:limit]]}
        if r["method"] == "GET" and r["path"] == "/api/now/table/sys_journal_field":
            if not self.journal_readable:
                return self.error(403, "User Not Authorized", "ACL prevents reading sys_journal_field")
            query = dict(term.split("=", 1) for term in r["query"]["sysparm_query"][0].split("^") if "=" in term)
            rows = [j for j in self.journal if j["element_id"] == query.get("element_id")
                    and j["element"] == query.get("element")]
            rows.sort(key=lambda j: j["sys_created_on"], reverse=True)
            limit = int(r["query"].get("sysparm_limit", ["10000"])[0])
            return 200, {}, {"result": [{"sys_id": j["sys_id"], "value": j["value"]} for j in rows[:limit]]}
        return self.error(400, "Invalid URI", "Requested URI does not represent any resource")
