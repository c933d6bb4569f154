"""The generic webhook provider: signed events, synchronous create, and the outbox's retries, order and restarts."""
import json
import re
import subprocess
import time
import uuid

import pytest
import requests

from conftest import BIN, REPO, assert_problem, psql, wait_for
from trackers import Receiver

SECRET = "outbound-test-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
        "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}


@pytest.fixture
def receiver():
    running = Receiver(SECRET)
    yield running
    try:
        running.down()
    except Exception:
        pass


def webhook_env(receiver, **extra):
    return {"TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": receiver.url, "TICKET_WEBHOOK_SECRET": SECRET,
            **FAST, **extra}


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))


def comment(stack, world, text):
    response = requests.post(stack.url(world.request_path() + "/comments"), json={"body": text}, headers=world.auth("reader"))
    assert response.status_code == 201, response.text
    return response.json()["comment"]


def link(stack, world):
    return requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")).json()


def thread(stack, world):
    return requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]


def test_events_are_signed_and_carry_what_an_adapter_needs(make_stack, world, receiver):
    stack = make_stack("wh-events", webhook_env(receiver))
    created = create(stack, world)
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["provider"] == "webhook" and re.fullmatch(r"wh-\d+", ticket["external_id"])
    assert ticket["external_url"] is None
    posted = comment(stack, world, "Evidence uploaded: https://files.example/soc2.pdf")
    assert posted["sync_state"] == "synced" and posted["external_comment_id"]
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200 and closed.json()["sync_state"] == "synced"

    kinds = [r["headers"]["X-Event-Type"] for r in receiver.events()]
    assert kinds == ["ticket.create", "ticket.comment", "ticket.close"]
    for record in receiver.events():
        assert record["valid"], "every event carries a valid X-Signature"
        headers = record["headers"]
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"].startswith("ticketsync/")
        assert uuid.UUID(headers["X-Event-Id"]) and record["event"]["event_id"] == headers["X-Event-Id"]
        # Compact, sorted keys, UTF-8, slashes unescaped: exactly what a deterministic serializer gives.
        assert record["body"] == json.dumps(record["event"], separators=(",", ":"), sort_keys=True,
                                            ensure_ascii=False).encode()
        assert record["event"]["external_id"] == ticket["external_id"]
        assert record["event"]["org_id"] == world.org and record["event"]["evidence_request_id"] == world.r1
    create_event, comment_event, close_event = (r["event"] for r in receiver.events())
    assert create_event["evidence_request"] == {"id": world.r1, "title": "Access review", "description": "Q3 access review",
                                                "status": "open", "url": None}
    assert comment_event["comment"]["body"] == "Evidence uploaded: https://files.example/soc2.pdf"
    assert comment_event["comment"]["author"] == "Reader User"
    assert comment_event["comment"]["id"] == posted["id"]
    assert close_event["closed_at"] == closed.json()["closed_at"]


def test_receiver_ids_win(make_stack, world, receiver):
    stack = make_stack("wh-ids", webhook_env(receiver))
    key = f"OPS-{uuid.uuid4().hex[:8]}"
    receiver.answer((200, {"Content-Type": "application/json"},
                     json.dumps({"external_id": key, "external_url": f"https://tracker.example/{key}"}).encode()))
    created = create(stack, world)
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["external_id"] == key and ticket["external_url"] == f"https://tracker.example/{key}"
    receiver.answer((201, {"Content-Type": "application/json"}, json.dumps({"external_comment_id": f"{key}-c9"}).encode()))
    assert comment(stack, world, "hello")["external_comment_id"] == f"{key}-c9"


