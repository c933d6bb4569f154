"""The audit trail: every ticket, comment, inbound and connection action writes one row in its own transaction (a
refused action writes none), with who (user and token, or the connection), the ids involved, the request id and a
redacted detail; read through GET …/ticket-sync/audit (configure), newest first, by keyset, per evidence request."""
import json
import subprocess
import uuid

import requests

from conftest import BIN, DATABASE_URL, REPO, assert_problem, psql
from connections import create_connection, post_hook, sign

SECRET = "inbound-test-secret"


def audit_path(org):
    return f"/api/v1/orgs/{org}/ticket-sync/audit"


def trail(stack, world, **params):
    response = requests.get(stack.url(audit_path(world.org)), headers=world.auth("admin"), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_ticket_and_comment_actions_are_recorded_with_who_and_which_request(stack, world):
    admin, base = world.auth("admin"), stack.url(world.request_path())
    created = requests.post(base + "/ticket", headers=admin)
    commented = requests.post(base + "/comments", json={"body": "Evidence attached."}, headers=admin)
    assert requests.post(base + "/comments", json={"body": "  "}, headers=admin).status_code == 422  # nothing written
    assert requests.post(base + "/ticket", headers=admin).status_code == 409  # nothing written
    closed = requests.post(base + "/ticket/close", headers=admin)
    retried = requests.post(base + "/ticket/retry", headers=admin)
    unlinked = requests.delete(base + "/ticket", headers=admin)
    assert [r.status_code for r in (created, commented, closed, retried, unlinked)] == [201, 201, 200, 200, 204]

    events = trail(stack, world)["events"]
    assert [e["action"] for e in events] == [
        "ticket.unlink", "ticket.retry", "ticket.close", "comment.create", "ticket.create"]
    by_action = {e["action"]: e for e in events}
    admin_id = world.user_ids["admin"]
    token_id = requests.get(stack.url("/api/v1/me"), headers=admin).json()["token"]["id"]
    for event in events:
        assert event["actor"] == {"kind": "user", "user_id": admin_id, "token_id": token_id, "connection_id": None}
        assert event["evidence_request_id"] == world.r1
    assert by_action["ticket.create"]["request_id"] == created.headers["X-Request-Id"]
    assert by_action["ticket.create"]["detail"]["external_id"] == created.json()["external_id"]
    assert by_action["comment.create"]["comment_id"] == commented.json()["comment"]["id"]
    assert by_action["comment.create"]["request_id"] == commented.headers["X-Request-Id"]
    assert by_action["ticket.close"]["link_id"] == by_action["ticket.create"]["link_id"]
    # A comment without a ticket is recorded too (in the same single round trip as the comment).
    plain = requests.post(stack.url(world.request_path(world.r2) + "/comments"), json={"body": "no ticket"},
                          headers=world.auth("reader"))
    newest = trail(stack, world)["events"][0]
    assert newest["action"] == "comment.create" and newest["comment_id"] == plain.json()["comment"]["id"]
    assert newest["actor"]["user_id"] == world.user_ids["reader"] and newest["detail"] == {"pushed": False}


def test_inbound_events_name_the_connection(make_stack, world):
    inbound = make_stack("audit-inbound", {"TICKET_WEBHOOK_SECRET": SECRET})
    ticket = requests.post(inbound.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    body = json.dumps({"external_id": ticket["external_id"], "status": "in_progress",
                       "comment": {"external_comment_id": "a-1", "author": "T", "body": "reply"}}).encode()
    answer = requests.post(inbound.url("/api/v1/ticket-sync/webhook"), data=body,
                           headers={"Content-Type": "application/json", "X-Signature": sign(body, SECRET)})
    assert answer.status_code == 200
    event = trail(inbound, world)["events"][0]
    assert event["action"] == "inbound.applied" and event["actor"]["kind"] == "connection"
    assert event["actor"]["connection_id"] is None  # the deployment default's inbound route
    assert event["detail"] == {"external_comment_id": "a-1", "external_id": ticket["external_id"],
                               "status": "in_progress"}
    assert event["request_id"] == answer.headers["X-Request-Id"]


def test_connection_actions_are_recorded_without_secrets(stack, world):
    created = create_connection(stack, world, {"kind": "mock", "name": "Audited", "default": True,
                                               "secrets": {"webhook_secret": "very-secret-value"}})
    path = stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{created['id']}")
    admin = world.auth("admin")
    assert requests.post(path + "/test", headers=admin).status_code == 200
    assert requests.post(path + "/inbound-secret", headers=admin).status_code == 200
    bad = post_hook(stack, created["inbound_url"], {"external_id": "x"}, "wrong-secret")
    assert bad.status_code == 401
    assert requests.patch(path, json={"name": "Renamed"}, headers=admin).status_code == 200
    assert requests.patch(path, json={"disabled": True}, headers=admin).status_code == 200
    assert requests.delete(path, headers=admin).status_code == 204
    events = trail(stack, world)["events"]
    assert [e["action"] for e in events] == [
        "connection.delete", "connection.disable", "connection.update", "inbound.rejected",
        "connection.rotate_secret", "connection.test", "connection.create"]
    assert all(e["connection_id"] == created["id"] for e in events)
    assert events[-1]["detail"]["secrets"] == ["webhook_secret"] and events[-1]["detail"]["kind"] == "mock"
    rejected = events[3]
    assert rejected["actor"] == {"kind": "connection", "user_id": None, "token_id": None, "connection_id": created["id"]}
    assert rejected["detail"]["reason"].startswith("signature")
    stored = psql("SELECT string_agg(detail::text, ' ') FROM ticket_sync.audit_events WHERE org_id = :'o'", o=world.org)
    assert "very-secret-value" not in stored and created["inbound_url"].rsplit("/", 1)[1] not in stored


def test_the_audit_api_pages_filters_and_answers_only_configure_members(stack, world):
    admin = world.auth("admin")
    for request in (world.r1, world.r2):
        for n in range(3):
            requests.post(stack.url(world.request_path(request) + "/comments"), json={"body": f"c{n}"}, headers=admin)
    first = trail(stack, world, limit=4)
    assert len(first["events"]) == 4 and first["next_cursor"]
    second = trail(stack, world, limit=4, before=first["next_cursor"])
    assert len(second["events"]) == 2 and second["next_cursor"] is None
    ids = [e["id"] for e in first["events"] + second["events"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    only_r2 = trail(stack, world, evidence_request_id=world.r2)["events"]
    assert len(only_r2) == 3 and {e["evidence_request_id"] for e in only_r2} == {world.r2}

    assert_problem(requests.get(stack.url(audit_path(world.org)), headers=world.auth("reader")), 403)
    assert_problem(requests.get(stack.url(audit_path(world.org)), headers=world.auth("admin_b")), 404)
    assert_problem(requests.get(stack.url(audit_path(world.org)), headers=world.auth("reader"),
                                params={"before": "nope"}), 403)  # the permission before the parameter
    assert_problem(requests.get(stack.url(audit_path(world.org)), headers=admin, params={"before": "nope"}), 400)
    assert_problem(requests.get(stack.url(audit_path(world.org)), headers=admin,
                                params={"evidence_request_id": "nope"}), 400)
    # Another org's events never show.
    assert trail(stack, world)["events"][0]["evidence_request_id"] in (world.r1, world.r2)


def test_token_commands_are_recorded_without_the_token():
    email = f"audited-{uuid.uuid4()}@e2e.example"
    env = {"DATABASE_URL": DATABASE_URL}
    token = subprocess.run([BIN, "token", "create", "--email", email, "--label", "audited"], cwd=REPO, env=env,
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    token_id = psql("SELECT t.id FROM ticket_sync.api_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = :'e'",
                    e=email)
    subprocess.run([BIN, "token", "revoke", token_id], cwd=REPO, env=env, capture_output=True, check=True)
    rows = psql("SELECT action || ' ' || actor_kind || ' ' || detail::text FROM ticket_sync.audit_events "
                "WHERE action LIKE 'token.%' AND (detail->>'token_id' = :'t' OR detail->>'user_id' = "
                "(SELECT id::text FROM users WHERE email = :'e')) ORDER BY id", t=token_id, e=email).splitlines()
    assert len(rows) == 2 and rows[0].startswith("token.create cli") and rows[1].startswith("token.revoke cli")
    assert token not in "\n".join(rows) and token[4:] not in "\n".join(rows)
