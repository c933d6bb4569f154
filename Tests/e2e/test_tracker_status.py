"""Two-way status: Jira's issue_updated / issue_deleted and ServiceNow's state (through the Business Rule's signed
generic payload) close, reopen or mark the link, move the evidence request through the status map, order by the
tracker's time, and show in the thread, the link and the page."""
import json
import uuid

import pytest
import requests

from conftest import psql
from connections import create_connection, jira_connection, post_hook
from test_jira import comment_created, jira_env, jira_webhook
from test_servicenow import business_rule_post, sn_env
from trackers import FakeJira, FakeServiceNow

T0 = 1_796_040_000_000  # 2026-11-30T12:00:00Z in Jira's milliseconds


@pytest.fixture
def jira():
    fake = FakeJira(email="bot@example.com")
    yield fake
    fake.stop()


@pytest.fixture
def servicenow():
    fake = FakeServiceNow()
    yield fake
    fake.stop()


def moved(fake, key, name, category, at, who="Dana Scully", comment=None):
    issue = fake.issues[key]
    payload = {"webhookEvent": "jira:issue_updated", "timestamp": at, "user": {"displayName": who},
               "issue": {"id": issue["id"], "key": key,
                         "fields": {"status": {"name": name, "statusCategory": {"key": category}}}},
               "changelog": {"items": [{"field": "status", "fromString": "Before", "toString": name}]}}
    if comment:
        payload["comment"] = comment
    return payload


def link(stack, world):
    return requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")).json()


def request_status(stack, world):
    return requests.get(stack.url(world.request_path()), headers=world.auth("reader")).json()["status"]


def thread(stack, world):
    return requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]


def close_events(world):
    return psql("SELECT count(*) FROM ticket_sync.outbox WHERE org_id = :'org' AND event_type = 'ticket.close'",
                org=world.org)


def test_jira_done_closes_reopen_opens_older_is_ignored_deleted_marks_error(make_stack, world, jira):
    stack = make_stack("status-jira", jira_env(jira))
    key = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]
    assert request_status(stack, world) == "open"

    done = jira_webhook(stack, moved(jira, key, "Done", "done", T0 + 1000))
    assert done.status_code == 200, done.text
    assert done.json()["applied"] == {"comment": None, "status": "submitted", "tracker_status": "Done", "link": "closed"}
    closed = link(stack, world)
    assert closed["closed_at"] and closed["closed_by"] == "tracker"
    assert closed["tracker_status"]["name"] == "Done" and closed["tracker_status"]["category"] == "done"
    assert closed["tracker_status"]["changed_at"].startswith("2026-11-30T12:00:01")
    assert request_status(stack, world) == "submitted"
    entries = [c for c in thread(stack, world) if c["source"] == "system"]
    assert [e["body"] for e in entries] == ["Resolved in Jira by Dana Scully (Done); evidence request set to submitted"]
    assert entries[0]["author"] == "Dana Scully" and "sync_state" not in entries[0]
    # Closed by the tracker: nothing is sent back to it.
    assert close_events(world) == "0" and not jira.calls("POST", "/transitions")

    reopened = jira_webhook(stack, moved(jira, key, "In Progress", "indeterminate", T0 + 3000, who="Sam"))
    assert reopened.json()["applied"]["link"] == "reopened"
    opened = link(stack, world)
    assert opened["closed_at"] is None and opened["closed_by"] is None
    assert opened["tracker_status"]["name"] == "In Progress"
    assert request_status(stack, world) == "submitted", "everything but done maps to no change by default"

    # A redelivery, or a late delivery of an older move, cannot roll the link back.
    for stale in (moved(jira, key, "Done", "done", T0 + 1000), moved(jira, key, "Done", "done", T0 + 2000),
                  moved(jira, key, "In Progress", "indeterminate", T0 + 3000)):
        answer = jira_webhook(stack, stale)
        assert answer.status_code == 200 and answer.json()["ignored"] == "older than the last status applied"
    assert link(stack, world)["closed_at"] is None
    assert len([c for c in thread(stack, world) if c["source"] == "system"]) == 2

    posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "Still here"},
                           headers=world.auth("reader"))
    assert posted.status_code == 201, "a reopened link takes comments again"

    deleted = jira_webhook(stack, {"webhookEvent": "jira:issue_deleted", "user": {"displayName": "Dana Scully"},
                                   "issue": {"id": jira.issues[key]["id"], "key": key}})
    assert deleted.json()["applied"]["link"] == "deleted"
    marked = link(stack, world)
    assert marked["sync_state"] == "error" and marked["last_error"] == "Deleted in Jira by Dana Scully"
    bodies = [c["body"] for c in thread(stack, world)]
    assert "Still here" in bodies and "Deleted in Jira by Dana Scully" in bodies, "the thread stays intact"
    again = jira_webhook(stack, {"webhookEvent": "jira:issue_deleted", "issue": {"key": key}})
    assert again.json()["ignored"] == "already deleted"
    audit = psql("SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' AND action = 'inbound.applied'"
                 " AND detail ? 'tracker_status'", org=world.org)
    assert audit == "2"


