"""Jira Cloud connected the hosted way (docs/trackers/jira-cloud.md): OAuth 2.0 (3LO) against a fake Atlassian with
rotating refresh tokens, calls through /ex/jira/{cloudId}/rest/api/3 with ADF bodies, the connection's own webhooks
(JWT-signed deliveries) and their removal. Each test has a database of its own (conftest.own_world): other
responders' sweeps and delivery loops must not touch its connections."""
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import assert_problem, own_world, wait_for
from trackers import FakeAtlassian

REDIRECT = "https://grc.example.com/api/v1/ticket-sync/oauth/jira/callback"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
        "TICKET_DELIVERY_INLINE_TIMEOUT_S": "2", "TICKET_HTTP_TIMEOUT_S": "3"}


@pytest.fixture
def atlassian():
    fake = FakeAtlassian()
    yield fake
    fake.stop()


def oauth_env(fake, **extra):
    return {"TICKET_JIRA_OAUTH_CLIENT_ID": fake.client_id, "TICKET_JIRA_OAUTH_CLIENT_SECRET": fake.client_secret,
            "TICKET_JIRA_OAUTH_REDIRECT_URL": REDIRECT, "TICKET_ATLASSIAN_AUTH_URL": fake.base,
            "TICKET_ATLASSIAN_API_URL": fake.base, "PUBLIC_BASE_URL": "https://grc.example.com",
            "TICKET_ENV_FALLBACK": "off", **FAST, **extra}


def start(stack, world, body):
    return requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/oauth/jira"), json=body,
                         headers=world.auth("admin"))


def callback(stack, code, state):
    return requests.get(stack.url("/api/v1/ticket-sync/oauth/jira/callback"), params={"code": code, "state": state},
                        allow_redirects=False)


def fragment(response):
    assert response.status_code == 303, response.text
    location = response.headers["Location"]
    assert location.startswith("https://grc.example.com/#"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def connect(stack, world, fake, **body):
    started = start(stack, world, {"project_key": fake.jira.project, "default": True, **body})
    assert started.status_code == 201, started.text
    code, state = fake.authorize(started.json()["authorize_url"], REDIRECT)
    done = fragment(callback(stack, code, state))
    assert done["jira_cloud"] == "connected", done
    return done["connection"]


def hook_url(stack, fake):
    """Where the connection's webhook delivers: its registered (public) inbound URL, reached through this stack."""
    [hook] = fake.webhooks.values()
    return stack.url(urlsplit(hook["url"]).path)


def comment_delivery(fake, key, comment, matched):
    issue = fake.jira.issues[key]
    return {**fake.jira.comment_webhook(key, comment), "matchedWebhookIds": matched}


def thread(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/comments"),
                        headers=world.auth("reader")).json()["comments"]


def test_without_the_settings_the_route_answers_503_naming_them(stack, world):
    answer = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/oauth/jira"), json={},
                           headers=world.auth("admin"))
    body = assert_problem(answer, 503)
    assert body["missing_keys"] == ["TICKET_JIRA_OAUTH_CLIENT_ID", "TICKET_JIRA_OAUTH_CLIENT_SECRET",
                                    "TICKET_JIRA_OAUTH_REDIRECT_URL"]


