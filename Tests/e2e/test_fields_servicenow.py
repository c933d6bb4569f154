"""Ticket fields with ServiceNow (issue 23; docs/trackers/servicenow.md): the connection's mapping sent as columns of
the new record, a Data Policy's mandatory fields named in a 422 in ServiceNow's words (the reservation dropped, so a
fixed mapping creates at once), the assignee found in sys_user by e-mail (or the ticket made unassigned and the
thread told), and the host's due date sent on create and each change of it PATCHed once."""
import time

import pytest
import requests

from conftest import assert_problem, due_date_world, wait_for
from connections import create_connection
from trackers import FakeServiceNow

SECRET = "servicenow-fields-secret"
ENV = {"TICKET_SYNC_DUE_DATE_INTERVAL": "1s", "TICKET_DELIVERY_POLL_MS": "100",
       "TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_HTTP_TIMEOUT_S": "2",
       "PUBLIC_BASE_URL": "https://grc.example.com"}
POLICY = "Data Policy Exception: The following fields are mandatory: Assignment group, Category"


@pytest.fixture
def servicenow():
    fake = FakeServiceNow()
    yield fake
    fake.stop()


@pytest.fixture
def world():
    """A database of the test's own: the host table gets a due_date column (and users new e-mails) no other test
    may see."""
    return due_date_world()


@pytest.fixture
def stack(make_stack, world):
    return make_stack("fields-sn", env=ENV, database_url=world.runtime_url)


def connect(stack, world, fake, **settings):
    return create_connection(stack, world, {
        "kind": "servicenow", "name": "SN", "default": True, "settings": {"base_url": fake.base, **settings},
        "secrets": {"api_token": fake.token, "webhook_secret": SECRET}})


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))


def inserts(fake):
    return [call["json"] for call in fake.calls("POST", "/api/now/table/incident")]


def system_entries(stack, world):
    thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
    return [entry["body"] for entry in thread["comments"] if entry["source"] == "system"]


def test_mandatory_fields_are_named_and_a_fixed_mapping_creates_at_once(stack, world, servicenow):
    servicenow.data_policy = {"assignment_group": "Assignment group", "category": "Category"}
    connection = connect(stack, world, servicenow)
    refused = create(stack, world)
    body = assert_problem(refused, 422)
    assert body["type"].endswith("tracker-field-refused")
    # Named as ServiceNow names them (labels), each with ServiceNow's sentence.
    assert body["fields"] == [{"field": "Assignment group", "message": POLICY},
                              {"field": "Category", "message": POLICY}]
    assert "Assignment group" in body["detail"] and servicenow.records == {}
    path = f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection['id']}"
    fixed = requests.patch(stack.url(path), headers=world.auth("admin"), json={"settings": {"fields": {
        "assignment_group": "Compliance", "category": "{{org.name}}", "urgency": 2,
        "u_requested_by": "{{user.name}} <{{user.email}}>", "u_evidence_link": "{{request.url}}"}}})
    assert fixed.status_code == 200, fixed.text
    # The reservation was dropped with the refusal: the fixed mapping creates at once, the placeholders rendered.
    created = create(stack, world)
    assert created.status_code == 201, created.text
    sent = inserts(servicenow)[-1]
    admin_email = f"{world.user_ids['admin']}@e2e.example"
    assert sent["assignment_group"] == "Compliance" and sent["category"] == "Org A" and sent["urgency"] == 2
    assert sent["u_requested_by"] == f"Admin User <{admin_email}>"
    assert sent["u_evidence_link"] == f"https://grc.example.com/orgs/{world.org}/evidence-requests/{world.r1}"
    assert sent["short_description"] == "Access review" and sent["correlation_id"].startswith("ticketsync-")
    assert "assigned_to" not in sent  # settings.assignee defaults to none
    (record,) = servicenow.records.values()
    assert record["number"] == created.json()["external_id"] and record["category"] == "Org A"


def test_owned_fields_cannot_be_mapped(stack, world, servicenow):
    for owned in ("short_description", "correlation_id"):
        refused = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                                headers=world.auth("admin"), json={
                                    "kind": "servicenow", "name": "SN", "settings": {
                                        "base_url": servicenow.base, "fields": {owned: "{{request.title}}"}},
                                    "secrets": {"api_token": servicenow.token}})
        assert_problem(refused, 422)
        assert refused.json()["field"] == f"settings.fields.{owned}"


