"""GET /metrics through nginx: the Prometheus text format, counted across all worker processes (and across a
worker's replacement), route templates only (never a raw path or id), outbox depth read from the database, tracker
calls, deliveries and inbound events by their fixed labels, and nginx's allow-list in front of it."""
import hashlib
import hmac
import json
import os
import re
import signal

import requests

from conftest import assert_problem, wait_for
from trackers import Receiver
from test_webhook_outbound import FAST

SECRET = "metrics-webhook-secret"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$")


def scrape(stack):
    answer = requests.get(stack.url("/metrics"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return answer.text


def samples(text):
    """{series: value} of every sample line; every line is a comment or a well-formed sample."""
    found = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        found[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return found


def requests_of(found, method, route, status):
    return found.get(f'ticketsync_http_requests_total{{method="{method}",route="{route}",status="{status}"}}', 0)


ROUTE = "/api/v1/orgs/{org_id}/evidence-requests/{request_id}"


def test_requests_are_counted_by_route_template_across_workers(make_stack, world):
    stack = make_stack("metrics-requests", threads=2)
    before = samples(scrape(stack))
    session = requests.Session()
    for _ in range(20):
        assert session.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).status_code == 200
    assert session.get(stack.url(world.request_path(org=world.org_b)), headers=world.auth("reader")).status_code == 404
    assert session.get(stack.url("/api/v1/nothing/" + world.r2)).status_code == 404

    def counted(found):  # a worker counts a request after its answer has left: the last one may still be counting
        thread = ROUTE + "/comments"
        return (requests_of(found, "GET", thread, 200) - requests_of(before, "GET", thread, 200),
                requests_of(found, "GET", ROUTE, 404) - requests_of(before, "GET", ROUTE, 404))

    wait_for(lambda: counted(samples(scrape(stack))) == (20, 1), what="every request to be counted")
    text = scrape(stack)
    after = samples(text)
    # Twenty requests over two worker processes add up in one scrape, whichever worker answers it.
    assert requests_of(after, "GET", ROUTE + "/comments", 200) - requests_of(before, "GET", ROUTE + "/comments", 200) == 20
    assert requests_of(after, "GET", ROUTE, 404) - requests_of(before, "GET", ROUTE, 404) == 1
    assert after['ticketsync_http_requests_total{route="unmatched",status="404"}'] >= 1
    histogram = f'method="GET",route="{ROUTE}/comments"'
    assert after[f"ticketsync_http_request_duration_seconds_count{{{histogram}}}"] >= 20
    assert after[f'ticketsync_http_request_duration_seconds_bucket{{{histogram},le="+Inf"}}'] >= 20
    assert after[f"ticketsync_db_round_trips_total{{{histogram}}}"] >= 20  # one statement per thread GET
    assert after[f"ticketsync_db_wait_seconds_total{{{histogram}}}"] > 0
    # Bounded labels: no id, org or raw path ever becomes a label.
    for value in (world.org, world.org_b, world.r1, world.r2, "/api/v1/nothing"):
        assert value not in text
    assert "# TYPE ticketsync_http_request_duration_seconds histogram" in text
    assert after["ticketsync_database_up"] == 1
    for state in ("pending", "delivering", "failed"):
        assert f'ticketsync_outbox_events{{state="{state}"}}' in after


def test_outbox_depth_deliveries_and_tracker_latency(make_stack, world):
    receiver = Receiver(SECRET)
    try:
        stack = make_stack("metrics-outbox", {"TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": receiver.url,
                                              "TICKET_WEBHOOK_SECRET": SECRET, **FAST})
        before = samples(scrape(stack))
        created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert created.status_code == 201, created.text
        receiver.default = (503, {}, b"", 0)  # the tracker is down: the comment waits in the outbox
        posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "waits"},
                               headers=world.auth("reader"))
        assert posted.status_code == 201 and posted.json()["comment"]["sync_state"] == "pending"
        after = samples(scrape(stack))
        # Waiting for its next attempt, or being attempted by the delivery loop at this moment.
        assert after['ticketsync_outbox_events{state="pending"}'] + after['ticketsync_outbox_events{state="delivering"}'] >= 1
        assert after["ticketsync_outbox_oldest_pending_age_seconds"] > 0
        retries = 'ticketsync_deliveries_total{provider="webhook",outcome="retry"}'
        assert after[retries] - before[retries] >= 1
        calls = 'ticketsync_tracker_request_duration_seconds_count{provider="webhook"}'
        assert after[calls] - before[calls] >= 2  # the create and the comment's attempt
        receiver.default = (200, {}, b"", 0)  # back: the delivery loop's next attempt delivers it
        delivered = 'ticketsync_deliveries_total{provider="webhook",outcome="delivered"}'
        wait_for(lambda: samples(scrape(stack))[delivered] - before[delivered] >= 1, what="the delivery to be counted")
    finally:
        receiver.down()