def test_connect_ticket_comments_close_and_webhooks(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth", oauth_env(atlassian), database_url=world.runtime_url)
    reader = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/oauth/jira"), json={},
                           headers=world.auth("reader"))
    assert reader.status_code in (403, 404), reader.text

    started = start(stack, world, {"project_key": atlassian.jira.project, "default": True})
    assert started.status_code == 201, started.text
    assert set(started.json()) == {"authorize_url", "expires_at"}
    code, state = atlassian.authorize(started.json()["authorize_url"], REDIRECT)
    # An unknown state is refused before anything is exchanged.
    assert_problem(callback(stack, code, "0" * 64), 400)
    assert atlassian.token_calls() == []
    done = fragment(callback(stack, code, state))
    assert done["jira_cloud"] == "connected"
    connection_id = done["connection"]
    # A state whose user no longer configures the org is refused like an unknown one.
    demoted = start(stack, world, {})
    _, demoted_state = atlassian.authorize(demoted.json()["authorize_url"], REDIRECT)
    world.sql("UPDATE org_memberships SET permission = 'read' WHERE user_id = :'u'", u=world.user_ids["admin"])
    assert_problem(callback(stack, "any-code", demoted_state), 400)
    world.sql("UPDATE org_memberships SET permission = 'configure' WHERE user_id = :'u'", u=world.user_ids["admin"])
    # The state is single-use.
    assert_problem(callback(stack, code, state), 400)
    [exchange] = atlassian.token_calls("authorization_code")
    assert exchange["json"] == {"grant_type": "authorization_code", "client_id": atlassian.client_id,
                                "client_secret": atlassian.client_secret, "code": code, "redirect_uri": REDIRECT}

    shown = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                         headers=world.auth("admin")).json()
    assert shown["kind"] == "jira_cloud" and shown["configured"] is True and shown["default"] is True
    settings = shown["settings"]
    assert settings["cloud_id"] == atlassian.cloud_id and settings["site_url"] == atlassian.sites[0]["url"]
    assert settings["account_id"] == atlassian.jira.myself["accountId"] and "manage:jira-webhook" in settings["scopes"]
    assert settings["webhooks_expire_at"] > time.strftime("%Y-%m-%dT", time.gmtime(time.time() + 29 * 86400))
    assert shown["secrets"]["refresh_token"]["set"] is True
    assert "rt-" not in str(shown) and "at-" not in str(shown), "tokens are never returned"
    stored = world.sql("SELECT string_agg(sealed, ',') FROM ticket_sync.connection_secrets")
    assert "rt-" not in stored and "at-" not in stored, "tokens are sealed at rest"

    # The connection registered its own webhook on its inbound URL, for the project (no labels in the filter).
    [(webhook_id, hook)] = atlassian.webhooks.items()
    assert hook["jqlFilter"] == f"project = {atlassian.jira.project}"
    assert hook["events"] == ["jira:issue_updated", "jira:issue_deleted", "comment_created", "comment_updated"]
    assert hook["url"].startswith("https://grc.example.com/api/v1/ticket-sync/hooks/")

    # A ticket through /ex/jira/{cloudId}/rest/api/3, its description in ADF.
    created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    link = created.json()
    key = atlassian.jira.key(1)
    assert link["provider"] == "jira_cloud" and link["external_id"] == key
    assert link["external_url"] == f"{atlassian.sites[0]['url']}/browse/{key}"
    [create_call] = atlassian.calls("POST", "/rest/api/3/issue")
    assert create_call["path"] == f"/ex/jira/{atlassian.cloud_id}/rest/api/3/issue"
    assert create_call["headers"]["Authorization"].startswith("Bearer at-")
    description = create_call["json"]["fields"]["description"]
    assert description["type"] == "doc" and description["content"][0]["content"][0]["text"] == "Q3 access review"
    labels = create_call["json"]["fields"]["labels"]
    assert "ticketsync" in labels and any(label.startswith("ticketsync-") for label in labels)

    # A comment out, in ADF with its ticketsync property.
    posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "Please attach it."},
                           headers=world.auth("reader")).json()["comment"]
    assert posted["sync_state"] == "synced", posted
    [comment_call] = [c for c in atlassian.calls("POST", "/comment") if c["path"].endswith(f"/issue/{key}/comment")]
    assert comment_call["json"]["body"]["type"] == "doc"
    assert comment_call["json"]["properties"][0]["key"] == "ticketsync"
    assert "Please attach it." in atlassian.jira.issues[key]["comments"][0]["body"]

    # A comment in, on our webhook's JWT-signed delivery.
    url = hook_url(stack, atlassian)
    theirs = atlassian.jira.add_comment(key, "Attached the report.")
    delivered = atlassian.delivery(url, comment_delivery(atlassian, key, theirs, [webhook_id]))
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["applied"]["comment"] == "created"
    assert thread(stack, world)[-1]["body"] == "Attached the report."

    # Refused before the body is read: forged, expired, wrongly signed, missing, or another algorithm.
    now = int(time.time())
    other = atlassian.jira.add_comment(key, "Never imported.")
    payload = comment_delivery(atlassian, key, other, [webhook_id])
    for attempt in [dict(secret="not-the-client-secret"), dict(claims={"iat": now - 600, "exp": now - 300}),
                    dict(claims={"iat": now + 600, "exp": now + 900}), dict(token="not.a.jwt"),
                    dict(token=atlassian_token_none(now))]:
        refused = atlassian.delivery(url, payload, **attempt)
        assert_problem(refused, 401)
    refused = requests.post(url, json=payload)
    assert_problem(refused, 401)
    # Nothing of the body is read before the token verifies: a body that is no JSON still gets the same 401.
    garbage = requests.post(url, data=b"{not json", headers={"Content-Type": "application/json",
                                                              "Authorization": "Bearer a.b.c"})
    assert_problem(garbage, 401)
    assert_problem(atlassian.delivery(url, {"webhookEvent": 1}, secret="wrong"), 401)
    # The flow's own settings are not the org's to change.
    for field in ("cloud_id", "needs_reconnect"):
        patched = requests.patch(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                                 json={"settings": {field: None}}, headers=world.auth("admin"))
        assert_problem(patched, 422)
    # Not one of ours: acknowledged, nothing applied.
    ignored = atlassian.delivery(url, comment_delivery(atlassian, key, other, [webhook_id + 1000]))
    assert ignored.status_code == 200 and ignored.json()["applied"]["comment"] is None, ignored.text
    assert "Never imported." not in [c["body"] for c in thread(stack, world)]

    # A close by the transition to done.
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200, closed.text
    assert atlassian.jira.issues[key]["status"] == "done"

    # Disabling the connection deletes its webhooks at Atlassian.
    disabled = requests.patch(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                              json={"disabled": True}, headers=world.auth("admin"))
    assert disabled.status_code == 200, disabled.text
    assert atlassian.webhooks == {}
    [deleted] = atlassian.calls("DELETE", "/rest/api/3/webhook")
    assert deleted["json"] == {"webhookIds": [webhook_id]}


