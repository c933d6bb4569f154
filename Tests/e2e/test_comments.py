"""The comment thread: internal comments, the mock echo, validation, and nothing half-written."""
import requests

from conftest import assert_problem


def post(stack, world, payload, role="reader", **kwargs):
    return requests.post(stack.url(world.request_path() + "/comments"), json=payload, headers=world.auth(role), **kwargs)


def thread(stack, world, role="reader"):
    response = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth(role))
    assert response.status_code == 200, response.text
    return response.json()["comments"]


def link(stack, world):
    response = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert response.status_code == 201
    return response.json()


def test_comment_without_a_ticket_stays_internal(stack, world):
    response = post(stack, world, {"body": "Uploaded the Q3 review."})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["echo"] is None
    comment = body["comment"]
    assert comment["source"] == "internal"
    assert comment["author"] == "Reader User"
    assert comment["body"] == "Uploaded the Q3 review."
    assert comment["external_comment_id"] is None
    assert comment["sync_state"] is None
    assert thread(stack, world) == [comment]


def test_comment_on_linked_ticket_is_pushed_and_echoed(stack, world):
    ticket = link(stack, world)
    response = post(stack, world, {"body": "Please attach the SOC 2 report."})
    assert response.status_code == 201, response.text
    comment, echo = response.json()["comment"], response.json()["echo"]
    assert comment["sync_state"] == "synced"
    assert comment["external_comment_id"]
    assert echo["source"] == "external"
    assert echo["author"] == f"{ticket['external_id']} (ext)"
    assert "Please attach the SOC 2 report." in echo["body"]
    assert echo["external_comment_id"] and echo["external_comment_id"] != comment["external_comment_id"]
    assert "sync_state" not in echo
    assert thread(stack, world) == [comment, echo]


def test_thread_is_oldest_first_and_interleaved(stack, world):
    post(stack, world, {"body": "one"})
    link(stack, world)
    post(stack, world, {"body": "two"}, role="admin")
    sources = [(c["source"], c["body"].split(": ")[-1]) for c in thread(stack, world)]
    assert sources == [("internal", "one"), ("internal", "two"), ("external", "two")]


def test_comment_on_closed_ticket_is_not_pushed(stack, world):
    link(stack, world)
    requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    response = post(stack, world, {"body": "after close"})
    assert response.status_code == 201
    assert response.json()["echo"] is None
    assert response.json()["comment"]["sync_state"] is None


def test_body_of_exactly_ten_thousand_characters_is_accepted(stack, world):
    text = "é" * 10_000
    response = post(stack, world, {"body": text})
    assert response.status_code == 201
    assert response.json()["comment"]["body"] == text


def test_invalid_bodies_are_rejected_and_nothing_is_written(stack, world):
    link(stack, world)
    before = world.snapshot()
    cases = [
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": b'{"body": "\xff\xfe"}', "headers": {"Content-Type": "application/json"}}, 400),
        ({"data": '{"body": "a", "body": "b"}', "headers": {"Content-Type": "application/json"}}, 400),
        ({"json": {}}, 422),
        ({"json": {"body": 5}}, 422),
        ({"json": {"body": None}}, 422),
        ({"json": {"body": "   "}}, 422),
        ({"json": {"body": "x" * 10_001}}, 422),
        ({"json": ["body"]}, 422),
        ({"data": "body=hello", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415),
        ({"data": '{"body": "hello"}', "headers": {"Content-Type": "text/plain"}}, 415),
        ({"data": '{"body": "hello"}', "headers": {"Content-Type": ""}}, 415),
    ]
    for kwargs, status in cases:
        headers = {**world.auth("reader"), **kwargs.pop("headers", {})}
        response = requests.post(stack.url(world.request_path() + "/comments"), headers=headers, **kwargs)
        problem = assert_problem(response, status)
        if status == 422:
            assert "field" in problem
    assert world.snapshot() == before


def test_422_names_the_field(stack, world):
    problem = assert_problem(post(stack, world, {"body": 7}), 422)
    assert problem["field"] == "body"


def test_comment_on_missing_request_is_404(stack, world):
    response = requests.post(stack.url(world.request_path(request="00000000-0000-4000-8000-000000000000") + "/comments"),
                             json={"body": "x"}, headers=world.auth("reader"))
    assert_problem(response, 404)
