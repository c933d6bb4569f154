"""Sweeps of the mock (issue 21): its webhook is "lost" (a comment with #drop-echo is echoed on the mock's side but not
reported), and what happens "on the tracker" is written to the mock's own tables, which nothing reports either. A
scheduled sweep and "Re-sync now" each repair it exactly once: a second sweep and a late webhook change nothing."""
import json
import time

import pytest
import requests

from conftest import assert_problem, own_world, wait_for
from connections import sign

SECRET = "mock-sweep-webhook-secret"
ENV = {"TICKET_SYNC_SWEEP_INTERVAL": "1s", "TICKET_SYNC_RESYNC_EVERY": "2s", "TICKET_WEBHOOK_SECRET": SECRET}


@pytest.fixture
def world():
    """A database of the test's own (see conftest.own_world)."""
    return own_world()


@pytest.fixture
def swept(make_stack, world):
    return make_stack("sweeps-mock", env=ENV, database_url=world.runtime_url)


def open_ticket(stack, world, request=None):
    response = requests.post(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def comment(stack, world, body, request=None):
    response = requests.post(stack.url(world.request_path(request) + "/comments"), json={"body": body},
                             headers=world.auth("reader"))
    assert response.status_code == 201, response.text
    return response.json()


def thread(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/comments"),
                        headers=world.auth("reader")).json()["comments"]


def link(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("reader")).json()


def ledger(world, what=None, found_by=None):
    return int(world.sql("SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' "
                    "AND action = 'sync.drift_repaired' AND (:'what' = '' OR detail ->> 'what' = :'what') "
                    "AND (:'by' = '' OR detail ->> 'found_by' = :'by')",
                    what=what or "", by=found_by or ""))


def on_tracker(world, sql, **variables):
    world.sql(sql, **variables)


def sweeps_since(world, scope, finished_after):
    """Sweeps of `scope` that finished after `finished_after` (an epoch second)."""
    return world.sql("SELECT count(*) FROM ticket_sync.sync_sweeps WHERE scope = :'scope' "
                "AND finished_at > to_timestamp(:'after'::double precision)", scope=scope, after=str(finished_after))


def wait_for_sweep(world, scope="deployment:mock"):
    started = time.time()
    wait_for(lambda: sweeps_since(world, scope, started) == "1", seconds=20, what=f"a sweep of {scope}")


def test_a_lost_echo_is_repaired_by_the_scheduled_sweep_once(swept, world):
    ticket = open_ticket(swept, world)
    posted = comment(swept, world, "Uploaded the Q3 export #drop-echo")
    assert posted["echo"] is None  # the mock's webhook was "lost"
    assert [c["source"] for c in thread(swept, world)] == ["internal"]

    wait_for(lambda: len(thread(swept, world)) == 2, seconds=20, what="the sweep to bring the echo")
    echo = thread(swept, world)[1]
    assert echo["source"] == "external"
    assert echo["external_comment_id"] == f"{ticket['external_id']}-echo-{posted['comment']['id']}"
    assert echo["body"] == f"Received on {ticket['external_id']}: Uploaded the Q3 export #drop-echo"
    assert ledger(world, "comment", "sweep") == 1
    verified = world.sql("SELECT last_verified_at IS NOT NULL FROM ticket_sync.ticket_links "
                    "WHERE org_id = :'org' AND unlinked_at IS NULL")
    assert verified == "t"

    # A second sweep, and the echo's webhook arriving late, change nothing.
    wait_for_sweep(world)
    late = json.dumps({"external_id": ticket["external_id"],
                       "comment": {"external_comment_id": echo["external_comment_id"], "author": "x",
                                   "body": "late"}}).encode()
    answer = requests.post(swept.url("/api/v1/ticket-sync/webhook"), data=late,
                           headers={"Content-Type": "application/json", "X-Signature": sign(late, SECRET)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"]["comment"] == "duplicate"
    assert len(thread(swept, world)) == 2
    assert ledger(world) == 1


def test_tracker_side_comment_done_reopen_and_delete_are_each_repaired_once(swept, world):
    ticket = open_ticket(swept, world)
    key = ticket["external_id"]
    on_tracker(world, "INSERT INTO ticket_sync.mock_tracker_comments VALUES (:'key', 'c-1', 'Tracker User', "
               "'Written on the tracker', clock_timestamp())", key=key)
    wait_for(lambda: len(thread(swept, world)) == 1, seconds=20, what="the tracker's comment")
    assert thread(swept, world)[0]["body"] == "Written on the tracker"

    on_tracker(world, "INSERT INTO ticket_sync.mock_tracker_tickets (external_id, status, status_category, status_at) "
               "VALUES (:'key', 'Done', 'done', clock_timestamp())", key=key)
    wait_for(lambda: link(swept, world)["closed_by"] == "tracker", seconds=20, what="the move to done")
    request = requests.get(swept.url(world.request_path()), headers=world.auth("reader")).json()
    assert request["status"] == "submitted"
    assert ledger(world, "closed", "sweep") == 1

    on_tracker(world, "UPDATE ticket_sync.mock_tracker_tickets SET status = 'In Progress', status_category = "
               "'indeterminate', status_at = clock_timestamp(), updated_at = clock_timestamp() "
               "WHERE external_id = :'key'", key=key)
    wait_for(lambda: link(swept, world)["closed_at"] is None, seconds=20, what="the reopen")
    assert link(swept, world)["tracker_status"]["name"] == "In Progress"
    assert ledger(world, "status", "sweep") == 1

    on_tracker(world, "UPDATE ticket_sync.mock_tracker_tickets SET deleted_at = clock_timestamp(), "
               "updated_at = clock_timestamp() WHERE external_id = :'key'", key=key)
    wait_for(lambda: link(swept, world)["sync_state"] == "error", seconds=20, what="the deletion")
    assert "Deleted in the tracker" in link(swept, world)["last_error"]
    assert ledger(world, "deleted", "sweep") == 1

    # More sweeps find nothing new: one thread entry per repair, one ledger row each.
    entries = len(thread(swept, world))
    wait_for_sweep(world)
    wait_for_sweep(world)
    assert len(thread(swept, world)) == entries
    assert ledger(world) == 4


def test_resync_now_repairs_at_once_and_is_rate_limited(swept, world):
    ticket = open_ticket(swept, world, world.r2)
    comment(swept, world, "Evidence attached #drop-echo", world.r2)
    # The scheduled sweep may win the race; either way the echo arrives exactly once.
    path = world.request_path(world.r2) + "/ticket/resync"
    response = requests.post(swept.url(path), headers=world.auth("admin"))
    if response.status_code == 200:
        assert response.json()["link"]["external_id"] == ticket["external_id"]
        assert set(response.json()["repairs"]) >= {"comments_added", "status", "deleted", "deferred"}
    again = requests.post(swept.url(path), headers=world.auth("admin"))
    body = assert_problem(again, 429)
    assert body["type"].endswith("resync-too-soon")
    assert int(again.headers["Retry-After"]) >= 1
    wait_for(lambda: len(thread(swept, world, world.r2)) == 2, seconds=20, what="the echo")
    assert ledger(world, "comment") == 1

    # Reading the ticket needs configure; another org's request is a 404.
    assert requests.post(swept.url(path), headers=world.auth("reader")).status_code == 403
    other = world.request_path(world.rb) + "/ticket/resync"
    assert_problem(requests.post(swept.url(other), headers=world.auth("admin")), 404)


def test_resync_now_reports_what_it_repaired(swept, world):
    # Sweeps far apart here, so only "Re-sync now" finds the change.
    ticket = open_ticket(swept, world)
    world.sql("UPDATE ticket_sync.sync_sweeps SET due_at = clock_timestamp() + interval '1 hour' "
         "WHERE scope = 'deployment:mock'")
    try:
        resync_and_check(swept, world, ticket)
    finally:
        world.sql("UPDATE ticket_sync.sync_sweeps SET due_at = clock_timestamp() WHERE scope = 'deployment:mock'")


def resync_and_check(swept, world, ticket):
    on_tracker(world, "INSERT INTO ticket_sync.mock_tracker_tickets (external_id, status, status_category, status_at) "
               "VALUES (:'key', 'Done', 'done', clock_timestamp())", key=ticket["external_id"])
    on_tracker(world, "INSERT INTO ticket_sync.mock_tracker_comments VALUES (:'key', 'c-9', 'Tracker User', 'Closing', "
               "clock_timestamp())", key=ticket["external_id"])
    response = requests.post(swept.url(world.request_path() + "/ticket/resync"), headers=world.auth("admin"))
    assert response.status_code == 200, response.text
    repairs = response.json()["repairs"]
    assert repairs["comments_added"] == 1
    assert repairs["status"] == {"before": None, "after": "Done"}
    assert repairs["evidence_request_status"] == "submitted"
    assert repairs["link"] == "closed"
    assert response.json()["link"]["closed_by"] == "tracker"
    assert ledger(world, found_by="resync") == 2
    time.sleep(2.1)
    second = requests.post(swept.url(world.request_path() + "/ticket/resync"), headers=world.auth("admin"))
    assert second.status_code == 200, second.text
    assert second.json()["repairs"]["comments_added"] == 0 and second.json()["repairs"]["status"] is None
    assert ledger(world) == 2


def test_connection_resync_is_accepted_and_rate_limited(swept, world):
    created = requests.post(swept.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                            json={"kind": "mock", "name": "Demo"}, headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    path = f"/api/v1/orgs/{world.org}/ticket-sync/connections/{created.json()['id']}/resync"
    response = requests.post(swept.url(path), headers=world.auth("admin"))
    assert response.status_code == 202, response.text
    assert response.json()["connection_id"] == created.json()["id"]
    assert_problem(requests.post(swept.url(path), headers=world.auth("admin")), 429)
    # Another org's connection is not found.
    other = f"/api/v1/orgs/{world.org_b}/ticket-sync/connections/{created.json()['id']}/resync"
    assert_problem(requests.post(swept.url(other), headers=world.auth("admin_b")), 404)
    wait_for(lambda: world.sql("SELECT finished_at IS NOT NULL FROM ticket_sync.sync_sweeps WHERE scope = :'id'",
                          id=created.json()["id"]) == "t", seconds=20, what="the connection's sweep")


def test_a_poll_only_connection_needs_no_webhook_and_is_swept_on_its_own_interval(make_stack, world):
    polled = make_stack("sweeps-poll", env={"TICKET_SYNC_SWEEP_INTERVAL": "1h", "TICKET_SYNC_POLL_INTERVAL": "1s"},
                        database_url=world.runtime_url)
    created = requests.post(polled.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                            json={"kind": "webhook", "name": "Behind a firewall", "default": True,
                                  "settings": {"url": "http://127.0.0.1:9/hook", "inbound_mode": "poll"}},
                            headers=world.auth("admin"))
    # The adapter's webhook secret still signs the events sent to it (and verifies its answers to a sweep): still
    # required in poll mode, though nothing calls the connection's inbound URL (it has none).
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["settings"]["inbound_mode"] == "poll"
    assert body["inbound"] == "poll" and body["inbound_url"] is None
    assert body["missing"] == ["secrets.webhook_secret"]
    mock = requests.post(polled.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                         json={"kind": "mock", "name": "Polled mock", "settings": {"inbound_mode": "poll"}},
                         headers=world.auth("admin"))
    assert mock.status_code == 201, mock.text
    assert mock.json()["configured"] is True and mock.json()["missing"] == []
    bad = requests.post(polled.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                        json={"kind": "mock", "name": "x", "settings": {"inbound_mode": "sometimes"}},
                        headers=world.auth("admin"))
    assert assert_problem(bad, 422)["field"] == "settings.inbound_mode"

    opened = requests.post(polled.url(world.request_path() + "/ticket"), json={"connection_id": mock.json()["id"]},
                           headers=world.auth("admin"))
    assert opened.status_code == 201, opened.text
    comment(polled, world, "Polled evidence #drop-echo")
    # Swept every TICKET_SYNC_POLL_INTERVAL (1 s), though the sweep interval is an hour.
    wait_for(lambda: len(thread(polled, world)) == 2, seconds=20, what="the poll to bring the echo")
    assert ledger(world, "comment", "sweep") == 1


def test_two_responders_sweeping_the_same_trackers_apply_each_change_once(make_stack, world):
    first = make_stack("sweeps-a", env=ENV, database_url=world.runtime_url)
    make_stack("sweeps-b", env=ENV, database_url=world.runtime_url)
    requests_ = [world.r1, world.r2]
    for request in requests_:
        open_ticket(first, world, request)
        for n in range(3):
            comment(first, world, f"Evidence {n} #drop-echo", request)
    wait_for(lambda: all(len(thread(first, world, r)) == 6 for r in requests_), seconds=30,
             what="every echo, swept by either responder")
    wait_for_sweep(world)
    wait_for_sweep(world)
    assert [len(thread(first, world, r)) for r in requests_] == [6, 6]
    assert ledger(world, "comment") == 6
