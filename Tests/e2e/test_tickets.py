"""Create, read, close and unlink a ticket link through nginx, with the mock provider."""
import re
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import assert_problem, psql

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def create(stack, world, role="admin", request=None):
    return requests.post(stack.url(world.request_path(request) + "/ticket"), headers=world.auth(role))


def test_create_links_a_mock_ticket(stack, world):
    response = create(stack, world)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"] == "application/json"
    link = response.json()
    assert link["provider"] == "mock"
    assert re.fullmatch(r"mock-TCK-\d+", link["external_id"])
    assert link["external_url"].endswith("/" + link["external_id"])
    assert link["sync_state"] == "synced"
    assert link["closed_at"] is None
    assert TIMESTAMP.match(link["created_at"]) and TIMESTAMP.match(link["updated_at"])
    assert "last_error" not in link

    read = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader"))
    assert read.status_code == 200
    assert read.json() == link


def test_mock_ids_are_unique_across_requests(stack, world):
    first = create(stack, world).json()["external_id"]
    second = create(stack, world, request=world.r2).json()["external_id"]
    assert first != second


def test_read_without_link_is_404(stack, world):
    assert_problem(requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")), 404)


def test_second_create_is_409_and_keeps_the_first(stack, world):
    first = create(stack, world).json()
    assert_problem(create(stack, world), 409)
    assert requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json() == first


def test_twenty_concurrent_creates_give_one_201(stack, world):
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = sorted(pool.map(lambda _: create(stack, world).status_code, range(20)))
    assert statuses == [201] + [409] * 19
    assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == "1"


def test_close_then_close_again(stack, world):
    create(stack, world)
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200, closed.text
    assert TIMESTAMP.match(closed.json()["closed_at"])
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin")), 409)
    # Still linked, and shown as closed.
    read = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")).json()
    assert read["closed_at"] == closed.json()["closed_at"]


def test_close_or_unlink_without_link_is_404(stack, world):
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin")), 404)
    assert_problem(requests.delete(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 404)


def test_unlink_keeps_history_and_allows_a_new_ticket(stack, world):
    first = create(stack, world).json()
    unlinked = requests.delete(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert unlinked.status_code == 204
    assert unlinked.content == b""
    assert_problem(requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 404)
    second = create(stack, world)
    assert second.status_code == 201
    assert second.json()["external_id"] != first["external_id"]
    history = psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r' AND unlinked_at IS NOT NULL",
                   r=world.r1)
    assert history == "1"


def test_read_only_member_cannot_create_close_or_unlink(stack, world):
    before = world.snapshot()
    body = assert_problem(create(stack, world, role="reader"), 403)
    assert "configure" in body["detail"]
    assert world.snapshot() == before
    create(stack, world)
    before = world.snapshot()
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("reader")), 403)
    assert_problem(requests.delete(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")), 403)
    assert world.snapshot() == before


def test_create_takes_no_body_but_an_empty_object(stack, world):
    before = world.snapshot()
    refused = requests.post(stack.url(world.request_path() + "/ticket"), data="title=x",
                            headers={**world.auth("admin"), "Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(refused, 415)
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket"), json={"title": "x"},
                                 headers=world.auth("admin")), 422)
    assert world.snapshot() == before
    accepted = requests.post(stack.url(world.request_path() + "/ticket"), json={}, headers=world.auth("admin"))
    assert accepted.status_code == 201