def atlassian_token_none(now):
    """An unsigned token (`alg: none`)."""
    from atlassian_fake import b64url
    import json
    return (b64url(json.dumps({"alg": "none"}).encode()) + "." +
            b64url(json.dumps({"iat": now, "exp": now + 60}).encode()) + ".")


def test_two_processes_needing_a_refresh_at_once_make_one_refresh_call(make_stack, atlassian):
    world = own_world()
    env = oauth_env(atlassian)
    first = make_stack("jira-oauth-a", env, database_url=world.runtime_url)
    second = make_stack("jira-oauth-b", env, database_url=world.runtime_url)
    connect(first, world, atlassian)
    assert requests.post(first.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    assert requests.post(first.url(world.request_path(world.r2) + "/ticket"),
                         headers=world.auth("admin")).status_code == 201
    # The hour passes: Atlassian expires the access token, and so does the stored copy.
    atlassian.expire_access()
    world.sql("UPDATE ticket_sync.connection_secrets SET valid_until = now() - interval '1 second' "
              "WHERE field = 'access_token'")
    atlassian.slow = 0.3  # the refresh takes a moment, so both processes wait on the same lock
    answers = {}

    def post(name, stack, request):
        answers[name] = requests.post(stack.url(world.request_path(request) + "/comments"),
                                      json={"body": f"from {name}"}, headers=world.auth("reader"))

    threads = [threading.Thread(target=post, args=("a", first, world.r1)),
               threading.Thread(target=post, args=("b", second, world.r2))]
    for thread_ in threads:
        thread_.start()
    for thread_ in threads:
        thread_.join()
    atlassian.slow = 0
    assert [a.status_code for a in answers.values()] == [201, 201], {k: v.text for k, v in answers.items()}
    assert len(atlassian.token_calls("refresh_token")) == 1
    assert {c["json"]["body"]["content"][0]["content"][0]["text"] for c in atlassian.calls("POST", "/comment")
            if isinstance(c["json"], dict) and isinstance(c["json"].get("body"), dict)} >= {"from a", "from b"}
    # Both proceeded with the new token; the old refresh token was never sent again.
    refresh_tokens = [c["json"]["refresh_token"] for c in atlassian.token_calls("refresh_token")]
    assert len(set(refresh_tokens)) == len(refresh_tokens)


def test_invalid_grant_needs_reconnect_and_reconnect_keeps_the_links(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-reconnect", oauth_env(atlassian), database_url=world.runtime_url)
    connection_id = connect(stack, world, atlassian)
    created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    atlassian.revoke_all()
    world.sql("UPDATE ticket_sync.connection_secrets SET valid_until = now() - interval '1 second' "
              "WHERE field = 'access_token'")
    refused = requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin"))
    body = assert_problem(refused, 503)
    assert body["type"].endswith("connection-needs-reconnect") and body["connection_id"] == connection_id
    shown = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                         headers=world.auth("admin")).json()
    assert "needs_reconnect" in shown["settings"] and shown["state"] == "needs_reconnect"
    readiness = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader"))
    [summary] = [c for c in readiness.json()["connections"] if c["id"] == connection_id]
    assert summary["state"] == "needs_reconnect"
    audited = world.sql("SELECT detail->>'state' FROM ticket_sync.audit_events WHERE connection_id = :'c' "
                        "AND action = 'connection.update'", c=connection_id)
    assert "needs_reconnect" in audited
    # The sync-health view says so, for the connection and for its tickets.
    health = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/health"), headers=world.auth("reader"))
    assert health.status_code == 200, health.text
    assert health.json()["counts"]["connections_needing_reconnect"] == 1
    [sweep] = [s for s in health.json()["sweeps"] if s["connection_id"] == connection_id]
    assert sweep["state"] == "needs_reconnect"
    assert all("needs_reconnect" in item["reasons"] for item in health.json()["links"])
    assert health.json()["links"]
    # Still refused, without asking Atlassian again.
    calls = len(atlassian.token_calls())
    assert_problem(requests.post(stack.url(world.request_path(world.r2) + "/ticket"), headers=world.auth("admin")), 503)
    assert len(atlassian.token_calls()) == calls

    again = connect(stack, world, atlassian, connection_id=connection_id)
    assert again == connection_id
    shown = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                         headers=world.auth("admin")).json()
    assert "needs_reconnect" not in shown["settings"] and shown["state"] == "ok"
    link = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader"))
    assert link.status_code == 200 and link.json()["external_id"] == atlassian.jira.key(1)
    posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "after reconnect"},
                           headers=world.auth("reader")).json()["comment"]
    assert posted["sync_state"] == "synced", posted


