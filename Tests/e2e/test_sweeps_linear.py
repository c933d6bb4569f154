"""Sweeps of Linear (issue 21) against the fake of Linear's GraphQL API (`linear_fake.py`), which sends no webhook at
all: every change made "on Linear" (a comment, a move to done, a reopen, a delete) is lost until a sweep reads it.
A scheduled sweep and "Re-sync now" each repair it exactly once (a second sweep and a late webhook change nothing);
RATELIMITED backs the sweep off until Linear's reset (docs/trackers/linear.md, "Sweep")."""
import time

import pytest
import requests

from conftest import own_world, wait_for
from connections import create_connection
import trackers  # noqa: F401  (puts each tracker folder's fake on the import path)
from linear_fake import FakeLinear, comment_event, send_webhook, state_event

SECRET = "linear-sweep-webhook-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
        "TICKET_DELIVERY_POLL_MS": "100", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}
SCHEDULED = {**FAST, "TICKET_SYNC_SWEEP_INTERVAL": "1s", "TICKET_SYNC_RESYNC_EVERY": "1s"}


@pytest.fixture
def world():
    """The orgs in a database of the test's own (conftest.own_world): every responder sweeps every connection of its
    database, whatever its interval, so the suite's other responders would claim these sweeps too."""
    return own_world()


@pytest.fixture
def linear():
    fake = FakeLinear()
    yield fake
    fake.stop()


def connect(stack, world, fake):
    body = {"kind": "linear", "name": "GRC Linear", "default": True,
            "settings": {"base_url": fake.base, "team_id": fake.team},
            "secrets": {"api_key": fake.key, "webhook_secret": SECRET}}
    return create_connection(stack, world, body)


def open_ticket(stack, world, fake, request=None):
    response = requests.post(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("admin"),
                             timeout=30)
    assert response.status_code == 201, response.text
    return fake.issue(response.json()["external_id"])


def thread(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/comments"),
                        headers=world.auth("reader")).json()["comments"]


def external(stack, world, request=None):
    return [(c["author"], c["body"]) for c in thread(stack, world, request) if c["source"] == "external"]


def link(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("reader")).json()


def request_status(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request)), headers=world.auth("reader")).json()["status"]


def ledger(world, what=None, found_by=None):
    return int(world.sql("SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' "
                    "AND action = 'sync.drift_repaired' AND (:'what' = '' OR detail ->> 'what' = :'what') "
                    "AND (:'by' = '' OR detail ->> 'found_by' = :'by')",
                    what=what or "", by=found_by or ""))


def hold_sweeps(world, scope):
    """Only "Re-sync now" reads Linear for this connection: its sweep row is made due in an hour once it exists and
    no sweep holds it."""
    wait_for(lambda: world.sql("UPDATE ticket_sync.sync_sweeps SET due_at = clock_timestamp() + interval '1 hour' "
                               "WHERE scope = :'scope' AND (leased_until IS NULL OR leased_until < clock_timestamp())"
                               " RETURNING 1", scope=scope) == "1", what="the connection's sweep row")


def sweeps_since(world, scope, after):
    return int(world.sql("SELECT count(*) FROM ticket_sync.sync_sweeps WHERE scope = :'scope' AND error IS NULL "
                    "AND finished_at > to_timestamp(:'after'::double precision)", scope=scope, after=str(after)))


def wait_for_sweep(world, scope):
    started = time.time()
    wait_for(lambda: sweeps_since(world, scope, started) >= 1, seconds=20, what="a completed sweep")


def sweep_calls(fake):
    return [r for r in fake.requests if (r.get("operation") or "").startswith("Sweep")]


def late_webhooks(stack, hook, issue, comment, done_at, fake):
    """The webhooks Linear would have sent, arriving after the sweep repaired what they say."""
    reply = send_webhook(stack, hook, comment_event(issue, comment["id"], comment["body"]), SECRET)
    assert reply.status_code == 200, reply.text
    assert reply.json()["applied"]["comment"] == "duplicate"
    moved = send_webhook(stack, hook, state_event(issue, fake.state("Done"), done_at, fake.state("Backlog")["id"]),
                         SECRET)
    assert moved.status_code == 200, moved.text
    assert "older" in moved.json()["ignored"]


