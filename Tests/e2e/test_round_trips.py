"""Round trips to PostgreSQL per request, read from the access log (`… 200 1.4ms db=N/0.6ms`): every read route
answers in one, a comment post on a mock link in at most four, an inbound webhook in at most three. Checked with
prepared statements on (the default) and off (PgBouncer before 1.21), so the budgets cannot silently regress."""
import json
import re

import pytest
import requests

from conftest import Stack, World, wait_for
from connections import connections_path, create_connection, post_hook, sign

SECRET = "round-trip-secret"
LINE = re.compile(r"ticketsync request: (\w+) (\S+) (\d{3}) [\d.]+ms db=(\d+)/([\d.]+)ms")


@pytest.fixture(scope="module", params=["on", "off"])
def counted(request):
    running = Stack(f"round-trips-{request.param}", {
        "TICKET_WEBHOOK_SECRET": SECRET, "TICKETSYNC_DB_PREPARED_STATEMENTS": request.param}).start()
    request.addfinalizer(running.stop)
    return running


def round_trips(stack, method, path, status):
    """The round trips of the newest logged request with this method, path and status (the line is written just
    after the answer, so it is waited for)."""
    found = []

    def logged():
        found[:] = [int(m.group(4)) for m in LINE.finditer(stack.log())
                    if m.group(1) == method and m.group(2) == path and m.group(3) == str(status)]
        return found
    wait_for(logged, what=f"the access line of {method} {path}")
    return found[-1]


def call(stack, method, path, status, **kwargs):
    response = requests.request(method, stack.url(path), **kwargs)
    assert response.status_code == status, response.text
    return response, round_trips(stack, method, path, status)


def test_every_read_route_is_one_round_trip(counted):
    world = World()
    admin = world.auth("admin")
    call(counted, "POST", world.request_path() + "/ticket", 201, headers=admin)
    create_connection(counted, world, {"kind": "mock", "name": "Counted", "default": False})
    connection = requests.get(counted.url(connections_path(world.org)), headers=admin).json()["connections"][0]
    reads = [
        world.request_path() + "/ticket",
        world.request_path() + "/comments",
        world.request_path(),
        f"/api/v1/orgs/{world.org}/evidence-requests",
        f"/api/v1/orgs/{world.org}/ticket-sync/status",
        f"/api/v1/orgs/{world.org}/ticket-sync/health",
        connections_path(world.org),
        connections_path(world.org) + "/" + connection["id"],
        "/api/v1/me",
    ]
    for path in reads:
        # Twice: the first use of a statement on a connection prepares it in the same round trip.
        for _ in range(2):
            _, trips = call(counted, "GET", path, 200, headers=admin)
            assert trips == 1, path
    # Refusals cost no more: another org's request, a reader's missing link, a bad cursor after the authorization.
    assert call(counted, "GET", world.request_path(world.rb) + "/ticket", 404, headers=admin)[1] == 1
    assert call(counted, "GET", world.request_path(world.r2) + "/ticket", 404, headers=world.auth("reader"))[1] == 1
    assert call(counted, "GET", world.request_path() + "/comments", 400, headers=admin,
                params={"cursor": "nope"})[1] <= 2


def test_a_comment_on_a_mock_link_takes_at_most_four(counted):
    world = World()
    admin = world.auth("admin")
    call(counted, "POST", world.request_path() + "/ticket", 201, headers=admin)
    for _ in range(3):
        response, trips = call(counted, "POST", world.request_path() + "/comments", 201, headers=admin,
                               json={"body": "Evidence attached."})
        assert response.json()["comment"]["sync_state"] == "synced"  # delivered inline: the record is counted too
        assert response.json()["echo"] is not None
        assert trips <= 4
    # Without a ticket, the comment is one statement besides the authorization.
    assert call(counted, "POST", world.request_path(world.r2) + "/comments", 201, headers=admin,
                json={"body": "No ticket here."})[1] <= 2


def test_inbound_webhooks_take_at_most_three(counted):
    world = World()
    admin = world.auth("admin")
    ticket = call(counted, "POST", world.request_path() + "/ticket", 201, headers=admin)[0].json()
    body = json.dumps({"external_id": ticket["external_id"], "status": "in_progress",
                       "comment": {"external_comment_id": "rt-1", "author": "Tracker", "body": "Done."}}).encode()
    path = "/api/v1/ticket-sync/webhook"
    _, trips = call(counted, "POST", path, 200, data=body,
                    headers={"Content-Type": "application/json", "X-Signature": sign(body, SECRET)})
    assert trips <= 3

    # A connection's own inbound URL: the token's connection, then the link, then the changes.
    world_b = World()
    created = create_connection(counted, world_b, {"kind": "mock", "name": "Hooked", "default": True,
                                                   "secrets": {"webhook_secret": "hook-secret"}})
    linked = requests.post(counted.url(world_b.request_path() + "/ticket"), headers=world_b.auth("admin")).json()
    payload = {"external_id": linked["external_id"], "status": "in_progress",
               "comment": {"external_comment_id": "rt-2", "author": "Tracker", "body": "Done."}}
    response = post_hook(counted, created["inbound_url"], payload, "hook-secret")
    assert response.status_code == 200, response.text
    # Its access line shows the route's template, never the token.
    assert round_trips(counted, "POST", "/api/v1/ticket-sync/hooks/{inbound_token}", 200) <= 3
