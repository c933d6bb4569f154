"""POST /api/v1/orgs/{org}/ticket-sync/fields/preview: a field mapping checked as saving `settings.fields` checks it,
and rendered for one of the org's evidence requests as a ticket the caller created now would get it."""
import uuid

import pytest
import requests

from conftest import assert_problem, own_world, psql

PLACEHOLDERS = ["{{request.title}}", "{{request.description}}", "{{request.id}}", "{{request.url}}",
                "{{org.name}}", "{{user.email}}", "{{user.name}}"]


def preview_path(org):
    return f"/api/v1/orgs/{org}/ticket-sync/fields/preview"


def preview(stack, world, body, role="admin", org=None):
    return requests.post(stack.url(preview_path(org or world.org)), json=body, headers=world.auth(role))


@pytest.fixture
def linked_back(make_stack):
    """A stack whose evidence requests have a link back (`{{request.url}}`)."""
    return make_stack("fields-preview", env={"PUBLIC_BASE_URL": "https://grc.example.com"})


def test_every_placeholder_renders_for_the_orgs_first_request(linked_back, world):
    mapping = {
        "customfield_10010": "{{request.title}} ({{ request.id }})",
        "environment": "{{request.description}}",
        "customfield_link": "{{request.url}}",
        "labels": ["grc", "{{org.name}}"],
        "reporter": {"emailAddress": "{{user.email}}", "displayName": "{{user.name}}"},
        "priority": {"name": "High"},
        "customfield_points": 3,
    }
    response = preview(linked_back, world, {"kind": "jira", "fields": mapping})
    assert response.status_code == 200, response.text
    assert response.json() == {
        # The first of the org's requests by (title, id), as the list shows them: "Access review" before "Change sample".
        "evidence_request": {"id": world.r1, "title": "Access review"},
        "fields": {
            "customfield_10010": f"Access review ({world.r1})",
            "environment": "Q3 access review",
            "customfield_link": f"https://grc.example.com/orgs/{world.org}/evidence-requests/{world.r1}",
            "labels": ["grc", "Org A"],
            "reporter": {"emailAddress": f"{world.user_ids['admin']}@e2e.example", "displayName": "Admin User"},
            "priority": {"name": "High"},
            "customfield_points": 3,
        },
        "assignee": "none",
        # The suite's evidence_requests has no due_date column: {{request.due_date}} is not offered.
        "placeholders": PLACEHOLDERS,
    }


