"""Sweeps of the generic webhook (issue 21; docs/webhooks.md, "Sweeps"): the adapter's tracker changes a ticket and
no webhook ever reaches Ticket Sync (the fake adapter never calls it), so only its signed `GET <url>/changes` tells.
A scheduled sweep and "Re-sync now" each repair a tracker comment, a move to done, a reopen and a deletion exactly
once (a second sweep and a late webhook change nothing); a 429 backs the sweep off by Retry-After; an unsigned or
badly signed answer is refused before it is read; an adapter answering 404 cannot be swept."""
import time

import pytest
import requests

from conftest import assert_problem, own_world, wait_for
from connections import create_connection, post_hook
from trackers import Receiver

SECRET = "adapter-sweep-secret"
FAST = {"TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
        "TICKET_DELIVERY_POLL_MS": "100", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}
SCHEDULED = {"TICKET_SYNC_SWEEP_INTERVAL": "2s", "TICKET_SYNC_RESYNC_EVERY": "1s", **FAST}


@pytest.fixture
def adapter():
    running = Receiver(SECRET, tracker=True)
    yield running
    running.down()


@pytest.fixture
def world():
    """The orgs in a database of the test's own (conftest.own_world): every responder sweeps every connection of its
    database, whatever its interval, so the suite's other responders would claim these sweeps too."""
    return own_world()


@pytest.fixture
def adapted(make_stack, world, adapter):
    return lambda name: Adapted(make_stack, world, adapter, SCHEDULED, name)