@pytest.mark.parametrize("field,value", [
    ("external_id", "x" * 256), ("external_id", 42), ("external_id", "two\nlines"),
    ("external_url", "javascript:alert(1)"), ("external_url", "https://tracker.example/" + "a" * 2048),
    ("external_url", "not a url"), ("external_url", "ftp://tracker.example/1"), ("external_url", ["https://x.example"]),
])
def test_an_adapters_bad_ids_fail_the_create_and_link_nothing(make_stack, world, receiver, field, value):
    """external_id / external_url from the adapter are checked before they are stored: a 502 naming the field, the
    reservation released, and a later create (the adapter fixed) links normally."""
    stack = make_stack("wh-bad-ids", webhook_env(receiver))
    before = world.snapshot()
    receiver.answer((200, {"Content-Type": "application/json"}, json.dumps({field: value}).encode()))
    problem = assert_problem(create(stack, world), 502)
    assert problem["field"] == field and f"`{field}`" in problem["detail"] and "tracker_outcome" not in problem
    assert world.snapshot() == before
    key = f"OPS-{uuid.uuid4().hex[:8]}"
    receiver.answer((200, {"Content-Type": "application/json"},
                     json.dumps({"external_id": key, "external_url": f"https://tracker.example/{key}"}).encode()))
    assert create(stack, world).status_code == 201


@pytest.mark.parametrize("answer", [(302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""), "down"])
def test_create_failure_is_502_and_links_nothing(make_stack, world, receiver, answer):
    """A refusal (a redirect, nobody listening): the adapter made nothing, so nothing is kept."""
    stack = make_stack("wh-create-fail", webhook_env(receiver))
    if answer == "down":
        receiver.down()
    else:
        receiver.answer(answer)
    before = world.snapshot()
    problem = assert_problem(create(stack, world), 502)
    assert "no ticket was linked" in problem["detail"] and "tracker_outcome" not in problem
    assert world.snapshot() == before


@pytest.mark.parametrize("answer", [500, "slow"])
def test_create_with_an_unknown_outcome_keeps_its_reservation_and_a_retry_resumes_it(make_stack, world, receiver,
                                                                                   answer):
    """A 500 or a timeout: the adapter may have made the ticket. The reservation stays (sync error), and the next
    create resends ticket.create with the same X-Event-Id, so an adapter that de-duplicates makes one ticket."""
    stack = make_stack("wh-create-unknown", webhook_env(receiver))
    receiver.answer(500 if answer == 500 else (200, {}, b"", 3))
    problem = assert_problem(create(stack, world), 502)
    assert problem["tracker_outcome"] == "unknown"
    kept = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    assert kept["state"] == "creating" and kept["external_id"] is None and kept["sync_state"] == "error"
    assert kept["last_error"] == problem["detail"]
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin")), 409)
    time.sleep(3.2 if answer == "slow" else 0)  # the slow answer's request is over before the retry
    resumed = create(stack, world)
    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["state"] == "linked" and resumed.json()["external_id"].startswith("wh-")
    event_ids = receiver.event_ids("ticket.create")
    assert len(event_ids) == 2 and len(set(event_ids)) == 1, "the same X-Event-Id on every attempt"
    assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == "1"


def test_comments_wait_while_receiver_is_down_then_arrive_once_in_order(make_stack, world, receiver):
    stack = make_stack("wh-outage", webhook_env(receiver))
    assert create(stack, world).status_code == 201
    receiver.down()
    posted = [comment(stack, world, f"comment {n}") for n in range(5)]
    assert all(c["sync_state"] == "pending" and c["external_comment_id"] is None for c in posted)
    assert link(stack, world)["sync_state"] == "pending"
    receiver.up()
    wait_for(lambda: link(stack, world)["sync_state"] == "synced", seconds=20, what="delivery after the outage")
    bodies = [r["event"]["comment"]["body"] for r in receiver.events("ticket.comment")]
    assert bodies == [f"comment {n}" for n in range(5)]
    ids = receiver.event_ids("ticket.comment")
    assert len(ids) == len(set(ids)) == 5
    assert all(c["sync_state"] == "synced" for c in thread(stack, world))


def test_server_errors_are_retried_with_the_same_event_id(make_stack, world, receiver):
    stack = make_stack("wh-500", webhook_env(receiver))
    create(stack, world)
    receiver.answer(500, 500, 200)
    assert comment(stack, world, "flaky")["sync_state"] == "pending"
    wait_for(lambda: link(stack, world)["sync_state"] == "synced", seconds=20, what="third attempt")
    attempts = receiver.events("ticket.comment")
    assert len(attempts) == 3
    assert len({r["headers"]["X-Event-Id"] for r in attempts}) == 1
    assert len({r["body"] for r in attempts}) == 1, "the same bytes on every attempt"
    # Standard Webhooks: the same webhook-id (the event id) on every attempt, each signed with its own timestamp.
    assert all(r["valid_standard"] for r in attempts)
    assert {r["headers"]["webhook-id"] for r in attempts} == {r["headers"]["X-Event-Id"] for r in attempts}


