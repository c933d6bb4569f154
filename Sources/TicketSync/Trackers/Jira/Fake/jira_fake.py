"""A fake Jira (Cloud and Data Center) on 127.0.0.1 for the end-to-end tests. It checks every request against the
documented wire format (docs/trackers/jira.md, ../shared/reference/providers.md and trackers-2026.md: method, path,
auth header, JSON shape) and answers with the documented bodies. `answer(...)` queues forced answers."""
import base64
import re
import time
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fake_server import FakeServer


class FakeJira(FakeServer):
    """Jira REST v2 under a context path, Basic (Cloud) or Bearer (DC PAT) auth, as Cloud (the default) or Data Center.
    `GET /rest/api/2/serverInfo` says which (`deploymentType` Cloud or Server). Issue search as each documents it:
    Cloud answers 410 Gone on `/rest/api/{2,3}/search` (CHANGE-2046) and serves `/rest/api/{2,3}/search/jql`
    (`nextPageToken`/`isLast`, no total, `fields` default id only), whose index lags: an issue is invisible to it for
    `search_lag` seconds after its create unless named in `reconcileIssues`. Data Center serves `/rest/api/2/search`
    (`startAt`/`maxResults`/`total`) and has no `/search/jql`.

    What a sweep reads: the JQL Ticket Sync sends (`project`, `labels`, `updated >= "yyyy/MM/dd HH:mm"` read in the
    account's `time_zone`, `ORDER BY updated ASC`), `fields` status/updated/comment (an issue's `updated` and comment
    times are written in that zone with its offset, as Jira writes them), at most `comment_embed` comments embedded in
    an issue (the rest from `GET /issue/{key}/comment`, `startAt`-paged), at most `page_cap` issues a page whatever
    `maxResults` asks. v3 (Cloud) bodies are Atlassian Document Format, v2 bodies plain text. A deleted issue answers
    404. The test helpers `add_comment`, `transition`, `resolve`, `reopen` and `delete` change an issue "on the
    tracker" without any webhook; `comment_webhook` / `status_webhook` build the webhook Jira would have sent.

    Fields (issue 23): `required` (field id -> {"name", "allowed"}) is what the project requires on create without a
    default; a create missing one is refused with Jira's 400 ErrorCollection naming each (`"errors": {"customfield_10010":
    "Team is required."}`), as is a value it does not allow, a field not on the create screen, a malformed `duedate`
    or an unknown assignee. The create metadata is served one project at a time (`GET /issue/createmeta/{project}/
    issuetypes[/{issueTypeId}]`, paged by `meta_page`; Cloud pages name their items `issueTypes`/`fields`, Data Center
    `values` with `isLast`); the all-projects `GET /issue/createmeta` is gone in Data Center 9.0 (404, JRASERVER-74965)
    and deprecated on Cloud (CHANGE-1304), where it still answers in its old shape. `users` is who `GET /user/search` finds (`query=` on Cloud,
    where hidden e-mail addresses are left out of the answer; `username=` on Data Center). `PUT /issue/{key}` edits an
    issue's fields (204). An issue's stored fields are `issues[key]["fields"]`."""

    ISSUE_TYPES = [("10001", "Bug"), ("10002", "Story"), ("10003", "Task"), ("10004", "Epic")]
    PRIORITIES = [("1", "High"), ("2", "Medium"), ("3", "Low")]
    REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full "
               "migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")

    def __init__(self, token="jira-api-token", email=None, project=None, context="/jira", has_done=True,
                 deployment="cloud", search_lag=0.0, time_zone="America/Los_Angeles", comment_embed=20, page_cap=50,
                 required=None, users=None, meta_page=50):
        # Issue keys are unique per Jira; every fake gets its own project so tests never share a key.
        project = project or "SOX" + "".join(chr(65 + b % 26) for b in uuid.uuid4().bytes[:4])
        self.token, self.email, self.project, self.context = token, email, project, context
        self.has_done = has_done
        assert deployment in ("cloud", "datacenter")
        self.deployment, self.search_lag = deployment, search_lag
        self.issues = {}
        self.next_id = 10000 + uuid.uuid4().int % 90_000_000  # ids unique per Jira, so across fakes too
        self.time_zone, self.comment_embed, self.page_cap = time_zone, comment_embed, page_cap
        self.myself = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Ticket Sync Bot",
                       "name": "ticketsync", "key": "ticketsync", "timeZone": time_zone}
        self.deleted = {}  # key -> issue, for a test to look at
        # field id -> {"name": "Team", "allowed": ["Platform", ...]}: required on create, without a default.
        self.required = dict(required or {})
        # {"accountId", "name", "displayName", "email", "visible" (e-mail shown, Cloud), "active", "accountType"}
        self.users = list(users or [])
        self.meta_page = meta_page
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

    # --- times, as Jira writes and reads them ---------------------------------------------------------------------

    def zone(self):
        return ZoneInfo(self.time_zone) if self.time_zone else timezone.utc

    @staticmethod
    def now_ms():
        return int(time.time() * 1000)

    def jira_time(self, ms):
        """`2026-12-05T09:41:07.123+1300`: the account's zone, with its offset."""
        moment = datetime.fromtimestamp(ms / 1000, tz=self.zone())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + moment.strftime("%z")

    def jql_time(self, text):
        """A JQL date (`yyyy/MM/dd HH:mm` or `yyyy/MM/dd`) in epoch ms, read in the account's zone."""
        for pattern in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d"):
            try:
                local = datetime.strptime(text, pattern)
            except ValueError:
                continue
            return int(local.replace(tzinfo=self.zone()).timestamp() * 1000)
        return None

    # --- changes on the tracker's side, without any webhook ----------------------------------------------------

    def touch(self, issue, ms=None):
        issue["updated"] = ms or self.now_ms()
        return issue["updated"]

    def add_comment(self, key, text="Attached the report.", author=None, adf=None):
        """A comment written on Jira by someone (not the integration account, unless `author` says so); `adf` is its
        v3 body (default: `text` as paragraphs). Returns the comment."""
        issue = self.issues[key]
        comment_id = str(self.next_id)
        self.next_id += 1
        ms = self.now_ms()
        comment = {"id": comment_id, "body": text, "adf": adf, "properties": [], "created": ms,
                   "author": author or {"accountId": "5a1b0e47748e770ed11f338c", "displayName": "Jane Auditor",
                                        "name": "jane", "key": "JIRAUSER10100"}}
        issue["comments"].append(comment)
        self.touch(issue, ms)
        return comment

    STATUSES = {"new": ("To Do", 2), "indeterminate": ("In Progress", 4), "done": ("Done", 3)}

    def transition(self, key, category, name=None):
        """Moves the issue to a status of `category` (new, indeterminate, done), named `name`."""
        issue = self.issues[key]
        issue["status"] = category
        issue["status_name"] = name or self.STATUSES[category][0]
        ms = self.touch(issue)
        issue["status_changed"] = ms
        return ms

    def resolve(self, key, name="Done"):
        return self.transition(key, "done", name)

    def reopen(self, key, name="Reopened"):
        return self.transition(key, "new", name)

    def delete(self, key):
        self.deleted[key] = self.issues.pop(key)

    def status_of(self, issue):
        category = issue.get("status", "new")
        name = issue.get("status_name") or self.STATUSES[category][0]
        return {"self": f"{self.base}/rest/api/2/status/1", "name": name, "id": "1",
                "statusCategory": {"self": f"{self.base}/rest/api/2/statuscategory/{self.STATUSES[category][1]}",
                                   "id": self.STATUSES[category][1], "key": category,
                                   "name": {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[category]}}

    def comment_webhook(self, key, comment):
        """The `comment_created` delivery Jira would have sent for `comment` (v2 body, as Jira's webhooks carry)."""
        issue = self.issues[key]
        return {"timestamp": comment["created"], "webhookEvent": "comment_created",
                "comment": self.shown_comment(issue, comment, 2),
                "issue": {"id": issue["id"], "key": key, "fields": {"summary": "x"}}}

    def status_webhook(self, key, ms):
        """The `jira:issue_updated` delivery Jira would have sent for the status change at `ms`."""
        issue = self.issues[key]
        status = self.status_of(issue)
        return {"timestamp": ms, "webhookEvent": "jira:issue_updated",
                "user": {"displayName": "Jane Auditor", "name": "jane"},
                "issue": {"id": issue["id"], "key": key, "fields": {"status": status}},
                "changelog": {"items": [{"field": "status", "toString": status["name"]}]}}

    # --- the API --------------------------------------------------------------------------------------------------

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
            if r["method"] in ("POST", "PUT") and r["headers"].get("Content-Type") != "application/json":
                return self.error(415, ["Unsupported media type"])
            path = r["path"][len(v3):]
            parts = path.strip("/").split("/")
            if path in ("/search", "/search/"):
                return self.error(410, [self.REMOVED])
            if path == "/search/jql" and r["method"] in ("GET", "POST"):
                return self.search_jql(r, api=3)
            if r["method"] == "GET" and len(parts) in (2, 3) and parts[0] == "issue" and parts[2:] in ([], ["comment"]):
                return self.read_issue(r, parts, api=3)
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
        if r["method"] == "GET" and parts[:2] == ["issue", "createmeta"]:
            return self.createmeta(r, parts[2:])
        if r["method"] == "GET" and path == "/user/search":
            return self.user_search(r["query"])
        if r["method"] == "PUT" and len(parts) == 2 and parts[0] == "issue":
            return self.edit(parts[1], body)
        if r["method"] == "GET" and len(parts) in (2, 3) and parts[0] == "issue" and parts[2:] in ([], ["comment"]):
            return self.read_issue(r, parts, api=2)
        if len(parts) >= 2 and parts[0] == "issue":
            issue = self.find(parts[1])
            if issue is None:
                return self.error(404, ["Issue does not exist or you do not have permission to see it."])
            if r["method"] == "POST" and parts[2:] == ["comment"]:
                if not isinstance(body, dict) or not isinstance(body.get("body"), str) or not body["body"]:
                    return self.error(400, [], {"comment": "Comment body can not be empty!"})
                comment_id = str(self.next_id)
                self.next_id += 1
                comment = {"id": comment_id, "body": body["body"], "properties": body.get("properties", []),
                           "author": self.myself, "created": self.now_ms()}
                issue["comments"].append(comment)
                self.touch(issue, comment["created"])
                return 201, {}, self.shown_comment(issue, comment, 2)
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
        errors.update(self.field_errors(fields, creating=True))
        if errors:
            return self.error(400, [], errors)
        issue_id = str(self.next_id)
        self.next_id += 1
        key = f"{self.project}-{len(self.issues) + len(self.deleted) + 1}"
        now = self.now_ms()
        self.issues[key] = {"id": issue_id, "key": key, "fields": fields, "comments": [], "status": "new",
                            "created": time.monotonic(), "updated": now, "status_changed": now}
        return 201, {}, {"id": issue_id, "key": key, "self": f"{self.base}/rest/api/2/issue/{issue_id}"}

    # --- fields: create metadata, required fields, users, edits ---------------------------------------------------

    def field_meta(self):
        """The create screen's fields (the same for every issue type), as createmeta lists them."""
        def meta(field_id, name, schema, required=False, default=False, allowed=None):
            entry = {"fieldId": field_id, "key": field_id, "name": name, "required": required,
                     "hasDefaultValue": default, "operations": ["set"], "schema": schema}
            if allowed is not None:
                entry["allowedValues"] = allowed
            return entry
        fields = [
            meta("summary", "Summary", {"type": "string", "system": "summary"}, required=True),
            meta("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, required=True,
                 allowed=[{"id": i, "name": n, "subtask": False} for i, n in self.ISSUE_TYPES]),
            meta("project", "Project", {"type": "project", "system": "project"}, required=True,
                 allowed=[{"id": "10000", "key": self.project, "name": "Compliance"}]),
            meta("reporter", "Reporter", {"type": "user", "system": "reporter"}, required=True, default=True),
            meta("description", "Description", {"type": "string", "system": "description"}),
            meta("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
            meta("duedate", "Due date", {"type": "date", "system": "duedate"}),
            meta("assignee", "Assignee", {"type": "user", "system": "assignee"}),
            meta("priority", "Priority", {"type": "priority", "system": "priority"},
                 required="priority" in self.required, default="priority" not in self.required,
                 allowed=[{"id": i, "name": n} for i, n in self.PRIORITIES]),
        ]
        for n, (field_id, spec) in enumerate(sorted(self.required.items())):
            if field_id == "priority":
                continue
            fields.append(meta(field_id, spec["name"], {"type": "option", "custom": "com.atlassian.jira.plugin."
                                                        "system.customfieldtypes:select", "customId": 10010 + n},
                               required=True, allowed=[{"id": str(20000 + k), "value": v}
                                                       for k, v in enumerate(spec.get("allowed") or [])]))
        return fields

    def paged(self, r, items, name):
        start = int(r["query"].get("startAt", ["0"])[0])
        limit = min(int(r["query"].get("maxResults", ["50"])[0]), self.meta_page)
        page = items[start:start + limit]
        if self.deployment == "cloud":
            return 200, {}, {name: page, "maxResults": limit, "startAt": start, "total": len(items)}
        return 200, {}, {"values": page, "maxResults": limit, "startAt": start, "total": len(items),
                         "isLast": start + limit >= len(items)}

    def createmeta(self, r, rest):
        if not rest:
            # Data Center 9 removed it (JRASERVER-74965); Cloud documents it as deprecated (CHANGE-1304) and still
            # answers, in its old shape. The service never calls it: tests assert so on the recorded calls.
            if self.deployment != "cloud":
                return self.error(404, ["No such path"])
            return self.old_createmeta(r)
        if rest[0] not in (self.project, "10000"):
            return self.error(404, [f"No project could be found with key '{rest[0]}'."])
        if rest[1:] == ["issuetypes"]:
            types = [{"self": f"{self.base}/rest/api/2/issuetype/{i}", "id": i, "name": n, "subtask": False,
                      "description": ""} for i, n in self.ISSUE_TYPES]
            return self.paged(r, types, "issueTypes")
        if len(rest) == 3 and rest[1] == "issuetypes" and rest[2] in [i for i, _ in self.ISSUE_TYPES]:
            return self.paged(r, self.field_meta(), "fields")
        return self.error(404, ["The issue type selected is invalid."])

    def old_createmeta(self, r):
        """The deprecated all-projects createmeta: projects filtered by `projectKeys`, issue types with their fields
        only when `expand` asks for `projects.issuetypes.fields`."""
        keys = ",".join(r["query"].get("projectKeys", [])).split(",")
        expand = ",".join(r["query"].get("expand", []))
        fields = {f["fieldId"]: f for f in self.field_meta()}
        types = [dict({"id": i, "name": n, "subtask": False},
                      **({"fields": fields} if "projects.issuetypes.fields" in expand else {}))
                 for i, n in self.ISSUE_TYPES]
        projects = [{"id": "10000", "key": self.project, "name": "Compliance", "issuetypes": types}]
        return 200, {}, {"expand": "projects", "projects": [p for p in projects if keys == [""] or p["key"] in keys]}

    @staticmethod
    def chosen(value):
        if isinstance(value, dict):
            return value.get("name") or value.get("value") or value.get("id")
        return None

    def field_errors(self, fields, creating):
        """Jira's 400 `errors` for these fields: missing required ones (on create), values not allowed, fields not on
        the screen, a malformed due date, an unknown assignee, labels with spaces."""
        errors = {}
        screen = {f["fieldId"]: f for f in self.field_meta()}
        for name, value in fields.items():
            if name not in screen:
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            elif name == "duedate" and value is not None and \
                    not (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
                errors[name] = f"Error parsing date string: {value}"
            elif name == "labels" and (not isinstance(value, list) or
                                       not all(isinstance(v, str) and v and " " not in v for v in value)):
                errors[name] = "The label must be a string without spaces."
            elif name == "assignee" and value is not None and self.user(value) is None:
                errors[name] = "Specified user does not exist or you do not have required permissions"
        for field_id, spec in self.required.items():
            value = fields.get(field_id)
            if value in (None, "", {}, []):
                if creating:
                    errors[field_id] = f"{spec['name']} is required."
                continue
            allowed = [n for _, n in self.PRIORITIES] if field_id == "priority" else spec.get("allowed") or []
            if allowed and self.chosen(value) not in allowed:
                errors[field_id] = (f"Specify a valid value for {spec['name']}" if self.chosen(value) is None
                                    else f"Option value '{self.chosen(value)}' is not valid")
        return errors

    def user(self, ref):
        """The user an assignee object names: `accountId` on Cloud, `name` on Data Center."""
        if not isinstance(ref, dict):
            return None
        key = "accountId" if self.deployment == "cloud" else "name"
        return next((u for u in self.users + [self.myself] if ref.get(key) and u.get(key) == ref.get(key)
                     and set(ref) == {key}), None)

    def user_search(self, query):
        """Cloud: `query` (a prefix of the display name or e-mail, hidden ones included) answers active users, their
        address only when they let it show; `username` is refused in GDPR strict mode. Data Center: `username`
        (a prefix of the user name, display name or e-mail)."""
        if self.deployment == "cloud":
            if "username" in query:
                return self.error(400, ["The query parameter 'username' is not supported in GDPR strict mode."])
            if not query.get("query"):
                return self.error(400, ["One of 'query' or 'accountId' query parameters must be provided."])
            text = query["query"][0].lower()
            found = [u for u in self.users if u.get("active", True) and
                     (u.get("email", "").lower().startswith(text) or u.get("displayName", "").lower().startswith(text))]
            return 200, {}, [{"self": f"{self.base}/rest/api/2/user?accountId={u['accountId']}",
                              "accountId": u["accountId"], "accountType": u.get("accountType", "atlassian"),
                              "displayName": u.get("displayName", ""), "active": True,
                              **({"emailAddress": u["email"]} if u.get("visible") else {})} for u in found]
        if not query.get("username"):
            return self.error(400, ["The username query parameter was not provided"])
        text = query["username"][0].lower()
        found = [u for u in self.users if u.get("active", True) and any(
            u.get(k, "").lower().startswith(text) for k in ("name", "displayName", "email"))]
        return 200, {}, [{"self": f"{self.base}/rest/api/2/user?username={u['name']}", "key": u.get("key", u["name"]),
                          "name": u["name"], "emailAddress": u.get("email", ""), "displayName": u.get("displayName", ""),
                          "active": True} for u in found]

    def edit(self, key, body):
        """`PUT /issue/{key}` with `fields`: 204, the fields stored on the issue."""
        issue = self.find(key)
        if issue is None:
            return self.error(404, ["Issue does not exist or you do not have permission to see it."])
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict) or not fields:
            return self.error(400, ["No fields to edit"])
        errors = self.field_errors(fields, creating=False)
        if errors:
            return self.error(400, [], errors)
        issue["fields"].update(fields)
        self.touch(issue)
        return 204, {}, None

    def edits(self, key=None):
        """Every `PUT /issue/{key}` Ticket Sync sent (to `key` when given)."""
        return [c for c in self.calls("PUT", "/issue/") if key is None or c["path"].endswith(f"/issue/{key}")]

    @staticmethod
    def search_params(r):
        """GET query parameters or the POST body, as one dict of lists."""
        if r["method"] == "POST":
            body = r["json"] if isinstance(r["json"], dict) else {}
            return {k: (v if isinstance(v, list) else [str(v)]) for k, v in body.items()}
        return {k: (",".join(v).split(",") if k in ("fields", "reconcileIssues") else v) for k, v in r["query"].items()}

    JQL_CLAUSE = re.compile(r'(project|labels|updated)\s*(=|>=)\s*"([^"]*)"')

    def matching(self, jql):
        """Only what Ticket Sync asks: `labels = "<label>"`, or a sweep's `project = "P" AND labels = "L" AND updated
        >= "yyyy/MM/dd HH:mm" ORDER BY updated ASC`. None: JQL the fake does not take."""
        query, _, order = jql.partition(" ORDER BY ")
        if order not in ("", "updated ASC"):
            return None
        found = list(self.issues.values())
        for clause in query.split(" AND "):
            match = self.JQL_CLAUSE.fullmatch(clause.strip())
            if not match:
                return None
            field, op, value = match.groups()
            if (field, op) == ("project", "="):
                found = [i for i in found if i["key"].rsplit("-", 1)[0] == value]
            elif (field, op) == ("labels", "="):
                found = [i for i in found if value in i.get("fields", {}).get("labels", [])]
            elif (field, op) == ("updated", ">="):
                since = self.jql_time(value)
                if since is None:
                    return None
                found = [i for i in found if i.get("updated", 0) >= since]
            else:
                return None
        if order:
            found.sort(key=lambda i: i.get("updated", 0))
        return found

    def find(self, key_or_id):
        return self.issues.get(key_or_id) or next((i for i in self.issues.values() if i["id"] == key_or_id), None)

    def shown_comment(self, issue, comment, api):
        body = comment["body"]
        if api == 3:
            body = comment.get("adf") or {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": line}]} if line else {"type": "paragraph"}
                for line in body.split("\n")]}
        created = self.jira_time(comment.get("created", 0))
        return {"self": f"{self.base}/rest/api/{api}/issue/{issue['id']}/comment/{comment['id']}",
                "id": comment["id"], "author": comment.get("author"), "body": body,
                "updateAuthor": comment.get("author"), "created": created, "updated": created}

    def field(self, issue, name, api):
        """One field of an issue as Jira shows it."""
        if name == "status":
            return self.status_of(issue)
        if name == "updated":
            return self.jira_time(issue.get("updated", 0))
        if name == "statuscategorychangedate":
            return self.jira_time(issue.get("status_changed", 0))
        if name == "comment":
            comments = issue.get("comments", [])
            return {"comments": [self.shown_comment(issue, c, api) for c in comments[:self.comment_embed]],
                    "self": f"{self.base}/rest/api/{api}/issue/{issue['id']}/comment",
                    "maxResults": self.comment_embed, "total": len(comments), "startAt": 0}
        return issue.get("fields", {}).get(name)

    def shown(self, issue, fields, api=2):
        """An issue as search shows it: `id` always; `key`, `self` and `fields` only when fields were asked for."""
        if not fields or fields == ["id"]:
            return {"id": issue["id"]}
        known = ("status", "updated", "statuscategorychangedate", "comment")
        return {"id": issue["id"], "key": issue["key"], "self": f"{self.base}/rest/api/{api}/issue/{issue['id']}",
                "fields": {f: self.field(issue, f, api) for f in fields
                           if f in known or f in issue.get("fields", {})}}

    def read_issue(self, r, parts, api):
        """`GET /issue/{key}` (its `fields`, default all we know) and `GET /issue/{key}/comment` (`startAt`,
        `maxResults`, `orderBy` created or -created)."""
        issue = self.find(parts[1])
        if issue is None:
            return self.error(404, ["Issue does not exist or you do not have permission to see it."])
        if parts[2:] == []:
            fields = ",".join(r["query"].get("fields", [])).split(",") if r["query"].get("fields") else \
                ["status", "updated", "comment", "summary", "labels"]
            return 200, {}, self.shown(issue, [f for f in fields if f], api)
        start = int(r["query"].get("startAt", ["0"])[0])
        limit = min(int(r["query"].get("maxResults", ["5000"])[0]), 5000)
        ordered = list(issue["comments"])
        if r["query"].get("orderBy", [""])[0] == "-created":
            ordered.reverse()
        # Cloud documents only `renderedBody` here (properties: POST /comment/list); Data Center expands them.
        expand = "properties" in r["query"].get("expand", [""])[0] and self.deployment != "cloud"
        page = [{**self.shown_comment(issue, c, api), **({"properties": c["properties"]} if expand else {})}
                for c in ordered[start:start + limit]]
        return 200, {}, {"startAt": start, "maxResults": limit, "total": len(ordered), "comments": page}

    def search_jql(self, r, api=2):
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
        limit = min(int(params.get("maxResults", ["50"])[0]), self.page_cap)
        start = int(params.get("nextPageToken", ["0"])[0] or 0)
        page = found[start:start + limit]
        answer = {"issues": [self.shown(i, params.get("fields"), api) for i in page],
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
        start = int(params.get("startAt", ["0"])[0])
        limit = min(int(params.get("maxResults", ["50"])[0]), self.page_cap)
        fields = params.get("fields") or ["*navigable"]
        return 200, {}, {"startAt": start, "maxResults": limit, "total": len(found),
                         "issues": [self.shown(i, fields) for i in found[start:start + limit]]}

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
        self.transition(issue["key"], match[0]["to"]["statusCategory"]["key"], match[0]["to"]["name"])
        return 204, {}, None

