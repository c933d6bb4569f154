"""HTTP-level behaviour: 404/405, body limits from nginx and from the responder, nginx's own errors as problem+json."""
import socket

import requests

from conftest import assert_problem


def test_unknown_path_is_404_problem(stack):
    assert_problem(requests.get(stack.url("/api/v1/nothing-here")), 404)


def test_wrong_method_is_405_with_allow(stack, world):
    response = requests.put(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, POST, DELETE"
    response = requests.get(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert_problem(response, 405)
    assert response.headers["Allow"] == "POST"


def test_body_over_nginx_limit_is_413_problem(stack, world):
    before = world.snapshot()
    response = requests.post(stack.url(world.request_path() + "/comments"), data=b"x" * (2 * 1024 * 1024),
                             headers={**world.auth("reader"), "Content-Type": "application/json"})
    assert_problem(response, 413)
    assert world.snapshot() == before


def test_body_over_responder_limit_is_413_problem(make_stack, world):
    small = make_stack("small-body", {"TICKETSYNC_MAX_BODY": "1000"})
    response = requests.post(small.url(world.request_path() + "/comments"), json={"body": "x" * 2000},
                             headers=world.auth("reader"))
    problem = assert_problem(response, 413)
    assert "1000" in problem["detail"]
    assert requests.post(small.url(world.request_path() + "/comments"), json={"body": "x" * 900},
                         headers=world.auth("reader")).status_code == 201


def test_chunked_body_is_read_whole(stack, world):
    def chunks():
        yield b'{"body": '
        yield b'"sent in chunks"}'
    response = requests.post(stack.url(world.request_path() + "/comments"), data=chunks(),
                             headers={**world.auth("reader"), "Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["comment"]["body"] == "sent in chunks"


def test_short_body_is_rejected_by_nginx_not_a_5xx(stack, world):
    # Content-Length promises more than is sent: nginx times the client out or rejects it; never a 5xx.
    raw = (f"POST {world.request_path()}/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           f"Authorization: Bearer {world.tokens['reader']}\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{{}}")
    with socket.create_connection(("127.0.0.1", stack.port), timeout=5) as conn:
        conn.sendall(raw.encode())
        conn.shutdown(socket.SHUT_WR)
        reply = conn.recv(200).decode(errors="replace")
    assert not reply.startswith("HTTP/1.1 5"), reply


def test_responder_down_is_502_problem(make_stack):
    lonely = make_stack("down")
    assert lonely.stop_responder() == 0
    assert_problem(requests.get(lonely.url("/healthz")), 502)
    assert_problem(requests.get(lonely.url("/api/v1/orgs/x/ticket-sync/status")), 502)