def test_retry_after_is_honoured(make_stack, world, receiver):
    stack = make_stack("wh-429", webhook_env(receiver))
    create(stack, world)
    receiver.answer((429, {"Retry-After": "2"}, b""))
    comment(stack, world, "rate limited")
    wait_for(lambda: len(receiver.events("ticket.comment")) == 2, seconds=15, what="the retry")
    first, second = receiver.events("ticket.comment")
    assert second["at"] - first["at"] >= 1.9


def test_gone_marks_error_until_retried(make_stack, world, receiver):
    stack = make_stack("wh-410", webhook_env(receiver))
    create(stack, world)
    receiver.answer(410)
    posted = comment(stack, world, "to a dead endpoint")
    assert posted["sync_state"] == "error" and "410" in posted["last_error"]
    current = link(stack, world)
    assert current["sync_state"] == "error" and "410" in current["last_error"]
    time.sleep(0.5)
    assert len(receiver.events("ticket.comment")) == 1, "no retry after 410"
    # A later comment waits behind the failed one: order is kept.
    assert comment(stack, world, "second")["sync_state"] == "pending"
    assert len(receiver.events("ticket.comment")) == 1

    reader = requests.post(stack.url(world.request_path() + "/ticket/retry"), headers=world.auth("reader"))
    assert_problem(reader, 403)
    retried = requests.post(stack.url(world.request_path() + "/ticket/retry"), headers=world.auth("admin"))
    assert retried.status_code == 200 and retried.headers["X-Requeued-Events"] == "1"
    wait_for(lambda: link(stack, world)["sync_state"] == "synced", seconds=15, what="delivery after retry")
    assert [r["event"]["comment"]["body"] for r in receiver.events("ticket.comment")] == \
        ["to a dead endpoint", "to a dead endpoint", "second"]
    assert all(c["sync_state"] == "synced" for c in thread(stack, world))


def test_attempt_limit_gives_up(make_stack, world, receiver):
    stack = make_stack("wh-limit", webhook_env(receiver, TICKET_DELIVERY_MAX_ATTEMPTS="2"))
    create(stack, world)
    receiver.default = (500, {}, b"")
    comment(stack, world, "never accepted")
    wait_for(lambda: link(stack, world)["sync_state"] == "error", seconds=15, what="giving up")
    assert len(receiver.events("ticket.comment")) == 2
    assert "gave up after 2 attempts" in thread(stack, world)[0]["last_error"]


def test_pending_events_survive_a_responder_restart(make_stack, world, receiver):
    stack = make_stack("wh-restart", webhook_env(receiver))
    create(stack, world)
    receiver.down()
    comment(stack, world, "before restart")
    assert stack.stop_responder() == 0
    receiver.up()
    stack.start_responder()
    wait_for(lambda: link(stack, world)["sync_state"] == "synced", seconds=20, what="delivery after restart")
    assert [r["event"]["comment"]["body"] for r in receiver.events("ticket.comment")] == ["before restart"]


def test_separate_deliver_process(make_stack, world, receiver):
    env = webhook_env(receiver)
    stack = make_stack("wh-separate", env)
    create(stack, world)
    receiver.down()
    comment(stack, world, "delivered by ticketsync deliver")
    # Stop the responder's own loop; a `ticketsync deliver` process takes over.
    stack.stop_responder()
    receiver.up()
    deliver = subprocess.Popen([BIN, "deliver"], cwd=REPO, env=stack.env, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(receiver.events("ticket.comment")) == 1, seconds=20, what="the deliver process")
    finally:
        deliver.terminate()
        assert deliver.wait(timeout=10) == 0
    state = psql("SELECT o.state FROM ticket_sync.outbox o JOIN ticket_sync.ticket_links l ON l.id = o.link_id "
                 "WHERE l.evidence_request_id = :'r' AND o.event_type = 'ticket.comment'", r=world.r1)
    assert state == "delivered"