def test_an_access_token_expiring_mid_run_is_refreshed_once_and_the_call_goes_through(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-midrun", oauth_env(atlassian), database_url=world.runtime_url)
    connect(stack, world, atlassian)
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    # Atlassian ends the token before the expiry we stored: the call is refused once, refreshed, and sent again.
    atlassian.expire_access()
    posted = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "still works"},
                           headers=world.auth("reader")).json()["comment"]
    assert posted["sync_state"] == "synced", posted
    assert len(atlassian.token_calls("refresh_token")) == 1
    assert "still works" in atlassian.jira.issues[atlassian.jira.key(1)]["comments"][0]["body"]


def test_an_expired_webhook_is_registered_again_by_the_sweep(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-hooks", oauth_env(atlassian, TICKET_SYNC_RESYNC_EVERY="1"),
                       database_url=world.runtime_url)
    connection_id = connect(stack, world, atlassian)
    [(first_id, hook)] = atlassian.webhooks.items()
    # 30 days pass without a refresh: Atlassian drops it; our record says it expired.
    atlassian.webhooks.clear()
    world.sql("UPDATE ticket_sync.jira_cloud_webhooks SET expires_at = now() - interval '1 second'")
    resync = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}/resync"),
                           headers=world.auth("admin"))
    assert resync.status_code in (200, 202), resync.text
    wait_for(lambda: len(atlassian.webhooks) == 1, seconds=20, what="the webhook registered again")
    [(second_id, again)] = atlassian.webhooks.items()
    assert second_id != first_id and again["url"] == hook["url"] and again["jqlFilter"] == hook["jqlFilter"]
    wait_for(lambda: world.sql("SELECT array_to_string(webhook_ids, ',') FROM ticket_sync.jira_cloud_webhooks")
             == str(second_id), what="the new id stored")
    # Deliveries of the new registration are ours; those naming only the old one are not.
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    key = atlassian.jira.key(1)
    url = hook_url(stack, atlassian)
    old = atlassian.delivery(url, comment_delivery(atlassian, key, atlassian.jira.add_comment(key, "old"), [first_id]))
    assert old.status_code == 200 and old.json()["applied"]["comment"] is None, old.text
    new = atlassian.delivery(url, comment_delivery(atlassian, key, atlassian.jira.add_comment(key, "new"), [second_id]))
    assert new.status_code == 200 and new.json()["applied"]["comment"] == "created", new.text


