"""Issue 21, the drift ledger and sync health: a scheduled sweep repairs a dropped mock echo exactly once, and the
ledger (`sync.drift_repaired`), the metrics, the link's `last_verified_at`, the connection's `last_sweep` and
`GET …/ticket-sync/health` all say so; the health view lists a link with a failed comment and a connection whose
sweep failed, pages by keyset (a forged cursor is a 400), and never shows another org's links or connections.

Its own database: sweep rows are shared by every responder of a database, and a responder with the default
interval that swept the deployment default's row would make it due only in 15 minutes."""
import pytest
import requests

from conftest import Stack, World, assert_problem, own_world, psql, wait_for
from connections import connections_path, create_connection
from test_forged_cursors import cursor
from test_metrics import samples, scrape
from trackers import Receiver

SWEEPS = {"TICKET_SYNC_SWEEP_INTERVAL": "2s", "TICKET_DELIVERY_POLL_MS": "100", "TICKET_HTTP_CONNECT_TIMEOUT_S": "1",
          "TICKET_HTTP_TIMEOUT_S": "2", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1"}
REPAIRED = 'ticketsync_sync_drift_repaired_total{provider="mock",what="comment"}'
SWEPT_OK = 'ticketsync_sync_sweeps_total{provider="mock",outcome="ok"}'
SWEEP_DURATIONS = 'ticketsync_sync_sweep_duration_seconds_count{provider="mock"}'


@pytest.fixture(scope="module")
def home():
    """The module's database (the runtime role granted where the suite has one: its grants cover the health view)."""
    return own_world()


@pytest.fixture(scope="module")
def database(home):
    return home.database_url


@pytest.fixture(scope="module")
def swept(home):
    running = Stack("sync-health", SWEEPS, database_url=home.runtime_url).start()
    yield running
    running.stop()


@pytest.fixture
def world(database):
    return World(database_url=database)


def health(stack, world, role="reader", org=None, **params):
    return requests.get(stack.url(f"/api/v1/orgs/{org or world.org}/ticket-sync/health"), params=params,
                        headers=world.auth(role))


def healthy(stack, world, role="reader", org=None, **params):
    response = health(stack, world, role, org, **params)
    assert response.status_code == 200, response.text
    return response.json()


def link(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/ticket"), headers=world.auth("reader")).json()


def thread(stack, world, request=None):
    return requests.get(stack.url(world.request_path(request) + "/comments"), headers=world.auth("reader")).json()["comments"]


def repairs(database, request):
    return psql("SELECT count(*) FROM ticket_sync.audit_events WHERE action = 'sync.drift_repaired' "
                "AND evidence_request_id = :'r' AND detail ->> 'what' = 'comment' AND detail ->> 'found_by' = 'sweep'",
                database_url=database, r=request)


def later_sweep(database, scope="deployment:mock"):
    """Waits until a sweep of `scope` finishes after now."""
    def finished():
        return psql("SELECT finished_at FROM ticket_sync.sync_sweeps WHERE scope = :'s'", database_url=database, s=scope)
    seen = finished()
    wait_for(lambda: finished() != seen, seconds=10, what=f"another sweep of {scope}")


def test_a_sweep_repairs_a_dropped_echo_once_and_the_ledger_metrics_and_health_say_so(swept, world, database):
    admin = world.auth("admin")
    created = requests.post(swept.url(world.request_path() + "/ticket"), headers=admin)
    assert created.status_code == 201, created.text
    assert "last_verified_at" in created.json()
    external_id = created.json()["external_id"]
    before = samples(scrape(swept))

    posted = requests.post(swept.url(world.request_path() + "/comments"), headers=admin,
                           json={"body": "Uploaded the export #drop-echo"})
    assert posted.status_code == 201, posted.text
    assert posted.json()["echo"] is None, "the mock dropped its webhook"
    echo = f"Received on {external_id}: Uploaded the export #drop-echo"

    wait_for(lambda: any(c["body"] == echo for c in thread(swept, world)), seconds=20, what="the sweep's repair")
    [audit] = [e for e in requests.get(swept.url(f"/api/v1/orgs/{world.org}/ticket-sync/audit"), headers=admin,
                                       params={"evidence_request_id": world.r1}).json()["events"]
               if e["action"] == "sync.drift_repaired"]
    assert audit["detail"]["what"] == "comment" and audit["detail"]["found_by"] == "sweep"
    assert audit["detail"]["external_id"] == external_id
    wait_for(lambda: samples(scrape(swept)).get(REPAIRED, 0) >= before.get(REPAIRED, 0) + 1, what="the metric")

    # Later sweeps find the tracker in agreement: nothing is applied twice.
    later_sweep(database)
    later_sweep(database)
    assert [c["body"] for c in thread(swept, world)].count(echo) == 1
    assert repairs(database, world.r1) == "1"
    after = samples(scrape(swept))
    assert after[REPAIRED] == before.get(REPAIRED, 0) + 1
    assert after[SWEPT_OK] > before.get(SWEPT_OK, 0) and after[SWEEP_DURATIONS] > before.get(SWEEP_DURATIONS, 0)

    verified = link(swept, world)["last_verified_at"]
    assert verified is not None and verified.endswith("Z")

    # The health view: nothing needs attention, and the deployment default's sweep (this org's links use it) worked.
    report = healthy(swept, world)
    assert report["counts"]["links"] == 1 and report["counts"]["links_needing_attention"] == 0
    assert report["links"] == [] and report["next_cursor"] is None
    [deployment] = report["sweeps"]
    assert deployment["connection_id"] is None and deployment["kind"] == "mock"
    assert deployment["last_sweep"]["error"] is None and deployment["last_sweep"]["sweepable"] is True
    assert deployment["last_sweep"]["changes"] is None, "the shared row's count is every org's"
    assert report["thresholds"] == {"comment_pending_seconds": 600, "unverified_seconds": 4,
                                    "poll_unverified_seconds": 240}


def test_health_lists_a_failed_comment_and_a_failing_sweep_and_only_the_orgs_own(swept, world, database):
    receiver = Receiver("adapter-secret")
    try:
        adapter = create_connection(swept, world, {"kind": "webhook", "name": "Adapter",
                                                   "settings": {"url": receiver.url},
                                                   "secrets": {"webhook_secret": "adapter-secret"}})
        admin = world.auth("admin")
        created = requests.post(swept.url(world.request_path(world.r2) + "/ticket"), headers=admin,
                                json={"connection_id": adapter["id"]})
        assert created.status_code == 201, created.text
        receiver.answer(410)
        failed = requests.post(swept.url(world.request_path(world.r2) + "/comments"), headers=admin,
                               json={"body": "to a dead endpoint"})
        assert failed.json()["comment"]["sync_state"] == "error"

        # Org B: a link with a failed comment and a connection of its own, which org A must never see.
        admin_b = world.auth("admin_b")
        theirs = create_connection(swept, world, {"kind": "mock", "name": "B's mock"}, role="admin_b", org=world.org_b)
        assert requests.post(swept.url(world.request_path(world.rb, world.org_b) + "/ticket"),
                             headers=admin_b).status_code == 201
        requests.post(swept.url(world.request_path(world.rb, world.org_b) + "/comments"), headers=admin_b,
                      json={"body": "B's comment"})
        psql("UPDATE ticket_sync.comments SET sync_state = 'error', last_error = 'refused' WHERE org_id = :'org'",
             database_url=database, org=world.org_b)

        def listed():
            report = healthy(swept, world)
            item = next((i for i in report["links"] if i["evidence_request_id"] == world.r2), None)
            sweep = next((s for s in report["sweeps"] if s["connection_id"] == adapter["id"]), None)
            return item and {"comment_failed", "sweep_failed", "unverified"} <= set(item["reasons"]) \
                and sweep and sweep["last_sweep"] and sweep["last_sweep"]["error"]
        wait_for(listed, seconds=25, what="the failed comment and the failed sweep in the health view")

        report = healthy(swept, world)
        [item] = [i for i in report["links"] if i["evidence_request_id"] == world.r2]
        assert item["external_id"] == created.json()["external_id"] and item["connection_id"] == adapter["id"]
        assert item["title"] == "Change sample" and item["provider"] == "webhook"
        assert item["last_verified_at"] is None
        counts = report["counts"]
        assert counts["comments_failed"] == 1 and counts["sweeps_failing"] >= 1 and counts["links_unverified"] >= 1
        [sweep] = [s for s in report["sweeps"] if s["connection_id"] == adapter["id"]]
        assert sweep["name"] == "Adapter" and sweep["kind"] == "webhook" and sweep["inbound_mode"] == "webhook"
        assert sweep["last_sweep"]["finished_at"] and sweep["last_sweep"]["next_at"]
        # The connection's own JSON carries the same last sweep.
        read = requests.get(swept.url(f"{connections_path(world.org)}/{adapter['id']}"), headers=admin).json()
        assert read["last_sweep"]["error"] == sweep["last_sweep"]["error"]
        assert read["last_sweep"]["changes"] == 0

        # Tenancy: A sees only its own requests and connections; B sees its own.
        assert {i["evidence_request_id"] for i in report["links"]} <= {world.r1, world.r2}
        assert theirs["id"] not in {s["connection_id"] for s in report["sweeps"]}
        assert counts["links"] == 1
        theirs_report = healthy(swept, world, role="admin_b", org=world.org_b)
        assert [i["evidence_request_id"] for i in theirs_report["links"]] == [world.rb]
        assert "comment_failed" in theirs_report["links"][0]["reasons"]
        assert adapter["id"] not in {s["connection_id"] for s in theirs_report["sweeps"]}
        assert theirs["id"] in {s["connection_id"] for s in theirs_report["sweeps"]}
        assert_problem(health(swept, world, role="admin_b"), 404)
        assert_problem(health(swept, world, role="outsider"), 404)
        assert_problem(requests.get(swept.url(f"/api/v1/orgs/{world.org}/ticket-sync/health")), 401)
    finally:
        receiver.stop()


def test_health_pages_by_keyset_and_refuses_a_forged_cursor(swept, world, database):
    admin = world.auth("admin")
    for request in (world.r1, world.r2):
        assert requests.post(swept.url(world.request_path(request) + "/ticket"), headers=admin).status_code == 201
        requests.post(swept.url(world.request_path(request) + "/comments"), headers=admin, json={"body": "x"})
    psql("UPDATE ticket_sync.comments SET sync_state = 'error' WHERE org_id = :'org'", database_url=database,
         org=world.org)

    first = healthy(swept, world, limit=1)
    assert len(first["links"]) == 1 and first["next_cursor"]
    second = healthy(swept, world, limit=1, cursor=first["next_cursor"])
    assert len(second["links"]) == 1 and second["next_cursor"] is None
    assert {first["links"][0]["evidence_request_id"], second["links"][0]["evidence_request_id"]} == {world.r1, world.r2}
    assert first["counts"] == second["counts"] and first["counts"]["links_needing_attention"] == 2

    for forged in ("nope", cursor({"t": "9999-99-99T99:99:99.999999Z", "i": world.r1}),
                   cursor({"t": "2026-01-01T00:00:00.000000Z", "i": "not-a-uuid"}), cursor([1])):
        problem = assert_problem(health(swept, world, cursor=forged), 400)
        assert problem["parameter"] == "cursor"
    assert assert_problem(health(swept, world, limit=0), 400)["parameter"] == "limit"
    assert_problem(requests.get(swept.url(f"/api/v1/orgs/{world.org}/ticket-sync/health"), params={"cursor": "nope"},
                                headers={"Authorization": "Bearer nope"}), 401)


def test_a_link_and_a_connection_carry_their_sync_state(swept, world):
    connection = create_connection(swept, world, {"kind": "mock", "name": "Fresh"})
    assert connection["last_sweep"] is None, "never swept yet"
    listed = requests.get(swept.url(connections_path(world.org)), headers=world.auth("reader")).json()["connections"]
    assert "last_sweep" in listed[0]
    created = requests.post(swept.url(world.request_path() + "/ticket"), headers=world.auth("admin"),
                            json={"connection_id": connection["id"]}).json()
    assert created["last_verified_at"] is None

    def swept_once():
        read = requests.get(swept.url(f"{connections_path(world.org)}/{connection['id']}"),
                            headers=world.auth("reader")).json()
        return read["last_sweep"] and read["last_sweep"]["finished_at"] and read
    wait_for(swept_once, seconds=15, what="the connection's first sweep")
    last = swept_once()["last_sweep"]
    assert last["error"] is None and last["sweepable"] is True and last["changes"] == 0
    assert set(last) == {"started_at", "finished_at", "changes", "error", "sweepable", "next_at"}
    wait_for(lambda: link(swept, world)["last_verified_at"] is not None, seconds=15, what="the link verified")