def test_a_comment_on_issue_updated_is_not_imported_twice(make_stack, world, jira):
    stack = make_stack("status-jira-comment", jira_env(jira))
    key = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]
    first = jira_webhook(stack, comment_created(jira, key, "30001", body="Resolved with the report attached"))
    assert first.json()["applied"]["comment"] == "created"
    comment = comment_created(jira, key, "30001", body="Resolved with the report attached")["comment"]
    both = jira_webhook(stack, moved(jira, key, "Done", "done", T0, comment=comment))
    assert both.json()["applied"]["comment"] == "duplicate" and both.json()["applied"]["link"] == "closed"
    new = comment_created(jira, key, "30002", body="A comment made with the transition")["comment"]
    assert jira_webhook(stack, moved(jira, key, "Reopened", "new", T0 + 1, comment=new)).json()["applied"]["comment"] == "created"
    bodies = [c["body"] for c in thread(stack, world) if c["source"] == "external"]
    assert bodies == ["Resolved with the report attached", "A comment made with the transition"]


def test_accepted_only_when_the_mapping_names_it_and_a_decision_is_never_undone(make_stack, world, jira):
    stack = make_stack("status-jira-default", jira_env(jira))
    key = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]
    assert jira_webhook(stack, moved(jira, key, "Approved", "done", T0)).json()["applied"]["status"] == "submitted"
    assert request_status(stack, world) == "submitted"
    # The auditor accepts; a later round trip through the tracker's workflow does not take that back.
    psql("UPDATE evidence_requests SET status = 'accepted' WHERE org_id = :'org' AND id = :'r'", org=world.org, r=world.r1)
    jira_webhook(stack, moved(jira, key, "In Progress", "indeterminate", T0 + 1))
    assert jira_webhook(stack, moved(jira, key, "Done", "done", T0 + 2)).json()["applied"]["status"] is None
    assert request_status(stack, world) == "accepted"

    mapped = make_stack("status-jira-mapped", jira_env(jira, TICKET_STATUS_MAP="Approved=accepted, done=submitted"))
    key2 = requests.post(mapped.url(world.request_path(request=world.r2) + "/ticket"),
                         headers=world.auth("admin")).json()["external_id"]
    assert jira_webhook(mapped, moved(jira, key2, "Approved", "done", T0)).json()["applied"]["status"] == "accepted"
    assert requests.get(mapped.url(world.request_path(request=world.r2)),
                        headers=world.auth("reader")).json()["status"] == "accepted"


