"""A fake ServiceNow Table API on 127.0.0.1 for the end-to-end tests, checking each request against the documented
wire format (docs/trackers/servicenow.md, ../shared/reference/providers.md).

What the sweep reads follows ServiceNow's documented behaviour: encoded queries (the subset Ticket Sync sends),
`sysparm_fields`, `sysparm_display_value` (false | true | all), `sysparm_limit` / `sysparm_offset` with a `Link` header
(first, prev, next, last) and `X-Total-Count`, 404 for a record that is gone, 429 + Retry-After through `answer()`.
The fake never sends webhooks: the helpers at the end change a record "on the tracker" silently, as a change made
with the Business Rules off (an import, a script) or a webhook lost on the way would.

Ticket fields (issue 23): a Data Policy of mandatory columns (`data_policy`, column → label) refuses an insert that
leaves one empty as ServiceNow does, HTTP 403 with `{"error": {"message": "Operation Failed", "detail": "Data Policy
Exception: \n The following fields are mandatory: <labels>"}, "status": "failure"}`; `sys_user` holds the users a
test adds (`add_user`), read with the same encoded queries; every record keeps the columns it was given (PATCH
included), so `records` shows what was sent."""
import calendar
import itertools
import re
import time
import uuid
from urllib.parse import quote, urlencode

from fake_server import FakeServer

# The incident table's state choices (value → label).
STATES = {"1": "New", "2": "In Progress", "3": "On Hold", "6": "Resolved", "7": "Closed", "8": "Canceled"}
# The account's time zone for display values (UTC-8): display values of times are never UTC.
DISPLAY_OFFSET_S = -8 * 3600
TERM = re.compile(r"^([a-z0-9_]+)(STARTSWITH|IN|>=|<=|!=|=|>|<)(.*)$", re.S)


