"""The ServiceNow provider against a fake Table API, end to end through nginx; replies come back through the
generic signed webhook, as the Business Rule of docs/trackers/servicenow.md sends them."""
import hashlib
import hmac
import json

import pytest
import requests

from conftest import psql, assert_problem, wait_for
from trackers import FakeServiceNow

SECRET = "servicenow-business-rule-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
        "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}


@pytest.fixture
def servicenow():
    fake = FakeServiceNow()
    yield fake
    fake.stop()


def sn_env(fake, **extra):
    return {"TICKET_PROVIDER": "servicenow", "SERVICENOW_BASE_URL": fake.base, "SERVICENOW_API_TOKEN": fake.token,
            "TICKET_WEBHOOK_SECRET": SECRET, **FAST, **extra}


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))


def comment(stack, world, text):
    return requests.post(stack.url(world.request_path() + "/comments"), json={"body": text},
                         headers=world.auth("reader")).json()["comment"]


def thread(stack, world):
    return requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]


def business_rule_post(stack, payload):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return requests.post(stack.url("/api/v1/ticket-sync/webhook"), data=body,
                         headers={"Content-Type": "application/json", "X-Signature": signature})


def test_create_comment_reply_close(make_stack, world, servicenow):
    stack = make_stack("sn-flow", sn_env(servicenow))
    created = create(stack, world)
    assert created.status_code == 201, created.text
    link = created.json()
    sys_id = next(iter(servicenow.records))
    number = servicenow.records[sys_id]["number"]
    assert link["provider"] == "servicenow" and link["external_id"] == number
    assert link["external_url"] == f"{servicenow.base}/nav_to.do?uri=incident.do?sys_id={sys_id}"
    call = servicenow.calls("POST")[0]
    assert call["path"] == "/api/now/table/incident" and call["query"]["sysparm_fields"] == ["sys_id,number"]
    assert call["headers"]["x-sn-apikey"] == servicenow.token
    link_id = psql("SELECT id FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r' AND unlinked_at IS NULL",
                   r=world.r1)
    assert call["json"] == {"short_description": "Access review", "description": "Q3 access review",
                            "correlation_id": f"ticketsync-{link_id}", "correlation_display": "Ticket Sync"}
    # A fresh reservation cannot have a record yet: nothing is looked up first (a resumed create does look).
    assert servicenow.calls("GET", "/api/now/table/incident") == []

    posted = comment(stack, world, "Please attach the evidence.")
    assert posted["sync_state"] == "synced"
    entry = servicenow.journal[0]
    assert posted["external_comment_id"] == entry["sys_id"]
    assert "Please attach the evidence." in entry["value"] and "Reader User" in entry["value"]

    reply = business_rule_post(stack, {"external_id": number, "status": "submitted",
                                       "comment": {"external_comment_id": "journal-abc", "author": "Sam (ServiceNow)",
                                                   "body": "Evidence attached to the incident."}})
    assert reply.json() == {"success": True, "applied": {"comment": "created", "status": "submitted"}}
    # The Business Rule also fires for the journal entry we wrote: it comes back with our id and is a duplicate.
    echo = business_rule_post(stack, {"external_id": number, "comment": {
        "external_comment_id": entry["sys_id"], "author": "Ticket Sync", "body": entry["value"]}})
    assert echo.json()["applied"]["comment"] == "duplicate"
    assert [c["body"] for c in thread(stack, world) if c["source"] == "external"] == ["Evidence attached to the incident."]

    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200 and closed.json()["sync_state"] == "synced"
    close_call = servicenow.calls("PATCH")[-1]["json"]
    assert close_call["state"] == "6" and close_call["close_code"] == "Solution provided" and close_call["close_notes"]
    assert servicenow.records[sys_id]["state"] == "6"


def test_bearer_auth_and_another_table(make_stack, world):
    fake = FakeServiceNow(auth="bearer", table="sc_task")
    try:
        stack = make_stack("sn-bearer", sn_env(fake, SERVICENOW_AUTH="bearer", SERVICENOW_TABLE="sc_task"))
        assert create(stack, world).status_code == 201
        call = fake.calls("POST")[0]
        assert call["headers"]["Authorization"] == f"Bearer {fake.token}" and "x-sn-apikey" not in call["headers"]
        assert call["path"] == "/api/now/table/sc_task"
    finally:
        fake.stop()


def test_unreadable_journal_gives_a_minted_id(make_stack, world):
    fake = FakeServiceNow(journal_readable=False)
    try:
        stack = make_stack("sn-journal", sn_env(fake), workers=1)  # "once" is per process
        create(stack, world)
        posted = comment(stack, world, "no journal access")
        assert posted["sync_state"] == "synced"
        assert posted["external_comment_id"] == f"ticketsync-comment-{posted['id']}"
        comment(stack, world, "second")
        assert stack.log().count("cannot read sys_journal_field") == 1, "logged once"
    finally:
        fake.stop()


def test_data_policy_exception_is_passed_through(make_stack, world, servicenow):
    stack = make_stack("sn-policy", sn_env(servicenow, SERVICENOW_CLOSE_CODE="Closed/Resolved by Caller"))
    create(stack, world)
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200
    link = closed.json()
    assert link["sync_state"] == "error"
    assert "Data Policy Exception" in link["last_error"] and "HTTP 403" in link["last_error"]
    # With the right code configured, a retry goes through.
    stack.stop_responder()
    stack.env["SERVICENOW_CLOSE_CODE"] = "Resolved by caller"
    stack.start_responder()
    retried = requests.post(stack.url(world.request_path() + "/ticket/retry"), headers=world.auth("admin"))
    assert retried.status_code == 200
    wait_for(lambda: requests.get(stack.url(world.request_path() + "/ticket"),
                                  headers=world.auth("admin")).json()["sync_state"] == "synced", what="the retried close")


def test_rate_limit_and_server_errors_are_retried(make_stack, world, servicenow):
    stack = make_stack("sn-retry", sn_env(servicenow))
    create(stack, world)
    servicenow.answer((429, {"Retry-After": "1"}, {"error": {"message": "Rate limit exceeded",
                                                             "detail": "Rate limit of 100 requests per hour"},
                                                   "status": "failure"}), (500, {}, None))
    assert comment(stack, world, "eventually")["sync_state"] == "pending"
    wait_for(lambda: thread(stack, world)[0]["sync_state"] == "synced", seconds=20, what="the retried comment")
    # Every retry first looks for the comment's marker in the journal (the 500 answered that look-up), then posts once.
    patches, lookups = servicenow.calls("PATCH"), servicenow.calls("GET", "/sys_journal_field")
    assert len(patches) == 2
    assert lookups[0]["at"] - patches[0]["at"] >= 0.9, "Retry-After honoured"


def test_create_with_a_wrong_token(make_stack, world, servicenow):
    stack = make_stack("sn-401", sn_env(servicenow, SERVICENOW_API_TOKEN="wrong-token"))
    response = create(stack, world)
    assert "ServiceNow rejected the credentials" in assert_problem(response, 502)["detail"]
    assert "wrong-token" not in response.text


def test_create_error_body_is_passed_through(make_stack, world, servicenow):
    stack = make_stack("sn-400", sn_env(servicenow))
    servicenow.answer((400, {}, {"error": {"message": "Invalid table", "detail": "incident is not writable"},
                                 "status": "failure"}))
    problem = assert_problem(create(stack, world), 502)
    assert "Invalid table: incident is not writable" in problem["detail"]
