"""The connection API: every route for 401/403/404/422/409, write-only secrets, the one default per org, the test
action against fake trackers, and which connection create, close and comment pushes use."""
import uuid

import pytest
import requests

from conftest import assert_problem, psql
from connections import connections_path, create_connection, jira_connection
from trackers import Receiver
from trackers import FakeJira, FakeServiceNow


@pytest.fixture
def jira():
    fake = FakeJira(email="bot@example.com")
    yield fake
    fake.stop()


def routes(world, connection_id):
    base = connections_path(world.org)
    one = f"{base}/{connection_id}"
    return [("GET", base), ("POST", base), ("GET", one), ("PATCH", one), ("DELETE", one), ("POST", one + "/test"),
            ("POST", one + "/inbound-secret")]


WRITES = {("POST", False), ("PATCH", True), ("DELETE", True)}


def send(stack, method, path, role=None, world=None, body=None):
    headers = world.auth(role) if role else {}
    if body is not None:
        return requests.request(method, stack.url(path), json=body, headers=headers)
    return requests.request(method, stack.url(path), headers=headers)


def test_every_route_answers_401_403_and_404_like_the_other_routes(stack, world):
    created = create_connection(stack, world, {"kind": "mock", "name": "Demo"})
    for method, path in routes(world, created["id"]):
        body = {"kind": "mock", "name": "x"} if method in ("POST", "PATCH") and path.endswith("connections") else None
        assert_problem(send(stack, method, path, body=body), 401)
        # Another org's admin, and a user in no org: exactly like a missing org.
        assert_problem(send(stack, method, path, "admin_b", world, body), 404)
        assert_problem(send(stack, method, path, "outsider", world, body), 404)
        reader = send(stack, method, path, "reader", world, body)
        if method == "GET":
            assert reader.status_code == 200, reader.text
        else:
            assert_problem(reader, 403)
    # Unknown, malformed and other orgs' connection ids are all 404.
    other = create_connection(stack, world, {"kind": "mock", "name": "B's"}, role="admin_b", org=world.org_b)
    for bad in [str(uuid.uuid4()), "not-a-uuid", other["id"]]:
        for method, path in routes(world, bad)[2:]:
            assert_problem(send(stack, method, path, "admin", world), 404)


def test_create_answers_secrets_as_set_only_and_the_inbound_url_once(stack, world, jira):
    created = create_connection(stack, world, jira_connection(jira))
    assert created["kind"] == "jira" and created["default"] is True and created["disabled"] is False
    assert created["settings"] == {"base_url": jira.base, "project_key": jira.project, "email": "bot@example.com",
                                   "issue_type": "Task", "status_map": "done=submitted", "inbound_mode": "webhook",
                                   "assignee": "none"}
    assert created["secrets"]["api_token"]["set"] is True and created["secrets"]["api_token"]["updated_at"]
    assert created["secrets"]["webhook_secret"]["set"] is True
    assert created["configured"] is True and created["missing"] == [] and created["inbound"] == "open"
    # Without PUBLIC_BASE_URL, the URL is built from where the request reached nginx (port included).
    assert created["inbound_url"].startswith(f"{stack.base}/api/v1/ticket-sync/hooks/")
    token = created["inbound_url"].rsplit("/", 1)[1]
    assert len(token) == 64
    assert jira.token not in str(created) and "jira-hook-secret" not in str(created)
    # Only the token's digest is stored; later reads cannot show the URL again.
    assert psql("SELECT encode(inbound_token_sha256, 'hex') FROM ticket_sync.connections WHERE id = :'id'",
                id=created["id"]) != token
    listed = requests.get(stack.url(connections_path(world.org)), headers=world.auth("reader")).json()["connections"]
    assert [c["id"] for c in listed] == [created["id"]]
    assert listed[0]["inbound_url"] is None and "jira-api-token" not in str(listed)
    assert created["created_by"] == world.user_ids["admin"]


def test_patch_changes_a_subset_and_keeps_omitted_secrets(stack, world, jira):
    created = create_connection(stack, world, jira_connection(jira))
    path = f"{connections_path(world.org)}/{created['id']}"
    patched = requests.patch(stack.url(path), headers=world.auth("admin"),
                             json={"name": "Renamed", "settings": {"email": None}, "secrets": {"api_token": "new-token"}})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Renamed" and "email" not in body["settings"] and body["settings"]["project_key"] == jira.project
    assert body["secrets"]["api_token"]["updated_at"] > created["secrets"]["api_token"]["updated_at"]
    assert body["secrets"]["webhook_secret"] == created["secrets"]["webhook_secret"]
    # Removing a required secret leaves the connection unconfigured, naming the field.
    cleared = requests.patch(stack.url(path), headers=world.auth("admin"), json={"secrets": {"api_token": None}}).json()
    assert cleared["configured"] is False and cleared["missing"] == ["secrets.api_token"]
    problem = assert_problem(requests.patch(stack.url(path), headers=world.auth("admin"), json={"kind": "webhook"}), 422)
    assert problem["field"] == "kind"