def test_deleting_the_connection_deletes_its_webhooks(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-delete", oauth_env(atlassian), database_url=world.runtime_url)
    connection_id = connect(stack, world, atlassian)
    [webhook_id] = atlassian.webhooks
    deleted = requests.delete(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                              headers=world.auth("admin"))
    assert deleted.status_code == 204, deleted.text
    assert atlassian.webhooks == {}
    assert atlassian.calls("DELETE", "/rest/api/3/webhook")[0]["json"] == {"webhookIds": [webhook_id]}


def test_several_sites_are_chosen_by_starting_again_with_one(make_stack):
    fake = FakeAtlassian(sites=2)
    try:
        world = own_world()
        stack = make_stack("jira-oauth-sites", oauth_env(fake), database_url=world.runtime_url)
        started = start(stack, world, {"project_key": fake.jira.project})
        code, state = fake.authorize(started.json()["authorize_url"], REDIRECT)
        asked = fragment(callback(stack, code, state))
        assert asked["jira_cloud"] == "choose_site"
        assert asked["sites"].split(",") == [f"{s['id']}|{s['url']}" for s in fake.sites]
        assert world.sql("SELECT count(*) FROM ticket_sync.connections") == "0", "nothing stored before the choice"
        second = fake.sites[1]
        connection_id = connect(stack, world, fake, site=second["url"])
        shown = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                             headers=world.auth("admin")).json()
        assert shown["settings"]["cloud_id"] == second["id"] and shown["settings"]["site_url"] == second["url"]
    finally:
        fake.stop()


def test_status_in_redelivery_deduplicated_and_the_sweep_reads_through_the_gateway(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-sweep", oauth_env(atlassian, TICKET_SYNC_RESYNC_EVERY="1"),
                       database_url=world.runtime_url)
    connection_id = connect(stack, world, atlassian)
    assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
    key = atlassian.jira.key(1)
    [webhook_id] = atlassian.webhooks
    url = hook_url(stack, atlassian)

    # A status change in, from our webhook's delivery.
    moved = atlassian.jira.transition(key, "indeterminate", "In Review")
    status = atlassian.delivery(url, {**atlassian.jira.status_webhook(key, moved), "matchedWebhookIds": [webhook_id]})
    assert status.status_code == 200, status.text
    link = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")).json()
    assert link["tracker_status"]["name"] == "In Review", link

    # A redelivery (same X-Atlassian-Webhook-Identifier) imports nothing twice.
    comment = atlassian.jira.add_comment(key, "Once only.")
    first = atlassian.delivery(url, comment_delivery(atlassian, key, comment, [webhook_id]), identifier="delivery-1")
    again = atlassian.delivery(url, comment_delivery(atlassian, key, comment, [webhook_id]), identifier="delivery-1")
    assert first.json()["applied"]["comment"] == "created" and again.json()["applied"]["comment"] == "duplicate"
    assert [c["body"] for c in thread(stack, world)].count("Once only.") == 1

    # A comment made on Jira whose webhook never came: the sweep finds it through /ex/jira/{cloudId}/rest/api/3.
    atlassian.jira.add_comment(key, "Missed by the webhook.")
    resync = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}/resync"),
                           headers=world.auth("admin"))
    assert resync.status_code == 202, resync.text
    wait_for(lambda: "Missed by the webhook." in [c["body"] for c in thread(stack, world)], seconds=20,
             what="the sweep to import the missed comment")
    assert any(c["path"] == f"/ex/jira/{atlassian.cloud_id}/rest/api/3/search/jql" for c in atlassian.calls("POST"))