def test_mock_uses_the_same_outbox(stack, world):
    requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    comment(stack, world, "through the outbox")
    rows = psql("SELECT o.event_type || ':' || o.state FROM ticket_sync.outbox o JOIN ticket_sync.ticket_links l "
                "ON l.id = o.link_id WHERE l.evidence_request_id = :'r'", r=world.r1)
    assert rows == "ticket.comment:delivered"


def test_unlinking_cancels_pending_events_which_are_never_sent(make_stack, world):
    from trackers import Receiver
    from connections import create_connection
    from conftest import psql
    receiver = Receiver("unlink-secret")
    stack = make_stack("unlink-cancels", {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
                                          "TICKET_DELIVERY_POLL_MS": "100", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1"})
    try:
        create_connection(stack, world, {"kind": "webhook", "name": "Adapter", "settings": {"url": receiver.url},
                                         "secrets": {"webhook_secret": "unlink-secret"}})
        assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
        receiver.default = (503, {}, b"", 0)  # the adapter is down: comments wait in the outbox
        for n in range(3):
            posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"),
                                   json={"body": f"queued {n}"})
            assert posted.json()["comment"]["sync_state"] == "pending"
        assert requests.delete(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 204
        sent_before = len(receiver.events("ticket.comment"))
        receiver.default = (200, {}, b"", 0)  # back up: nothing of the unlinked ticket may arrive now
        time.sleep(2.5)
        assert len(receiver.events("ticket.comment")) == sent_before
        assert psql("SELECT string_agg(DISTINCT state, ',') FROM ticket_sync.outbox WHERE org_id = :'org' "
                    "AND event_type = 'ticket.comment'", org=world.org) == "cancelled"
        thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
        assert {(c["sync_state"], c["last_error"]) for c in thread["comments"]} == {
            (None, "not sent: the ticket was unlinked first")}
    finally:
        receiver.stop()


def test_two_delivery_loops_and_a_slow_tracker_deliver_every_event_once_in_order(make_stack, world):
    """Two worker processes (two delivery loops) plus the inline attempts, against an adapter that takes 0.2 s per
    event: every event arrives once, and in order per ticket."""
    from trackers import Receiver
    from connections import create_connection
    receiver = Receiver("slow-secret")
    receiver.default = (200, {}, b"", 0.2)
    stack = make_stack("two-loops", {"TICKET_DELIVERY_POLL_MS": "50", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1"})
    try:
        create_connection(stack, world, {"kind": "webhook", "name": "Slow", "settings": {"url": receiver.url},
                                         "secrets": {"webhook_secret": "slow-secret"}})
        for request in (world.r1, world.r2):
            assert requests.post(stack.url(world.request_path(request) + "/ticket"),
                                 headers=world.auth("admin")).status_code == 201
        from concurrent.futures import ThreadPoolExecutor

        # One writer per ticket, both at once: each ticket's comments commit in order, while the two loops and the
        # inline attempts race over both tickets. (Comments posted at the same instant on one ticket are sent in the
        # order their transactions commit.)
        def post_all(request):
            for n in range(8):
                requests.post(stack.url(world.request_path(request) + "/comments"), headers=world.auth("reader"),
                              json={"body": f"n{n}"})

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(post_all, (world.r1, world.r2)))
        wait_for(lambda: len({e["headers"]["X-Event-Id"] for e in receiver.events("ticket.comment")}) == 16,
                 seconds=30, what="every comment event")
        time.sleep(0.5)
        events = receiver.events("ticket.comment")
        assert len(events) == 16, "each event once"
        # The order is the outbox's (the order the comments' transactions wrote their events), per ticket.
        position = {event_id: int(row_id) for event_id, row_id in (
            line.split("|") for line in psql("SELECT event_id, id FROM ticket_sync.outbox WHERE org_id = :'org'",
                                             org=world.org).split())}
        for request in (world.r1, world.r2):
            order = [position[e["headers"]["X-Event-Id"]] for e in events if e["event"]["evidence_request_id"] == request]
            assert len(order) == 8 and order == sorted(order), "in order per ticket"
    finally:
        receiver.stop()
