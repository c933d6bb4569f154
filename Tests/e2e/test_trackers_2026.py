"""Today's trackers, as documented (docs/trackers.md): Jira Cloud removed `/rest/api/{2,3}/search` (410) for the
eventually consistent `/search/jql`, Data Center keeps `/rest/api/2/search`; ServiceNow answers a query that matches
nothing with 200 and `result: []`, and throttles with 429 and Retry-After. A create searches only when it resumes."""
import time

import pytest
import requests

from conftest import assert_problem, psql
from connections import create_connection, jira_connection
from trackers import FakeJira, FakeServiceNow

FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
        "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "1", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1"}


def jira_env(fake, **extra):
    return {"TICKET_PROVIDER": "jira", "JIRA_BASE_URL": fake.base, "JIRA_API_TOKEN": fake.token,
            "JIRA_PROJECT_KEY": fake.project, "JIRA_EMAIL": fake.email, **FAST, **extra}


def create(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))


def retry(stack, world):
    return requests.post(stack.url(world.request_path() + "/ticket/retry"), headers=world.auth("admin"))


def link(stack, world):
    return requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()


@pytest.fixture
def cloud():
    fake = FakeJira(email="bot@example.com")
    yield fake
    fake.stop()


@pytest.fixture
def datacenter():
    fake = FakeJira(email="bot@example.com", deployment="datacenter")
    yield fake
    fake.stop()


def test_the_cloud_fake_models_the_removed_search_and_its_replacement(cloud):
    auth = {"Authorization": cloud.expected_auth(), "Accept": "application/json"}
    for version in ("2", "3"):
        gone = requests.get(f"{cloud.base}/rest/api/{version}/search", params={"jql": 'labels = "x"'}, headers=auth)
        assert gone.status_code == 410 and "CHANGE-2046" in gone.json()["errorMessages"][0]
    answer = requests.get(f"{cloud.base}/rest/api/3/search/jql", params={"jql": 'labels = "x"'}, headers=auth).json()
    assert answer == {"issues": [], "isLast": True}, "no total"
    info = requests.get(f"{cloud.base}/rest/api/2/serverInfo", headers=auth).json()
    assert info["deploymentType"] == "Cloud"


def test_a_create_on_jira_cloud_makes_one_issue_without_searching(make_stack, world, cloud):
    stack = make_stack("cloud-create", jira_env(cloud))
    created = create(stack, world)
    assert created.status_code == 201, created.text
    assert created.json()["external_id"] == cloud.key(1)
    assert len(cloud.issues) == 1 and len(cloud.calls("POST", "/issue")) == 1
    assert cloud.searches() == [], "a fresh reservation cannot have an issue yet: no search"
    assert cloud.calls("GET", "/serverInfo") == [], "nothing asked before the create"


def test_a_resumed_create_on_cloud_waits_out_the_search_lag_and_makes_no_second_issue(make_stack, world, cloud):
    cloud.search_lag = 4  # the issue is invisible to /search/jql for 4 s after it is made
    stack = make_stack("cloud-resume", jira_env(cloud, JIRA_CLOUD_SEARCH_LAG_S="6"), workers=1)
    cloud.slow = 2.5  # Jira makes the issue, but answers after Ticket Sync stopped waiting
    timed_out = create(stack, world)
    assert_problem(timed_out, 504)
    cloud.slow = 0
    assert len(cloud.issues) == 1
    assert link(stack, world)["state"] == "creating"

    # At once: the search could miss the issue, so the resume does not search, does not create, and says when.
    answer = retry(stack, world)
    assert assert_problem(answer, 503)["type"].endswith("ticket-create-settling")
    wait = int(answer.headers["Retry-After"])
    assert 1 <= wait <= 6
    assert len(cloud.issues) == 1 and len(cloud.calls("POST", "/issue")) == 1
    assert cloud.searches() == []
    assert link(stack, world)["state"] == "creating", "the reservation is kept"
    # A second create is the same resume: still no second issue.
    assert_problem(create(stack, world), 503)
    assert len(cloud.calls("POST", "/issue")) == 1

    time.sleep(wait + 0.5)
    resumed = retry(stack, world)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["state"] == "linked" and resumed.json()["external_id"] == cloud.key(1)
    assert len(cloud.issues) == 1 and len(cloud.calls("POST", "/issue")) == 1, "found by its label, not made twice"
    searched = cloud.searches()
    assert [c["path"] for c in searched] == ["/jira/rest/api/2/search/jql"]
    assert "startAt" not in searched[0]["query"] and searched[0]["query"]["jql"][0].startswith('labels = "ticketsync-')
    assert len(cloud.calls("GET", "/serverInfo")) == 1, "asked once, then remembered (per process)"


