"""Ticket fields through the generic webhook (issue 23; docs/fields.md): the adapter gets the connection's mapping
rendered as `fields` in `ticket.create` and the assignee; a due date in the host's optional `due_date` column goes
out with the create, and each change of it reaches the adapter once as a `ticket.update` event, in order with the
link's other events. Also the mapping's checks when saved, shared by every tracker."""
import time

import pytest
import requests

from conftest import assert_problem, due_date_world, own_world, wait_for
from connections import create_connection
from trackers import Receiver

SECRET = "adapter-fields-secret"
ENV = {"TICKET_SYNC_DUE_DATE_INTERVAL": "1s", "TICKET_DELIVERY_POLL_MS": "100",
       "TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
       "PUBLIC_BASE_URL": "https://grc.example.com"}


@pytest.fixture
def adapter():
    running = Receiver(SECRET, tracker=True)
    yield running
    running.down()


@pytest.fixture
def world():
    return due_date_world()


@pytest.fixture
def stack(make_stack, world):
    return make_stack("fields-webhook", env=ENV, database_url=world.runtime_url)


def connect(stack, world, adapter, **settings):
    return create_connection(stack, world, {
        "kind": "webhook", "name": "Adapter", "default": True,
        "settings": {"url": adapter.url, **settings}, "secrets": {"webhook_secret": SECRET}})


def events(adapter, kind):
    return [call["event"] for call in adapter.calls("POST") if (call.get("event") or {}).get("event_type") == kind]


def test_the_create_carries_the_rendered_mapping_the_assignee_and_the_due_date(stack, world, adapter):
    world.sql("UPDATE evidence_requests SET due_date = '2026-12-31' WHERE id = :'r'", r=world.r1)
    connect(stack, world, adapter, assignee="creator", fields={
        "priority": "high", "summary_line": "{{request.title}} ({{org.name}})", "asked_by": "{{user.name}}",
        "requester": {"email": "{{user.email}}"}, "link": "{{request.url}}", "deadline": "{{request.due_date}}",
        "tags": ["grc", "{{request.id}}"]})
    opened = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert opened.status_code == 201, opened.text
    [create] = events(adapter, "ticket.create")
    admin_email = f"{world.user_ids['admin']}@e2e.example"
    assert create["fields"] == {
        "priority": "high", "summary_line": "Access review (Org A)", "asked_by": "Admin User",
        "requester": {"email": admin_email},
        "link": f"https://grc.example.com/orgs/{world.org}/evidence-requests/{world.r1}",
        "deadline": "2026-12-31", "tags": ["grc", world.r1], "due_date": "2026-12-31"}
    # The adapter finds the user: `creator` hands it the requester's e-mail.
    assert create["assignee"] == admin_email


def test_a_changed_due_date_is_pushed_once_in_order_and_a_removed_one_as_null(stack, world, adapter):
    connect(stack, world, adapter)
    opened = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert opened.status_code == 201, opened.text
    [create] = events(adapter, "ticket.create")
    assert "due_date" not in create.get("fields", {}) and "assignee" not in create
    world.sql("UPDATE evidence_requests SET due_date = '2027-01-15' WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(events(adapter, "ticket.update")) == 1, seconds=20, what="the due date pushed")
    # A comment queued after the change goes out after it: the link's events keep their order.
    posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("admin"),
                           json={"body": "Uploaded the export."})
    assert posted.status_code == 201, posted.text
    wait_for(lambda: len(events(adapter, "ticket.comment")) == 1, seconds=20, what="the comment delivered")
    time.sleep(3)  # three more passes of the watch: nothing changed, nothing sent
    [update] = events(adapter, "ticket.update")
    assert update["due_date"] == "2027-01-15" and update["external_id"] == opened.json()["external_id"]
    kinds = [call["event"]["event_type"] for call in adapter.calls("POST") if call.get("event")]
    assert kinds.index("ticket.update") < kinds.index("ticket.comment")
    world.sql("UPDATE evidence_requests SET due_date = NULL WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(events(adapter, "ticket.update")) == 2, seconds=20, what="the removal pushed")
    assert events(adapter, "ticket.update")[1]["due_date"] is None
    # Two watches never queue one change twice: one row per change in the outbox.
    assert world.sql("SELECT count(*) FROM ticket_sync.outbox WHERE org_id = :'org' "
                     "AND event_type = 'ticket.update'") == "2"


def test_a_closed_ticket_gets_no_due_date_updates(stack, world, adapter):
    connect(stack, world, adapter)
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200, closed.text
    world.sql("UPDATE evidence_requests SET due_date = '2027-03-01' WHERE id = :'r'", r=world.r1)
    time.sleep(3)
    assert events(adapter, "ticket.update") == []


def test_the_mapping_is_checked_when_saved(stack, world, adapter):
    connection = connect(stack, world, adapter, fields={"deadline": "{{request.due_date}}"})
    assert connection["settings"]["fields"] == {"deadline": "{{request.due_date}}"}
    path = f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection['id']}"
    for fields, field in [({"x": "{{request.owner}}"}, "settings.fields.x"), (["x"], "settings.fields"),
                          ({"bad name": 1}, "settings.fields.bad name")]:
        refused = requests.patch(stack.url(path), headers=world.auth("admin"), json={"settings": {"fields": fields}})
        assert_problem(refused, 422)
        assert refused.json()["field"] == field
    refused = requests.patch(stack.url(path), headers=world.auth("admin"), json={"settings": {"assignee": "me"}})
    assert_problem(refused, 422)
    assert refused.json()["field"] == "settings.assignee"
    # Nothing of the refused changes was written; null removes the mapping.
    kept = requests.get(stack.url(path), headers=world.auth("admin")).json()
    assert kept["settings"]["fields"] == {"deadline": "{{request.due_date}}"}
    removed = requests.patch(stack.url(path), headers=world.auth("admin"), json={"settings": {"fields": None}})
    assert removed.status_code == 200 and "fields" not in removed.json()["settings"]


def test_the_due_date_placeholder_needs_the_column(make_stack, adapter):
    world = own_world()  # the contract's tables as they come: no due_date column
    stack = make_stack("fields-no-due-date", env=ENV, database_url=world.runtime_url)
    path = f"/api/v1/orgs/{world.org}/ticket-sync/connections"
    refused = requests.post(stack.url(path), headers=world.auth("admin"), json={
        "kind": "webhook", "name": "Adapter", "settings": {"url": adapter.url,
                                                            "fields": {"deadline": "{{request.due_date}}"}},
        "secrets": {"webhook_secret": SECRET}})
    assert_problem(refused, 422)
    assert refused.json()["field"] == "settings.fields.deadline"
    assert "due_date column" in refused.json()["detail"]
    # Without the column nothing is watched and the create carries no due date.
    connect(stack, world, adapter, fields={"title_copy": "{{request.title}}"})
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    [create] = events(adapter, "ticket.create")
    assert create["fields"] == {"title_copy": "Access review"}
