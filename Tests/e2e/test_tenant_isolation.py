"""Hostile tenants: one org whose trackers hang cannot occupy the request threads (per-org cap across its
connections; Jira's /myself behind the bulkhead with a negative cache), and an org's connections are limited."""
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import assert_problem, psql
from connections import connections_path, create_connection, jira_connection, post_hook
from silent_tracker import SilentTracker
from trackers import FakeJira


def link(world, connection, provider, external_id, request=None):
    """Links a request of org A to a ticket of `connection` directly (creating it would wait on the tracker)."""
    request = request or str(uuid.uuid4())
    psql("INSERT INTO evidence_requests (id, org_id, title) VALUES (:'r', :'org', 'Hostile') ON CONFLICT DO NOTHING;"
         "INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id, connection_id) "
         "VALUES (:'org', :'r', :'provider', :'ext', :'conn')",
         org=world.org, r=request, provider=provider, ext=external_id, conn=connection)
    return request


def jira_comment(key, comment_id, author=None):
    return {"webhookEvent": "comment_created", "issue": {"key": key},
            "comment": {"id": str(comment_id), "body": f"from Jira {comment_id}",
                        "author": author or {"accountId": "someone-else", "displayName": "Jira User"}}}


def test_an_org_whose_trackers_hang_cannot_hold_the_threads_another_orgs_me_stays_fast(make_stack, world):
    stack = make_stack("hostile", {"TICKET_HTTP_TIMEOUT_S": "4", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "3",
                                   "TICKET_DELIVERY_BACKOFF_BASE_MS": "60000"}, threads=8, workers=1)
    hanging = SilentTracker()
    try:
        # Org A: a Jira connection on the hanging tracker, with a linked issue, and five hanging webhook connections.
        jira = create_connection(stack, world, {
            "kind": "jira", "name": "Hanging Jira", "settings": {"base_url": hanging.base + "/jira", "project_key": "HANG"},
            "secrets": {"api_token": "t", "webhook_secret": "hook"}})
        link(world, jira["id"], "jira", "HANG-1")
        webhooks = [create_connection(stack, world, {
            "kind": "webhook", "name": f"Hanging {n}", "settings": {"url": f"{hanging.base}/hook/{n}"},
            "secrets": {"webhook_secret": "h"}})["id"] for n in range(5)]
        requests_a = [str(uuid.uuid4()) for _ in range(20)]
        psql("".join(f"INSERT INTO evidence_requests (id, org_id, title) VALUES ('{r}', :'org', 'Create {n}');"
                     for n, r in enumerate(requests_a)), org=world.org)

        def jira_webhook(n):
            return post_hook(stack, jira["inbound_url"], jira_comment("HANG-1", 900000 + n), "hook",
                             header="X-Hub-Signature", extra={"X-Atlassian-Webhook-Identifier": f"hostile-{n}"})

        def create(n):
            return requests.post(stack.url(world.request_path(requests_a[n])) + "/ticket", headers=world.auth("admin"),
                                 json={"connection_id": webhooks[n % len(webhooks)]}, timeout=60)

        b_me = []
        flooding = threading.Event()
        flooding.set()

        def measure_b():
            while flooding.is_set():
                started = time.monotonic()
                answer = requests.get(stack.url("/api/v1/me"), headers=world.auth("admin_b"), timeout=30)
                b_me.append((answer.status_code, time.monotonic() - started))
                time.sleep(0.02)

        with ThreadPoolExecutor(40) as pool:
            calls = [pool.submit(jira_webhook, n) for n in range(20)] + [pool.submit(create, n) for n in range(20)]
            time.sleep(0.2)  # org A's requests are in
            measuring = threading.Thread(target=measure_b)
            measuring.start()
            answers = [call.result() for call in calls]
            flooding.clear()
            measuring.join()
        assert len(b_me) >= 10, b_me
        assert all(status == 200 for status, _ in b_me), b_me
        slowest = max(seconds for _, seconds in b_me)
        assert slowest < 0.5, f"org B's slowest /me took {slowest * 1000:.0f} ms while org A's trackers hung"
        # Org A's Jira comments were all recorded: an unknown account (nothing of ours in flight) imports them.
        webhook_answers, create_answers = answers[:20], answers[20:]
        assert all(answer.status_code == 200 for answer in webhook_answers), [a.text for a in webhook_answers]
        assert psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org' AND source = 'external'",
                    org=world.org) == "20"
        # The creates that found no slot failed fast with Retry-After; the others waited for the timeout.
        busy = [answer for answer in create_answers if answer.status_code == 503]
        assert busy and all(a.json()["type"].endswith("provider-busy") and a.headers["Retry-After"] for a in busy)
        assert requests.get(stack.url("/healthz"), timeout=5).status_code == 200
    finally:
        hanging.stop()