@pytest.mark.parametrize("body, field", [
    ({"kind": "trello", "name": "x"}, "kind"),
    ({"name": "x"}, "kind"),
    ({"kind": "mock"}, "name"),
    ({"kind": "mock", "name": "   "}, "name"),
    ({"kind": "mock", "name": "x", "colour": "red"}, "colour"),
    ({"kind": "jira", "name": "x", "settings": {"url": "https://a.example"}}, "settings.url"),
    ({"kind": "jira", "name": "x", "settings": {"base_url": 5}}, "settings.base_url"),
    ({"kind": "jira", "name": "x", "settings": {"base_url": "ftp://jira.example"}}, "settings.base_url"),
    ({"kind": "jira", "name": "x", "settings": {"project_key": "no spaces"}}, "settings.project_key"),
    ({"kind": "servicenow", "name": "x", "settings": {"auth": "basic"}}, "settings.auth"),
    ({"kind": "jira", "name": "x", "secrets": {"password": "p"}}, "secrets.password"),
    ({"kind": "jira", "name": "x", "secrets": {"api_token": ""}}, "secrets.api_token"),
    ({"kind": "mock", "name": "x", "default": "yes"}, "default"),
    ({"kind": "mock", "name": "x", "settings": []}, "settings"),
])
def test_bad_input_is_422_naming_the_field_and_stores_nothing(stack, world, body, field):
    problem = assert_problem(requests.post(stack.url(connections_path(world.org)), json=body, headers=world.auth("admin")), 422)
    assert problem["field"] == field
    assert psql("SELECT count(*) FROM ticket_sync.connections WHERE org_id = :'org'", org=world.org) == "0"


def test_media_type_and_malformed_json(stack, world):
    path = stack.url(connections_path(world.org))
    assert_problem(requests.post(path, data='{"kind":"mock","name":"x"}', headers=world.auth("admin")), 415)
    assert_problem(requests.post(path, data="{", headers={**world.auth("admin"), "Content-Type": "application/json"}), 400)


def test_one_default_per_org_enforced_by_the_database(stack, world):
    first = create_connection(stack, world, {"kind": "mock", "name": "One", "default": True})
    second = create_connection(stack, world, {"kind": "mock", "name": "Two", "default": True})
    listed = {c["id"]: c["default"] for c in requests.get(stack.url(connections_path(world.org)),
                                                          headers=world.auth("admin")).json()["connections"]}
    assert listed == {first["id"]: False, second["id"]: True}
    with pytest.raises(Exception):
        psql("UPDATE ticket_sync.connections SET is_default = true WHERE org_id = :'org'", org=world.org)


def test_create_uses_the_default_or_the_named_connection(stack, world):
    one = create_connection(stack, world, {"kind": "mock", "name": "One", "default": True})
    two = create_connection(stack, world, {"kind": "mock", "name": "Two"})
    created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert created.status_code == 201 and created.json()["connection_id"] == one["id"]
    named = requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"),
                          json={"connection_id": two["id"]})
    assert named.status_code == 201 and named.json()["connection_id"] == two["id"]
    # Another org's connection is a 404, like a missing one; a malformed id a 422.
    other = create_connection(stack, world, {"kind": "mock", "name": "B's"}, role="admin_b", org=world.org_b)
    requests.delete(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"))
    assert_problem(requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"),
                                 json={"connection_id": other["id"]}), 404)
    assert_problem(requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"),
                                 json={"connection_id": "GRC"}), 422)
    assert_problem(requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"),
                                 json={"connection": one["id"]}), 422)


def test_an_org_with_connections_never_falls_back_to_the_deployment_default(stack, world):
    create_connection(stack, world, {"kind": "mock", "name": "One"})
    create_connection(stack, world, {"kind": "mock", "name": "Two"})
    problem = assert_problem(requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 503)
    assert problem["type"].endswith("provider-not-configured") and "default" in problem["detail"]
    incomplete = create_connection(stack, world, {"kind": "webhook", "name": "Adapter", "default": True})
    problem = assert_problem(requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 503)
    assert problem["missing_fields"] == ["settings.url", "secrets.webhook_secret"]
    assert problem["connection_id"] == incomplete["id"] and "TICKET_WEBHOOK" not in problem["detail"]


