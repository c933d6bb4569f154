"""Hosted multi-org: two orgs, each with its own Jira (both minting GRC-1) and its own webhook adapter (both
minting TCK-1). Each org's inbound URL reaches only its own evidence requests; one org's URL and secret, replayed
with the other org's ticket, change nothing there and answer like a missing ticket."""
import uuid

import pytest
import requests

from conftest import assert_problem, psql
from connections import create_connection, jira_connection, post_hook
from trackers import Receiver
from trackers import FakeJira


class Org:
    def __init__(self, stack, world, role, org, requests_, label):
        self.stack, self.world, self.role, self.org, self.label = stack, world, role, org, label
        self.jira = FakeJira(email=f"bot-{label}@example.com", project="GRC")
        self.adapter = Receiver(f"adapter-{label}")
        # Both adapters mint the same id for their first ticket.
        self.adapter.default = (200, {}, {"external_id": "TCK-1", "external_url": f"https://{label}.example/TCK-1"}, 0)
        self.jira_conn = create_connection(stack, world, jira_connection(self.jira, secret=f"jira-{label}"),
                                           role=role, org=org)
        self.hook_conn = create_connection(stack, world, {
            "kind": "webhook", "name": "Adapter", "settings": {"url": self.adapter.url},
            "secrets": {"webhook_secret": f"adapter-{label}"}}, role=role, org=org)
        self.jira_request, self.hook_request = requests_

    def path(self, request):
        return f"/api/v1/orgs/{self.org}/evidence-requests/{request}"

    def create(self, request, connection):
        response = requests.post(self.stack.url(self.path(request) + "/ticket"), headers=self.world.auth(self.role),
                                 json={"connection_id": connection["id"]})
        assert response.status_code == 201, response.text
        return response.json()

    def thread(self, request):
        return requests.get(self.stack.url(self.path(request) + "/comments"),
                            headers=self.world.auth(self.role)).json()["comments"]

    def stop(self):
        self.jira.stop()
        self.adapter.stop()


def jira_comment(org, comment_id, body):
    issue = org.jira.issues["GRC-1"]
    return {"timestamp": 1, "webhookEvent": "comment_created", "issue": {"id": issue["id"], "key": "GRC-1"},
            "comment": {"id": comment_id, "body": body, "author": {"accountId": "x", "displayName": f"{org.label} user"},
                        "self": f"{org.jira.base}/rest/api/2/issue/{issue['id']}/comment/{comment_id}"}}


@pytest.fixture
def orgs(stack, world):
    rb2 = str(uuid.uuid4())
    psql("INSERT INTO evidence_requests (id, org_id, title) VALUES (:'id', :'org', 'Second B request')",
         id=rb2, org=world.org_b)
    a = Org(stack, world, "admin", world.org, (world.r1, world.r2), "a")
    b = Org(stack, world, "admin_b", world.org_b, (world.rb, rb2), "b")
    yield a, b
    a.stop()
    b.stop()


def test_two_orgs_with_colliding_tracker_ids_stay_apart(stack, orgs):
    a, b = orgs
    for org in (a, b):
        assert org.create(org.jira_request, org.jira_conn)["external_id"] == "GRC-1"
        assert org.create(org.hook_request, org.hook_conn)["external_id"] == "TCK-1"
        # Each org's evidence went to its own tracker only.
        assert len(org.jira.issues) == 1 and len(org.adapter.events("ticket.create")) == 1

    # Jira replies through each org's own inbound URL land in that org's thread only.
    for org in (a, b):
        reply = post_hook(stack, org.jira_conn["inbound_url"], jira_comment(org, "7001", f"reply in {org.label}"),
                          f"jira-{org.label}", header="X-Hub-Signature")
        assert reply.status_code == 200 and reply.json()["applied"]["comment"] == "created", reply.text
    assert [c["body"] for c in a.thread(a.jira_request)] == ["reply in a"]
    assert [c["body"] for c in b.thread(b.jira_request)] == ["reply in b"]

    # Adapter replies too, though both tickets are TCK-1.
    for org in (a, b):
        payload = {"external_id": "TCK-1", "comment": {"external_comment_id": "e1", "author": "Ext", "body": org.label},
                   "status": "submitted"}
        assert post_hook(stack, org.hook_conn["inbound_url"], payload, f"adapter-{org.label}").status_code == 200
    assert [c["body"] for c in a.thread(a.hook_request)] == ["a"]
    assert [c["body"] for c in b.thread(b.hook_request)] == ["b"]