def sign(body):
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def test_inbound_events_are_counted_by_source_and_reason(make_stack, world):
    stack = make_stack("metrics-inbound", {"TICKET_WEBHOOK_SECRET": SECRET})
    ticket = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    before = samples(scrape(stack))
    body = json.dumps({"external_id": ticket["external_id"], "comment": {
        "external_comment_id": "m-1", "author": "Dana", "body": "From the tracker"}}).encode()
    headers = {"Content-Type": "application/json", "X-Signature": sign(body)}
    assert requests.post(stack.url("/api/v1/ticket-sync/webhook"), data=body, headers=headers).status_code == 200
    assert requests.post(stack.url("/api/v1/ticket-sync/webhook"), data=body, headers=headers).status_code == 200
    bad = {**headers, "X-Signature": "sha256=" + "0" * 64}
    assert requests.post(stack.url("/api/v1/ticket-sync/webhook"), data=body, headers=bad).status_code == 401

    # A worker counts a request after its answer has left, so a scrape right after the answer may come first.
    def deltas():
        after = samples(scrape(stack))
        return tuple(after[f'ticketsync_inbound_total{{source="generic",result="{result}",reason="{reason}"}}']
                     - before[f'ticketsync_inbound_total{{source="generic",result="{result}",reason="{reason}"}}']
                     for result, reason in (("accepted", "applied"), ("accepted", "duplicate"),
                                            ("rejected", "signature")))

    wait_for(lambda: deltas() == (1, 1, 1), what="the inbound events to be counted")
    assert deltas() == (1, 1, 1)
    closed = 'ticketsync_inbound_total{source="jira",result="rejected",reason="closed"}'
    before_closed = samples(scrape(stack))[closed]
    assert requests.post(stack.url("/api/v1/ticket-sync/webhook/jira"), data=b"{}").status_code == 503
    wait_for(lambda: samples(scrape(stack))[closed] - before_closed == 1, what="the closed route to be counted")


def test_counters_survive_a_worker_replacement_and_restarts_are_counted(make_stack):
    stack = make_stack("metrics-restart", threads=2)
    for _ in range(5):
        requests.get(stack.url("/healthz"))
    before = samples(scrape(stack))
    assert before["ticketsync_worker_restarts_total"] == 0
    workers = stack.worker_pids()
    os.kill(workers[0], signal.SIGKILL)
    wait_for(lambda: len(stack.worker_pids()) == 2 and workers[0] not in stack.worker_pids(),
             what="the replacement worker")
    after = samples(scrape(stack))
    assert after["ticketsync_worker_restarts_total"] == 1
    healthz = 'ticketsync_http_requests_total{method="GET",route="/healthz",status="200"}'
    assert after[healthz] >= before[healthz] >= 5  # the dead worker's counts are still there


def test_only_the_allow_list_reaches_metrics(make_stack):
    stack = make_stack("metrics-denied", {"TICKETSYNC_METRICS_ALLOW": "192.0.2.10 198.51.100.0/24"})
    problem = assert_problem(requests.get(stack.url("/metrics")), 403)
    assert problem["type"] == "urn:ticketsync:problem:forbidden"
    assert "allow 192.0.2.10; allow 198.51.100.0/24;" in (stack.dir / "nginx" / "ticketsync-metrics.conf").read_text()
    assert requests.get(stack.url("/healthz")).status_code == 200
    assert "GET /metrics" not in stack.log()  # refused by nginx: the responder never saw it
