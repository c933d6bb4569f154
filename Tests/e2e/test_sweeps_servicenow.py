"""Sweeps of ServiceNow (issue 21) against the fake Table API, which sends no Business Rule webhook at all: what
happens on the tracker (a comment, a resolve, a reopen, a delete) reaches Ticket Sync only through a scheduled sweep
or "Re-sync now", each exactly once; a second sweep and the Business Rule's late webhook change nothing; a 429 backs
the sweep off by its Retry-After."""
import time

import pytest
import requests

from conftest import own_world, psql, wait_for
from connections import create_connection, post_hook
from trackers import FakeServiceNow

SECRET = "servicenow-sweep-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
        "TICKET_DELIVERY_POLL_MS": "100", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2",
        "TICKET_SYNC_RESYNC_EVERY": "1s"}


@pytest.fixture
def servicenow():
    fake = FakeServiceNow(page_cap=1)  # a page a record: two tickets already page by the Link header
    yield fake
    fake.stop()


@pytest.fixture
def world():
    """The orgs in a database of the test's own (conftest.own_world): every responder sweeps every connection of its
    database, so the suite's other responders would claim these sweeps too."""
    return own_world()


def swept_stack(make_stack, world, fake, interval):
    """A stack sweeping every `interval`, and the org's default connection to the fake ServiceNow."""
    stack = make_stack("sweeps-sn", env={"TICKET_SYNC_SWEEP_INTERVAL": interval, **FAST},
                       database_url=world.runtime_url)
    connection = create_connection(stack, world, {
        "kind": "servicenow", "name": "SN", "default": True, "settings": {"base_url": fake.base},
        "secrets": {"api_token": fake.token, "webhook_secret": SECRET}})
    return stack, connection


