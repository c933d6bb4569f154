"""Sweeps of Jira, Cloud and Data Center (issue 21): every webhook is "lost" (the fake sends none), and what happens
on Jira (a comment, a move to done, a reopen, a deletion) is repaired by a scheduled sweep and by "Re-sync now",
exactly once: a second sweep and the late webhook change nothing. A Jira answering 429 is backed off by its
Retry-After. Each test has its own database, so no other test's responder sweeps it."""
import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests

from conftest import World, assert_problem, fresh_database, psql, wait_for
from trackers import FakeJira

SECRET = "jira-sweep-webhook-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
        "TICKET_DELIVERY_POLL_MS": "100", "TICKET_HTTP_TIMEOUT_S": "3", "TICKET_SYNC_RESYNC_EVERY": "1s"}
SCOPE = "deployment:jira"


class Setup:
    """A fresh database, a world in it, a fake Jira of one deployment and a stack speaking to it."""

    def __init__(self, make_stack, deployment, interval="1s", **fake):
        self.database = fresh_database()
        self.world = World(database_url=self.database)
        self.deployment = deployment
        self.jira = FakeJira(email="bot@example.com" if deployment == "cloud" else None, deployment=deployment,
                             **fake)
        env = {"TICKET_PROVIDER": "jira", "JIRA_BASE_URL": self.jira.base, "JIRA_API_TOKEN": self.jira.token,
               "JIRA_PROJECT_KEY": self.jira.project, "JIRA_WEBHOOK_SECRET": SECRET,
               "TICKET_SYNC_SWEEP_INTERVAL": interval, **FAST}
        if self.jira.email:
            env["JIRA_EMAIL"] = self.jira.email
        self.stack = make_stack(f"sweeps-jira-{deployment}", env, database_url=self.database)

    def sql(self, query, **variables):
        return psql(query, database_url=self.database, org=self.world.org, **variables)

    def get(self, path, role="reader"):
        return requests.get(self.stack.url(path), headers=self.world.auth(role))

    def open_ticket(self, request=None):
        response = requests.post(self.stack.url(self.world.request_path(request) + "/ticket"),
                                 headers=self.world.auth("admin"))
        assert response.status_code == 201, response.text
        return response.json()["external_id"]

    def comment(self, body, request=None):
        response = requests.post(self.stack.url(self.world.request_path(request) + "/comments"), json={"body": body},
                                 headers=self.world.auth("reader"))
        assert response.status_code == 201, response.text
        return response.json()

    def thread(self, request=None):
        return self.get(self.world.request_path(request) + "/comments").json()["comments"]

    def link(self, request=None):
        return self.get(self.world.request_path(request) + "/ticket").json()

    def request_status(self, request=None):
        return self.get(self.world.request_path(request)).json()["status"]

    def ledger(self, what=None, found_by=None):
        return int(self.sql("SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' "
                            "AND action = 'sync.drift_repaired' AND (:'what' = '' OR detail ->> 'what' = :'what') "
                            "AND (:'by' = '' OR detail ->> 'found_by' = :'by')", what=what or "", by=found_by or ""))

    def wait_for_sweeps(self, count=1):
        """`count` more sweeps that finished after now."""
        started = time.time()
        wait_for(lambda: int(self.sql("SELECT count(*) FROM ticket_sync.sync_sweeps WHERE scope = :'scope' "
                                      "AND finished_at > to_timestamp(:'after'::double precision) "
                                      "AND error IS NULL", scope=SCOPE, after=str(started))) == 1,
                 seconds=20, what="a sweep")
        if count > 1:
            self.wait_for_sweeps(count - 1)

    def webhook(self, payload):
        body = json.dumps(payload).encode()
        return requests.post(self.stack.url("/api/v1/ticket-sync/webhook/jira"), data=body, headers={
            "Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
            "X-Hub-Signature": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()})

    def resync(self, request=None):
        time.sleep(1.05)  # TICKET_SYNC_RESYNC_EVERY
        response = requests.post(self.stack.url(self.world.request_path(request) + "/ticket/resync"),
                                 headers=self.world.auth("admin"))
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self):
        self.jira.stop()


@pytest.fixture(params=["cloud", "datacenter"])
def deployment(request):
    return request.param


@pytest.fixture
def setups(make_stack):
    made = []

    def make(deployment, **kwargs):
        made.append(Setup(make_stack, deployment, **kwargs))
        return made[-1]

    yield make
    for setup in made:
        setup.stop()


