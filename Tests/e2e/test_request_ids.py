"""Request ids: nginx's $request_id (or a trusted proxy's) reaches the responder, comes back as X-Request-Id, is on
every log line of the request and on the calls it makes to a tracker; JSON log lines; no input forges a log line."""
import json
import re

import requests

from conftest import wait_for
from trackers import Receiver

NGINX_ID = re.compile(r"^[0-9a-f]{32}$")


def logged(stack, request_id):
    """The responder's log lines that carry this request id (the access line is written just after the answer)."""
    found = []

    def lines():
        found[:] = [line for line in stack.log().splitlines() if request_id in line]
        return found
    wait_for(lines, what=f"log lines of request {request_id}")
    return found


def test_every_answer_carries_nginxs_request_id_and_the_log_line_has_it(stack, world):
    response = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"))
    request_id = response.headers["X-Request-Id"]
    assert NGINX_ID.match(request_id)
    assert any(line.startswith("ticketsync request: GET ") and line.endswith(f"request_id={request_id}")
               for line in logged(stack, request_id))
    # Errors too, the responder's and nginx's own (a 404 from the responder, a 413 from nginx).
    missing = requests.get(stack.url("/api/v1/nope"))
    assert missing.status_code == 404 and NGINX_ID.match(missing.headers["X-Request-Id"])
    too_large = requests.post(stack.url(world.request_path() + "/comments"), data=b"x" * (2 << 20),
                              headers={**world.auth("reader"), "Content-Type": "application/json"})
    assert too_large.status_code == 413 and NGINX_ID.match(too_large.headers["X-Request-Id"])
    # Each request its own.
    assert len({requests.get(stack.url("/healthz")).headers["X-Request-Id"] for _ in range(5)}) == 5


def test_a_client_cannot_choose_its_request_id_but_a_trusted_proxy_can(stack, make_stack):
    chosen = "chosen-by-the-client"
    assert requests.get(stack.url("/healthz"), headers={"X-Request-Id": chosen}).headers["X-Request-Id"] != chosen
    behind_proxy = make_stack("trusted-proxy", {"TICKETSYNC_TRUSTED_PROXIES": "127.0.0.0/8"})
    answer = requests.get(behind_proxy.url("/healthz"), headers={"X-Request-Id": "lb-7f3a.42"})
    assert answer.headers["X-Request-Id"] == "lb-7f3a.42"
    logged(behind_proxy, "lb-7f3a.42")
    # A malformed one is not passed on, even from a trusted proxy: nginx's own id is used.
    odd = requests.get(behind_proxy.url("/healthz"), headers={"X-Request-Id": "two words"})
    assert NGINX_ID.match(odd.headers["X-Request-Id"])


def test_calls_to_the_tracker_carry_the_request_id(make_stack, world):
    secret = "request-id-secret"
    receiver = Receiver(secret)
    try:
        tracked = make_stack("request-id-webhook", {"TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": receiver.url,
                                                    "TICKET_WEBHOOK_SECRET": secret})
        created = requests.post(tracked.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert created.status_code == 201, created.text
        creates = receiver.events("ticket.create")
        assert creates and creates[-1]["headers"]["X-Request-Id"] == created.headers["X-Request-Id"]
        posted = requests.post(tracked.url(world.request_path() + "/comments"), json={"body": "traced"},
                               headers=world.auth("admin"))
        assert receiver.events("ticket.comment")[-1]["headers"]["X-Request-Id"] == posted.headers["X-Request-Id"]
    finally:
        receiver.down()


def test_json_log_lines_and_no_forged_lines(make_stack, stack):
    forged = "/api/v1/x%0Aticketsync%20error:%20forged%22"
    text_answer = requests.get(stack.url(forged))
    text_lines = logged(stack, text_answer.headers["X-Request-Id"])
    assert len(text_lines) == 1 and "\\nticketsync error: forged" in text_lines[0]
    assert not any(line.startswith("ticketsync error: forged") for line in stack.log().splitlines())

    json_stack = make_stack("json-log", {"TICKETSYNC_LOG_FORMAT": "json"})
    answer = requests.get(json_stack.url(forged))
    request_id = answer.headers["X-Request-Id"]
    lines = logged(json_stack, request_id)
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "request" and entry["request_id"] == request_id
    assert entry["method"] == "GET" and entry["status"] == 404 and entry["path"].startswith("/api/v1/x\nticketsync")
    assert isinstance(entry["db_round_trips"], int) and isinstance(entry["ms"], float)
    wait_for(lambda: "listening on" in json_stack.log(), what="the start-up line")
    for line in json_stack.log().splitlines():
        json.loads(line)  # every line, start-up and shutdown included, is one JSON object
