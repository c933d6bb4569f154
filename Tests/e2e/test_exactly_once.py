"""Exactly once toward the trackers when creating tickets: reserve, then create with an idempotency key, then
complete. Concurrent creates call the tracker once; a create that dies after the tracker made the ticket is resumed
by the next create (or retry), which finds the ticket by its key instead of making another."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import assert_problem, psql, wait_for
from connections import create_connection, jira_connection
from trackers import Receiver
from trackers import FakeJira, FakeServiceNow


def tracker(kind):
    if kind == "jira":
        fake = FakeJira(email="bot@example.com")
        return fake, jira_connection(fake, name="Slow Jira"), lambda: len(fake.issues)
    if kind == "servicenow":
        fake = FakeServiceNow()
        return fake, {"kind": "servicenow", "name": "Slow SN", "default": True, "settings": {"base_url": fake.base},
                      "secrets": {"api_token": fake.token}}, lambda: len(fake.records)
    fake = Receiver("once-secret")
    # An adapter that de-duplicates on X-Event-Id, as docs/trackers/webhook.md asks: one ticket per event id.
    return fake, {"kind": "webhook", "name": "Slow adapter", "default": True, "settings": {"url": fake.url},
                  "secrets": {"webhook_secret": "once-secret"}}, lambda: len(set(fake.event_ids("ticket.create")))


@pytest.mark.parametrize("kind", ["jira", "servicenow", "webhook"])
def test_twenty_concurrent_creates_make_one_link_and_one_ticket(stack, world, kind):
    fake, connection, tickets = tracker(kind)
    if kind == "webhook":
        fake.default = (200, {}, b"", 0.5)
    else:
        fake.slow = 0.5
    try:
        create_connection(stack, world, connection)
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: requests.post(stack.url(world.request_path() + "/ticket"),
                                                            headers=world.auth("admin"), timeout=30), range(20)))
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [201] + [409] * 19, statuses
        assert tickets() == 1, "exactly one ticket in the tracker"
        if kind == "webhook":
            assert len(fake.event_ids("ticket.create")) == 1, "the other creates never called the tracker"
        assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == "1"
    finally:
        fake.stop()


@pytest.mark.parametrize("kind", ["jira", "servicenow"])
def test_a_create_killed_after_the_tracker_made_the_ticket_is_resumed_without_a_second_one(make_stack, world, kind):
    fake, connection, tickets = tracker(kind)
    # Jira Cloud's search lags: a resume waits JIRA_CLOUD_SEARCH_LAG_S after the attempt (here less than the lease).
    fast = {"TICKET_HTTP_TIMEOUT_S": "1", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1", "JIRA_CLOUD_SEARCH_LAG_S": "5"}
    try:
        crashing = make_stack("create-crash", {**fast, "TICKETSYNC_FAILPOINT": "after-tracker-create"}, workers=1)
        create_connection(crashing, world, connection)
        died = requests.post(crashing.url(world.request_path() + "/ticket"), headers=world.auth("admin"), timeout=30)
        assert died.status_code == 502  # the worker died mid-request: nginx answers for it
        wait_for(lambda: "fail point after-tracker-create" in crashing.log(), what="the fail point")
        assert tickets() == 1
        reservation = requests.get(crashing.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
        assert reservation["state"] == "creating" and reservation["sync_state"] == "pending"
        crashing.stop()

        healthy = make_stack("create-resume", fast)
        # While the dead create's lease runs, another create is told the ticket is being created.
        problem = assert_problem(requests.post(healthy.url(world.request_path() + "/ticket"),
                                               headers=world.auth("admin")), 409)
        assert problem["type"].endswith("ticket-being-created")
        time.sleep(7.5)  # the lease: two 1 s tracker calls and 5 s
        resumed = requests.post(healthy.url(world.request_path() + "/ticket/retry"), headers=world.auth("admin"))
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["state"] == "linked" and resumed.json()["external_id"]
        assert tickets() == 1, "found by its key, not made twice"
        assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == "1"
    finally:
        fake.stop()


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_a_jira_comment_whose_answer_was_lost_is_not_posted_twice(make_stack, world, deployment):
    jira = FakeJira(email="bot@example.com", deployment=deployment)
    try:
        stack = make_stack("jira-comment-lost", {
            "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_DELIVERY_BACKOFF_BASE_MS": "100",
            "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100", "TICKET_HTTP_TIMEOUT_S": "2"})
        create_connection(stack, world, jira_connection(jira))
        assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
        key = next(iter(jira.issues))
        jira.slow = 3  # Jira stores the comment, but its answer comes after the push gave up waiting
        posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"),
                               json={"body": "Stored once"}).json()["comment"]
        jira.slow = 0
        assert posted["sync_state"] == "pending"

        def synced():
            rows = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
            return [c for c in rows["comments"] if c["id"] == posted["id"] and c["sync_state"] == "synced"]

        wait_for(synced, seconds=20, what="the retried push")
        stored = jira.issues[key]["comments"]
        assert len(stored) == 1, "Jira holds it once"
        assert synced()[0]["external_comment_id"] == stored[0]["id"]
        assert len([c for c in jira.calls("POST", "/comment") if c["path"].endswith("/comment")]) == 1, "posted once"
        assert jira.calls("GET", "/comment"), "looked up, not re-posted"
        if deployment == "cloud":
            assert jira.calls("POST", "/comment/list"), "Cloud: properties read through POST /comment/list"
    finally:
        jira.stop()


def test_a_servicenow_comment_whose_answer_was_lost_is_not_posted_twice(make_stack, world):
    sn = FakeServiceNow()
    try:
        stack = make_stack("sn-comment-lost", {
            "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_DELIVERY_BACKOFF_BASE_MS": "100",
            "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100", "TICKET_HTTP_TIMEOUT_S": "2"})
        create_connection(stack, world, {"kind": "servicenow", "name": "SN", "settings": {"base_url": sn.base},
                                         "secrets": {"api_token": sn.token}})
        assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
        sn.slow = 3  # the journal entry is written, the answer comes after the push gave up waiting
        posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"),
                               json={"body": "Journaled once"}).json()["comment"]
        sn.slow = 0
        assert posted["sync_state"] == "pending"

        def synced():
            rows = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
            return [c for c in rows["comments"] if c["id"] == posted["id"] and c["sync_state"] == "synced"]

        wait_for(synced, seconds=20, what="the retried push")
        assert [entry["value"].split("\n")[0] for entry in sn.journal] == ["Journaled once"], "journaled once"
        assert synced()[0]["external_comment_id"] == sn.journal[0]["sys_id"]
        assert "(ref " in sn.journal[0]["value"]
    finally:
        sn.stop()