ADF = {"type": "doc", "version": 1, "content": [
    {"type": "paragraph", "content": [
        {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@Ticket Sync Bot"}},
        {"type": "text", "text": " the export is "},
        {"type": "text", "text": "attached", "marks": [{"type": "strong"}]}]},
    {"type": "bulletList", "content": [
        {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "users.csv"}]}]}]}]}


def test_a_scheduled_sweep_repairs_each_change_on_jira_exactly_once(setups, deployment):
    s = setups(deployment, comment_embed=2)
    key = s.open_ticket()
    ours = s.comment("Please attach the export.")["comment"]
    assert ours["sync_state"] == "synced"

    # A comment written on Jira (rich text on Cloud), and one the integration account wrote there by hand.
    written = s.jira.add_comment(key, "@Ticket Sync Bot the export is attached\nusers.csv",
                                 adf=ADF if deployment == "cloud" else None)
    s.jira.add_comment(key, "Posted by the bot itself", author=s.jira.myself)
    wait_for(lambda: len(s.thread()) == 2, seconds=20, what="the comment written on Jira")
    external = s.thread()[-1]
    assert (external["source"], external["author"], external["external_comment_id"]) == \
        ("external", "Jane Auditor", written["id"])
    assert external["body"] == ("@Ticket Sync Bot the export is attached\n- users.csv" if deployment == "cloud"
                                else "@Ticket Sync Bot the export is attached\nusers.csv")
    assert s.ledger("comment", "sweep") == 1
    # Three comments on the issue, two embedded in the search's answer: the third is read from /comment.
    wait_for(lambda: any(c["query"].get("startAt") == ["2"] for c in s.jira.calls("GET", f"/issue/{key}/comment")),
             seconds=20, what="the comments past the embedded ones")

    done_hook = s.jira.status_webhook(key, s.jira.resolve(key))
    wait_for(lambda: s.link()["closed_by"] == "tracker", seconds=20, what="the move to done")
    assert s.link()["tracker_status"]["name"] == "Done"
    assert s.request_status() == "submitted"
    assert s.ledger("closed", "sweep") == 1

    reopen_hook = s.jira.status_webhook(key, s.jira.reopen(key))
    wait_for(lambda: s.link()["closed_at"] is None, seconds=20, what="the reopen")
    assert s.link()["tracker_status"]["name"] == "Reopened"
    assert s.ledger("status", "sweep") == 1

    # The webhooks Jira lost arrive late, and a second sweep runs: nothing changes.
    entries = len(s.thread())
    late = s.webhook(s.jira.comment_webhook(key, written))
    assert late.status_code == 200 and late.json()["applied"]["comment"] == "duplicate", late.text
    for hook in (done_hook, reopen_hook):
        stale = s.webhook(hook)
        assert stale.status_code == 200 and stale.json()["ignored"] == "older than the last status applied", stale.text
    s.wait_for_sweeps(2)
    assert len(s.thread()) == entries
    assert s.link()["closed_at"] is None
    assert s.ledger() == 3

    s.jira.delete(key)
    wait_for(lambda: s.link()["sync_state"] == "error", seconds=20, what="the deletion")
    assert "Deleted in Jira" in s.link()["last_error"]
    assert s.ledger("deleted", "sweep") == 1
    s.wait_for_sweeps(2)
    assert s.ledger() == 4
    assert [c["source"] for c in s.thread()].count("external") == 1


def test_the_sweep_reads_every_page_of_a_search(setups, deployment):
    s = setups(deployment, page_cap=1)
    keys = [s.open_ticket(s.world.r1), s.open_ticket(s.world.r2)]
    for key in keys:
        s.jira.add_comment(key, f"Reply on {key}")
    wait_for(lambda: len(s.thread(s.world.r1)) == 1 and len(s.thread(s.world.r2)) == 1, seconds=20,
             what="both comments")
    searches = s.jira.searches()
    if deployment == "cloud":
        assert all(c["path"] == "/jira/rest/api/3/search/jql" and c["method"] == "POST" for c in searches)
        assert any(c["json"].get("nextPageToken") == "1" for c in searches)
        jql = searches[-1]["json"]["jql"]
    else:
        assert all(c["path"] == "/jira/rest/api/2/search" and c["method"] == "GET" for c in searches)
        assert any(c["query"].get("startAt") == ["1"] for c in searches)
        jql = searches[-1]["query"]["jql"][0]
    assert jql.startswith(f'project = "{s.jira.project}" AND labels = "ticketsync" AND updated >= "')
    assert jql.endswith('" ORDER BY updated ASC')
    assert s.ledger("comment", "sweep") == 2
    # Every issue Ticket Sync made carries the common label the search is bounded by.
    assert all("ticketsync" in s.jira.issues[key]["fields"]["labels"] for key in keys)


