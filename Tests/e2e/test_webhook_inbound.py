"""The inbound webhook: closed without a secret, HMAC over the raw body before any decoding, strict shape,
de-duplication (redeliveries and our own comments), status updates, secret rotation."""
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import assert_problem, psql

SECRET = "inbound-test-secret"
PATH = "/api/v1/ticket-sync/webhook"


def sign(body, secret=SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(stack, payload, secret=SECRET, signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    signature = sign(body, secret) if signature is None else signature
    if signature is not False:
        headers["X-Signature"] = signature
    return requests.post(stack.url(PATH), data=body, headers=headers)


@pytest.fixture(scope="module")
def inbound(request):
    from conftest import Stack
    running = Stack("inbound", {"TICKET_WEBHOOK_SECRET": SECRET}).start()
    request.addfinalizer(running.stop)
    return running


@pytest.fixture
def ticket(inbound, world):
    response = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert response.status_code == 201
    return response.json()


def thread(stack, world):
    return requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]


def test_closed_without_a_secret(stack, world):
    problem = assert_problem(deliver(stack, {"external_id": "x"}), 503)
    assert "TICKET_WEBHOOK_SECRET" in problem["detail"]


def test_closed_is_checked_before_the_body_size(make_stack):
    small = make_stack("inbound-small", {"TICKETSYNC_MAX_BODY": "100"})
    assert_problem(deliver(small, b"x" * 500), 503)
    small_open = make_stack("inbound-small-open", {"TICKETSYNC_MAX_BODY": "100", "TICKET_WEBHOOK_SECRET": SECRET})
    assert_problem(deliver(small_open, b"x" * 500), 413)


def test_github_published_vector_gets_past_the_signature(make_stack):
    github = make_stack("inbound-github", {"TICKET_WEBHOOK_SECRET": "It's a Secret to Everybody"})
    response = requests.post(github.url(PATH), data=b"Hello, World!", headers={
        "X-Signature": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "Content-Type": "application/json"})
    assert_problem(response, 400)  # signature accepted; the body is not JSON
    tampered = requests.post(github.url(PATH), data=b"Hello, World?", headers={
        "X-Signature": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"})
    assert_problem(tampered, 401)


def test_every_bad_signature_gets_the_same_401(inbound, world, ticket):
    body = json.dumps({"external_id": ticket["external_id"], "status": "accepted"}).encode()
    good = sign(body)
    cases = {
        "missing": False,
        "empty": "",
        "no prefix": good[len("sha256="):],
        "sha1": "sha1=" + good[len("sha256="):],
        "truncated": good[:-8],
        "too long": good + "00",
        "not hex": good[:-2] + "zz",
        "wrong secret": sign(body, "another-secret"),
        "body tampered": sign(body + b" "),
        "non-ascii": good[:-1] + "é",
    }
    before = world.snapshot()
    answers = set()
    for label, signature in cases.items():
        if label == "non-ascii":
            response = requests.post(inbound.url(PATH), data=body,
                                     headers={"X-Signature": signature.encode("utf-8")})
        else:
            response = deliver(inbound, body, signature=signature)
        problem = assert_problem(response, 401)
        answers.add(json.dumps(problem, sort_keys=True))
    assert len(answers) == 1, "the same response for every reason"
    assert world.snapshot() == before


def test_body_is_validated_after_the_signature(inbound, world, ticket):
    before = world.snapshot()
    assert_problem(deliver(inbound, b"{not json"), 400)
    assert_problem(deliver(inbound, b'{"external_id": "a", "external_id": "b"}'), 400)
    cases = [
        ({}, "external_id"),
        ({"external_id": 5}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": ticket["external_id"], "comment": "hi"}, "comment"),
        ({"external_id": ticket["external_id"], "comment": {"author": "J", "body": "b"}}, "comment.external_comment_id"),
        ({"external_id": ticket["external_id"], "comment": {"external_comment_id": "e", "author": "J", "body": " "}},
         "comment.body"),
        ({"external_id": ticket["external_id"], "comment": {"external_comment_id": "e", "author": 3, "body": "b"}},
         "comment.author"),
        ({"external_id": ticket["external_id"], "status": "done"}, "status"),
        # A valid comment with an invalid status: nothing at all is written.
        ({"external_id": ticket["external_id"], "status": "closed",
          "comment": {"external_comment_id": "e-1", "author": "J", "body": "fine"}}, "status"),
    ]
    for payload, field in cases:
        assert assert_problem(deliver(inbound, payload), 422)["field"] == field, payload
    assert_problem(deliver(inbound, [1, 2]), 422)
    assert_problem(deliver(inbound, {"external_id": "no-such-ticket-anywhere"}), 404)
    assert world.snapshot() == before


def test_comment_and_status_are_applied(inbound, world, ticket):
    response = deliver(inbound, {"external_id": ticket["external_id"], "status": "submitted",
                                 "comment": {"external_comment_id": "ext-42", "author": "Jane (ext)",
                                             "body": "Attached the SOC 2 report."}})
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "applied": {"comment": "created", "status": "submitted"}}
    external = [c for c in thread(inbound, world) if c["source"] == "external"]
    assert [(c["author"], c["body"], c["external_comment_id"]) for c in external] == \
        [("Jane (ext)", "Attached the SOC 2 report.", "ext-42")]
    assert psql("SELECT status FROM evidence_requests WHERE id = :'r'", r=world.r1) == "submitted"

    # An auditor's decision comes only from a status map that names it (TICKET_STATUS_MAP here is the default).
    only_status = deliver(inbound, {"external_id": ticket["external_id"], "status": "accepted"})
    assert only_status.json()["applied"] == {"comment": None, "status": None}
    assert "auditor's decision" in only_status.json()["ignored"]
    assert psql("SELECT status FROM evidence_requests WHERE id = :'r'", r=world.r1) == "submitted"


def test_fifty_concurrent_redeliveries_make_one_comment(inbound, world, ticket):
    payload = json.dumps({"external_id": ticket["external_id"],
                          "comment": {"external_comment_id": "ext-dup", "author": "Bot", "body": "once"}}).encode()
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda _: deliver(inbound, payload), range(50)))
    assert all(a.status_code == 200 for a in answers)
    outcomes = sorted(a.json()["applied"]["comment"] for a in answers)
    assert outcomes == ["created"] + ["duplicate"] * 49
    assert [c["body"] for c in thread(inbound, world)] == ["once"]


def test_our_own_pushed_comment_coming_back_is_a_duplicate(inbound, world, ticket):
    posted = requests.post(inbound.url(world.request_path() + "/comments"), json={"body": "ours"},
                           headers=world.auth("reader")).json()["comment"]
    before = thread(inbound, world)
    echo = deliver(inbound, {"external_id": ticket["external_id"],
                             "comment": {"external_comment_id": posted["external_comment_id"], "author": "Tracker",
                                         "body": "ours"}})
    assert echo.json()["applied"]["comment"] == "duplicate"
    assert thread(inbound, world) == before


def test_unlinked_ticket_no_longer_resolves(inbound, world, ticket):
    requests.delete(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert_problem(deliver(inbound, {"external_id": ticket["external_id"], "status": "accepted"}), 404)


def test_rotation_accepts_old_and_new_secrets(make_stack, world):
    rotating = make_stack("inbound-rotation", {"TICKET_WEBHOOK_SECRET": "new-secret,old-secret"})
    ticket = requests.post(rotating.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    for n, secret in enumerate(["new-secret", "old-secret"]):
        payload = {"external_id": ticket["external_id"],
                   "comment": {"external_comment_id": f"rot-{n}", "author": "R", "body": secret}}
        assert deliver(rotating, payload, secret=secret).status_code == 200
    assert_problem(deliver(rotating, {"external_id": ticket["external_id"]}, secret="retired-secret"), 401)
