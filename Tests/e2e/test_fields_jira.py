"""Tickets that fit Jira's rules (issue 23), end to end against a fake Jira whose project requires `customfield_10010`
(Team) and `priority` without defaults: the connection test's preflight and readiness name both until the mapping
sets them; a create Jira refuses for a field is a 422 naming it in Jira's words, and the same create succeeds at once
with the mapping fixed; placeholders are rendered (unknown ones and owned fields refused when saved); labels are
added to ours; the assignee is found by e-mail (or the ticket is made unassigned and the thread says so); the due
date is sent on create and its change pushed once; Jira Cloud through OAuth does the same through REST v3."""
import time

import pytest
import requests

from conftest import RUNTIME_DATABASE_URL, assert_problem, due_date_world, own_world, wait_for
from connections import connections_path, create_connection, jira_connection
from test_jira_oauth import connect, oauth_env
from trackers import FakeAtlassian, FakeJira

FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
        "TICKET_DELIVERY_POLL_MS": "100", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "3"}
ENV = {"PUBLIC_BASE_URL": "https://grc.example.com", **FAST}
PRIORITIES = ["High", "Medium", "Low"]
REQUIRED = {"customfield_10010": {"name": "Team", "allowed": ["Platform", "Security"]},
            "priority": {"name": "Priority", "allowed": PRIORITIES}}
MAPPED = {"customfield_10010": {"value": "Security"}, "priority": {"name": "High"}}


def fake_jira(deployment="cloud"):
    # meta_page=2: the preflight must follow createmeta's pages to find the issue type and every field.
    return FakeJira(email="bot@example.com" if deployment == "cloud" else None, deployment=deployment,
                    required=REQUIRED, meta_page=2)


@pytest.fixture
def jira():
    fake = fake_jira()
    yield fake
    fake.stop()


class Setup:
    """A stack, and an org connection of `world` to `fake` with extra settings."""

    def __init__(self, make_stack, world, fake, name, env=None, workers=None, **settings):
        self.world, self.fake = world, fake
        self.stack = make_stack(name, {**ENV, **(env or {})}, workers=workers,
                                database_url=getattr(world, "runtime_url", RUNTIME_DATABASE_URL))
        body = jira_connection(fake)
        body["settings"].update(settings)
        self.connection = create_connection(self.stack, world, body)["id"]

    @property
    def path(self):
        return f"{connections_path(self.world.org)}/{self.connection}"

    def patch(self, **settings):
        return requests.patch(self.stack.url(self.path), json={"settings": settings}, headers=self.world.auth("admin"))

    def test(self):
        answer = requests.post(self.stack.url(self.path + "/test"), headers=self.world.auth("admin"))
        assert answer.status_code == 200, answer.text
        return answer.json()

    def readiness(self):
        status = requests.get(self.stack.url(f"/api/v1/orgs/{self.world.org}/ticket-sync/status"),
                              headers=self.world.auth("reader")).json()
        return next(c for c in status["connections"] if c["id"] == self.connection)["fields"]

    def create(self, request=None):
        return requests.post(self.stack.url(self.world.request_path(request) + "/ticket"),
                             headers=self.world.auth("admin"))

    def created(self, request=None):
        answer = self.create(request)
        assert answer.status_code == 201, answer.text
        return self.fake.issues[answer.json()["external_id"]]

    def thread(self, request=None):
        return requests.get(self.stack.url(self.world.request_path(request) + "/comments"),
                            headers=self.world.auth("reader")).json()["comments"]