class Adapted:
    """A stack with the org's default connection on the fake adapter, and one ticket opened through it."""

    def __init__(self, make_stack, world, adapter, env, name):
        self.stack = make_stack(name, env=env, database_url=world.runtime_url)
        self.world = world
        self.connection = create_connection(self.stack, world, {
            "kind": "webhook", "name": "Adapter", "default": True, "settings": {"url": adapter.url},
            "secrets": {"webhook_secret": SECRET}})
        opened = requests.post(self.stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert opened.status_code == 201, opened.text
        self.key = opened.json()["external_id"]

    def thread(self):
        return requests.get(self.stack.url(self.world.request_path() + "/comments"),
                            headers=self.world.auth("reader")).json()["comments"]

    def link(self):
        return requests.get(self.stack.url(self.world.request_path() + "/ticket"),
                            headers=self.world.auth("reader")).json()

    def ledger(self, what=None, found_by=None):
        return int(self.world.sql(
            "SELECT count(*) FROM ticket_sync.audit_events WHERE org_id = :'org' AND action = 'sync.drift_repaired' "
            "AND (:'what' = '' OR detail ->> 'what' = :'what') AND (:'by' = '' OR detail ->> 'found_by' = :'by')",
            what=what or "", by=found_by or ""))

    def sweep_row(self):
        """[sweepable, error] of the connection's sweep (["", ""] until its row exists)."""
        row = self.world.sql("SELECT sweepable, coalesce(error, '') FROM ticket_sync.sync_sweeps "
                             "WHERE scope = :'id'", id=self.connection["id"])
        return row.split("|") if row else ["", ""]

    def pause_sweeps(self):
        """No scheduled sweep of this connection for an hour: only "Re-sync now" reads the tracker."""
        wait_for(lambda: self.sweep_row() != ["", ""], seconds=20, what="the connection's sweep row")
        self.world.sql("UPDATE ticket_sync.sync_sweeps SET due_at = clock_timestamp() + interval '1 hour' "
                       "WHERE scope = :'id'", id=self.connection["id"])

    def wait_for_sweep(self):
        """A whole sweep of the connection that started from now."""
        now = self.world.sql("SELECT extract(epoch FROM clock_timestamp())")
        wait_for(lambda: self.world.sql(
            "SELECT count(*) FROM ticket_sync.sync_sweeps WHERE scope = :'id' AND started_at > "
            "to_timestamp(:'now'::double precision) AND finished_at >= started_at",
            id=self.connection["id"], now=now) == "1", seconds=20, what="a sweep")

    def late_webhook(self, change):
        """The webhook the adapter would have sent for `change`, arriving after the repair."""
        answer = post_hook(self.stack, self.connection["inbound_url"], change, SECRET)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def resync(self):
        """`Re-sync now` of the request's ticket, waiting out its rate limit."""
        path = self.stack.url(self.world.request_path() + "/ticket/resync")
        for _ in range(10):
            response = requests.post(path, headers=self.world.auth("admin"))
            if response.status_code != 429:
                return response
            time.sleep(int(response.headers["Retry-After"]))
        raise AssertionError("re-sync stayed rate-limited")


def test_a_scheduled_sweep_repairs_a_comment_done_reopen_and_delete_each_once(adapted, world, adapter):
    app = adapted("sweeps-webhook")

    written = adapter.comment_on(app.key, "Attached the SOC 2 report.")
    wait_for(lambda: len(app.thread()) == 1, seconds=20, what="the tracker's comment")
    [entry] = app.thread()
    assert (entry["source"], entry["external_comment_id"], entry["body"]) == (
        "external", written["comment"]["external_comment_id"], "Attached the SOC 2 report.")
    assert app.ledger("comment", "sweep") == 1
    assert app.late_webhook(written)["applied"]["comment"] == "duplicate"

    done = adapter.resolve(app.key)
    wait_for(lambda: app.link()["closed_by"] == "tracker", seconds=20, what="the move to done")
    assert app.link()["tracker_status"]["name"] == "Done"
    assert app.ledger("closed", "sweep") == 1

    adapter.reopen(app.key)
    wait_for(lambda: app.link()["closed_at"] is None, seconds=20, what="the reopen")
    assert app.link()["tracker_status"]["name"] == "Reopened"
    assert app.ledger("status", "sweep") == 1
    # The move to done's webhook, arriving late, is older than the reopen: it changes nothing.
    assert "ignored" in app.late_webhook(done)
    assert app.link()["closed_at"] is None

    adapter.delete(app.key)
    wait_for(lambda: app.link()["sync_state"] == "error", seconds=20, what="the deletion")
    assert "Deleted in" in app.link()["last_error"]
    assert app.ledger("deleted", "sweep") == 1

    # More sweeps find nothing new: one thread entry per repair, one ledger row each.
    entries = len(app.thread())
    app.wait_for_sweep()
    app.wait_for_sweep()
    assert len(app.thread()) == entries
    assert app.ledger() == 4
    assert app.sweep_row() == ["t", ""]
    # Every read was our signed GET: Standard Webhooks over the empty body, the cursor less the overlap.
    calls = adapter.sweep_calls()
    assert calls and all(call["valid_standard"] and call["raw"] == b"" for call in calls)
    assert any("since" in call["query"] for call in calls) and any("external_id" in call["query"] for call in calls)


def test_our_own_comments_reported_by_the_adapter_are_not_replies(adapted, world, adapter):
    app = adapted("sweeps-webhook-ours")
    posted = requests.post(app.stack.url(world.request_path() + "/comments"), json={"body": "Uploaded the export"},
                           headers=world.auth("reader"))
    assert posted.status_code == 201, posted.text
    wait_for(lambda: app.thread()[0]["sync_state"] == "synced", seconds=20, what="the delivery")
    # The adapter lists our comment among its changes, with the id it answered: a sweep sees it is ours.
    app.wait_for_sweep()
    app.wait_for_sweep()
    assert [(c["source"], c["external_comment_id"]) for c in app.thread()] == [("internal", "tc-1")]
    assert app.ledger() == 0


def test_resync_now_repairs_a_comment_done_reopen_and_delete_each_once(adapted, world, adapter):
    app = adapted("resync-webhook")
    app.pause_sweeps()
    before = len(adapter.sweep_calls())

    written = adapter.comment_on(app.key, "Here is the evidence.")
    response = app.resync()
    assert response.status_code == 200, response.text
    repairs = response.json()["repairs"]
    assert repairs["comments_added"] == 1 and repairs["status"] is None and repairs["deleted"] is False
    assert [c["body"] for c in app.thread()] == ["Here is the evidence."]
    assert app.ledger("comment", "resync") == 1

    adapter.resolve(app.key)
    response = app.resync()
    assert response.json()["repairs"]["status"] == {"before": None, "after": "Done"}
    assert response.json()["repairs"]["link"] == "closed"
    assert response.json()["link"]["closed_by"] == "tracker"

    adapter.reopen(app.key)
    response = app.resync()
    assert response.json()["repairs"]["status"] == {"before": "Done", "after": "Reopened"}
    assert response.json()["repairs"]["link"] == "reopened"
    assert response.json()["link"]["closed_at"] is None

    adapter.delete(app.key)
    response = app.resync()
    assert response.json()["repairs"]["deleted"] is True
    assert response.json()["link"]["sync_state"] == "error"
    assert app.ledger(found_by="resync") == 4

    # Again, and a late webhook: nothing changes.
    entries = len(app.thread())
    again = app.resync().json()["repairs"]
    assert again["comments_added"] == 0 and again["status"] is None and again["deleted"] is False
    assert app.late_webhook(written)["applied"]["comment"] == "duplicate"
    assert len(app.thread()) == entries
    assert app.ledger() == 4
    # Look-ups only: `GET <url>/changes?external_id=<id>`.
    calls = adapter.sweep_calls()[before:]
    assert len(calls) == 5 and all(call["query"] == {"external_id": [app.key]} for call in calls)


def test_a_rate_limited_adapter_is_not_swept_again_before_its_retry_after(adapted, world, adapter):
    app = adapted("sweeps-webhook-429")
    app.wait_for_sweep()
    adapter.throttle = [5]  # the interval is 2 s: without the back-off the next sweep would come sooner
    wait_for(lambda: any(call.get("throttled") for call in adapter.sweep_calls()), seconds=20,
             what="the rate-limited sweep")
    wait_for(lambda: "429" in app.sweep_row()[1], seconds=10, what="the sweep to record the 429")
    limited = next(n for n, call in enumerate(adapter.sweep_calls()) if call.get("throttled"))
    wait_for(lambda: len(adapter.sweep_calls()) > limited + 1, seconds=20, what="the sweep after Retry-After")
    calls = adapter.sweep_calls()
    assert calls[limited + 1]["at"] - calls[limited]["at"] >= 5
    written = adapter.comment_on(app.key, "After the rate limit")
    wait_for(lambda: [c["body"] for c in app.thread()] == [written["comment"]["body"]], seconds=20,
             what="the comment after the back-off")


def test_an_unsigned_or_badly_signed_answer_fails_the_sweep_and_applies_nothing(adapted, world, adapter):
    app = adapted("sweeps-webhook-signature")
    adapter.answer_signature = "wrong"
    adapter.comment_on(app.key, "Not to be trusted unsigned")
    wait_for(lambda: "webhook-signature mismatch" in app.sweep_row()[1], seconds=20, what="the refused answer")
    adapter.answer_signature = "none"
    wait_for(lambda: "signature missing" in app.sweep_row()[1], seconds=20, what="the unsigned answer")
    assert app.sweep_row()[0] == "t" and "unsigned or badly signed" in app.sweep_row()[1]
    assert app.thread() == [] and app.ledger() == 0
    # Signed again (X-Signature this time), the same change is applied.
    adapter.answer_signature = "x-signature"
    wait_for(lambda: len(app.thread()) == 1, seconds=20, what="the signed answer")
    wait_for(lambda: app.sweep_row() == ["t", ""], seconds=20, what="the sweep to succeed")


def test_an_adapter_answering_404_cannot_be_swept(adapted, world, adapter):
    adapter.sweepable = False
    app = adapted("sweeps-webhook-404")
    wait_for(lambda: app.sweep_row()[0] == "f", seconds=20, what="the sweep to find no endpoint")
    assert "cannot be swept" in app.sweep_row()[1] and "HTTP 404" in app.sweep_row()[1]
    # The connection and the sync-health view say so.
    connections = f"/api/v1/orgs/{world.org}/ticket-sync/connections"
    read = requests.get(app.stack.url(f"{connections}/{app.connection['id']}"), headers=world.auth("reader")).json()
    assert read["last_sweep"]["sweepable"] is False and "cannot be swept" in read["last_sweep"]["error"]
    readiness = requests.get(app.stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"),
                             headers=world.auth("reader")).json()
    [listed] = [c for c in readiness["connections"] if c["id"] == app.connection["id"]]
    assert listed["last_sweep"]["sweepable"] is False
    health = requests.get(app.stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/health"), headers=world.auth("reader"))
    assert health.status_code == 200, health.text
    [sweep] = [s for s in health.json()["sweeps"] if s["connection_id"] == app.connection["id"]]
    assert sweep["last_sweep"]["sweepable"] is False and "HTTP 404" in sweep["last_sweep"]["error"]
    assert health.json()["counts"]["sweeps_failing"] == 1
    # "Re-sync now" says so too, and marks nothing deleted.
    problem = assert_problem(app.resync(), 409)
    assert problem["type"].endswith("cannot-be-swept") and "HTTP 404" in problem["detail"]
    assert app.link()["sync_state"] == "synced" and app.ledger() == 0
