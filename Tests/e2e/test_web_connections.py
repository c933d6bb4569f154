"""The page's Connections panel, the confirmed sign-in link and the other page safeguards, in headless Chromium."""
import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

from browser import Page, chromium
from conftest import psql
from connections import connections_path, create_connection
from test_web_page import open_request, sign_in


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def row(page, name):
    for candidate in page.find("#connections-table tbody tr"):
        if candidate.text.startswith(name):
            return candidate
    raise AssertionError(f"no row for {name}")


def click_action(page, name, action):
    """Clicks the row's button; the panel redraws its rows after each action's answer, so a row found just before a
    redraw is found again."""
    def clicked(driver):
        try:
            row(page, name).find_element("css selector", f"button[data-action='{action}']").click()
            return True
        except (AssertionError, StaleElementReferenceException, NoSuchElementException):
            return False
    page.wait(clicked)


def test_a_link_signs_in_only_after_the_user_confirms_the_account(stack, world, browser):
    browser.get(stack.url(f"/#token={world.tokens['admin']}"))
    page = Page(browser, stack.base)
    page.text_in("#confirm-who", "Admin User")
    page.text_in("#confirm-orgs", "Org A — configure")
    assert "token" not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('ticketsync.token')") is None
    assert not page.find("#workspace")[0].is_displayed()
    page.screenshot("confirm-sign-in")
    page.click("#confirm-cancel")
    page.visible("#token")  # still signed out
    assert browser.execute_script("return sessionStorage.getItem('ticketsync.token')") is None

    # Already signed in as the reader, a link for another account does not switch until confirmed.
    page = sign_in(browser, stack, world, "reader")
    browser.get(stack.url(f"/#token={world.tokens['admin_b']}"))
    page.text_in("#confirm-who", "Admin_B User")
    assert browser.execute_script("return sessionStorage.getItem('ticketsync.token')") == world.tokens["reader"]
    page.click("#confirm-cancel")
    page.text_in("#who", "Reader User")


def test_configure_member_adds_tests_rotates_disables_and_deletes_a_connection(stack, world, browser):
    page = sign_in(browser, stack, world, "admin")
    page.text_in("#connections-table", "No connection")
    page.click("#add-connection")
    page.visible("#connection-kind")
    browser.find_element("css selector", "#connection-kind option[value='mock']").click()
    page.visible("#connection-name").send_keys("Demo tracker")
    page.visible("#field-webhook_secret").send_keys("page-secret")
    page.click("#connection-save")
    url = page.visible("#new-inbound-url").text
    assert url.startswith(f"{stack.base}/api/v1/ticket-sync/hooks/") and len(url.rsplit("/", 1)[1]) == 64
    assert not page.find("#connection-form")[0].is_displayed()
    assert "page-secret" not in browser.page_source
    page.text_in("#connections-table", "Demo tracker")
    page.text_in("#connections-table", "inbound open")
    page.text_in("#setup-list", "Demo tracker, configured")
    page.screenshot("connections-panel")

    click_action(page, "Demo tracker", "test")
    page.text_in("#connection-result", "every step worked")
    click_action(page, "Demo tracker", "rotate")
    secret = page.visible("#new-inbound-secret").text
    assert len(secret) == 64
    page.text_in("#connection-result", "previous secret keeps working")
    assert secret not in requests.get(stack.url(connections_path(world.org)), headers=world.auth("admin")).text

    click_action(page, "Demo tracker", "toggle")
    page.text_in("#connections-table", "disabled")
    click_action(page, "Demo tracker", "delete")
    click_action(page, "Demo tracker", "delete-confirm")
    page.text_in("#connections-table", "No connection")


def test_edit_keeps_secrets_left_empty_and_names_bad_fields(stack, world, browser):
    connection = create_connection(stack, world, {"kind": "jira", "name": "GRC Jira", "settings": {
        "base_url": "https://jira.example.com", "project_key": "GRC"}, "secrets": {"api_token": "tok"}})
    page = sign_in(browser, stack, world, "admin")
    click_action(page, "GRC Jira", "edit")
    assert page.visible("#field-api_token").get_attribute("placeholder").startswith("set")
    project = page.visible("#field-project_key")
    project.clear()
    project.send_keys("not a key")
    page.click("#connection-save")
    page.text_in("#connection-form-error", "settings.project_key")
    project.clear()
    project.send_keys("AUD")
    status_map = page.visible("#field-status_map")
    assert status_map.get_attribute("value") == "done=submitted", "the default map is shown"
    status_map.clear()
    status_map.send_keys("Ready For Audit=submitted, done=keep")
    page.click("#connection-save")
    page.text_in("#connection-result", "Saved GRC Jira")
    stored = requests.get(stack.url(f"{connections_path(world.org)}/{connection['id']}"), headers=world.auth("admin")).json()
    assert stored["settings"]["project_key"] == "AUD"
    assert stored["settings"]["status_map"] == "ready for audit=submitted,done=keep"
    assert stored["secrets"]["api_token"]["updated_at"] == connection["secrets"]["api_token"]["updated_at"]