def open_ticket(stack, world, request=None):
    response = requests.post(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def comment(stack, world, body):
    response = requests.post(stack.url(world.request_path() + "/comments"), json={"body": body},
                             headers=world.auth("reader"))
    assert response.status_code == 201, response.text
    return response.json()["comment"]


def thread(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/comments"),
                        headers=world.auth("reader")).json()["comments"]


def link(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("reader")).json()


def request_status(stack, world):
    return requests.get(stack.url(world.request_path()), headers=world.auth("reader")).json()["status"]


def ledger(world, what=None, found_by=None):
    return int(psql("SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' "
                    "AND action = 'sync.drift_repaired' AND (:'what' = '' OR detail ->> 'what' = :'what') "
                    "AND (:'by' = '' OR detail ->> 'found_by' = :'by')",
                    org=world.org, what=what or "", by=found_by or "", database_url=world.database_url))


def sweep_row(world, connection, column):
    return psql(f"SELECT {column} FROM ticket_sync.sync_sweeps WHERE scope = :'id'", id=connection["id"],
                database_url=world.database_url)


def wait_for_sweeps(world, connection, count=1):
    """Waits for `count` more sweeps of the connection to finish."""
    for _ in range(count):
        started = time.time()
        wait_for(lambda: sweep_row(world, connection, f"finished_at > to_timestamp({started})") == "t",
                 seconds=20, what="a sweep")


def late_webhooks(stack, connection, fake, number, entry):
    """What the Business Rules would have posted, arriving after the sweep: the comment, and the record's state at
    its time (as `getValue('sys_updated_on')` gives it)."""
    record = fake.record(number) if any(r["number"] == number for r in fake.records.values()) else None
    answers = [post_hook(stack, connection["inbound_url"], {"external_id": number, "comment": {
        "external_comment_id": entry["sys_id"], "author": entry["sys_created_by"], "body": entry["value"]}}, SECRET)]
    if record:
        answers.append(post_hook(stack, connection["inbound_url"], {"external_id": number, "tracker_status": {
            "name": {"6": "Resolved", "2": "In Progress"}[record["state"]], "state": record["state"],
            "updated_at": record["sys_updated_on"], "updated_by": record["sys_updated_by"]}}, SECRET))
    return [answer.json() for answer in answers]


def test_a_scheduled_sweep_repairs_a_comment_a_resolve_a_reopen_and_a_delete_once(make_stack, world, servicenow):
    stack, connection = swept_stack(make_stack, world, servicenow, "1s")
    ticket = open_ticket(stack, world)
    other = open_ticket(stack, world, world.r2)
    number = ticket["external_id"]
    ours = comment(stack, world, "Please attach the Q3 export.")
    assert ours["sync_state"] == "synced"

    # A comment written on ServiceNow (no webhook): brought in once, by its journal entry's sys_id; ours is not.
    entry = servicenow.comment(number, "Attached the export to the incident.")
    servicenow.comment(other["external_id"], "On the second record, on its own page.")
    wait_for(lambda: [c["source"] for c in thread(stack, world)] == ["internal", "external"], seconds=20,
             what="the tracker's comment")
    external = thread(stack, world)[1]
    assert external["external_comment_id"] == entry["sys_id"]
    assert external["author"] == "beth.anglin" and external["body"] == "Attached the export to the incident."
    wait_for(lambda: len(thread(stack, world, world.r2)) == 1, seconds=20, what="the second page's comment")
    assert ledger(world, "comment", "sweep") == 2

    # The sweep asked for our records updated since its cursor, a page at a time by the Link header.
    listed = [call for call in servicenow.calls("GET", "/api/now/table/incident")
              if call["path"] == "/api/now/table/incident"]
    first = next(call for call in listed if "sysparm_offset" not in call["query"])
    assert first["query"]["sysparm_query"][0].startswith("correlation_idSTARTSWITHticketsync-^sys_updated_on>=")
    assert first["query"]["sysparm_display_value"] == ["all"]
    assert any(call["query"].get("sysparm_offset") == ["1"] for call in listed), "the Link header's next page"
    sys_id = psql("SELECT external_ref FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1,
                  database_url=world.database_url)
    wait_for(lambda: servicenow.calls("GET", f"/api/now/table/incident/{sys_id}"), what="a look-up by sys_id")

    # Resolved on ServiceNow: the link closes (by the tracker), the request moves through the status map.
    servicenow.resolve(number)
    wait_for(lambda: link(stack, world)["closed_by"] == "tracker", seconds=20, what="the resolve")
    assert link(stack, world)["tracker_status"]["name"] == "Resolved"
    assert request_status(stack, world) == "submitted"
    assert ledger(world, "closed", "sweep") == 1
    # The Business Rules' webhooks, late: a duplicate comment and a state no newer than the one applied.
    answers = late_webhooks(stack, connection, servicenow, number, entry)
    assert answers[0]["applied"]["comment"] == "duplicate"
    assert "ignored" in answers[1], answers[1]

    servicenow.reopen(number)
    wait_for(lambda: link(stack, world)["closed_at"] is None, seconds=20, what="the reopen")
    assert link(stack, world)["tracker_status"]["name"] == "In Progress"
    assert ledger(world, "status", "sweep") == 1
    assert "ignored" in late_webhooks(stack, connection, servicenow, number, entry)[1]

    # Deleted on ServiceNow: found by looking the record up (404).
    servicenow.delete(number)
    wait_for(lambda: link(stack, world)["sync_state"] == "error", seconds=20, what="the deletion")
    assert "Deleted in ServiceNow" in link(stack, world)["last_error"]
    assert ledger(world, "deleted", "sweep") == 1

    # More sweeps find nothing new: one thread entry per repair, one ledger row each.
    entries = len(thread(stack, world))
    wait_for_sweeps(world, connection, 2)
    assert len(thread(stack, world)) == entries
    assert [c["body"] for c in thread(stack, world) if c["source"] == "system"] == [
        "Resolved in ServiceNow (Resolved); evidence request set to submitted", "Reopened in ServiceNow (In Progress)",
        "Deleted in ServiceNow"]
    assert ledger(world) == 5
    assert sweep_row(world, connection, "error IS NULL") == "t"


def resync(stack, world):
    """"Re-sync now" on the evidence request, after the per-link rate limit (1 s here) has passed."""
    time.sleep(1.1)
    response = requests.post(stack.url(world.request_path() + "/ticket/resync"), headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    return response.json()["repairs"]


def test_resync_now_repairs_each_change_once(make_stack, world, servicenow):
    # Scheduled sweeps an hour apart: only "Re-sync now" finds the changes.
    stack, connection = swept_stack(make_stack, world, servicenow, "1h")
    ticket = open_ticket(stack, world)
    number = ticket["external_id"]
    nothing = {"comments_added": 0, "status": None, "evidence_request_status": None, "link": None,
               "deleted": False, "deferred": False}
    assert resync(stack, world) == nothing

    entry = servicenow.comment(number, "Written on ServiceNow.")
    assert resync(stack, world) == {**nothing, "comments_added": 1}
    assert [c["external_comment_id"] for c in thread(stack, world)] == [entry["sys_id"]]

    servicenow.resolve(number)
    assert resync(stack, world) == {**nothing, "status": {"before": None, "after": "Resolved"},
                                    "evidence_request_status": "submitted", "link": "closed"}
    answers = late_webhooks(stack, connection, servicenow, number, entry)
    assert answers[0]["applied"]["comment"] == "duplicate" and "ignored" in answers[1]

    servicenow.reopen(number)
    assert resync(stack, world) == {**nothing, "status": {"before": "Resolved", "after": "In Progress"},
                                    "link": "reopened"}
    assert resync(stack, world) == nothing

    servicenow.delete(number)
    assert resync(stack, world) == {**nothing, "deleted": True}
    assert resync(stack, world) == {**nothing, "deleted": False}
    assert ledger(world, found_by="resync") == 4 and ledger(world) == 4
    assert len(thread(stack, world)) == 4  # the comment and three system entries
    # It read the record by its sys_id, then its journal.
    sys_id = psql("SELECT external_ref FROM ticket_sync.ticket_links WHERE org_id = :'org'", org=world.org,
                  database_url=world.database_url)
    assert servicenow.calls("GET", f"/api/now/table/incident/{sys_id}")
    journal = servicenow.calls("GET", "/api/now/table/sys_journal_field")[-1]
    assert journal["query"]["sysparm_query"] == [f"element=comments^element_id={sys_id}"
                                                 "^ORDERBYsys_created_on^ORDERBYsys_id"]


def test_a_rate_limited_sweep_waits_for_retry_after(make_stack, world, servicenow):
    stack, connection = swept_stack(make_stack, world, servicenow, "1s")
    open_ticket(stack, world)
    wait_for_sweeps(world, connection)
    servicenow.answer(servicenow.rate_limited(4))
    # The fake records a request and takes its queued answer under one lock: the 429 went to the last request seen
    # once the queue is empty (a sweep ends at its first failed call, so nothing follows it at once).
    wait_for(lambda: not servicenow.plan, seconds=20, what="the throttled call")
    with servicenow.lock:
        throttled_from = len(servicenow.requests) - 1
    throttled = servicenow.requests[throttled_from]
    wait_for(lambda: "HTTP 429: Rate limit exceeded" in sweep_row(world, connection, "error"), seconds=3,
             what="the sweep to record the 429")
    wait_for(lambda: len(servicenow.requests) > throttled_from + 1, seconds=20, what="the sweep after the wait")
    after = servicenow.requests[throttled_from + 1]
    assert after["at"] - throttled["at"] >= 3.9, "no sweep call before Retry-After (4 s; the interval is 1 s)"
    wait_for(lambda: sweep_row(world, connection, "error IS NULL") == "t", seconds=20, what="a clean sweep again")
