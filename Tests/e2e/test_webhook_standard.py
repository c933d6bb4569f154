"""Generic inbound webhooks, hardened: `status` goes through the status map and never moves an auditor's decision
back; Standard Webhooks (webhook-id / webhook-timestamp / webhook-signature) beside X-Signature, with a 5-minute
window and seen ids; rejected signatures audited once a minute; the inbound URL opening only its inbound secrets;
concurrent inbound-secret rotations each handing out a secret that verifies."""
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid

import pytest
import requests

from conftest import Stack, assert_problem, psql
from connections import connections_path, create_connection, post_hook, sign
from trackers import Receiver

SECRET = "standard-inbound-secret"
PATH = "/api/v1/ticket-sync/webhook"


def standard_headers(body, secret, msg_id=None, timestamp=None):
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(time.time()) if timestamp is None else timestamp
    key = base64.b64decode(secret[6:] + "=" * (-len(secret[6:]) % 4)) if secret.startswith("whsec_") else secret.encode()
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": "v1," + base64.b64encode(digest).decode()}


def post(stack, path, payload, headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return requests.post(stack.url(path), data=body, headers={"Content-Type": "application/json", **headers})


def x_signed(payload, secret=SECRET):
    body = json.dumps(payload).encode()
    return body, {"X-Signature": sign(body, secret)}


def hook_path(connection):
    return connection["inbound_url"][connection["inbound_url"].index("/api/v1/"):]


@pytest.fixture(scope="module")
def inbound(request):
    running = Stack("standard-inbound", {"TICKET_WEBHOOK_SECRET": SECRET}).start()
    request.addfinalizer(running.stop)
    return running


@pytest.fixture
def ticket(inbound, world):
    response = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def request_status(world):
    return psql("SELECT status FROM evidence_requests WHERE id = :'r'", r=world.r1)


def comments(world):
    return int(psql("SELECT count(*) FROM ticket_sync.comments WHERE evidence_request_id = :'r'", r=world.r1))


# --- A: `status` through the status map ---------------------------------------------------------------------------

def test_status_cannot_set_an_auditors_decision_the_map_does_not_name(inbound, world, ticket):
    body, headers = x_signed({"external_id": ticket["external_id"], "status": "accepted"})
    answer = post(inbound, PATH, body, headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"]["status"] is None and "auditor's decision" in answer.json()["ignored"]
    assert request_status(world) == "open"
    body, headers = x_signed({"external_id": ticket["external_id"], "status": "submitted"})
    assert post(inbound, PATH, body, headers).json()["applied"]["status"] == "submitted"
    assert request_status(world) == "submitted"


def test_an_accepted_request_is_never_moved_back_by_a_replayed_or_new_status(inbound, world, ticket):
    """The issue's reproduction: accepted → open → accepted by replaying the first body. With a map that names
    accepted the first applies; nothing the tracker sends afterwards moves the auditor's decision back."""
    connection = create_connection(inbound, world, {
        "kind": "mock", "name": "Decides", "default": True,
        "settings": {"status_map": "accepted=accepted, done=submitted"}, "secrets": {"webhook_secret": SECRET}})
    requests.delete(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    linked = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    first, first_headers = x_signed({"external_id": linked["external_id"], "status": "accepted"})
    assert post(inbound, hook_path(connection), first, first_headers).json()["applied"]["status"] == "accepted"
    for status in ("open", "in_progress", "submitted"):
        back, back_headers = x_signed({"external_id": linked["external_id"], "status": status})
        answer = post(inbound, hook_path(connection), back, back_headers).json()
        assert answer["applied"]["status"] is None and "does not move back" in answer["ignored"], answer
        assert request_status(world) == "accepted"
    replayed = post(inbound, hook_path(connection), first, first_headers)
    assert replayed.status_code == 200 and request_status(world) == "accepted"


def test_a_keep_entry_for_the_tracker_status_is_not_overridden_by_status(inbound, world, ticket):
    """`In Review=keep` means the request stays as it is while the ticket is in review: a `status` sent in the same
    event only fills in when the tracker status has no entry at all."""
    connection = create_connection(inbound, world, {
        "kind": "mock", "name": "Keeps", "default": True,
        "settings": {"status_map": "In Review=keep, done=submitted"}, "secrets": {"webhook_secret": SECRET}})
    requests.delete(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    linked = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()

    def event(name, at, status="submitted"):
        return x_signed({"external_id": linked["external_id"], "status": status, "tracker_status": {
            "name": name, "category": "indeterminate", "updated_at": at}})

    body, headers = event("In Review", "2026-11-30T12:00:00Z")
    answer = post(inbound, hook_path(connection), body, headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"]["status"] is None, answer.json()
    assert request_status(world) == "open"
    body, headers = event("Waiting", "2026-11-30T12:00:01Z")  # no entry for Waiting: `status` applies
    assert post(inbound, hook_path(connection), body, headers).json()["applied"]["status"] == "submitted"
    assert request_status(world) == "submitted"


# --- B: Standard Webhooks inbound ----------------------------------------------------------------------------------

def test_standard_webhooks_apply_once_per_webhook_id(inbound, world, ticket):
    payload = {"external_id": ticket["external_id"], "status": "in_progress",
               "comment": {"external_comment_id": "sw-1", "author": "Ext", "body": "standard"}}
    body = json.dumps(payload).encode()
    headers = standard_headers(body, SECRET)
    first = post(inbound, PATH, body, headers)
    assert first.status_code == 200, first.text
    assert first.json()["applied"] == {"comment": "created", "status": "in_progress"}
    audit_rows = psql("SELECT count(*) FROM ticket_sync.audit_events WHERE evidence_request_id = :'r'", r=world.r1)
    # The same delivery again (a replay or a retry): 200, nothing applied twice, not even an audit row.
    again = post(inbound, PATH, body, headers)
    assert again.status_code == 200 and "duplicate webhook-id" in again.json()["ignored"]
    assert again.json()["applied"] == {"comment": None, "status": None}
    assert comments(world) == 1 and request_status(world) == "in_progress"
    assert psql("SELECT count(*) FROM ticket_sync.audit_events WHERE evidence_request_id = :'r'",
                r=world.r1) == audit_rows


def test_seen_webhook_ids_are_kept_a_day_then_pruned(inbound, world, ticket):
    stale = f"msg_{uuid.uuid4().hex}"
    psql("INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id, received_at) "
         "VALUES ('webhook-id', :'id', now() - interval '25 hours')", id=stale)
    body = json.dumps({"external_id": ticket["external_id"], "status": "in_progress"}).encode()
    assert post(inbound, PATH, body, standard_headers(body, SECRET)).status_code == 200
    assert psql("SELECT count(*) FROM ticket_sync.inbound_deliveries WHERE delivery_id = :'id'", id=stale) == "0"
    assert psql("SELECT count(*) FROM ticket_sync.inbound_deliveries WHERE source = 'webhook-id' "
                "AND received_at < now() - interval '1 day'") == "0"


def test_standard_webhooks_refuse_a_time_more_than_five_minutes_off(inbound, world, ticket):
    body = json.dumps({"external_id": ticket["external_id"], "status": "submitted"}).encode()
    for skew in (-301 - 5, 301 + 5):
        headers = standard_headers(body, SECRET, timestamp=int(time.time()) + skew)
        assert_problem(post(inbound, PATH, body, headers), 401)
    assert request_status(world) == "open"
    assert post(inbound, PATH, body, standard_headers(body, SECRET, timestamp=int(time.time()) - 200)).status_code == 200


def test_a_bad_standard_signature_is_not_rescued_by_x_signature(inbound, world, ticket):
    body = json.dumps({"external_id": ticket["external_id"], "status": "submitted"}).encode()
    headers = standard_headers(body, "wrong-secret")
    headers["X-Signature"] = sign(body, SECRET)
    refused = post(inbound, PATH, body, headers)
    assert_problem(refused, 401)
    # The answer names both schemes, so an adapter moving to Standard Webhooks is not sent back to X-Signature.
    assert "webhook-signature" in refused.json()["detail"] and "X-Signature" in refused.json()["detail"]
    tampered = standard_headers(body, SECRET)
    assert_problem(post(inbound, PATH, body + b" ", tampered), 401)
    assert request_status(world) == "open"


def test_a_failed_event_does_not_burn_its_webhook_id(inbound, world, ticket):
    bad = json.dumps({"external_id": ticket["external_id"], "status": "nope"}).encode()
    msg_id = f"msg_{uuid.uuid4().hex}"
    assert_problem(post(inbound, PATH, bad, standard_headers(bad, SECRET, msg_id=msg_id)), 422)
    good = json.dumps({"external_id": ticket["external_id"], "status": "submitted"}).encode()
    retried = post(inbound, PATH, good, standard_headers(good, SECRET, msg_id=msg_id))
    assert retried.json()["applied"]["status"] == "submitted"


def test_the_deployment_route_can_require_standard_webhooks(make_stack, world):
    strict = make_stack("standard-only", {"TICKET_WEBHOOK_SECRET": SECRET, "TICKET_WEBHOOK_INBOUND_SIGNATURE": "standard"})
    linked = requests.post(strict.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    body, headers = x_signed({"external_id": linked["external_id"], "status": "submitted"})
    assert_problem(post(strict, PATH, body, headers), 401)
    assert request_status(world) == "open"
    assert post(strict, PATH, body, standard_headers(body, SECRET)).json()["applied"]["status"] == "submitted"


@pytest.fixture
def adapter():
    running = Receiver(SECRET)
    yield running
    running.stop()


def webhook_connection(stack, world, adapter, **settings):
    return create_connection(stack, world, {
        "kind": "webhook", "name": "Adapter", "default": True, "settings": {"url": adapter.url, **settings},
        "secrets": {"webhook_secret": SECRET}})


def test_a_connection_can_require_standard_webhooks(inbound, world, adapter):
    connection = webhook_connection(inbound, world, adapter)
    assert connection["settings"]["inbound_signature"] == "any"
    path = f"{connections_path(world.org)}/{connection['id']}"
    problem = assert_problem(requests.patch(inbound.url(path), headers=world.auth("admin"),
                                            json={"settings": {"inbound_signature": "strict"}}), 422)
    assert problem["field"] == "settings.inbound_signature"
    linked = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    payload = {"external_id": linked["external_id"], "status": "in_progress"}
    body, headers = x_signed(payload)
    assert post(inbound, hook_path(connection), body, headers).status_code == 200, "any: X-Signature still accepted"

    patched = requests.patch(inbound.url(path), headers=world.auth("admin"),
                             json={"settings": {"inbound_signature": "standard"}})
    assert patched.status_code == 200 and patched.json()["settings"]["inbound_signature"] == "standard"
    body, headers = x_signed(dict(payload, status="submitted"))
    assert_problem(post(inbound, hook_path(connection), body, headers), 401)
    assert request_status(world) == "in_progress"
    accepted = post(inbound, hook_path(connection), body, standard_headers(body, SECRET))
    assert accepted.status_code == 200 and request_status(world) == "submitted"


def test_during_the_grace_period_both_secrets_verify_in_one_signature_list(inbound, world, adapter):
    connection = webhook_connection(inbound, world, adapter)
    linked = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    rotated = requests.post(inbound.url(f"{connections_path(world.org)}/{connection['id']}/inbound-secret"),
                            headers=world.auth("admin")).json()["webhook_secret"]
    for n, secret in enumerate((SECRET, rotated)):
        body = json.dumps({"external_id": linked["external_id"],
                           "comment": {"external_comment_id": f"grace-{n}", "author": "A", "body": str(n)}}).encode()
        headers = standard_headers(body, secret)
        # A sender signing with both secrets: the header lists both, one verifies.
        other = standard_headers(body, "not-the-secret", msg_id=headers["webhook-id"],
                                 timestamp=int(headers["webhook-timestamp"]))
        headers["webhook-signature"] = other["webhook-signature"] + " " + headers["webhook-signature"]
        answer = post(inbound, hook_path(connection), body, headers)
        assert answer.status_code == 200 and answer.json()["applied"]["comment"] == "created", answer.text


def test_webhook_ids_are_scoped_per_connection(inbound, world, ticket, adapter):
    """The same webhook-id from two senders (the deployment default's adapter, a connection's) is two events."""
    msg_id = f"msg_{uuid.uuid4().hex}"
    body = json.dumps({"external_id": ticket["external_id"], "status": "submitted"}).encode()
    assert post(inbound, PATH, body, standard_headers(body, SECRET, msg_id=msg_id)).json()["applied"]["status"] == \
        "submitted"
    connection = webhook_connection(inbound, world, adapter)
    linked = requests.post(inbound.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin")).json()
    assert linked["connection_id"] == connection["id"]
    body = json.dumps({"external_id": linked["external_id"], "status": "in_progress"}).encode()
    answer = post(inbound, hook_path(connection), body, standard_headers(body, SECRET, msg_id=msg_id)).json()
    assert answer["applied"]["status"] == "in_progress" and "ignored" not in answer
    again = post(inbound, hook_path(connection), body, standard_headers(body, SECRET, msg_id=msg_id)).json()
    assert "duplicate webhook-id" in again["ignored"]


# --- D: rejected signatures are audited once a minute ----------------------------------------------------------------

def test_fifty_bad_signatures_write_at_most_two_audit_rows_and_are_counted(inbound, world):
    connection = create_connection(inbound, world, {"kind": "mock", "name": "Flooded",
                                                    "secrets": {"webhook_secret": SECRET}})
    for n in range(50):
        assert_problem(post_hook(inbound, connection["inbound_url"], {"external_id": f"x{n}"}, "wrong"), 401)
    rows = int(psql("SELECT count(*) FROM ticket_sync.audit_events WHERE action = 'inbound.rejected' "
                    "AND connection_id = :'c'", c=connection["id"]))
    assert 1 <= rows <= 2, "one audit row per connection per minute (a minute boundary may split the burst)"
    assert psql("SELECT sum(rejections) FROM ticket_sync.inbound_rejections WHERE connection_id = :'c'",
                c=connection["id"]) == "50"
    events = requests.get(inbound.url(f"/api/v1/orgs/{world.org}/ticket-sync/audit"),
                          headers=world.auth("admin")).json()["events"]
    assert [e["detail"]["reason"] for e in events if e["action"] == "inbound.rejected"][0] == "signature mismatch"


# --- E: the inbound URL opens only the inbound secrets ----------------------------------------------------------------

def test_an_unopenable_api_token_does_not_stop_inbound_webhooks(inbound, world):
    connection = create_connection(inbound, world, {
        "kind": "servicenow", "name": "SN", "settings": {"base_url": "http://127.0.0.1:9"},
        "secrets": {"api_token": "sn-token", "webhook_secret": SECRET}})
    psql("UPDATE ticket_sync.connection_secrets SET sealed = 'v1:gone:' || sealed WHERE connection_id = :'c' "
         "AND field = 'api_token'", c=connection["id"])
    answer = post_hook(inbound, connection["inbound_url"], {"external_id": "INC0000001"}, SECRET)
    assert_problem(answer, 404)  # verified, then no such ticket: not a 503 about the API token
    assert_problem(post_hook(inbound, connection["inbound_url"], {"external_id": "INC0000001"}, "wrong"), 401)


# --- F: concurrent inbound-secret rotations ------------------------------------------------------------------------

def test_concurrent_rotations_each_hand_out_a_secret_that_verifies(inbound, world):
    connection = create_connection(inbound, world, {"kind": "mock", "name": "Rotated",
                                                    "secrets": {"webhook_secret": SECRET}})
    path = inbound.url(f"{connections_path(world.org)}/{connection['id']}/inbound-secret")
    for _ in range(6):
        answers = []
        barrier = threading.Barrier(2)

        def rotate():
            barrier.wait()
            answers.append(requests.post(path, headers=world.auth("admin")))

        threads = [threading.Thread(target=rotate) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        for answer in answers:
            secret = answer.json()["webhook_secret"]
            verified = post_hook(inbound, connection["inbound_url"], {"external_id": "none"}, secret)
            assert verified.status_code == 404, "a rotation handed out a secret that never verifies"
