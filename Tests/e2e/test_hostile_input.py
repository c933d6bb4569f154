"""Hostile input, table-driven, to every route: each case gets its documented 4xx, never a 5xx; nothing is written;
the responder keeps serving."""
import hashlib
import hmac
import json
import socket

import pytest
import requests

from conftest import Stack, World

SECRET = "hostile-secret"
CAP = 1024 * 1024


@pytest.fixture(scope="module")
def hostile():
    stack = Stack("hostile", {"TICKET_WEBHOOK_SECRET": SECRET, "JIRA_WEBHOOK_SECRET": SECRET}).start()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def linked(hostile):
    """A world whose request r1 has an open mock ticket, so any accepted write would show."""
    world = World()
    assert requests.post(hostile.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    return world


def padded(size):
    """A JSON object of exactly `size` bytes."""
    shell = b'{"body": ""}'
    return b'{"body": "' + b"x" * (size - len(shell)) + b'"}'


BODIES = {
    "invalid UTF-8": b'{"body": "\xff\xfe"}',
    "raw NUL byte": b'{"body": "a\x00b"}',
    "escaped NUL": b'{"body": "a\\u0000b"}',
    "2 MiB": b"x" * (2 * CAP),
    "exactly the cap": padded(CAP),
    "10,000 levels": b"[" * 10_000 + b"]" * 10_000,
    "duplicate keys": b'{"body": "a", "body": "b"}',
    "number for string": b'{"body": 5}',
}

# Documented answers per kind of POST route, per body.
EXPECTED = {
    "comment": {"invalid UTF-8": 400, "raw NUL byte": 400, "escaped NUL": 422, "2 MiB": 413, "exactly the cap": 422,
                "10,000 levels": 400, "duplicate keys": 400, "number for string": 422},
    "no body": {"invalid UTF-8": 400, "raw NUL byte": 400, "escaped NUL": 422, "2 MiB": 413, "exactly the cap": 422,
                "10,000 levels": 400, "duplicate keys": 400, "number for string": 422},
    "inbound": {"invalid UTF-8": 400, "raw NUL byte": 400, "escaped NUL": 422, "2 MiB": 413, "exactly the cap": 422,
                "10,000 levels": 400, "duplicate keys": 400, "number for string": 422},
}


def post_routes(world):
    base = world.request_path()
    return [
        ("comment", base + "/comments", "reader", None),
        ("no body", base + "/ticket", "admin", None),
        ("no body", base + "/ticket/close", "admin", None),
        ("no body", base + "/ticket/retry", "admin", None),
        ("inbound", "/api/v1/ticket-sync/webhook", None, "X-Signature"),
        ("inbound", "/api/v1/ticket-sync/webhook/jira", None, "X-Hub-Signature"),
    ]


def all_routes(world):
    base = world.request_path()
    org = f"/api/v1/orgs/{world.org}"
    return [("GET", base + "/ticket"), ("POST", base + "/ticket"), ("DELETE", base + "/ticket"),
            ("POST", base + "/ticket/close"), ("POST", base + "/ticket/retry"), ("GET", base + "/comments"),
            ("POST", base + "/comments"), ("GET", base), ("GET", org + "/evidence-requests"),
            ("GET", org + "/ticket-sync/status"), ("GET", "/api/v1/me"),
            ("POST", "/api/v1/ticket-sync/webhook"), ("POST", "/api/v1/ticket-sync/webhook/jira")]


def check(response, expected, label):
    assert response.status_code == expected, f"{label}: {response.status_code} {response.text[:200]}"
    assert response.headers["Content-Type"].startswith("application/problem+json"), label


@pytest.mark.parametrize("attack", list(BODIES))
def test_bodies(hostile, linked, attack):
    before = linked.snapshot()
    for kind, path, role, signature_header in post_routes(linked):
        headers = {"Content-Type": "application/json"}
        if role:
            headers.update(linked.auth(role))
        if signature_header:  # signed, so that the JSON layer behind the signature is what is tested
            headers[signature_header] = "sha256=" + hmac.new(SECRET.encode(), BODIES[attack], hashlib.sha256).hexdigest()
        response = requests.post(hostile.url(path), data=BODIES[attack], headers=headers)
        check(response, EXPECTED[kind][attack], f"{attack} → {path}")
    assert linked.snapshot() == before
    assert requests.get(hostile.url("/healthz")).status_code == 200


@pytest.mark.parametrize("bad_id, expected", [
    ("..%2F..%2Fetc%2Fpasswd", 404), ("1' OR '1'='1", 404), ("'; DROP TABLE orgs; --", 404), ("%00", 400),
    ("a" * 10_000, 414), ("00000000-0000-0000-0000-00000000000G", 404), ("{request_id}", 404),
])
def test_ids(hostile, linked, bad_id, expected):
    before = linked.snapshot()
    for method, path in all_routes(linked):
        for target in (linked.r1, linked.org):
            if target not in path:
                continue
            response = requests.request(method, hostile.url(path.replace(target, bad_id)),
                                        headers={**linked.auth("admin"), "Content-Type": "application/json"},
                                        data="{}" if method == "POST" else None)
            check(response, expected, f"{bad_id[:20]} in {method} {path}")
    assert linked.snapshot() == before


def test_huge_headers(hostile, linked):
    for method, path in all_routes(linked):
        response = requests.request(method, hostile.url(path), headers={**linked.auth("admin"), "X-Padding": "a" * 100_000})
        check(response, 400, f"100 KB header → {method} {path}")


def raw_exchange(stack, request_bytes, shutdown=True):
    with socket.create_connection(("127.0.0.1", stack.port), timeout=10) as conn:
        conn.sendall(request_bytes)
        if shutdown:
            conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    return reply.decode(errors="replace")


def test_wrong_content_length(hostile, linked):
    before = linked.snapshot()
    head = (f"POST {linked.request_path()}/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {linked.tokens['reader']}\r\nConnection: close\r\n")
    # Promises more than it sends, then stops sending: nginx drops the request as abandoned by the client (its
    # log says 499) and answers nothing; the responder never sees it.
    longer = raw_exchange(hostile, (head + "Content-Length: 100\r\n\r\n" + '{"body": "x"}').encode())
    assert longer == "" or longer.startswith("HTTP/1.1 400"), longer[:100]
    # Sends more than it promised: the body is cut at Content-Length and is no longer JSON.
    shorter = raw_exchange(hostile, (head + "Content-Length: 5\r\n\r\n" + '{"body": "sneaky"}').encode(), shutdown=False)
    assert shorter.startswith("HTTP/1.1 400"), shorter[:100]
    assert "application/problem+json" in shorter
    assert linked.snapshot() == before


def test_responder_still_serving(hostile, linked):
    assert requests.get(hostile.url("/readyz")).status_code == 200
    response = requests.post(hostile.url(linked.request_path() + "/comments"), json={"body": "still fine"},
                             headers=linked.auth("reader"))
    assert response.status_code == 201
    assert hostile.responder.poll() is None
