"""The connection form's ticket fields, in headless Chromium: the mapping edited with a preview rendered for one of
the org's evidence requests, the assignee rule, 422s shown next to the field, and the required fields the last
connection test found unset."""
import json

import pytest
import requests
from selenium.webdriver.common.by import By

from browser import Page, chromium
from conftest import psql
from connections import connections_path, create_connection
from test_web_connections import click_action
from test_web_page import sign_in

# The last test's preflight, seeded in the database: the connection test against a Jira whose project requires these
# comes with the Jira fake (another helper's branch); the page reads only what the test stored
# (`last_test.preflight`) and what readiness recomputes from it (`fields.missing` in GET …/ticket-sync/status).
SEVERITY = {"id": "customfield_10010", "name": "Severity", "allowed_values": ["Low", "High"]}
PRIORITY = {"id": "priority", "name": "Priority", "allowed_values": ["Highest", "High", "Medium"]}
LAST_TEST = {
    "ok": False, "tested_at": "2026-12-01T10:00:00Z",
    "steps": [{"name": "myself", "ok": True, "error": None, "status": 200},
              {"name": "project", "ok": True, "error": None, "status": 200},
              {"name": "required-fields", "ok": False, "error": "fields-missing", "status": None}],
    "preflight": {"required": [SEVERITY, PRIORITY], "missing": [SEVERITY, PRIORITY]},
}


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def typed(page, css, text):
    box = page.visible(css)
    box.clear()
    box.send_keys(text)


def test_the_mapping_is_previewed_checked_saved_and_the_unset_required_fields_listed(stack, world, browser):
    connection = create_connection(stack, world, {"kind": "jira", "name": "GRC Jira", "settings": {
        "base_url": "https://jira.example.com", "project_key": "GRC"}, "secrets": {"api_token": "tok"}})
    psql("UPDATE ticket_sync.connections SET last_test = :'test'::jsonb WHERE id = :'id'",
         test=json.dumps(LAST_TEST), id=connection["id"])
    page = sign_in(browser, stack, world, "admin")
    page.text_in("#connections-table", "required fields unset: customfield_10010, priority")
    page.text_in("#setup-list", "Required fields: unset: customfield_10010 (Severity), priority (Priority)")

    click_action(page, "GRC Jira", "edit")
    page.text_in("#fields-missing", "customfield_10010 Severity — allowed: Low, High")
    page.text_in("#fields-missing", "priority Priority — allowed: Highest, High, Medium")
    page.text_in("#field-placeholders", "{{request.title}}")
    assert "{{request.due_date}}" not in page.visible("#field-placeholders").text  # no due_date column here
    page.visible("#fields-preview-assignee")  # the preview of the saved (empty) mapping has come back

    # An unknown placeholder: the preview's 422 is shown next to the mapping, naming the field.
    typed(page, "#field-mapping", '{"customfield_10010": "{{request.nope}}"}')
    page.click("#preview-fields")
    page.text_in("#field-mapping-error", "fields.customfield_10010")
    assert "{{request.nope}}" in page.visible("#field-mapping-error").text

    mapping = {"customfield_10010": {"value": "High"}, "labels": ["{{org.name}}"],
               "customfield_10011": "{{request.title}} for {{user.name}}"}
    typed(page, "#field-mapping", json.dumps(mapping))
    browser.find_element(By.CSS_SELECTOR, "#field-assignee option[value='account']").click()
    typed(page, "#field-assignee-account", "5b10ac8d82e05b22cc7d4ef5")
    page.click("#preview-fields")
    page.text_in("#fields-preview [data-field='customfield_10011']", "Access review for Admin User")
    assert not page.find("#field-mapping-error")[0].is_displayed()
    assert page.visible("#fields-preview [data-field='labels']").text == '["Org A"]'
    assert page.visible("#fields-preview [data-field='customfield_10010']").text == '{"value":"High"}'
    page.text_in("#fields-preview-assignee", "account:5b10ac8d82e05b22cc7d4ef5")
    # Another of the org's requests.
    browser.find_element(By.CSS_SELECTOR, f"#preview-request option[value='{world.r2}']").click()
    page.click("#preview-fields")
    page.text_in("#fields-preview [data-field='customfield_10011']", "Change sample for Admin User")
    page.screenshot("connection-fields")

    # Saving a field Ticket Sync owns: the 422 is shown next to the mapping; nothing is saved.
    typed(page, "#field-mapping", json.dumps({**mapping, "summary": "mine"}))
    page.click("#connection-save")
    page.text_in("#field-mapping-error", "settings.fields.summary")
    assert not page.find("#connection-form-error")[0].is_displayed()

    typed(page, "#field-mapping", json.dumps(mapping))
    page.click("#connection-save")
    page.text_in("#connection-result", "Saved GRC Jira")
    path = stack.url(f"{connections_path(world.org)}/{connection['id']}")
    stored = requests.get(path, headers=world.auth("admin")).json()
    assert stored["settings"]["fields"] == mapping
    assert stored["settings"]["assignee"] == "account:5b10ac8d82e05b22cc7d4ef5"

    # Readiness recomputes against the saved mapping: only priority is left unset.
    page.text_in("#connections-table", "required fields unset: priority")
    page.text_in("#setup-list", "Required fields: unset: priority (Priority)")
    click_action(page, "GRC Jira", "edit")
    page.text_in("#fields-missing", "priority Priority")
    assert "customfield_10010" not in page.visible("#fields-missing").text
    assert json.loads(page.visible("#field-mapping").get_attribute("value")) == mapping
    assert page.visible("#field-assignee-account").get_attribute("value") == "5b10ac8d82e05b22cc7d4ef5"

    # Emptied, the mapping is removed (sent as null), and the assignee back to none.
    page.visible("#field-mapping").clear()
    browser.find_element(By.CSS_SELECTOR, "#field-assignee option[value='none']").click()
    page.click("#connection-save")
    page.text_in("#connections-table", "required fields unset: customfield_10010, priority")
    stored = requests.get(path, headers=world.auth("admin")).json()
    assert "fields" not in stored["settings"] and stored["settings"]["assignee"] == "none"


def test_a_mapping_that_is_not_json_is_refused_in_the_form(stack, world, browser):
    create_connection(stack, world, {"kind": "mock", "name": "Demo"})
    page = sign_in(browser, stack, world, "admin")
    click_action(page, "Demo", "edit")
    typed(page, "#field-mapping", '{"priority": ')
    page.click("#connection-save")
    page.text_in("#field-mapping-error", "not JSON")
    typed(page, "#field-mapping", '["priority"]')
    page.click("#preview-fields")
    page.text_in("#field-mapping-error", "a JSON object")
    assert page.visible("#connection-form").is_displayed()  # nothing was sent


def test_a_reader_sees_the_unset_required_fields_in_the_list(stack, world, browser):
    connection = create_connection(stack, world, {"kind": "jira", "name": "GRC Jira", "settings": {
        "base_url": "https://jira.example.com", "project_key": "GRC"}, "secrets": {"api_token": "tok"}})
    psql("UPDATE ticket_sync.connections SET last_test = :'test'::jsonb WHERE id = :'id'",
         test=json.dumps(LAST_TEST), id=connection["id"])
    page = sign_in(browser, stack, world, "reader")
    page.text_in("#connections-table", "required fields unset: customfield_10010, priority")
