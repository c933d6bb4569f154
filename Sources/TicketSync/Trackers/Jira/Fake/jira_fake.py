"""A fake Jira (Cloud and Data Center) on 127.0.0.1 for the end-to-end tests. It checks every request against the
documented wire format (docs/trackers/jira.md, ../shared/reference/providers.md and trackers-2026.md: method, path,
auth header, JSON shape) and answers with the documented bodies. `answer(...)` queues forced answers."""
import base64
import time
import uuid

from fake_server import FakeServer


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