def by_id(fields):
    return {f["id"]: (f["name"], f["allowed_values"]) for f in fields}


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_the_preflight_names_the_required_fields_until_the_mapping_sets_them(make_stack, world, deployment):
    fake = fake_jira(deployment)
    try:
        setup = Setup(make_stack, world, fake, f"fields-preflight-{deployment}")
        assert setup.readiness() is None, "no test has read the required fields yet"
        result = setup.test()
        assert [(s["name"], s["ok"], s["error"]) for s in result["steps"]] == [
            ("myself", True, None), ("project", True, None), ("required-fields", False, "fields-missing")]
        missing = {"priority": ("Priority", PRIORITIES), "customfield_10010": ("Team", ["Platform", "Security"])}
        assert by_id(result["preflight"]["missing"]) == missing
        required = by_id(result["preflight"]["required"])
        assert {"summary", "issuetype", "project", "priority", "customfield_10010"} == set(required), \
            "reporter has a default; description and the rest are optional"
        assert "Task" in required["issuetype"][1] and required["project"][1] == ["Compliance"]

        # Both lists followed their pages (2 a page), the issue type found by its name (Task = 10003).
        metas = fake.calls("GET", "/createmeta")
        assert all("/createmeta/" in c["path"] for c in metas), "the all-projects createmeta is never called"
        assert [(c["path"].rsplit("/createmeta/", 1)[1], c["query"]["startAt"]) for c in metas] == \
            [(f"{fake.project}/issuetypes", [s]) for s in ("0", "2")] + \
            [(f"{fake.project}/issuetypes/10003", [s]) for s in ("0", "2", "4", "6", "8")]
        # It is gone in Data Center 9 (404); Cloud still answers it, deprecated, which is why the calls are checked.
        old = requests.get(f"{fake.base}/rest/api/2/issue/createmeta", headers={"Authorization": fake.expected_auth()},
                           params={"projectKeys": fake.project, "expand": "projects.issuetypes.fields"})
        if deployment == "cloud":
            assert old.status_code == 200 and old.json()["projects"][0]["key"] == fake.project
            assert "customfield_10010" in old.json()["projects"][0]["issuetypes"][0]["fields"]
        else:
            assert old.status_code == 404

        readiness = setup.readiness()
        assert readiness["ok"] is False and by_id(readiness["missing"]) == missing
        # Readiness follows the mapping as it is now, without asking Jira again.
        assert setup.patch(fields={"priority": {"name": "Low"}}).status_code == 200
        assert by_id(setup.readiness()["missing"]) == {"customfield_10010": missing["customfield_10010"]}
        assert setup.patch(fields=MAPPED).status_code == 200
        assert setup.readiness()["missing"] == [] and setup.readiness()["ok"] is True
        assert len(fake.calls("GET", "/createmeta/")) == len(metas)
        again = setup.test()
        assert again["steps"][-1] == {"name": "required-fields", "ok": True, "error": None, "status": None}
        assert again["preflight"]["missing"] == []
    finally:
        fake.stop()


def test_a_field_refusal_is_422_in_jiras_words_and_the_fixed_mapping_creates_at_once(make_stack, world, jira):
    setup = Setup(make_stack, world, jira, "fields-refused")
    before = world.snapshot()
    problem = assert_problem(setup.create(), 422)
    assert problem["type"].endswith("tracker-field-refused")
    assert problem["fields"] == [{"field": "customfield_10010", "message": "Team is required."},
                                 {"field": "priority", "message": "Priority is required."}]
    assert "customfield_10010: Team is required." in problem["detail"]
    assert world.snapshot() == before, "no link, no reservation left"
    # A value Jira does not allow is refused the same way, in its words.
    assert setup.patch(fields={**MAPPED, "customfield_10010": {"value": "Finance"}}).status_code == 200
    problem = assert_problem(setup.create(), 422)
    assert problem["fields"] == [{"field": "customfield_10010", "message": "Option value 'Finance' is not valid"}]

    admin_email = f"{world.user_ids['admin']}@e2e.example"
    fields = {**MAPPED, "labels": ["grc", "{{request.id}}", "ticketsync", "grc"],
              "description": "{{request.title}} for {{org.name}}: {{request.url}} (asked by {{user.name}}, "
                             "{{user.email}})"}
    assert setup.patch(fields=fields).status_code == 200
    issue = setup.created()
    sent = issue["fields"]
    assert sent["customfield_10010"] == {"value": "Security"} and sent["priority"] == {"name": "High"}
    assert sent["project"] == {"key": jira.project} and sent["summary"] == "Access review"
    assert sent["issuetype"] == {"name": "Task"}
    assert sent["labels"][0].startswith("ticketsync-") and sent["labels"][1:] == ["ticketsync", "grc", world.r1], \
        "the mapping's labels come after ours, each once"
    assert sent["description"] == (f"Access review for Org A: https://grc.example.com/orgs/{world.org}/"
                                   f"evidence-requests/{world.r1} (asked by Admin User, {admin_email})")
    assert "assignee" not in sent and "duedate" not in sent
    assert jira.calls("GET", "/user/search") == []