def test_a_resume_after_the_lag_on_cloud_that_finds_nothing_creates_the_issue(make_stack, world, cloud):
    stack = make_stack("cloud-nothing", jira_env(cloud, JIRA_CLOUD_SEARCH_LAG_S="1"))
    cloud.answer((502, {}, {"errorMessages": ["Bad gateway"], "errors": {}}))  # made nothing, outcome unknown
    assert_problem(create(stack, world), 502)
    assert link(stack, world)["state"] == "creating" and cloud.issues == {}
    time.sleep(1.2)
    resumed = retry(stack, world)
    assert resumed.status_code == 200, resumed.text
    assert len(cloud.issues) == 1 and len(cloud.searches()) == 1


def test_data_center_searches_rest_api_2_search_with_start_at_and_does_not_wait(make_stack, world, datacenter):
    stack = make_stack("dc-resume", jira_env(datacenter))
    datacenter.slow = 2.5
    assert_problem(create(stack, world), 504)
    datacenter.slow = 0
    assert datacenter.searches() == []
    resumed = retry(stack, world)  # at once: Data Center's search sees the issue as soon as it is made
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["external_id"] == datacenter.key(1)
    assert len(datacenter.issues) == 1
    searched = datacenter.searches()
    assert [c["path"] for c in searched] == ["/jira/rest/api/2/search"]
    assert searched[0]["query"]["startAt"] == ["0"] and searched[0]["query"]["maxResults"] == ["1"]
    assert datacenter.calls("GET", "/serverInfo")


def test_a_stated_deployment_is_validated_and_saves_the_server_info_call(stack, world, datacenter):
    bad = jira_connection(datacenter)
    bad["settings"]["deployment"] = "onprem"
    refused = assert_problem(requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections"),
                                           json=bad, headers=world.auth("admin")), 422)
    assert refused["field"] == "settings.deployment"
    good = jira_connection(datacenter)
    good["settings"]["deployment"] = "datacenter"
    saved = create_connection(stack, world, good)
    assert saved["settings"]["deployment"] == "datacenter"
    datacenter.answer(502)
    assert_problem(create(stack, world), 502)
    resumed = retry(stack, world)
    assert resumed.status_code == 200, resumed.text
    assert datacenter.calls("GET", "/serverInfo") == [], "the connection said which it is"
    assert [c["path"] for c in datacenter.searches()] == ["/jira/rest/api/2/search"]


def sn_env(fake, **extra):
    return {"TICKET_PROVIDER": "servicenow", "SERVICENOW_BASE_URL": fake.base, "SERVICENOW_API_TOKEN": fake.token,
            **FAST, **extra}


@pytest.fixture
def servicenow():
    fake = FakeServiceNow()
    yield fake
    fake.stop()


def test_a_servicenow_create_queries_only_when_it_resumes_and_reads_an_empty_result_as_none(make_stack, world,
                                                                                          servicenow):
    stack = make_stack("sn-resume", sn_env(servicenow))
    servicenow.answer((502, {}, {"error": {"message": "Bad gateway", "detail": ""}, "status": "failure"}))
    assert_problem(create(stack, world), 502)
    assert servicenow.calls("GET") == [], "a fresh create asks nothing first"
    resumed = retry(stack, world)
    assert resumed.status_code == 200, resumed.text
    lookups = servicenow.calls("GET", "/api/now/table/incident")
    assert len(lookups) == 1 and lookups[0]["query"]["sysparm_query"][0].startswith("correlation_id=ticketsync-")
    assert len(servicenow.records) == 1, "200 with result: [] means none: the record is made once"
    # The fake answers an unmatched query as ServiceNow does.
    auth = {"x-sn-apikey": servicenow.token, "Accept": "application/json"}
    empty = requests.get(f"{servicenow.base}/api/now/table/incident", headers=auth,
                         params={"sysparm_query": "correlation_id=nothing", "sysparm_limit": "1"})
    assert empty.status_code == 200 and empty.json() == {"result": []}


def test_servicenow_429_with_retry_after_is_retry_later(make_stack, world, servicenow):
    stack = make_stack("sn-429", sn_env(servicenow))
    servicenow.answer(servicenow.rate_limited(7))
    answer = create(stack, world)
    throttled = assert_problem(answer, 503)
    assert answer.headers["Retry-After"] == "7"
    assert throttled["type"].endswith("provider-unavailable")
    assert "HTTP 429: Rate limit exceeded" in throttled["detail"], "in ServiceNow's own words"
    assert link_status(stack, world) == 404, "refused before anything was made: the reservation is gone"
    created = create(stack, world)
    assert created.status_code == 201, created.text

    servicenow.answer(servicenow.rate_limited(30))
    posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "Throttled once"},
                           headers=world.auth("reader")).json()["comment"]
    assert posted["sync_state"] == "pending"
    delay = float(psql("SELECT extract(epoch FROM next_attempt_at - clock_timestamp()) FROM ticket_sync.outbox "
                       "WHERE link_id = (SELECT id FROM ticket_sync.ticket_links WHERE evidence_request_id = :'r' "
                       "AND unlinked_at IS NULL) AND event_type = 'ticket.comment'", r=world.r1))
    assert 20 < delay <= 30, f"the retry waits for ServiceNow's Retry-After, not the 100 ms backoff ({delay})"


def link_status(stack, world):
    return requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code
