"""Authentication and tenancy: 401 without a valid token; another org's objects answer exactly like missing ones."""
import uuid

import pytest
import requests

from conftest import assert_problem, psql

ROUTES = [
    ("GET", "/ticket"), ("POST", "/ticket"), ("DELETE", "/ticket"), ("POST", "/ticket/close"),
    ("GET", "/comments"), ("POST", "/comments"),
]


def call(stack, method, path, headers):
    return requests.request(method, stack.url(path), headers={**headers, "Content-Type": "application/json"},
                            data='{"body": "probe"}' if method == "POST" else None)


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer tsk_" + "0" * 64, "Basic dXNlcjpwYXNz", "tsk_abc"])
def test_every_org_route_needs_a_valid_token(stack, world, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    before = world.snapshot()
    for method, suffix in ROUTES + [("GET", None)]:
        path = world.request_path() + suffix if suffix else f"/api/v1/orgs/{world.org}/ticket-sync/status"
        response = call(stack, method, path, headers)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert world.snapshot() == before


def test_revoked_token_is_401(stack, world):
    psql("UPDATE ticket_sync.api_tokens SET revoked_at = now() WHERE user_id = :'u'", u=world.user_ids["reader"])
    assert_problem(requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")), 401)


def test_foreign_objects_answer_exactly_like_missing_ones(stack, world):
    # Give org A a linked ticket and a comment, so there is something to leak.
    requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    requests.post(stack.url(world.request_path() + "/comments"), json={"body": "secret"}, headers=world.auth("admin"))
    before = world.snapshot()
    probes = [
        ("outsider in org A", world.request_path(), "outsider"),
        ("org B admin in org A", world.request_path(), "admin_b"),
        ("org A request under org B", world.request_path(org=world.org_b), "admin_b"),
        ("missing org", world.request_path(org=str(uuid.uuid4())), "admin"),
        ("missing request", world.request_path(request=str(uuid.uuid4())), "admin"),
        ("malformed org", world.request_path(org="not-a-uuid"), "admin"),
        ("malformed request", world.request_path(request="1' OR '1'='1"), "admin"),
    ]
    for label, base, role in probes:
        for method, suffix in ROUTES:
            response = call(stack, method, base + suffix, world.auth(role))
            problem = assert_problem(response, 404)
            assert "secret" not in response.text, label
            assert problem["type"] == "urn:ticketsync:problem:not-found", label
    status = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("outsider"))
    assert_problem(status, 404)
    assert world.snapshot() == before


def test_member_of_both_orgs_sees_each_only_under_its_own_org(stack, world):
    psql("INSERT INTO org_memberships VALUES (:'org', :'u', 'read')", org=world.org, u=world.user_ids["admin_b"])
    requests.post(stack.url(world.request_path() + "/comments"), json={"body": "A only"}, headers=world.auth("admin"))
    own = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("admin_b"))
    assert [c["body"] for c in own.json()["comments"]] == ["A only"]
    crossed = requests.get(stack.url(world.request_path(org=world.org_b) + "/comments"), headers=world.auth("admin_b"))
    assert_problem(crossed, 404)


def test_configure_implies_read(stack, world):
    response = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("admin"))
    assert response.status_code == 200