def test_a_scheduled_sweep_repairs_a_comment_done_reopen_and_delete_once_each(make_stack, world, linear):
    stack = make_stack("linear-sweeps", SCHEDULED, database_url=world.runtime_url)
    connection = connect(stack, world, linear)
    issue = open_ticket(stack, world, linear)
    # One of ours goes to Linear as well: the sweep sees it there and leaves it out.
    ours = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "Please attach the export."},
                         headers=world.auth("reader")).json()["comment"]
    assert ours["sync_state"] == "synced"

    written = linear.add_comment(issue, "Evidence attached in Linear.")
    wait_for(lambda: external(stack, world) == [("Sam Auditor", "Evidence attached in Linear.")], seconds=20,
             what="the comment written on Linear")
    assert ledger(world, "comment", "sweep") == 1
    changes = [r["json"]["variables"] for r in sweep_calls(linear) if r["operation"] == "SweepIssues"]
    assert changes and changes[-1]["filter"]["and"][0] == {"team": {"id": {"eq": linear.team}}}

    linear.complete(issue)
    done_at = linear.node(issue, "", {})["updatedAt"]
    wait_for(lambda: link(stack, world)["closed_by"] == "tracker", seconds=20, what="the move to done")
    assert link(stack, world)["tracker_status"]["name"] == "Done"
    assert request_status(stack, world) == "submitted"
    assert ledger(world, "closed", "sweep") == 1

    linear.reopen(issue)
    wait_for(lambda: link(stack, world)["closed_at"] is None, seconds=20, what="the reopen")
    status = link(stack, world)["tracker_status"]
    assert (status["name"], status["category"]) == ("Todo", "new")
    assert ledger(world, "status", "sweep") == 1

    linear.delete(issue)
    wait_for(lambda: link(stack, world)["sync_state"] == "error", seconds=20, what="the deletion")
    assert "Deleted in Linear" in link(stack, world)["last_error"]
    assert ledger(world, "deleted", "sweep") == 1

    # Two more sweeps and the late webhooks change nothing: one thread entry and one ledger row per repair.
    entries = len(thread(stack, world))
    wait_for_sweep(world, connection["id"])
    wait_for_sweep(world, connection["id"])
    late_webhooks(stack, connection["inbound_url"], issue, written, done_at, linear)
    assert len(thread(stack, world)) == entries
    assert external(stack, world) == [("Sam Auditor", "Evidence attached in Linear.")]
    assert ledger(world) == 4


def test_resync_now_repairs_each_change_once_and_reports_it(make_stack, world, linear):
    stack = make_stack("linear-resync", SCHEDULED, database_url=world.runtime_url)
    connection = connect(stack, world, linear)
    hold_sweeps(world, connection["id"])
    issue = open_ticket(stack, world, linear)
    before = len(sweep_calls(linear))
    path = world.request_path() + "/ticket/resync"

    def resync():
        deadline = time.monotonic() + 10
        while True:
            response = requests.post(stack.url(path), headers=world.auth("admin"))
            if response.status_code != 429 or time.monotonic() > deadline:
                assert response.status_code == 200, response.text
                return response.json()["repairs"]
            time.sleep(float(response.headers.get("Retry-After", "1")))

    written = linear.add_comment(issue, "Uploaded the Q3 export.", author="Riley")
    repairs = resync()
    assert repairs["comments_added"] == 1 and repairs["status"] is None and not repairs["deleted"]
    assert external(stack, world) == [("Riley", "Uploaded the Q3 export.")]
    assert [r["operation"] for r in sweep_calls(linear)[before:]] == ["SweepIssue"]
    assert sweep_calls(linear)[-1]["json"]["variables"] == {"id": issue["id"]}

    linear.complete(issue)
    done_at = linear.node(issue, "", {})["updatedAt"]
    repairs = resync()
    assert repairs["status"] == {"before": None, "after": "Done"} and repairs["link"] == "closed"
    assert repairs["evidence_request_status"] == "submitted" and repairs["comments_added"] == 0

    linear.reopen(issue)
    repairs = resync()
    assert repairs["status"] == {"before": "Done", "after": "Todo"} and repairs["link"] == "reopened"

    linear.delete(issue)
    repairs = resync()
    assert repairs["deleted"] is True

    # Again: nothing left to repair; the late webhooks change nothing either.
    repairs = resync()
    assert repairs["comments_added"] == 0 and repairs["status"] is None and not repairs["deleted"]
    entries = len(thread(stack, world))
    late_webhooks(stack, connection["inbound_url"], issue, written, done_at, linear)
    assert len(thread(stack, world)) == entries
    assert ledger(world, found_by="resync") == 4 and ledger(world) == 4
    # A ticket purged from Linear's trash is "not found": already marked deleted, nothing more.
    linear.delete(issue, permanently=True)
    assert resync()["deleted"] is False
    assert ledger(world) == 4