def test_the_page_connects_reconnects_and_shows_the_state(make_stack, atlassian):
    from browser import chromium
    from test_web_page import sign_in
    world = own_world()
    env = oauth_env(atlassian)
    env.pop("PUBLIC_BASE_URL")  # the callback returns to the page it was started from
    stack = make_stack("jira-oauth-page", env, database_url=world.runtime_url)
    driver = chromium()
    try:
        page = sign_in(driver, stack, world, "admin")
        page.click("#connect-jira-cloud")
        page.wait(lambda d: d.current_url.startswith(atlassian.base + "/authorize"))
        code, state = atlassian.authorize(driver.current_url, REDIRECT)
        # Atlassian's redirect, as the browser would follow it.
        driver.get(stack.url(f"/api/v1/ticket-sync/oauth/jira/callback?code={code}&state={state}"))
        page.text_in("#jira-cloud-outcome", "Jira Cloud is connected")
        assert "jira_cloud" not in driver.current_url, "the outcome leaves the address bar"
        page.text_in("#connections-table", "acting as Ticket Sync Bot")
        page.text_in("#connections-table", "missing settings.project_key")
        page.text_in("#connections-table", "webhooks not registered yet")  # no project key: nothing to filter on
        # Atlassian ends the grant: the row says so and offers Reconnect.
        [connection_id] = world.sql("SELECT id FROM ticket_sync.connections").split()
        world.sql("UPDATE ticket_sync.connections SET settings = settings || '{\"needs_reconnect\": \"now\"}'")
        driver.get(stack.url("/"))
        page.text_in("#connections-table", "needs reconnect")
        page.click("#connections-table button[data-action='reconnect']")
        page.wait(lambda d: d.current_url.startswith(atlassian.base + "/authorize"))
        code, state = atlassian.authorize(driver.current_url, REDIRECT)
        driver.get(stack.url(f"/api/v1/ticket-sync/oauth/jira/callback?code={code}&state={state}"))
        page.text_in("#jira-cloud-outcome", "Jira Cloud is connected")
        page.wait(lambda d: "needs reconnect" not in page.find("#connections-table")[0].text)
        assert world.sql("SELECT id FROM ticket_sync.connections").split() == [connection_id]
        assert not page.find("#connections-table button[data-action='rotate']"), "no inbound secret to rotate"
        # With a project key, the next sweep registers the webhooks, and the row says when they expire.
        requests.patch(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}"),
                       json={"settings": {"project_key": atlassian.jira.project}}, headers=world.auth("admin"))
        requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}/resync"),
                      headers=world.auth("admin"))
        wait_for(lambda: len(atlassian.webhooks) == 1, seconds=20, what="the webhooks registered")
        driver.get(stack.url("/"))
        page.text_in("#connections-table", "webhooks expire in 29 days")
        # Disconnect: the connection goes, and so do the webhooks it registered.
        page.click("#connections-table button[data-action='delete']")
        page.text_in("#connections-table", "Disconnect (delete the connection and its webhooks)?")
        page.click("#connections-table button[data-action='delete-confirm']")
        page.text_in("#connections-table", "No connection")
        wait_for(lambda: not atlassian.webhooks, seconds=10, what="the webhooks deleted")
    finally:
        driver.quit()


def test_webhooks_with_fewer_than_ten_days_left_are_refreshed(make_stack, atlassian):
    world = own_world()
    stack = make_stack("jira-oauth-refresh-hooks", oauth_env(atlassian, TICKET_SYNC_RESYNC_EVERY="1"),
                       database_url=world.runtime_url)
    connection_id = connect(stack, world, atlassian)
    [webhook_id] = atlassian.webhooks
    world.sql("UPDATE ticket_sync.jira_cloud_webhooks SET expires_at = now() + interval '5 days'")
    resync = requests.post(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/connections/{connection_id}/resync"),
                           headers=world.auth("admin"))
    assert resync.status_code == 202, resync.text
    wait_for(lambda: atlassian.calls("PUT", "/rest/api/3/webhook/refresh"), seconds=20, what="the refresh")
    assert atlassian.calls("PUT", "/rest/api/3/webhook/refresh")[0]["json"] == {"webhookIds": [webhook_id]}
    wait_for(lambda: world.sql("SELECT expires_at > now() + interval '29 days' FROM ticket_sync.jira_cloud_webhooks")
             == "t", what="the new expiry stored")
    assert list(atlassian.webhooks) == [webhook_id] and not atlassian.calls("POST", "/rest/api/3/webhook")[1:]