def test_a_failing_myself_is_remembered_and_not_asked_on_every_webhook(stack, world):
    fake = FakeJira(email="bot@example.com")
    try:
        connection = create_connection(stack, world, jira_connection(fake, secret="j"))
        link(world, connection["id"], "jira", fake.key(1), request=world.r1)
        fake.answer(*([500] * 10))  # /myself keeps failing
        for n in range(5):
            answer = post_hook(stack, connection["inbound_url"], jira_comment(fake.key(1), 700 + n), "j",
                               header="X-Hub-Signature")
            assert answer.status_code == 200, answer.text
        # The stack's workers each asked at most once; the failure is remembered (30 s).
        asked = len(fake.calls("GET", "/myself"))
        assert 1 <= asked <= len(stack.worker_pids()), asked
        assert psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org' AND source = 'external'",
                    org=world.org) == "5"
    finally:
        fake.stop()


def test_with_the_account_unknown_a_comment_that_may_be_our_echo_is_left_for_jira_to_resend(stack, world):
    fake = FakeJira(email="bot@example.com")
    try:
        connection = create_connection(stack, world, jira_connection(fake, secret="j"))
        link(world, connection["id"], "jira", fake.key(2), request=world.r1)
        fake.answer(*([500] * 8))  # /myself keeps failing (every worker, should one ask)
        # A push of this ticket is in flight: its Jira comment id is not stamped yet.
        psql("INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, connection_id, state, "
             "attempts, locked_until, lease_token) SELECT org_id, id, 'jira', 'ticket.comment', '{}', connection_id, "
             "'delivering', 1, now() + interval '1 minute', gen_random_uuid() FROM ticket_sync.ticket_links "
             "WHERE org_id = :'org'", org=world.org)
        payload = jira_comment(fake.key(2), 800, author=fake.myself)
        hook = {"X-Atlassian-Webhook-Identifier": "maybe-echo"}
        answer = post_hook(stack, connection["inbound_url"], payload, "j", header="X-Hub-Signature", extra=hook)
        problem = assert_problem(answer, 503)
        assert problem["type"].endswith("provider-busy") and answer.headers["Retry-After"]
        assert psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org'", org=world.org) == "0"
        # The push settles: Jira's redelivery (same identifier) is imported, de-duplicated by the comment id.
        psql("UPDATE ticket_sync.outbox SET state = 'delivered', locked_until = NULL WHERE org_id = :'org'",
             org=world.org)
        answer = post_hook(stack, connection["inbound_url"], payload, "j", header="X-Hub-Signature", extra=hook)
        assert answer.status_code == 200, answer.text
        assert psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org'", org=world.org) == "1"
    finally:
        fake.stop()


def test_an_org_has_at_most_the_connection_limit_counted_safely_under_concurrency(make_stack, world):
    stack = make_stack("limited-connections", {"TICKET_ORG_CONNECTION_LIMIT": "3"})
    mock = {"kind": "mock", "name": "Mock"}

    def create(n, org):
        return requests.post(stack.url(connections_path(org)), json={**mock, "name": f"Mock {n}"},
                             headers=world.auth("admin" if org == world.org else "admin_b"))

    made = [create(n, world.org) for n in range(3)]
    assert [answer.status_code for answer in made] == [201, 201, 201]
    problem = assert_problem(create(3, world.org), 422)
    assert problem["type"].endswith("connection-limit") and "TICKET_ORG_CONNECTION_LIMIT" in problem["detail"]
    assert problem["limit"] == 3
    # Deleted connections do not count.
    deleted = requests.delete(stack.url(connections_path(world.org) + "/" + made[0].json()["id"]),
                              headers=world.auth("admin"))
    assert deleted.status_code == 204, deleted.text
    assert create(4, world.org).status_code == 201
    # Ten creates at once in another org: exactly the limit succeed.
    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(answer.status_code for answer in pool.map(lambda n: create(n, world.org_b), range(10)))
    assert statuses == [201] * 3 + [422] * 7, statuses
    assert psql("SELECT count(*) FROM ticket_sync.connections WHERE org_id = :'org' AND deleted_at IS NULL",
                org=world.org_b) == "3"
