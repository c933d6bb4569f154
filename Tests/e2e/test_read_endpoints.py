"""The read endpoints the web page uses: /api/v1/me, the evidence request list (paginated) and one request."""
import uuid

import requests

from conftest import assert_problem, psql


def test_me_lists_the_orgs_and_permissions(stack, world):
    psql("INSERT INTO org_memberships VALUES (:'org', :'u', 'read')", org=world.org_b, u=world.user_ids["admin"])
    me = requests.get(stack.url("/api/v1/me"), headers=world.auth("admin")).json()
    assert me["user"]["display_name"] == "Admin User" and me["user"]["id"] == world.user_ids["admin"]
    assert sorted((o["name"], o["permission"]) for o in me["orgs"]) == [("Org A", "configure"), ("Org B", "read")]
    outsider = requests.get(stack.url("/api/v1/me"), headers=world.auth("outsider")).json()
    assert outsider["orgs"] == []
    assert_problem(requests.get(stack.url("/api/v1/me")), 401)


def test_list_shows_status_and_ticket_summary(stack, world):
    requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    page = requests.get(stack.url(f"/api/v1/orgs/{world.org}/evidence-requests"), headers=world.auth("reader")).json()
    assert page["next_cursor"] is None
    by_title = {item["title"]: item for item in page["evidence_requests"]}
    assert list(by_title) == ["Access review", "Change sample"], "ordered by title"
    ticket = by_title["Access review"]["ticket"]
    assert ticket["provider"] == "mock" and ticket["sync_state"] == "synced" and ticket["closed"] is False
    assert by_title["Change sample"]["ticket"] is None
    assert by_title["Access review"]["status"] == "open"


def test_list_paginates_with_a_cursor(stack, world):
    values = ", ".join(f"('{uuid.uuid4()}', :'org', 'Item {n:02d}')" for n in range(7))
    psql(f"INSERT INTO evidence_requests (id, org_id, title) VALUES {values}", org=world.org)
    seen, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = requests.get(stack.url(f"/api/v1/orgs/{world.org}/evidence-requests{query}"), headers=world.auth("reader")).json()
        seen += [item["title"] for item in page["evidence_requests"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["Access review", "Change sample"] + [f"Item {n:02d}" for n in range(7)]


def test_list_rejects_bad_parameters(stack, world):
    base = stack.url(f"/api/v1/orgs/{world.org}/evidence-requests")
    for query in ["?limit=0", "?limit=201", "?limit=ten", "?cursor=not-a-cursor"]:
        assert_problem(requests.get(base + query, headers=world.auth("reader")), 400)


def test_list_and_detail_are_scoped_to_the_org(stack, world):
    base = f"/api/v1/orgs/{world.org}/evidence-requests"
    assert_problem(requests.get(stack.url(base), headers=world.auth("admin_b")), 404)
    assert_problem(requests.get(stack.url(base + f"/{world.rb}"), headers=world.auth("admin")), 404)
    page = requests.get(stack.url(f"/api/v1/orgs/{world.org_b}/evidence-requests"), headers=world.auth("admin_b")).json()
    assert [item["id"] for item in page["evidence_requests"]] == [world.rb]


def test_detail_has_the_description_and_the_link(stack, world):
    detail = requests.get(stack.url(world.request_path()), headers=world.auth("reader")).json()
    assert detail == {"id": world.r1, "title": "Access review", "description": "Q3 access review", "status": "open",
                      "ticket": None}
    link = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    assert requests.get(stack.url(world.request_path()), headers=world.auth("reader")).json()["ticket"] == link