def test_fallback_off_leaves_an_org_without_connections_unconfigured(make_stack, world):
    hosted = make_stack("hosted", {"TICKET_ENV_FALLBACK": "off"})
    problem = assert_problem(requests.post(hosted.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 503)
    assert problem["configure"] == connections_path(world.org)
    status = requests.get(hosted.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader")).json()
    assert status["source"] == "none" and status["configured"] is False and "missing_keys" not in status
    create_connection(hosted, world, {"kind": "mock", "name": "Own"})
    assert requests.post(hosted.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201


def test_delete_refuses_while_links_use_it_then_forgets_secrets(stack, world):
    created = create_connection(stack, world, {"kind": "mock", "name": "Demo", "secrets": {"webhook_secret": "s"}})
    path = stack.url(f"{connections_path(world.org)}/{created['id']}")
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    problem = assert_problem(requests.delete(path, headers=world.auth("admin")), 409)
    assert "disable" in problem["detail"]
    disabled = requests.patch(path, headers=world.auth("admin"), json={"disabled": True}).json()
    assert disabled["disabled"] is True and disabled["inbound"] == "closed"
    # A disabled connection is not used: its link's comments are refused before anything is stored.
    assert_problem(requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"),
                                 json={"body": "hello"}), 503)
    assert requests.delete(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 204
    assert requests.delete(path, headers=world.auth("admin")).status_code == 204
    assert_problem(requests.get(path, headers=world.auth("admin")), 404)
    assert psql("SELECT count(*) FROM ticket_sync.connection_secrets WHERE connection_id = :'id'", id=created["id"]) == "0"
    # The unlinked link still names its connection, as history.
    assert psql("SELECT connection_id FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r'", r=world.r1) == created["id"]


def test_status_describes_the_orgs_connections_without_environment_names(stack, world, jira):
    create_connection(stack, world, jira_connection(jira))
    create_connection(stack, world, {"kind": "webhook", "name": "Adapter"})
    status = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader")).json()
    assert status["source"] == "connections" and status["provider"] == "jira" and status["configured"] is True
    assert [(c["kind"], c["configured"], c["missing"]) for c in status["connections"]] == [
        ("jira", True, []), ("webhook", False, ["settings.url", "secrets.webhook_secret"])]
    assert "JIRA_" not in str(status) and "TICKET_" not in str(status) and "providers" not in status


def test_the_test_action_checks_jira_for_real_and_reports_a_safe_class(stack, world, jira):
    created = create_connection(stack, world, jira_connection(jira))
    path = stack.url(f"{connections_path(world.org)}/{created['id']}/test")
    result = requests.post(path, headers=world.auth("admin"))
    assert result.status_code == 200, result.text
    assert result.json()["ok"] is True
    assert [(s["name"], s["ok"]) for s in result.json()["steps"]] == [
        ("myself", True), ("project", True), ("required-fields", True)]
    requests.patch(stack.url(f"{connections_path(world.org)}/{created['id']}"), headers=world.auth("admin"),
                   json={"settings": {"project_key": "NOPE"}})
    failed = requests.post(path, headers=world.auth("admin")).json()
    assert failed["ok"] is False and failed["steps"][1] == {"name": "project", "ok": False, "error": "not-found", "status": 404}
    assert "No project could be found" not in str(failed)
    requests.patch(stack.url(f"{connections_path(world.org)}/{created['id']}"), headers=world.auth("admin"),
                   json={"secrets": {"api_token": "wrong"}})
    refused = requests.post(path, headers=world.auth("admin")).json()
    assert refused["steps"] == [{"name": "myself", "ok": False, "error": "credentials-refused", "status": 401}]
    stored = requests.get(stack.url(f"{connections_path(world.org)}/{created['id']}"), headers=world.auth("reader")).json()
    assert stored["last_test"] == refused


def test_the_test_action_reads_servicenow_and_pings_a_webhook(stack, world):
    sn = FakeServiceNow(auth="bearer")
    receiver = Receiver("adapter-secret")
    try:
        servicenow = create_connection(stack, world, {
            "kind": "servicenow", "name": "SN", "settings": {"base_url": sn.base, "auth": "bearer"},
            "secrets": {"api_token": sn.token}})
        result = requests.post(stack.url(f"{connections_path(world.org)}/{servicenow['id']}/test"), headers=world.auth("admin"))
        assert result.json()["steps"] == [{"name": "table", "ok": True, "error": None, "status": 200}]
        webhook = create_connection(stack, world, {"kind": "webhook", "name": "Adapter", "settings": {"url": receiver.url},
                                                   "secrets": {"webhook_secret": "adapter-secret"}})
        ping = requests.post(stack.url(f"{connections_path(world.org)}/{webhook['id']}/test"), headers=world.auth("admin"))
        assert ping.json()["ok"] is True
        [event] = receiver.events("ping")
        assert event["valid"] and event["event"]["event_type"] == "ping"
    finally:
        sn.stop()
        receiver.stop()


def test_connection_secrets_are_refused_without_a_key_ring(make_stack, world):
    keyless = make_stack("keyless", {"TICKET_SECRET_KEYS": ""}, database_url=fresh_database())
    # A fresh database: no sealed secrets exist, so a responder without keys may start, but stores none.
    keyless_world = type(world)(database_url=keyless.env["DATABASE_URL"])
    problem = assert_problem(requests.post(keyless.url(connections_path(keyless_world.org)), headers=keyless_world.auth("admin"),
                                           json={"kind": "mock", "name": "x", "secrets": {"webhook_secret": "s"}}), 503)
    assert "TICKET_SECRET_KEYS_FILE" in problem["detail"]
    assert requests.post(keyless.url(connections_path(keyless_world.org)), headers=keyless_world.auth("admin"),
                         json={"kind": "mock", "name": "x"}).status_code == 201


def fresh_database():
    """A new, migrated database beside the suite's own (for tests that need an empty secrets table)."""
    from conftest import fresh_database as make
    return make()