def test_resync_now_repairs_each_change_on_jira_exactly_once(setups, deployment):
    # Scheduled sweeps an hour apart: only "Re-sync now" finds the changes.
    s = setups(deployment, interval="1h")
    key = s.open_ticket()

    written = s.jira.add_comment(key, "Written on Jira")
    repairs = s.resync()["repairs"]
    assert repairs["comments_added"] == 1 and repairs["status"] is None
    assert s.thread()[-1]["body"] == "Written on Jira"

    done_hook = s.jira.status_webhook(key, s.jira.resolve(key, name="Closed"))
    answer = s.resync()
    assert answer["repairs"]["status"] == {"before": None, "after": "Closed"}
    assert answer["repairs"]["link"] == "closed" and answer["link"]["closed_by"] == "tracker"
    assert answer["repairs"]["evidence_request_status"] == "submitted"

    reopen_hook = s.jira.status_webhook(key, s.jira.reopen(key, name="Backlog"))
    answer = s.resync()
    assert answer["repairs"]["status"] == {"before": "Closed", "after": "Backlog"}
    assert answer["repairs"]["link"] == "reopened" and answer["link"]["closed_at"] is None

    # Again, and the late webhooks: nothing changes.
    entries = len(s.thread())
    again = s.resync()["repairs"]
    assert again["comments_added"] == 0 and again["status"] is None and not again["deleted"]
    assert s.webhook(s.jira.comment_webhook(key, written)).json()["applied"]["comment"] == "duplicate"
    for hook in (done_hook, reopen_hook):
        assert s.webhook(hook).json()["ignored"] == "older than the last status applied"
    assert len(s.thread()) == entries
    assert s.ledger(found_by="resync") == 3

    s.jira.delete(key)
    answer = s.resync()
    assert answer["repairs"]["deleted"] is True and answer["link"]["sync_state"] == "error"
    assert s.resync()["repairs"]["deleted"] is False
    assert s.ledger("deleted", "resync") == 1 and s.ledger() == 4
    # Each re-sync read the issue itself, with the deployment's API version.
    version = "3" if deployment == "cloud" else "2"
    reads = s.jira.calls("GET", f"/rest/api/{version}/issue/{key}")
    assert len([r for r in reads if not r["path"].endswith("/comment")]) == 6
    assert all(r["query"]["fields"] == ["status,updated,comment"] for r in reads if not r["path"].endswith("/comment"))


def test_a_rate_limited_jira_is_backed_off_by_its_retry_after(setups, deployment):
    s = setups(deployment)
    key = s.open_ticket()
    s.wait_for_sweeps()
    with s.jira.lock:  # the request stored at index `seen` is the one that takes the queued 429
        seen = len(s.jira.requests)
        s.jira.plan.append((429, {"Retry-After": "4"}, {"errorMessages": ["Rate limit exceeded"], "errors": {}}, 0))
    wait_for(lambda: s.sql("SELECT error FROM ticket_sync.sync_sweeps WHERE scope = :'scope'", scope=SCOPE) != "",
             seconds=20, what="the sweep to meet the 429")
    assert "busy or unavailable" in s.sql("SELECT error FROM ticket_sync.sync_sweeps WHERE scope = :'scope'",
                                          scope=SCOPE)
    limited = s.jira.requests[seen]  # the one answered 429
    s.jira.add_comment(key, "Written while Jira was busy")
    wait_for(lambda: len(s.thread()) == 1, seconds=20, what="the sweep after the back-off")
    after = s.jira.requests[seen + 1:]
    assert after and min(r["at"] for r in after) - limited["at"] >= 3.9, "no call before Retry-After"
    assert s.ledger("comment", "sweep") == 1


def test_resync_now_answers_503_while_jira_is_rate_limited(setups):
    s = setups("cloud", interval="1h")
    s.open_ticket()
    s.jira.answer((429, {"Retry-After": "30"}, {"errorMessages": ["Rate limit exceeded"], "errors": {}}))
    time.sleep(1.05)
    response = requests.post(s.stack.url(s.world.request_path() + "/ticket/resync"), headers=s.world.auth("admin"))
    problem = assert_problem(response, 503)
    assert response.headers["Retry-After"] == "30"
    assert "Jira" in problem["detail"]