def test_read_member_sees_the_status_but_no_controls(stack, world, browser):
    create_connection(stack, world, {"kind": "webhook", "name": "Adapter"})
    page = sign_in(browser, stack, world, "reader")
    page.text_in("#connections-table", "missing settings.url, secrets.webhook_secret")
    assert not page.find("#add-connection")[0].is_displayed()
    assert page.find("#connections-table button") == []


def test_create_ticket_offers_a_choice_when_the_org_has_several_connections(stack, world, browser):
    create_connection(stack, world, {"kind": "mock", "name": "First"})
    second = create_connection(stack, world, {"kind": "mock", "name": "Second", "default": True})
    page = sign_in(browser, stack, world, "admin")
    open_request(page, "Access review")
    choice = page.visible("#ticket-connection")
    assert choice.get_attribute("value") == second["id"]
    browser.find_element("css selector", "#ticket-connection option:first-child").click()
    page.click("#ticket-create")
    page.text_in("#ticket", "mock-TCK-")
    linked = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    assert linked["connection_id"] != second["id"]


def test_an_external_url_that_is_not_http_is_not_a_link(stack, world, browser):
    requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    psql("UPDATE ticket_sync.ticket_links SET external_url = 'javascript:alert(1)' WHERE evidence_request_id = :'r'",
         r=world.r1)
    page = sign_in(browser, stack, world, "admin")
    open_request(page, "Access review")
    page.text_in("#ticket", "mock-TCK-")
    assert page.find("#ticket a") == []


def test_api_answers_are_never_cached_or_sniffed(stack, world):
    for response in (requests.get(stack.url("/api/v1/me"), headers=world.auth("reader")),
                     requests.get(stack.url("/api/v1/me"))):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_long_thread_loads_the_newest_page_then_earlier_ones_on_demand(stack, world, browser):
    psql("INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, created_at) "
         "SELECT :'org', :'r', 'external', 'Ext', 'old comment ' || n, timestamptz '2026-01-01' + n * interval '1 minute' "
         "FROM generate_series(1, 120) AS n", org=world.org, r=world.r1)
    page = sign_in(browser, stack, world, "reader")
    open_request(page, "Access review")
    page.text_in("#thread", "old comment 120")
    assert len(page.find("#thread li.comment")) == 50 and "old comment 70" not in page.visible("#thread").text
    page.click("#earlier")
    page.wait(lambda driver: len(page.find("#thread li.comment")) == 100)
    page.click("#earlier")
    page.wait(lambda driver: len(page.find("#thread li.comment")) == 120)
    assert not page.find("#earlier")[0].is_displayed()
    # A reply arriving later is appended by the poll (which asks only for what is new).
    psql("INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body) "
         "VALUES (:'org', :'r', 'external', 'Ext', 'brand new')", org=world.org, r=world.r1)
    page.text_in("#thread", "brand new")
    assert len(page.find("#thread li.comment")) == 121


def test_a_poll_only_connection_is_added_from_the_page_without_an_inbound_url(stack, world, browser):
    page = sign_in(browser, stack, world, "admin")
    page.click("#add-connection")
    page.visible("#connection-kind")
    # This deployment has no Atlassian OAuth app: "Connect Jira Cloud" is not offered.
    assert not page.find("#connect-jira-cloud")[0].is_displayed()
    browser.find_element("css selector", "#connection-kind option[value='mock']").click()
    page.visible("#connection-name").send_keys("Behind the firewall")
    browser.find_element("css selector", "#field-inbound_mode option[value='poll']").click()
    page.click("#connection-save")
    page.text_in("#poll-only-note", "Poll-only")
    assert not page.find("#new-inbound-url")
    page.text_in("#connections-table", "inbound poll")
    listed = requests.get(stack.url(connections_path(world.org)), headers=world.auth("admin")).json()
    chosen = [c for c in listed["connections"] if c["name"] == "Behind the firewall"]
    assert chosen and chosen[0]["settings"]["inbound_mode"] == "poll" and chosen[0]["inbound"] == "poll"
