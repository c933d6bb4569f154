"""The page's Sync health panel in headless Chromium: the counts, the tickets that need attention with their reasons,
the sweeps; a configure member re-syncs a ticket (the dropped echo comes back), retries a failed comment and re-syncs
a connection, and the list empties; a read member sees the same without controls.

Its own database, with the default 15-minute interval: no scheduled sweep runs during the test, so every repair seen
is the button's."""
import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

from browser import Page, chromium
from conftest import own_world, psql, wait_for
from connections import connections_path, create_connection
from test_web_page import sign_in


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def own(make_stack):
    world = own_world()
    return make_stack("sync-health-page", database_url=world.runtime_url), world, world.database_url


def row(page, table, key):
    rows = page.find(f"#{table} tbody tr[data-id='{key}']")
    return rows[0] if rows else None


def click(page, table, key, action):
    """Clicks the row's button; the panel redraws after each action's answer, so a row found just before a redraw is
    found again."""
    def clicked(driver):
        try:
            row(page, table, key).find_element("css selector", f"button[data-action='{action}']").click()
            return True
        except (AttributeError, StaleElementReferenceException, NoSuchElementException):
            return False
    page.wait(clicked)


def test_a_configure_member_repairs_what_the_panel_lists(own, browser):
    stack, world, database = own
    admin = world.auth("admin")
    first = requests.post(stack.url(world.request_path() + "/ticket"), headers=admin).json()
    assert requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=admin).status_code == 201
    requests.post(stack.url(world.request_path() + "/comments"), headers=admin, json={"body": "Export #drop-echo"})
    # The tracker refused the comment for good (as a 410 would), and the second ticket was never verified.
    psql("""UPDATE ticket_sync.outbox SET state = 'failed', last_error = 'refused' WHERE org_id = :'org';
            UPDATE ticket_sync.comments SET sync_state = 'error', last_error = 'refused'
            WHERE org_id = :'org' AND source = 'internal';
            UPDATE ticket_sync.ticket_links SET created_at = now() - interval '2 hours' WHERE evidence_request_id = :'r2'""",
         database_url=database, org=world.org, r2=world.r2)
    demo = create_connection(stack, world, {"kind": "mock", "name": "Demo tracker"})

    page = sign_in(browser, stack, world, "admin")
    page.text_in("#health-counts", "2 of 2 linked tickets need attention")
    page.text_in("[data-count='comments_failed']", "1 comment the tracker refused")
    page.text_in(f"#health-links tr[data-id='{world.r1}']", "comment failed")
    page.text_in(f"#health-links tr[data-id='{world.r2}']", "not verified")
    assert first["external_id"] in row(page, "health-links", world.r1).text
    page.text_in(f"#health-sweeps tr[data-id='{demo['id']}']", "not swept yet")
    page.text_in("#health-sweeps tr[data-id='deployment:mock']", "Deployment default")
    page.screenshot("sync-health-panel")

    # Re-sync: the echo the mock dropped comes back, once.
    click(page, "health-links", world.r1, "resync")
    page.text_in("#health-result", "Re-synced Access review: 1 comment added")
    echo = f"Received on {first['external_id']}: Export #drop-echo"
    thread = requests.get(stack.url(world.request_path() + "/comments"), headers=admin).json()["comments"]
    assert [c["body"] for c in thread].count(echo) == 1
    # Retry the failed comment: delivered, and the ticket no longer needs attention.
    click(page, "health-links", world.r1, "retry")
    page.text_in("#health-result", "Retrying Access review: sent")
    page.wait(lambda driver: row(page, "health-links", world.r1) is None)
    # A ticket the tracker agrees with: re-synced, verified, gone from the list.
    click(page, "health-links", world.r2, "resync")
    page.text_in("#health-result", "Re-synced Change sample: the tracker already agreed")
    page.text_in("#health-links", "Nothing needs attention.")
    page.text_in("[data-count='links_needing_attention']", "0 of 2")

    # Re-sync a connection: its sweep runs in the background and shows once done.
    click(page, "health-sweeps", demo["id"], "resync-connection")
    page.text_in("#health-result", "A sweep of Demo tracker runs now")
    wait_for(lambda: (requests.get(stack.url(f"{connections_path(world.org)}/{demo['id']}"), headers=admin).json()
                      .get("last_sweep") or {}).get("finished_at"), seconds=15, what="the connection's sweep")
    page.click("#health-refresh")
    page.text_in(f"#health-sweeps tr[data-id='{demo['id']}']", "ok, 0 repaired")


def test_a_read_member_sees_the_panel_without_controls(own, browser):
    stack, world, database = own
    requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    psql("UPDATE ticket_sync.ticket_links SET created_at = now() - interval '2 hours' WHERE org_id = :'org'",
         database_url=database, org=world.org)
    create_connection(stack, world, {"kind": "mock", "name": "Demo tracker"})
    page = sign_in(browser, stack, world, "reader")
    page.text_in(f"#health-links tr[data-id='{world.r1}']", "not verified")
    page.text_in("#health-sweeps", "Demo tracker")
    assert page.find("#sync-health tbody button") == []