def test_the_assignee_is_found_in_sys_user_by_email(stack, world, servicenow):
    # A plus address: a bare `+` in the query would reach ServiceNow as a space.
    email = "dana+grc@e2e.example"
    world.sql("UPDATE users SET email = :'email' WHERE id = :'id'", email=email, id=world.user_ids["admin"])
    servicenow.add_user(email, active=False)  # a deactivated account with the same address is not the one
    sys_id = servicenow.add_user(email)
    connect(stack, world, servicenow, assignee="creator")
    created = create(stack, world)
    assert created.status_code == 201, created.text
    assert inserts(servicenow)[-1]["assigned_to"] == sys_id
    (lookup,) = servicenow.calls("GET", "/api/now/table/sys_user")
    assert lookup["query"] == {"sysparm_query": [f"email={email}^active=true"], "sysparm_fields": ["sys_id"],
                               "sysparm_limit": ["1"]}
    assert system_entries(stack, world) == []


def test_nobody_found_creates_the_ticket_unassigned_and_says_so(stack, world, servicenow):
    servicenow.add_user("someone.else@e2e.example")
    connect(stack, world, servicenow, assignee="creator")
    created = create(stack, world)
    assert created.status_code == 201, created.text
    assert "assigned_to" not in inserts(servicenow)[-1]
    admin_email = f"{world.user_ids['admin']}@e2e.example"
    assert system_entries(stack, world) == [
        f"No ServiceNow user has the e-mail {admin_email}, so the ticket was created unassigned."]


def test_an_email_that_would_add_a_condition_is_never_looked_up(stack, world, servicenow):
    # `^` joins conditions in an encoded query (`^NQ` would start another query that matches anyone): the address is
    # not put in one, and the ticket is made unassigned with the usual note.
    email = "x^NQactive=true@e2e.example"
    world.sql("UPDATE users SET email = :'email' WHERE id = :'id'", email=email, id=world.user_ids["admin"])
    servicenow.add_user("anyone@e2e.example")
    connect(stack, world, servicenow, assignee="creator")
    assert create(stack, world).status_code == 201
    assert servicenow.calls("GET", "/api/now/table/sys_user") == []
    assert "assigned_to" not in inserts(servicenow)[-1]
    assert system_entries(stack, world) == [
        f"No ServiceNow user has the e-mail {email}, so the ticket was created unassigned."]


def test_the_due_date_is_sent_on_create_and_each_change_patched_once(stack, world, servicenow):
    world.sql("UPDATE evidence_requests SET due_date = '2026-12-31' WHERE id = :'r'", r=world.r1)
    connect(stack, world, servicenow)
    created = create(stack, world)
    assert created.status_code == 201, created.text
    assert inserts(servicenow)[-1]["due_date"] == "2026-12-31"
    (sys_id,) = servicenow.records

    def due_patches():
        return [call["json"] for call in servicenow.calls("PATCH", f"/api/now/table/incident/{sys_id}")
                if "due_date" in (call["json"] or {})]

    world.sql("UPDATE evidence_requests SET due_date = '2027-01-15' WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(due_patches()) == 1, seconds=20, what="the due date pushed")
    time.sleep(3)  # three more passes of the watch: nothing changed, nothing sent
    assert due_patches() == [{"due_date": "2027-01-15"}]
    assert servicenow.records[sys_id]["due_date"] == "2027-01-15"
    # A removed due date clears the field: ServiceNow empties a field set to "".
    world.sql("UPDATE evidence_requests SET due_date = NULL WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(due_patches()) == 2, seconds=20, what="the removal pushed")
    assert due_patches()[1] == {"due_date": ""} and servicenow.records[sys_id]["due_date"] == ""


def test_a_mapping_that_sets_the_due_date_otherwise_gets_no_update(stack, world, servicenow):
    world.sql("UPDATE evidence_requests SET due_date = '2026-12-31' WHERE id = :'r'", r=world.r1)
    connect(stack, world, servicenow, fields={"due_date": "2030-01-01 00:00:00"})
    assert create(stack, world).status_code == 201
    assert inserts(servicenow)[-1]["due_date"] == "2030-01-01 00:00:00"
    world.sql("UPDATE evidence_requests SET due_date = '2027-02-01' WHERE id = :'r'", r=world.r1)
    # The change is queued and delivered without a call: the mapping, not the request, decides that field.
    wait_for(lambda: world.sql("SELECT state FROM ticket_sync.outbox WHERE org_id = :'org' "
                               "AND event_type = 'ticket.update'") == "delivered", seconds=20, what="the update")
    assert servicenow.calls("PATCH") == []