def test_changes_are_read_page_by_page_and_other_team_issues_are_passed_over(make_stack, world, linear):
    stack = make_stack("linear-sweep-pages", SCHEDULED, database_url=world.runtime_url)
    connection = connect(stack, world, linear)
    first = open_ticket(stack, world, linear)
    second = open_ticket(stack, world, linear, world.r2)
    wait_for_sweep(world, connection["id"])
    linear.page_limit = 2
    others = [linear.add_issue(f"Not ours {n}") for n in range(3)]
    started = len(sweep_calls(linear))
    # More new comments than a page of issues carries (20): the rest are read from the issue.
    notes = [("Sam Auditor", f"Note {n}") for n in range(23)]
    for _, body in notes:
        linear.add_comment(first, body)
    for other in others:
        linear.add_comment(other, "Not ours")
    linear.complete(second)
    wait_for(lambda: external(stack, world) == notes and link(stack, world, world.r2)["closed_by"] == "tracker",
             seconds=20, what="both repairs")
    calls = sweep_calls(linear)[started:]
    pages = [r["json"]["variables"] for r in calls if r["operation"] == "SweepIssues"]
    assert len(pages) >= 3 and "before" not in pages[0] and pages[1]["before"], pages
    more = [r["json"]["variables"] for r in calls if r["operation"] == "SweepIssue" and "commentsAfter" in
            r["json"]["variables"]]
    assert more and more[0]["id"] == first["id"] and more[0]["comments"] == pages[0]["comments"]
    assert external(stack, world, world.r2) == []
    assert ledger(world, "comment") == len(notes) and ledger(world, "closed") == 1


def test_a_rate_limited_sweep_waits_for_linears_reset(make_stack, world, linear):
    stack = make_stack("linear-sweep-429", SCHEDULED, database_url=world.runtime_url)
    connection = connect(stack, world, linear)
    issue = open_ticket(stack, world, linear)
    wait_for_sweep(world, connection["id"])

    linear.rate_limit(calls=1, reset_seconds=6)
    wait_for(lambda: any(r.get("rate_limited") for r in sweep_calls(linear)), seconds=20,
             what="a rate-limited sweep")
    limited = next(r for r in sweep_calls(linear) if r.get("rate_limited"))
    error = world.sql("SELECT error FROM ticket_sync.sync_sweeps WHERE scope = :'id'", id=connection["id"])
    assert "Rate limit exceeded" in error
    linear.add_comment(issue, "Written while Linear throttled us")
    wait_for(lambda: external(stack, world) == [("Sam Auditor", "Written while Linear throttled us")], seconds=30,
             what="the sweep after the reset")
    after = [r for r in sweep_calls(linear) if r["at"] > limited["at"]]
    # Retry-After is the whole seconds to Linear's reset (6 s, less the moment the answer took).
    assert after and after[0]["at"] - limited["at"] >= 5, "no sweep call before Linear's reset"
    recovered = world.sql("SELECT error IS NULL FROM ticket_sync.sync_sweeps WHERE scope = :'id'", id=connection["id"])
    assert recovered == "t"
    assert ledger(world, "comment", "sweep") == 1