def test_unknown_placeholders_owned_fields_and_a_missing_due_date_column_are_refused(stack, world, jira):
    body = jira_connection(jira)
    connection = create_connection(stack, world, body)["id"]
    path = stack.url(f"{connections_path(world.org)}/{connection}")

    def patch(fields):
        return requests.patch(path, json={"settings": {"fields": fields}}, headers=world.auth("admin"))

    for owned in ("summary", "project", "issuetype"):
        problem = assert_problem(patch({owned: "x"}), 422)
        assert problem["field"] == f"settings.fields.{owned}" and "set by Ticket Sync itself" in problem["detail"]
    problem = assert_problem(patch({"customfield_10010": {"value": "{{request.owner}}"}}), 422)
    assert problem["field"] == "settings.fields.customfield_10010" and "{{request.owner}}" in problem["detail"]
    # This database's evidence_requests has no due_date column.
    problem = assert_problem(patch({"duedate": "{{request.due_date}}"}), 422)
    assert problem["field"] == "settings.fields.duedate" and "no due_date column" in problem["detail"]
    shown = requests.get(path, headers=world.auth("admin")).json()
    assert "fields" not in shown["settings"], "nothing refused was saved"


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_the_creator_is_found_by_e_mail(make_stack, world, deployment):
    fake = fake_jira(deployment)
    try:
        email = f"{world.user_ids['admin']}@e2e.example"
        # Another person whose address only starts the same (shown), and the requester (address hidden on Cloud).
        fake.users += [{"accountId": "acc-other", "name": "other", "email": email + ".au", "visible": True},
                       {"accountId": "acc-admin", "name": "admin.user", "email": email, "displayName": "Admin User"}]
        if deployment == "cloud":  # Cloud's app accounts are nobody's
            fake.users.insert(0, {"accountId": "acc-app", "email": email, "accountType": "app"})
        # One process: the answer is remembered per process, and this test counts the look-ups.
        setup = Setup(make_stack, world, fake, f"fields-creator-{deployment}", workers=1, fields=MAPPED,
                      assignee="creator")
        issue = setup.created()
        expected = {"accountId": "acc-admin"} if deployment == "cloud" else {"name": "admin.user"}
        assert issue["fields"]["assignee"] == expected
        [search] = fake.calls("GET", "/user/search")
        assert search["query"] == ({"query": [email], "maxResults": ["50"]} if deployment == "cloud"
                                   else {"username": [email], "maxResults": ["50"]})
        # Remembered for the connection: the next ticket asks nothing.
        setup.created(world.r2)
        assert len(fake.calls("GET", "/user/search")) == 1
        assert [c for c in setup.thread() if c["source"] == "system"] == []
    finally:
        fake.stop()


def test_a_creator_jira_does_not_know_gets_an_unassigned_ticket_and_a_note(make_stack, world, jira):
    setup = Setup(make_stack, world, jira, "fields-creator-unknown", fields=MAPPED, assignee="creator")
    issue = setup.created()
    assert "assignee" not in issue["fields"]
    email = f"{world.user_ids['admin']}@e2e.example"
    notes = [c for c in setup.thread() if c["source"] == "system"]
    assert [n["body"] for n in notes] == [f"No Jira user has the e-mail {email}, so the ticket was created unassigned."]


def test_an_account_assignee_is_sent_as_is(make_stack, world, jira):
    jira.users.append({"accountId": "5b10ac8d82e05b22cc7d4lead", "name": "lead", "email": "lead@example.com"})
    setup = Setup(make_stack, world, jira, "fields-account", fields=MAPPED, assignee="account:5b10ac8d82e05b22cc7d4lead")
    assert setup.created()["fields"]["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4lead"}
    assert jira.calls("GET", "/user/search") == []