def test_one_orgs_inbound_url_and_secret_cannot_reach_another_org(stack, world, orgs):
    a, b = orgs
    a.create(a.hook_request, a.hook_conn)
    b.create(b.jira_request, b.jira_conn)
    b.create(b.hook_request, b.hook_conn)
    before = psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org'", org=world.org_b)
    status_before = psql("SELECT string_agg(status, ',' ORDER BY id) FROM evidence_requests WHERE org_id = :'org'",
                         org=world.org_b)
    # Org A's adapter URL and secret, naming org B's Jira ticket (GRC-1) and an id nobody has.
    replay = {"external_id": "GRC-1", "comment": {"external_comment_id": "x", "author": "Mallory", "body": "hi"},
              "status": "accepted"}
    missing = dict(replay, external_id="NOPE-404")
    replayed = post_hook(stack, a.hook_conn["inbound_url"], replay, "adapter-a")
    absent = post_hook(stack, a.hook_conn["inbound_url"], missing, "adapter-a")
    assert_problem(replayed, 404)
    assert replayed.json() == dict(absent.json(), detail=absent.json()["detail"].replace("NOPE-404", "GRC-1"))
    # Org A's secret on org B's URL: the same 401 as an unknown URL.
    wrong_secret = post_hook(stack, b.hook_conn["inbound_url"], dict(replay, external_id="TCK-1"), "adapter-a")
    unknown_url = post_hook(stack, "/api/v1/ticket-sync/hooks/" + "0" * 64, replay, "adapter-a")
    assert_problem(wrong_secret, 401)
    assert wrong_secret.json() == unknown_url.json()
    assert psql("SELECT count(*) FROM ticket_sync.comments WHERE org_id = :'org'", org=world.org_b) == before
    assert psql("SELECT string_agg(status, ',' ORDER BY id) FROM evidence_requests WHERE org_id = :'org'",
                org=world.org_b) == status_before


def test_comments_and_closes_go_to_the_links_own_tracker(stack, orgs):
    a, b = orgs
    a.create(a.jira_request, a.jira_conn)
    b.create(b.jira_request, b.jira_conn)
    sent = requests.post(a.stack.url(a.path(a.jira_request) + "/comments"), headers=a.world.auth("admin"),
                         json={"body": "for A's Jira only"})
    assert sent.status_code == 201 and sent.json()["comment"]["sync_state"] == "synced", sent.text
    assert [c["body"].split("\n")[0] for c in a.jira.issues["GRC-1"]["comments"]] == ["for A's Jira only"]
    assert b.jira.issues["GRC-1"]["comments"] == []
    closed = requests.post(b.stack.url(b.path(b.jira_request) + "/ticket/close"), headers=b.world.auth("admin_b"))
    assert closed.status_code == 200, closed.text
    assert b.jira.issues["GRC-1"]["status"] == "done" and a.jira.issues["GRC-1"]["status"] == "new"


def test_the_deployment_defaults_inbound_routes_reach_no_connections_link(make_stack, world):
    from connections import sign
    import json
    hosted = make_stack("default-inbound", {"TICKET_WEBHOOK_SECRET": "env-secret", "JIRA_WEBHOOK_SECRET": "env-jira"})
    connection = create_connection(hosted, world, {"kind": "mock", "name": "Own", "secrets": {"webhook_secret": "own"}})
    link = requests.post(hosted.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    assert link["connection_id"] == connection["id"]
    payload = {"external_id": link["external_id"], "comment": {"external_comment_id": "z", "author": "E", "body": "b"}}
    body = json.dumps(payload).encode()
    answer = requests.post(hosted.url("/api/v1/ticket-sync/webhook"), data=body,
                           headers={"Content-Type": "application/json", "X-Signature": sign(body, "env-secret")})
    assert_problem(answer, 404)
    # Through the connection's own URL and secret it applies.
    assert post_hook(hosted, connection["inbound_url"], payload, "own").json()["applied"]["comment"] == "created"
