"""A UUID in the path names the same thing in either case: ids are made canonical (lower case) where the request
is authorized, so what is keyed on their text — a connection secret's sealing, bound to the org id — does not
depend on how a client wrote it."""
import requests

from conftest import assert_problem
from connections import connections_path, create_connection, post_hook


def test_a_connection_made_through_an_upper_case_org_id_opens_its_secrets_either_way(stack, world):
    upper = world.org.upper()
    created = create_connection(stack, world, {"kind": "mock", "name": "Upper", "secrets": {"webhook_secret": "up"}},
                                org=upper)
    link = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"),
                         json={"connection_id": created["id"]})
    assert link.status_code in (200, 201), link.text
    for org in (world.org, upper):
        for connection in (created["id"], created["id"].upper()):
            test = requests.post(stack.url(f"{connections_path(org)}/{connection}/test"), headers=world.auth("admin"))
            assert test.status_code == 200, (org, connection, test.text)
            read = requests.get(stack.url(f"{connections_path(org)}/{connection}"), headers=world.auth("reader"))
            assert read.status_code == 200 and read.json()["id"] == created["id"], read.text
    # The inbound URL verifies with the secret: it opened.
    payload = {"external_id": link.json()["external_id"],
               "comment": {"external_comment_id": "c1", "author": "Ext", "body": "from the tracker"}}
    assert post_hook(stack, created["inbound_url"], payload, "up").status_code == 200
    assert_problem(post_hook(stack, created["inbound_url"], payload, "not-it"), 401)
    # Rotating the inbound secret opens the current one (to keep it for the grace period): either spelling.
    for org in (world.org, upper):
        rotated = requests.post(stack.url(f"{connections_path(org)}/{created['id']}/inbound-secret"),
                                headers=world.auth("admin"))
        assert rotated.status_code == 200, (org, rotated.text)


def test_the_audit_trail_records_the_canonical_org(stack, world):
    upper = world.org.upper()
    create_connection(stack, world, {"kind": "mock", "name": "Audited"}, org=upper)
    events = requests.get(stack.url(f"/api/v1/orgs/{upper}/ticket-sync/audit"), headers=world.auth("admin")).json()
    assert any(e["action"].startswith("connection.") for e in events["events"]), events