def test_a_named_request_and_the_assignee_rule_are_rendered(linked_back, world):
    response = preview(linked_back, world, {"kind": "servicenow", "evidence_request_id": world.r2.upper(),
                                            "fields": {"description": "{{request.title}}: {{request.description}}",
                                                       "category": "{{request.description}}"},
                                            "assignee": "account:6a1b2c"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["evidence_request"] == {"id": world.r2, "title": "Change sample"}
    assert body["fields"] == {"description": "Change sample: ", "category": ""}
    assert body["assignee"] == "account:6a1b2c"
    assert preview(linked_back, world, {"kind": "linear", "assignee": "creator"}).json()["assignee"] == "creator"
    # No mapping (absent or null): nothing to render, and the request has no due date to add.
    assert preview(linked_back, world, {"kind": "jira", "fields": None}).json()["fields"] == {}


def test_a_lone_url_placeholder_without_a_link_back_is_left_out(stack, world):
    # The session's stack has no PUBLIC_BASE_URL: a field that is only {{request.url}} is not sent as "".
    response = preview(stack, world, {"kind": "jira", "fields": {"customfield_link": "{{request.url}}",
                                                                 "customfield_note": "see {{request.url}}"}})
    assert response.status_code == 200, response.text
    assert response.json()["fields"] == {"customfield_note": "see "}


@pytest.mark.parametrize("body, field, words", [
    ({"kind": "jira", "fields": {"customfield_10010": "{{request.nonsense}}"}}, "fields.customfield_10010",
     "{{request.nonsense}}"),
    # The suite's evidence_requests has no due_date column.
    ({"kind": "jira", "fields": {"customfield_due": "{{request.due_date}}"}}, "fields.customfield_due", "due_date column"),
    ({"kind": "jira", "fields": {"summary": "mine"}}, "fields.summary", "set by Ticket Sync"),
    ({"kind": "servicenow", "fields": {"correlation_id": "x"}}, "fields.correlation_id", "set by Ticket Sync"),
    ({"kind": "linear", "fields": {"teamId": "x"}}, "fields.teamId", "set by Ticket Sync"),
    ({"kind": "jira", "fields": ["priority"]}, "fields", "must be an object"),
    ({"kind": "jira", "fields": {"bad name": 1}}, "fields.bad name", "without spaces"),
    ({"kind": "bugzilla", "fields": {}}, "kind", "must be one of"),
    ({"fields": {}}, "kind", "required"),
    ({"kind": "jira", "assignee": "someone"}, "assignee", "none, creator, or account:"),
    ({"kind": "jira", "assignee": 7}, "assignee", "none, creator, or account:"),
    ({"kind": "jira", "evidence_request_id": "r1"}, "evidence_request_id", "UUID"),
    ({"kind": "jira", "connection_id": str(uuid.uuid4())}, "connection_id", "not accepted"),
])
def test_a_mapping_saving_would_refuse_is_refused_naming_the_field(stack, world, body, field, words):
    problem = assert_problem(preview(stack, world, body), 422)
    assert problem["field"] == field
    assert words in problem["detail"]


def test_the_same_mapping_is_refused_when_saved(stack, world):
    """The preview's 422 is the one saving gives (the field named under settings. there)."""
    mapping = {"customfield_10010": "{{request.nonsense}}"}
    saved = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"), headers=world.auth("admin"),
                          json={"kind": "jira", "name": "J", "settings": {"fields": mapping}})
    previewed = preview(stack, world, {"kind": "jira", "fields": mapping})
    assert assert_problem(saved, 422)["field"] == "settings.fields.customfield_10010"
    assert assert_problem(previewed, 422)["field"] == "fields.customfield_10010"
    assert saved.json()["detail"].replace("settings.fields", "fields") == previewed.json()["detail"]


def test_another_orgs_request_is_a_404_exactly_like_a_missing_one(stack, world):
    other = assert_problem(preview(stack, world, {"kind": "mock", "evidence_request_id": world.rb}), 404)
    missing = assert_problem(preview(stack, world, {"kind": "mock", "evidence_request_id": str(uuid.uuid4())}), 404)
    assert {k: v for k, v in other.items() if k != "instance"} == {k: v for k, v in missing.items() if k != "instance"}
    assert "Other org request" not in str(other)


def test_a_reader_is_refused_and_a_non_member_finds_nothing(stack, world):
    body = {"kind": "mock", "fields": {"x": "{{request.title}}"}}
    assert_problem(preview(stack, world, body, role="reader"), 403)
    assert_problem(preview(stack, world, body, role="outsider"), 404)
    assert_problem(preview(stack, world, body, role="admin_b"), 404)
    assert_problem(requests.post(stack.url(preview_path(world.org)), json=body), 401)
    assert_problem(preview(stack, world, body, org=str(uuid.uuid4())), 404)


def test_an_org_without_requests_renders_the_request_placeholders_empty(stack, world):
    org = str(uuid.uuid4())
    psql("INSERT INTO orgs VALUES (:'org', 'Org C'); INSERT INTO org_memberships VALUES (:'org', :'user', 'configure')",
         org=org, user=world.user_ids["admin"])
    response = preview(stack, world, {"kind": "jira", "fields": {
        "customfield_10010": "{{request.title}}", "labels": ["{{org.name}}"], "customfield_who": "{{user.name}}"}},
        org=org)
    assert response.status_code == 200, response.text
    assert response.json()["evidence_request"] is None
    assert response.json()["fields"] == {"customfield_10010": "", "labels": ["Org C"], "customfield_who": "Admin User"}


def test_with_a_due_date_column_the_placeholder_is_offered_and_the_default_field_filled(make_stack):
    world = own_world()  # the column is added only in a database of its own
    world.sql("ALTER TABLE evidence_requests ADD COLUMN due_date date;"
              "UPDATE evidence_requests SET due_date = '2026-03-31' WHERE id = :'r1'", r1=world.r1)
    dated = make_stack("fields-preview-due", database_url=world.runtime_url)
    response = preview(dated, world, {"kind": "jira", "fields": {"customfield_due": "due {{request.due_date}}"}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["placeholders"] == PLACEHOLDERS + ["{{request.due_date}}"]
    # The tracker's own due-date field gets the date when the mapping does not set it.
    assert body["fields"] == {"customfield_due": "due 2026-03-31", "duedate": "2026-03-31"}
    undated = preview(dated, world, {"kind": "servicenow", "evidence_request_id": world.r2,
                                     "fields": {"u_due": "{{request.due_date}}"}}).json()
    assert undated["fields"] == {}, "a lone placeholder with no due date is left out"


HOSTILE = {  # (ids, not the bodies, name the tests: a 2 MiB test id would not fit in a child's environment)
    "invalid UTF-8": (b'{"kind": "jira", "fields": {"x": "\xff\xfe"}}', 400),
    "duplicate keys": (b'{"kind": "jira", "kind": "mock"}', 400),
    "10,000 levels": (b'{"kind": "jira", "fields": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", 400),
    "2 MiB": (b'{"kind": "jira", "fields": {"x": "' + b"x" * (2 * 1024 * 1024) + b'"}}', 413),
    "NUL in a field name": (b'{"kind": "jira", "fields": {"a\\u0000b": 1}}', 422),
    "not an object": (b'["kind"]', 422),
}


@pytest.mark.parametrize("attack", list(HOSTILE))
def test_hostile_bodies_get_their_documented_answer(stack, world, attack):
    body, status = HOSTILE[attack]
    response = requests.post(stack.url(preview_path(world.org)), data=body,
                             headers={**world.auth("admin"), "Content-Type": "application/json"})
    assert_problem(response, status)
    assert_problem(requests.post(stack.url(preview_path(world.org)), data=b'{"kind": "jira"}',
                                 headers={**world.auth("admin"), "Content-Type": "text/plain"}), 415)


def test_control_characters_in_a_value_come_back_as_valid_json(stack, world):
    response = preview(stack, world, {"kind": "jira", "fields": {"customfield_1": "a\u0000b\n{{request.title}}\u2028"}})
    assert response.status_code == 200, response.text
    assert response.json()["fields"] == {"customfield_1": "a\u0000b\nAccess review\u2028"}
