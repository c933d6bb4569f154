"""The Ticket Sync section in a real browser (headless Chromium) against the real stack."""
import hashlib
import hmac
import json
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser import Page, chromium

SECRET = "page-test-secret"


@pytest.fixture
def page_stack(make_stack):
    return make_stack("page", {"TICKET_WEBHOOK_SECRET": SECRET})


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def sign_in(driver, stack, world, role):
    """Follows a sign-in link: the page shows whom it signs in as, and the user confirms."""
    driver.get(stack.url(f"/#token={world.tokens[role]}"))
    page = Page(driver, stack.base)
    page.text_in("#confirm-who", f"{role.title()} User")
    page.click("#confirm-continue")
    page.visible("#requests tbody tr")
    return page


def open_request(page, title):
    for button in page.find("#requests tbody tr button"):
        if button.text == title:
            button.click()
            break
    page.text_in("#detail-title", title)
    return page


def test_full_walkthrough(page_stack, world, browser):
    page = sign_in(browser, page_stack, world, "admin")
    assert "token" not in browser.current_url, "the token leaves the address bar at once"
    assert browser.execute_script("return sessionStorage.getItem('ticketsync.token')") == world.tokens["admin"]
    page.text_in("#setup-list", "Ticket provider: mock")
    page.text_in("#setup-list", "Inbound sync: open")

    open_request(page, "Access review")
    page.click("#ticket-create")
    page.text_in("#ticket", "mock-TCK-")
    link = page.find("#ticket a")[0]
    assert link.get_attribute("target") == "_blank" and link.get_attribute("href").endswith(link.text)
    external_id = link.text

    box = page.visible("#comment-body")
    box.send_keys("Uploaded the Q3 review.")
    box.send_keys(Keys.CONTROL, Keys.ENTER)
    page.text_in("#thread", f"Received on {external_id}: Uploaded the Q3 review.")
    assert box.get_attribute("value") == ""
    labels = [node.text for node in page.find("#thread .badge.internal, #thread .badge.external")]
    assert labels == ["Internal", "External"]

    # A reply arrives on the ticket: it appears without a reload.
    body = json.dumps({"external_id": external_id, "comment": {"external_comment_id": "page-1", "author": "Jane (ext)",
                                                                "body": "Attached the SOC 2 report."}}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert requests.post(page_stack.url("/api/v1/ticket-sync/webhook"), data=body,
                         headers={"X-Signature": signature}).status_code == 200
    page.text_in("#thread", "Attached the SOC 2 report.", seconds=10)
    page.screenshot("ticket-sync-section")

    page.click("#ticket-close")
    page.text_in("#ticket", "closed")
    page.click("#unlink")
    page.text_in("#ticket-actions", "Unlink this ticket?")
    time.sleep(3.5)  # a poll in between must not wipe the confirmation
    page.click("#ticket-unlink-confirm")
    page.text_in("#ticket", "No ticket is linked")
    assert page.find("#ticket-create")

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    page.wait(lambda driver: not driver.find_element(By.ID, "modal-backdrop").is_displayed())


def test_read_only_member_sees_no_ticket_buttons(page_stack, world, browser):
    requests.post(page_stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    page = sign_in(browser, page_stack, world, "reader")
    open_request(page, "Access review")
    page.text_in("#ticket", "mock-TCK-")
    assert page.find("#ticket-actions button") == []
    page.visible("#comment-body").send_keys("A reader can comment.")
    page.click("#send")
    page.text_in("#thread", "A reader can comment.")
    page.screenshot("read-only")


def test_unconfigured_provider_message_names_the_keys(make_stack, world, browser):
    jira = make_stack("page-jira", {"TICKET_PROVIDER": "jira"})
    page = sign_in(browser, jira, world, "admin")
    page.text_in("#setup-list", "not configured: set JIRA_BASE_URL, JIRA_API_TOKEN, JIRA_PROJECT_KEY")
    # What Jira's webhook must subscribe to, and where its statuses lead.
    page.text_in("#setup-list", "Tracker webhook events: comment_created, jira:issue_updated, jira:issue_deleted; "
                                "status map done=submitted")
    open_request(page, "Access review")
    page.click("#ticket-create")
    page.text_in("#ticket-error", "JIRA_API_TOKEN")
    assert "JIRA_PROJECT_KEY" in page.visible("#ticket-error").text
    page.screenshot("provider-not-configured")


def test_failed_comment_keeps_its_text(page_stack, world, browser):
    page = sign_in(browser, page_stack, world, "admin")
    open_request(page, "Access review")
    box = page.visible("#comment-body")
    box.send_keys("x" * 20)
    page_stack.stop_responder()  # the send fails: nginx answers 502
    page.click("#send")
    page.text_in("#comment-error", "not reachable")
    assert box.get_attribute("value") == "x" * 20


def test_narrow_screen_and_focus_stay_usable(page_stack, world):
    driver = chromium(width=360, height=740)
    try:
        page = sign_in(driver, page_stack, world, "admin")
        open_request(page, "Access review")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 360, "no horizontal scrolling at 360 px"
        for _ in range(12):  # Tab never leaves the modal
            driver.switch_to.active_element.send_keys(Keys.TAB)
            inside = driver.execute_script("return document.getElementById('modal').contains(document.activeElement)")
            assert inside
        page.screenshot("narrow")
    finally:
        driver.quit()


def test_bad_token_shows_the_sign_in_form(page_stack, world, browser):
    browser.get(page_stack.url("/#token=tsk_" + "0" * 64))
    page = Page(browser, page_stack.base)
    page.text_in("#sign-in-error", "Sign in again")
    page.visible("#token").send_keys(world.tokens["reader"])
    page.click("#sign-in-form button")
    page.visible("#requests tbody tr")


def test_the_session_shows_when_it_ends(page_stack, world, browser):
    from conftest import psql
    page = sign_in(browser, page_stack, world, "reader")
    assert "session ends" not in page.find("#who")[0].text, "a token without expiry shows none"
    psql("UPDATE ticket_sync.api_tokens SET expires_at = now() + interval '3 days' "
         "WHERE user_id = (SELECT id FROM users WHERE email = :'e')", e=world.user_ids["admin"] + "@e2e.example")
    page = sign_in(browser, page_stack, world, "admin")
    page.text_in("#who", "session ends")


def test_history_lists_the_requests_audit_trail_for_configure_members(page_stack, world, browser):
    requests.post(page_stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    requests.post(page_stack.url(world.request_path() + "/comments"), json={"body": "audited"},
                  headers=world.auth("admin"))
    page = open_request(sign_in(browser, page_stack, world, "admin"), "Access review")
    page.click("#history summary")
    page.text_in("#history-list", "ticket.create by you")
    page.text_in("#history-list", "comment.create by you")
    page.screenshot("history")
    browser.get("about:blank")  # a fresh page: the open request's modal would cover the sign-in confirmation
    reader = open_request(sign_in(browser, page_stack, world, "reader"), "Access review")
    assert not reader.find("#history")[0].is_displayed(), "read members do not see the history"


def test_a_close_by_the_tracker_shows_on_the_link_and_in_the_thread(page_stack, world, browser):
    ticket = requests.post(page_stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    body = json.dumps({"external_id": ticket["external_id"], "tracker_status": {
        "name": "Done", "category": "done", "updated_at": "2026-11-30T12:00:00Z", "updated_by": "Dana"}}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert requests.post(page_stack.url("/api/v1/ticket-sync/webhook"), data=body,
                         headers={"X-Signature": signature}).status_code == 200
    page = open_request(sign_in(browser, page_stack, world, "admin"), "Access review")
    page.text_in("#ticket", "closed in the tracker")
    page.text_in("[data-role=tracker-status]", "Done (done)")
    page.text_in("#thread", "Resolved in the tracker by Dana (Done); evidence request set to submitted")
    assert [node.text for node in page.find("#thread .badge.system")] == ["Status"]
    assert not page.find("#ticket-close"), "a closed link offers no close"
    page.screenshot("closed-by-tracker")