def test_a_connections_own_status_map(make_stack, world, jira):
    stack = make_stack("status-connection")
    body = jira_connection(jira)
    body["settings"]["status_map"] = "Waiting For Audit=submitted, done=keep"
    connection = create_connection(stack, world, body)
    assert connection["settings"]["status_map"] == "waiting for audit=submitted,done=keep"
    bad = dict(body, name="Bad map", default=False, settings={**body["settings"], "status_map": "done=finished"})
    refused = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"), json=bad,
                            headers=world.auth("admin"))
    assert refused.status_code == 422 and refused.json()["field"] == "settings.status_map"
    key = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]
    hook = lambda payload: post_hook(stack, connection["inbound_url"], payload, "jira-hook-secret",
                                     header="X-Hub-Signature").json()["applied"]
    assert hook(moved(jira, key, "Waiting For Audit", "indeterminate", T0))["status"] == "submitted"
    psql("UPDATE evidence_requests SET status = 'in_progress' WHERE org_id = :'org' AND id = :'r'", org=world.org, r=world.r1)
    done = hook(moved(jira, key, "Done", "done", T0 + 1))
    assert done["status"] is None and done["link"] == "closed", "done=keep: the link closes, the request stays"
    assert request_status(stack, world) == "in_progress"
    readiness = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader")).json()
    assert readiness["inbound_events"] == ["comment_created", "jira:issue_updated", "jira:issue_deleted"]
    assert readiness["connections"][0]["status_map"] == "waiting for audit=submitted,done=keep"


def test_servicenow_state_through_the_business_rule(make_stack, world, servicenow):
    stack = make_stack("status-servicenow", sn_env(servicenow))
    number = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]

    def state(value, label, at, who="abel.tuter"):
        return business_rule_post(stack, {"external_id": number, "tracker_status": {
            "name": label, "state": value, "updated_at": at, "updated_by": who}})

    resolved = state("6", "Resolved", "2026-11-30 12:00:05")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["applied"] == {"comment": None, "status": "submitted", "tracker_status": "Resolved",
                                          "link": "closed"}
    assert link(stack, world)["closed_by"] == "tracker" and request_status(stack, world) == "submitted"
    assert state("2", "In Progress", "2026-11-30 12:00:01").json()["ignored"].startswith("tracker_status older")
    assert link(stack, world)["closed_at"], "an older state does not reopen"
    assert state("2", "In Progress", "2026-11-30 12:00:09").json()["applied"]["link"] == "reopened"
    # Whole seconds: the same state again in that second is a redelivery; another state in it still applies.
    assert "ignored" in state("2", "In Progress", "2026-11-30 12:00:09").json()
    assert state("7", "Closed", "2026-11-30 12:00:09").json()["applied"]["link"] == "closed"
    assert state("2", "In Progress", "2026-11-30 12:00:10").json()["applied"]["link"] == "reopened"
    entries = [c["body"] for c in thread(stack, world) if c["source"] == "system"]
    assert entries == ["Resolved in ServiceNow by abel.tuter (Resolved); evidence request set to submitted",
                       "Reopened in ServiceNow by abel.tuter (In Progress)", "Resolved in ServiceNow by abel.tuter (Closed)",
                       "Reopened in ServiceNow by abel.tuter (In Progress)"]
    assert not [call for call in servicenow.calls("PATCH") if "state" in (call.get("json") or {})], \
        "nothing is sent back for a close the tracker made"
    bad = business_rule_post(stack, {"external_id": number, "tracker_status": {"name": "x", "updated_at": "now"}})
    assert bad.status_code == 422


def test_a_close_made_here_stays_the_users_when_jira_confirms_it(make_stack, world, jira):
    stack = make_stack("status-jira-ours", jira_env(jira))
    key = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()["external_id"]
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200 and closed.json()["closed_by"] == "user"
    confirmed = jira_webhook(stack, moved(jira, key, "Done", "done", T0, who="Ticket Sync Bot")).json()["applied"]
    assert "link" not in confirmed and confirmed["tracker_status"] == "Done"
    assert link(stack, world)["closed_by"] == "user"
    assert [c["body"] for c in thread(stack, world) if c["source"] == "system"] == [
        "Resolved in Jira by Ticket Sync Bot (Done); evidence request set to submitted"]