def glide_time(epoch=None):
    """`yyyy-MM-dd HH:mm:ss` in UTC, as `getValue` and the Table API's values give times."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() if epoch is None else epoch))


def encoded_query(text):
    """The encoded query subset Ticket Sync sends: terms joined by ^ (AND), field=, !=, >=, <=, >, <, STARTSWITH,
    IN (comma-separated), then ORDERBY / ORDERBYDESC. Raises ValueError for anything else, so a request outside the
    subset fails loudly (ServiceNow would silently ignore an unknown field)."""
    filters, order = [], []
    for term in [t for t in text.split("^") if t]:
        if term.startswith("ORDERBYDESC"):
            order.append((term[len("ORDERBYDESC"):], True))
            continue
        if term.startswith("ORDERBY"):
            order.append((term[len("ORDERBY"):], False))
            continue
        match = TERM.match(term)
        if not match:
            raise ValueError(term)
        filters.append(match.groups())
    return filters, order


def matches(row, filters):
    for field, op, value in filters:
        have = str(row.get(field, ""))
        ok = {"=": have == value, "!=": have != value, ">=": have >= value, "<=": have <= value, ">": have > value,
              "<": have < value, "STARTSWITH": have.startswith(value), "IN": have in value.split(",")}[op]
        if not ok:
            return False
    return True


def ordered(rows, order):
    """Sorted as asked; rows of the same (whole-second) time in the order they were written, as `_seq` records."""
    for field, descending in reversed(order):
        rows = sorted(rows, reverse=descending,
                      key=lambda row: (str(row.get(field, "")), row.get("_seq", 0) if field.endswith("_on") else 0))
    return rows


class FakeServiceNow(FakeServer):
    """The Table API for one table, with sys_journal_field, API key (x-sn-apikey) or Bearer auth."""

    def __init__(self, token="sn-api-token", auth="apikey", table="incident", journal_readable=True,
                 close_codes=("Solution provided", "Resolved by caller"), user="ticketsync.integration",
                 page_cap=None):
        self.token, self.auth, self.table = token, auth, table
        self.page_cap = page_cap  # rows per page at most, whatever sysparm_limit asks (so a few records page)
        self.journal_readable = journal_readable
        self.close_codes = close_codes
        self.user = user          # the integration account the token belongs to
        self.records = {}         # sys_id → record (a deleted record is removed)
        self.journal = []         # sys_journal_field rows
        self.first_number = 10001 + uuid.uuid4().int % 9_000_000  # record numbers unique across fakes
        self.data_policy = {}     # column → label: mandatory on insert (a Data Policy), empty by default
        self.users = []           # sys_user rows: sys_id, email, active ("true" / "false"), user_name
        self.sequence = itertools.count(1)
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"

    def sys_id(self):
        """32 hex digits, increasing, so ORDERBYsys_id is creation order (as ties are broken in the tests)."""
        return f"{next(self.sequence):08x}{uuid.uuid4().hex[8:]}"

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

    # --- reading -------------------------------------------------------------------------------------------------

    @staticmethod
    def display(field, value):
        if field == "state":
            return STATES.get(value, value)
        if field in ("sys_created_on", "sys_updated_on") and value:
            epoch = calendar.timegm(time.strptime(value, "%Y-%m-%d %H:%M:%S"))
            return glide_time(epoch + DISPLAY_OFFSET_S)
        return value

    def shaped(self, row, query, default_fields):
        """The row with `sysparm_fields` in the form `sysparm_display_value` asks for."""
        fields = query.get("sysparm_fields", [default_fields])[0].split(",")
        mode = query.get("sysparm_display_value", ["false"])[0]
        out = {}
        for field in fields:
            value = str(row.get(field, ""))
            if mode == "all":
                out[field] = {"display_value": self.display(field, value), "value": value}
            elif mode == "true":
                out[field] = self.display(field, value)
            else:
                out[field] = value
        return out

    def listing(self, r, rows, default_fields):
        """A list answer: the encoded query, sysparm_offset / sysparm_limit, and the Link header ServiceNow sends."""
        query = r["query"]
        try:
            filters, order = encoded_query(query.get("sysparm_query", [""])[0])
        except ValueError as bad:
            return self.error(400, "Invalid query", f"unsupported encoded query term: {bad}")
        limit = min(int(query.get("sysparm_limit", ["10000"])[0]), self.page_cap or 10000)
        offset = int(query.get("sysparm_offset", ["0"])[0])
        found = ordered([row for row in rows if matches(row, filters)], order)
        page = found[offset:offset + limit]
        total = len(found)

        def at(position):
            params = {name: values[0] for name, values in query.items()}
            params["sysparm_offset"] = str(position)
            return f"<{self.base}{r['path']}?{urlencode(params, quote_via=quote)}>"

        links = [f'{at(0)};rel="first"']
        if offset > 0:
            links.append(f'{at(max(offset - limit, 0))};rel="prev"')
        if offset + limit < total:
            links.append(f'{at(offset + limit)};rel="next"')
        links.append(f'{at(max((total - 1) // limit * limit, 0))};rel="last"')
        headers = {"X-Total-Count": str(total), "Link": ",".join(links)}
        return 200, headers, {"result": [self.shaped(row, query, default_fields) for row in page]}

    # --- routes --------------------------------------------------------------------------------------------------

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
            missing = [label for column, label in self.data_policy.items() if body.get(column) in (None, "")]
            if missing:
                # The Data Policy's refusal, as the Table API answers an insert that breaks it.
                return self.error(403, "Operation Failed", "Data Policy Exception: \n The following fields are "
                                  "mandatory: " + ", ".join(missing))
            sys_id = self.sys_id()
            number = f"INC{len(self.records) + self.first_number:07d}"
            now = glide_time()
            self.records[sys_id] = {"sys_id": sys_id, "number": number, "state": "1", "sys_created_by": self.user,
                                    "sys_created_on": now, "sys_updated_by": self.user, "sys_updated_on": now,
                                    "_seq": next(self.sequence), **body}
            fields = r["query"].get("sysparm_fields", ["sys_id,number"])[0].split(",")
            return 201, {"Location": f"{self.base}{table_path}/{sys_id}"}, \
                {"result": {f: self.records[sys_id].get(f, "") for f in fields}}
        if r["method"] == "PATCH" and r["path"].startswith(table_path + "/"):
            record = self.records.get(r["path"].rsplit("/", 1)[1])
            if record is None:
                return self.not_found()
            if not isinstance(body, dict):
                return self.error(400, "Invalid request body")
            if body.get("state") in ("6", "7") and (body.get("close_code") not in self.close_codes
                                                     or not body.get("close_notes")):
                return self.error(403, "Operation Failed",
                                  "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes")
            if "comments" in body:
                self.add_journal(record, body["comments"], self.user)
            record.update({k: v for k, v in body.items() if k != "comments"})
            self.touch(record, self.user)
            # As documented, journal fields are not echoed back.
            return 200, {}, {"result": {**record, "comments": "", "work_notes": ""}}
        if r["method"] == "GET" and r["path"] == table_path:
            return self.listing(r, list(self.records.values()), "sys_id")
        if r["method"] == "GET" and r["path"].startswith(table_path + "/"):
            record = self.records.get(r["path"].rsplit("/", 1)[1])
            if record is None:
                return self.not_found()
            fields = ",".join(name for name in record if not name.startswith("_"))
            return 200, {}, {"result": self.shaped(record, r["query"], fields)}
        if r["method"] == "GET" and r["path"] == "/api/now/table/sys_user":
            return self.listing(r, self.users, "sys_id")
        if r["method"] == "GET" and r["path"] == "/api/now/table/sys_journal_field":
            if not self.journal_readable:
                return self.error(403, "User Not Authorized", "ACL prevents reading sys_journal_field")
            return self.listing(r, self.journal, "sys_id,value")
        return self.error(400, "Invalid URI", "Requested URI does not represent any resource")

    @classmethod
    def not_found(cls):
        return cls.error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")

    def add_journal(self, record, text, by):
        entry = {"sys_id": self.sys_id(), "name": self.table, "element_id": record["sys_id"], "element": "comments",
                 "value": text, "sys_created_on": glide_time(), "sys_created_by": by, "_seq": next(self.sequence)}
        self.journal.append(entry)
        return entry

    def touch(self, record, by):
        record.update(sys_updated_by=by, sys_updated_on=glide_time(), _seq=next(self.sequence))

    # --- changes made on the tracker, without any webhook ------------------------------------------------------

    def add_user(self, email, active=True, user_name=None):
        """A sys_user row; returns its sys_id (what `assigned_to` holds)."""
        row = {"sys_id": self.sys_id(), "email": email, "active": "true" if active else "false",
               "user_name": user_name or email.split("@")[0]}
        self.users.append(row)
        return row["sys_id"]

    def record(self, number):
        return next(record for record in self.records.values() if record["number"] == number)

    def comment(self, number, text, by="beth.anglin"):
        """An agent adds a customer-visible comment in the form: a journal entry, and the record's update."""
        record = self.record(number)
        entry = self.add_journal(record, text, by)
        self.touch(record, by)
        return entry

    def set_state(self, number, state, by="abel.tuter"):
        record = self.record(number)
        record.update(state=state)
        self.touch(record, by)
        if state in ("6", "7"):
            record.update(close_code=self.close_codes[0], close_notes="Resolved on the tracker.")
        return record

    def resolve(self, number, by="abel.tuter"):
        return self.set_state(number, "6", by)

    def reopen(self, number, by="abel.tuter"):
        return self.set_state(number, "2", by)

    def delete(self, number):
        """Deletes the record (its journal entries go with it, as a cascade delete does)."""
        record = self.record(number)
        del self.records[record["sys_id"]]
        self.journal = [entry for entry in self.journal if entry["element_id"] != record["sys_id"]]
