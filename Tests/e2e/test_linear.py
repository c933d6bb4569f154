"""Linear, the fifth tracker, end to end through nginx against a fake that follows Linear's documented GraphQL API
(`linear_fake.py`): exactly-once creates (a caller-chosen issue id), comments both ways, close into the team's first
completed state, inbound status, and the webhook's signature and timestamp checks (docs/trackers/linear.md)."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import assert_problem, psql, wait_for
from connections import create_connection
import trackers  # noqa: F401  (puts each tracker folder's fake on the import path)
from linear_fake import (FakeLinear, NAMESPACE_COMMENT, NAMESPACE_ISSUE, comment_event, derived_id, send_webhook,
                         state_event)

SECRET = "linear-webhook-signing-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
        "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}


@pytest.fixture
def linear():
    fake = FakeLinear()
    yield fake
    fake.stop()


def connection(fake, **settings):
    return {"kind": "linear", "name": "GRC Linear", "default": True,
            "settings": {"base_url": fake.base, "team_id": fake.team, **settings},
            "secrets": {"api_key": fake.key, "webhook_secret": SECRET}}


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"), timeout=30)


def comment(stack, world, text):
    return requests.post(stack.url(world.request_path() + "/comments"), json={"body": text},
                         headers=world.auth("reader")).json()["comment"]


def thread(stack, world):
    return requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]


def ticket(stack, world):
    return requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()


def link_id(world):
    return psql("SELECT id FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r' AND unlinked_at IS NULL",
                r=world.r1)


def test_create_comments_both_ways_and_close(make_stack, world, linear):
    stack = make_stack("linear-flow", FAST)
    hook = create_connection(stack, world, connection(linear))["inbound_url"]
    created = create(stack, world)
    assert created.status_code == 201, created.text
    link = created.json()
    (issue,) = linear.issues.values()
    # The issue's id is the one derived from the link's creation key; its identifier and url are the link's.
    assert issue["id"] == derived_id(NAMESPACE_ISSUE, f"ticketsync-{link_id(world)}")
    assert link["provider"] == "linear" and link["external_id"] == issue["identifier"] == "GRC-1"
    assert link["external_url"] == issue["url"]
    call = linear.requests[0]
    assert call["path"] == "/graphql" and call["headers"]["Authorization"] == linear.key  # bare, no Bearer
    assert call["operation"] == "IssueCreate"
    sent = call["json"]["variables"]["input"]
    assert sent["teamId"] == linear.team and sent["title"] == "Access review" and sent["id"] == issue["id"]
    assert sent["description"].startswith("Q3 access review")
    assert linear.operations("Issue") == [], "a fresh reservation looks nothing up first"

    posted = comment(stack, world, "Please attach the evidence.")
    assert posted["sync_state"] == "synced"
    (pushed,) = linear.comments.values()
    assert pushed["issueId"] == issue["id"] and "Please attach the evidence." in pushed["body"]
    assert posted["external_comment_id"] == pushed["id"]

    reply = send_webhook(stack, hook, comment_event(issue, "c0ffee00-0000-4000-8000-000000000001",
                                                    "Evidence attached in Linear."), SECRET, delivery="d-1")
    assert reply.status_code == 200, reply.text
    assert reply.json()["applied"]["comment"] == "created"
    # The same delivery again changes nothing; our own comment's webhook is not imported.
    again = send_webhook(stack, hook, comment_event(issue, "c0ffee00-0000-4000-8000-000000000001",
                                                    "Evidence attached in Linear."), SECRET, delivery="d-1")
    assert again.status_code == 200 and "duplicate" in again.json()["ignored"]
    echo = send_webhook(stack, hook, comment_event(issue, pushed["id"], pushed["body"], author="Ticket Sync bot"),
                        SECRET)
    assert echo.status_code == 200 and echo.json()["applied"]["comment"] == "skipped"
    external = [c for c in thread(stack, world) if c["source"] == "external"]
    assert [(c["author"], c["body"]) for c in external] == [("Sam Auditor", "Evidence attached in Linear.")]

    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200 and closed.json()["sync_state"] == "synced", closed.text
    assert linear.operations("TeamStates") == [{"id": linear.team}]
    (update,) = linear.operations("IssueUpdate")
    assert update == {"id": issue["id"], "input": {"stateId": linear.state("Done")["id"]}}
    assert issue["stateId"] == linear.state("Done")["id"], "the first completed state by position"


def test_an_own_comment_is_recognised_before_its_push_is_recorded(stack, world, linear):
    hook = create_connection(stack, world, connection(linear))["inbound_url"]
    create(stack, world)
    (issue,) = linear.issues.values()
    posted = comment(stack, world, "ours")
    event_id = psql("SELECT event_id FROM ticket_sync.outbox WHERE comment_id = :'c'", c=str(posted["id"]))
    # The webhook of a comment with our derived id is ours even while the outbox has not stamped it.
    psql("UPDATE ticket_sync.comments SET external_comment_id = NULL WHERE id = :'c'", c=str(posted["id"]))
    echo = send_webhook(stack, hook, comment_event(issue, derived_id(NAMESPACE_COMMENT, event_id), "ours"), SECRET)
    assert echo.json()["applied"]["comment"] == "skipped"
    assert [c for c in thread(stack, world) if c["source"] == "external"] == []


def test_twenty_concurrent_creates_make_one_issue(stack, world, linear):
    create_connection(stack, world, connection(linear))
    linear.slow = 0.5
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: create(stack, world), range(20)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19
    assert len(linear.issues) == 1 and len(linear.operations("IssueCreate")) == 1
    assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == "1"


def test_a_create_killed_after_linear_made_the_issue_is_resumed_by_its_id(make_stack, world, linear):
    fast = {"TICKET_HTTP_TIMEOUT_S": "1", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1"}
    crashing = make_stack("linear-crash", {**fast, "TICKETSYNC_FAILPOINT": "after-tracker-create"}, workers=1)
    create_connection(crashing, world, connection(linear))
    died = create(crashing, world)
    assert died.status_code == 502
    wait_for(lambda: "fail point after-tracker-create" in crashing.log(), what="the fail point")
    assert len(linear.issues) == 1
    crashing.stop()

    healthy = make_stack("linear-resume", fast)
    deadline = time.monotonic() + 20
    while True:  # until the dead create's lease has run out
        resumed = requests.post(healthy.url(world.request_path() + "/ticket/retry"), headers=world.auth("admin"))
        if resumed.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert resumed.status_code == 200, resumed.text
    (issue,) = linear.issues.values()
    assert resumed.json()["state"] == "linked" and resumed.json()["external_id"] == issue["identifier"]
    assert linear.operations("Issue") == [{"id": issue["id"]}], "looked up by the derived id"
    assert len(linear.operations("IssueCreate")) == 1, "not made twice"


def test_inbound_status_through_the_status_map(stack, world, linear):
    hook = create_connection(stack, world, connection(linear))["inbound_url"]
    create(stack, world)
    (issue,) = linear.issues.values()
    backlog = linear.state("Backlog")["id"]

    done = send_webhook(stack, hook, state_event(issue, linear.state("Done"), "2026-12-01T10:00:00.000Z", backlog),
                        SECRET)
    assert done.status_code == 200, done.text
    assert done.json()["applied"] == {"comment": None, "status": "submitted", "tracker_status": "Done",
                                      "link": "closed"}
    started = send_webhook(stack, hook, state_event(issue, linear.state("In Progress"), "2026-12-01T11:00:00.000Z",
                                                    linear.state("Done")["id"]), SECRET)
    assert started.json()["applied"]["link"] == "reopened"
    # An older event arriving late changes nothing.
    late = send_webhook(stack, hook, state_event(issue, linear.state("Done"), "2026-12-01T10:30:00.000Z", backlog),
                        SECRET)
    assert "older" in late.json()["ignored"]
    canceled = send_webhook(stack, hook, state_event(issue, linear.state("Canceled"), "2026-12-01T12:00:00.000Z",
                                                     backlog), SECRET)
    assert canceled.json()["applied"]["link"] == "closed"
    link = ticket(stack, world)
    assert link["closed_by"] == "tracker"
    assert [c["body"] for c in thread(stack, world) if c["source"] == "system"][0].startswith("Resolved in Linear")
    # An update that did not change the state is acknowledged without effect.
    other = state_event(issue, linear.state("Canceled"), "2026-12-01T13:00:00.000Z", backlog)
    del other["updatedFrom"]["stateId"]
    assert send_webhook(stack, hook, other, SECRET).json()["ignored"]


def test_canceled_can_be_kept_by_its_state_type(stack, world, linear):
    hook = create_connection(stack, world, connection(linear, status_map="canceled=keep,done=submitted"))["inbound_url"]
    create(stack, world)
    (issue,) = linear.issues.values()
    canceled = send_webhook(stack, hook, state_event(issue, linear.state("Canceled"), "2026-12-01T12:00:00.000Z",
                                                     linear.state("Backlog")["id"]), SECRET)
    assert canceled.json()["applied"]["status"] is None and canceled.json()["applied"]["link"] == "closed"


def test_bad_signature_and_stale_timestamp_are_401(stack, world, linear):
    hook = create_connection(stack, world, connection(linear))["inbound_url"]
    create(stack, world)
    (issue,) = linear.issues.values()
    event = comment_event(issue, "c0ffee00-0000-4000-8000-000000000002", "forged")
    assert_problem(send_webhook(stack, hook, event, "wrong-secret"), 401)
    assert_problem(send_webhook(stack, hook, event, SECRET, signature="zz" * 32), 401)
    stale = int(time.time() * 1000) - 61_000
    assert_problem(send_webhook(stack, hook, event, SECRET, timestamp_ms=stale), 401)
    assert [c for c in thread(stack, world) if c["source"] == "external"] == []
    fresh = send_webhook(stack, hook, event, SECRET, timestamp_ms=int(time.time() * 1000) - 5_000)
    assert fresh.json()["applied"]["comment"] == "created"


def test_ratelimited_comment_stays_pending_and_is_delivered_later(make_stack, world, linear):
    stack = make_stack("linear-ratelimit", FAST)
    create_connection(stack, world, connection(linear))
    create(stack, world)
    linear.rate_limited = 1
    posted = comment(stack, world, "after the limit")
    assert posted["sync_state"] == "pending"
    assert "Rate limit exceeded" in psql("SELECT last_error FROM ticket_sync.outbox WHERE comment_id = :'c'",
                                         c=str(posted["id"]))
    wait_for(lambda: len(linear.comments) == 1, seconds=15, what="the comment after the rate limit")
    wait_for(lambda: ticket(stack, world)["sync_state"] == "synced", what="synced")


def test_refused_key_and_team_id_checks(stack, world, linear):
    bad = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"), headers=world.auth("admin"),
                        json={**connection(linear), "settings": {"team_id": "GRC"}})
    assert "settings.team_id" in assert_problem(bad, 422)["detail"]
    create_connection(stack, world, {**connection(linear), "secrets": {"api_key": "lin_api_wrong"}})
    refused = create(stack, world)
    problem = assert_problem(refused, 502)
    assert problem["type"].endswith("provider-credentials-rejected")


def test_the_connections_panel_adds_and_tests_a_linear_connection(stack, world, linear):
    from browser import Page, chromium  # noqa: F401 (Page: the helpers' type)
    from test_web_connections import click_action
    from test_web_page import sign_in

    browser = chromium()
    try:
        page = sign_in(browser, stack, world, "admin")
        page.click("#add-connection")
        page.visible("#connection-kind")
        browser.find_element("css selector", "#connection-kind option[value='linear']").click()
        page.visible("#connection-name").send_keys("GRC Linear")
        page.visible("#field-team_id").send_keys("GRC")
        page.visible("#field-base_url").send_keys(linear.base)
        page.visible("#field-api_key").send_keys(linear.key)
        page.visible("#field-webhook_secret").send_keys(SECRET)
        page.click("#connection-save")
        page.text_in("#connection-form-error", "settings.team_id")
        team = page.visible("#field-team_id")
        team.clear()
        team.send_keys(linear.team)
        page.click("#connection-save")
        assert "/api/v1/ticket-sync/hooks/" in page.visible("#new-inbound-url").text
        page.text_in("#connections-table", "GRC Linear")
        click_action(page, "GRC Linear", "test")
        page.text_in("#connection-result", "every step worked")
        assert [r["operation"] for r in linear.requests] == ["Viewer", "Team"]
        assert linear.key not in browser.page_source
    finally:
        browser.quit()