def test_the_due_date_is_sent_on_create_and_its_change_pushed_once(make_stack, jira):
    world = due_date_world()
    world.sql("UPDATE evidence_requests SET due_date = '2026-12-31' WHERE id = :'r'", r=world.r1)
    setup = Setup(make_stack, world, jira, "fields-due", env={"TICKET_SYNC_DUE_DATE_INTERVAL": "1s"}, fields=MAPPED)
    issue = setup.created()
    key = issue["key"]
    assert issue["fields"]["duedate"] == "2026-12-31", "the default mapping sends the due date"
    # A request without a due date sends none.
    assert "duedate" not in setup.created(world.r2)["fields"]

    world.sql("UPDATE evidence_requests SET due_date = '2027-01-15' WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(jira.edits()) == 1, seconds=15, what="the due date pushed to Jira")
    [edit] = jira.edits()
    assert edit["path"] == f"/jira/rest/api/2/issue/{key}" and edit["json"] == {"fields": {"duedate": "2027-01-15"}}
    assert jira.issues[key]["fields"]["duedate"] == "2027-01-15"
    time.sleep(3)  # several more passes of the watch
    assert len(jira.edits()) == 1, "pushed once"

    # Here the column exists, so a mapping may name the due date itself.
    fields = {**MAPPED, "duedate": "{{request.due_date}}"}
    assert setup.patch(fields=fields).status_code == 200
    world.sql("UPDATE evidence_requests SET due_date = NULL WHERE id = :'r'", r=world.r1)
    wait_for(lambda: len(jira.edits()) == 2, seconds=15, what="the removed due date pushed to Jira")
    assert jira.edits()[1]["json"] == {"fields": {"duedate": None}}
    assert jira.issues[key]["fields"]["duedate"] is None


def test_jira_cloud_through_oauth_sends_the_mapping_and_the_assignee_over_v3(make_stack):
    atlassian = FakeAtlassian()
    try:
        world = own_world()
        atlassian.jira.required = dict(REQUIRED)
        email = f"{world.user_ids['admin']}@e2e.example"
        atlassian.jira.users.append({"accountId": "acc-admin-cloud", "email": email, "displayName": "Admin User"})
        stack = make_stack("fields-jira-cloud", oauth_env(atlassian), database_url=world.runtime_url)
        connection = connect(stack, world, atlassian)
        path = stack.url(f"{connections_path(world.org)}/{connection}")
        tested = requests.post(path + "/test", headers=world.auth("admin")).json()
        assert set(by_id(tested["preflight"]["missing"])) == {"priority", "customfield_10010"}
        gateway = f"/ex/jira/{atlassian.cloud_id}/rest/api/3"
        assert atlassian.calls("GET", f"{gateway}/issue/createmeta/{atlassian.jira.project}/issuetypes")

        refused = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert {f["field"] for f in assert_problem(refused, 422)["fields"]} == {"priority", "customfield_10010"}

        settings = {"fields": {**MAPPED, "description": "{{request.title}} ({{org.name}})", "labels": ["grc"]},
                    "assignee": "creator"}
        assert requests.patch(path, json={"settings": settings}, headers=world.auth("admin")).status_code == 200
        created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert created.status_code == 201, created.text
        [post] = [c for c in atlassian.calls("POST", f"{gateway}/issue") if c["path"].endswith("/issue")][-1:]
        sent = post["json"]["fields"]
        assert sent["description"]["type"] == "doc", "a mapped description goes as ADF on v3"
        assert sent["assignee"] == {"accountId": "acc-admin-cloud"}
        assert sent["customfield_10010"] == {"value": "Security"} and sent["labels"][1:] == ["ticketsync", "grc"]
        [search] = atlassian.calls("GET", f"{gateway}/user/search")
        assert search["query"]["query"] == [email]
        issue = atlassian.jira.issues[created.json()["external_id"]]
        assert issue["fields"]["description"] == "Access review (Org A)"
    finally:
        atlassian.stop()
