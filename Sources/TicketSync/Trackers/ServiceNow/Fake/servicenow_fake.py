"""A fake ServiceNow Table API on 127.0.0.1 for the end-to-end tests, checking each request against the documented
wire format (docs/trackers/servicenow.md, ../shared/reference/providers.md)."""
import time
import uuid

from fake_server import FakeServer


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
