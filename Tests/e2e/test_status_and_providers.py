"""Readiness, the status route, and the provider gate (503 naming the keys; nothing written)."""
import requests

from conftest import assert_problem


def status(stack, world):
    response = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader"))
    assert response.status_code == 200, response.text
    body = response.json()
    # An org without connections of its own is served by the deployment default.
    assert body.pop("source") == "deployment_default"
    assert body.pop("connections") == []
    return body


def test_health_and_readiness(stack):
    assert requests.get(stack.url("/healthz")).json() == {"status": "ok"}
    ready = requests.get(stack.url("/readyz"))
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_mock_is_configured_and_inbound_closed_by_default(stack, world):
    current = status(stack, world)
    providers = current.pop("providers")
    assert current == {"provider": "mock", "configured": True, "missing_keys": [], "inbound": "closed",
                       "inbound_events": [], "status_map": "done=submitted"}
    assert providers == {
        "mock": {"configured": True, "missing_keys": [], "inbound": "closed", "inbound_events": []},
        "webhook": {"configured": False, "missing_keys": ["TICKET_WEBHOOK_URL", "TICKET_WEBHOOK_SECRET"], "inbound": "closed",
                    "inbound_events": ["comment", "tracker_status"]},
        "jira": {"configured": False, "missing_keys": ["JIRA_BASE_URL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"],
                 "inbound": "closed", "inbound_events": ["comment_created", "jira:issue_updated", "jira:issue_deleted"]},
        # Never a deployment default: its connections are made per org with OAuth.
        "jira_cloud": {"configured": False,
                       "missing_keys": ["an org connection (POST /api/v1/orgs/{org_id}/ticket-sync/connections/oauth/jira)"],
                       "inbound": "closed",
                       "inbound_events": ["jira:issue_updated", "jira:issue_deleted", "comment_created", "comment_updated"]},
        "servicenow": {"configured": False, "missing_keys": ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"],
                       "inbound": "closed", "inbound_events": ["sys_journal_field after insert (comments)",
                                                               "incident after update when state changes"]},
        "linear": {"configured": False, "missing_keys": ["LINEAR_API_KEY", "LINEAR_TEAM_ID"], "inbound": "closed",
                   "inbound_events": ["Comments (create)", "Issues (update: state changes)"]},
    }


def test_unconfigured_jira_answers_503_naming_the_keys(make_stack, world):
    jira = make_stack("jira", {"TICKET_PROVIDER": "jira"})
    keys = ["JIRA_BASE_URL", "JIRA_API_TOKEN", "JIRA_PROJECT_KEY"]
    current = status(jira, world)
    current.pop("providers")
    assert current == {"provider": "jira", "configured": False, "missing_keys": keys, "inbound": "closed",
                       "inbound_events": ["comment_created", "jira:issue_updated", "jira:issue_deleted"],
                       "status_map": "done=submitted"}
    before = world.snapshot()
    problem = assert_problem(requests.post(jira.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 503)
    assert problem["missing_keys"] == keys
    assert all(key in problem["detail"] for key in keys)
    assert world.snapshot() == before


def test_webhook_missing_only_its_secret(make_stack, world):
    webhook = make_stack("webhook", {"TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": "http://127.0.0.1:9/hook"})
    assert status(webhook, world)["missing_keys"] == ["TICKET_WEBHOOK_SECRET"]
    problem = assert_problem(requests.post(webhook.url(world.request_path() + "/ticket"), headers=world.auth("admin")), 503)
    assert problem["missing_keys"] == ["TICKET_WEBHOOK_SECRET"]


def test_unconfigured_provider_blocks_close_and_push_of_its_links(make_stack, world):
    from conftest import psql
    # A ServiceNow link left from an earlier configuration: closing or pushing to it needs the keys again.
    psql("""INSERT INTO ticket_sync.ticket_links (org_id, evidence_request_id, provider, external_id, external_url)
            VALUES (:'org', :'r', 'servicenow', :'n', 'https://sn.invalid/' || :'n')""", org=world.org, r=world.r1,
         n=f"INC-{world.r1}")
    plain = make_stack("plain-mock")
    before = world.snapshot()
    close = requests.post(plain.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert assert_problem(close, 503)["missing_keys"] == ["SERVICENOW_BASE_URL", "SERVICENOW_API_TOKEN"]
    comment = requests.post(plain.url(world.request_path() + "/comments"), json={"body": "x"}, headers=world.auth("reader"))
    assert_problem(comment, 503)
    assert world.snapshot() == before
    # Unlinking contacts no provider, so it still works.
    assert requests.delete(plain.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 204


def test_an_unusable_url_counts_as_missing(make_stack, world):
    odd = make_stack("bad-url", {"TICKET_PROVIDER": "servicenow", "SERVICENOW_BASE_URL": "ftp://sn.example",
                                 "SERVICENOW_API_TOKEN": "t"})
    assert status(odd, world)["missing_keys"] == ["SERVICENOW_BASE_URL"]


def test_unknown_provider_falls_back_to_mock_with_a_warning(make_stack, world):
    odd = make_stack("odd", {"TICKET_PROVIDER": "trello"})
    assert status(odd, world)["provider"] == "mock"
    assert requests.post(odd.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    assert "unknown TICKET_PROVIDER 'trello'" in odd.log()


def test_inbound_open_when_a_secret_is_set(make_stack, world):
    open_stack = make_stack("secret", {"TICKET_WEBHOOK_SECRET": "s3cret", "JIRA_WEBHOOK_SECRET": "j"})
    current = status(open_stack, world)
    assert current["inbound"] == "open"
    assert current["providers"]["jira"]["inbound"] == "open"
    assert current["providers"]["servicenow"]["inbound"] == "open"
