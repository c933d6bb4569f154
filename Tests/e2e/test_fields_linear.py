"""Ticket fields with Linear (issue 23; docs/trackers/linear.md): the connection's mapping sent as issueCreate input
next to the team and id Ticket Sync owns, the assignee found by e-mail (`users(filter: {email: {eqIgnoreCase}})`, or
the ticket made unassigned and the thread told), the host's due date sent as `dueDate` and each change of it pushed
once with issueUpdate, and Linear's input errors named as the mapped field they blame (422, the reservation
dropped)."""
import time

import pytest
import requests

from conftest import assert_problem, due_date_world, wait_for
from connections import create_connection
import trackers  # noqa: F401  (puts each tracker folder's fake on the import path)
from linear_fake import FakeLinear

SECRET = "linear-fields-secret"
ENV = {"TICKET_SYNC_DUE_DATE_INTERVAL": "1s", "TICKET_DELIVERY_POLL_MS": "100",
       "TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}


@pytest.fixture
def linear():
    fake = FakeLinear()
    yield fake
    fake.stop()


@pytest.fixture
def world():
    return due_date_world()


@pytest.fixture
def stack(make_stack, world):
    return make_stack("fields-linear", env=ENV, database_url=world.runtime_url)


def connect(stack, world, fake, **settings):
    return create_connection(stack, world, {
        "kind": "linear", "name": "GRC Linear", "default": True,
        "settings": {"base_url": fake.base, "team_id": fake.team, **settings},
        "secrets": {"api_key": fake.key, "webhook_secret": SECRET}})


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"), timeout=30)


def system_entries(stack, world):
    thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
    return [entry["body"] for entry in thread["comments"] if entry["source"] == "system"]


def test_the_create_carries_the_mapping_the_assignee_and_the_due_date(stack, world, linear):
    world.sql("UPDATE evidence_requests SET due_date = '2026-12-31' WHERE id = :'r'", r=world.r1)
    admin_email = f"{world.user_ids['admin']}@e2e.example"
    dana = linear.add_user("Dana", admin_email.upper())  # the same address, spelt in capitals in Linear
    (project,) = linear.projects
    (label,) = linear.labels
    connect(stack, world, linear, assignee="creator", fields={
        "priority": 2, "labelIds": [label], "projectId": project, "title": "{{request.title}} ({{org.name}})"})
    created = create(stack, world)
    assert created.status_code == 201, created.text
    (sent,) = linear.operations("IssueCreate")
    (issue,) = linear.issues.values()
    # Ours (team, id) next to the mapping's fields, rendered; the assignee; the default due-date field.
    assert sent["input"]["teamId"] == linear.team and sent["input"]["id"] == issue["id"]
    assert sent["input"]["title"] == "Access review (Org A)"
    assert {name: sent["input"][name] for name in ("priority", "labelIds", "projectId", "assigneeId", "dueDate")} \
        == {"priority": 2, "labelIds": [label], "projectId": project, "assigneeId": dana["id"],
            "dueDate": "2026-12-31"}
    assert issue["assigneeId"] == dana["id"] and issue["dueDate"] == "2026-12-31"
    (lookup,) = linear.operations("Users")
    assert lookup == {"email": admin_email}
    assert system_entries(stack, world) == []


def test_nobody_found_creates_the_issue_unassigned_and_says_so(stack, world, linear):
    admin_email = f"{world.user_ids['admin']}@e2e.example"
    linear.add_user("Disabled Dana", admin_email, active=False)  # Linear leaves disabled users out
    connect(stack, world, linear, assignee="creator")
    assert create(stack, world).status_code == 201
    (sent,) = linear.operations("IssueCreate")
    assert "assigneeId" not in sent["input"]
    assert system_entries(stack, world) == [
        f"No Linear user has the e-mail {admin_email}, so the ticket was created unassigned."]


def test_a_changed_due_date_is_pushed_once_and_a_removed_one_cleared(stack, world, linear):
    connect(stack, world, linear)
    assert create(stack, world).status_code == 201
    (issue,) = linear.issues.values()
    assert "dueDate" not in linear.operations("IssueCreate")[0]["input"]
    world.sql("UPDATE evidence_requests SET due_date = '2027-01-15' WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(linear.operations("IssueUpdate")) == 1, seconds=20, what="the due date pushed")
    time.sleep(3)  # three more passes of the watch: nothing changed, nothing sent
    assert linear.operations("IssueUpdate") == [{"id": issue["id"], "input": {"dueDate": "2027-01-15"}}]
    assert issue["dueDate"] == "2027-01-15"
    world.sql("UPDATE evidence_requests SET due_date = NULL WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(linear.operations("IssueUpdate")) == 2, seconds=20, what="the removal pushed")
    assert linear.operations("IssueUpdate")[1]["input"] == {"dueDate": None} and issue["dueDate"] is None


@pytest.mark.parametrize("fields, field, words", [
    ({"priority": 7}, "priority", "priority must not be greater than 4"),
    ({"projectId": "5f0c2b9e-0000-4000-8000-000000000000"}, "projectId", "Could not find referenced Project."),
    ({"estimat": 3}, "estimat", 'Field "estimat" is not defined by type "IssueCreateInput".'),
])
def test_a_field_linear_refuses_is_named_and_a_fixed_mapping_creates_at_once(stack, world, linear, fields, field,
                                                                             words):
    connection = connect(stack, world, linear, fields=fields)
    refused = create(stack, world)
    body = assert_problem(refused, 422)
    assert body["type"].endswith("tracker-field-refused")
    [problem] = body["fields"]
    assert problem["field"] == field and words in problem["message"]
    assert linear.issues == {}
    path = f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection['id']}"
    fixed = requests.patch(stack.url(path), headers=world.auth("admin"), json={"settings": {"fields": {"priority": 1}}})
    assert fixed.status_code == 200, fixed.text
    # The refusal dropped the reservation: the fixed mapping creates at once.
    created = create(stack, world)
    assert created.status_code == 201, created.text
    (issue,) = linear.issues.values()
    assert issue["priority"] == 1


def test_owned_fields_cannot_be_mapped(stack, world, linear):
    for owned in ("teamId", "id"):
        refused = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                                headers=world.auth("admin"), json={
                                    "kind": "linear", "name": "L", "settings": {
                                        "base_url": linear.base, "team_id": linear.team, "fields": {owned: "x"}},
                                    "secrets": {"api_key": linear.key}})
        assert_problem(refused, 422)
        assert refused.json()["field"] == f"settings.fields.{owned}"
