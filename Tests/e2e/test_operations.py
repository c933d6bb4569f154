"""Operations: PostgreSQL going away and coming back, graceful SIGTERM, and what the log never contains."""
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import requests

from conftest import BIN, REPO, RUN, World, assert_problem


def test_database_outage_answers_503_and_recovers(make_stack):
    pg_dir = tempfile.mkdtemp(prefix="outage-pg-", dir=RUN)
    shutil.rmtree(pg_dir)
    port = "55601"
    url = subprocess.check_output(["bash", str(REPO / "scripts/pg.sh"), "start", pg_dir, port], text=True).strip()
    try:
        subprocess.run([BIN, "migrate", "--database-url", url], cwd=REPO, check=True, capture_output=True)
        world = World(database_url=url)
        outage = make_stack("outage", database_url=url)
        path = outage.url(world.request_path() + "/comments")
        assert requests.get(path, headers=world.auth("reader")).status_code == 200
        pid = outage.responder.pid

        subprocess.run(["bash", str(REPO / "scripts/pg.sh"), "stop", pg_dir], check=True)
        started = time.monotonic()
        for _ in range(3):
            problem = assert_problem(requests.get(path, headers=world.auth("reader"), timeout=10), 503)
            assert problem["type"] == "urn:ticketsync:problem:database-unavailable"
        assert_problem(requests.get(outage.url("/readyz"), timeout=10), 503)
        assert time.monotonic() - started < 10
        assert requests.get(outage.url("/healthz")).status_code == 200

        subprocess.check_output(["bash", str(REPO / "scripts/pg.sh"), "start", pg_dir, port])
        # Every worker reconnects on its next request: all of them answer normally again.
        for _ in range(12):
            assert requests.get(path, headers=world.auth("reader")).status_code == 200
        assert outage.responder.pid == pid and outage.responder.poll() is None
    finally:
        subprocess.run(["bash", str(REPO / "scripts/pg.sh"), "stop", pg_dir])


def test_sigterm_finishes_requests_in_flight_and_exits_0(make_stack, world):
    graceful = make_stack("sigterm")
    results = []

    def hammer():
        for _ in range(40):
            try:
                results.append(requests.get(graceful.url(world.request_path() + "/comments"),
                                            headers=world.auth("reader"), timeout=5).status_code)
            except requests.RequestException as error:
                results.append(str(error))

    workers = [threading.Thread(target=hammer) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(0.2)
    assert graceful.stop_responder() == 0
    for worker in workers:
        worker.join()
    # Before the stop every answer is 200; after it nginx answers 502 (responder gone). Nothing is cut mid-response.
    assert results and set(results) <= {200, 502}, set(results)
    assert 200 in results
    assert not graceful.socket.exists()


def test_log_has_one_line_per_request_and_no_secrets(make_stack, world):
    logged = make_stack("logging", {"TICKET_WEBHOOK_SECRET": "do-not-log-me"})
    requests.post(logged.url(world.request_path() + "/comments"), json={"body": "confidential-body-text"},
                  headers=world.auth("reader"))
    requests.get(logged.url(world.request_path() + "/comments?limit=5&note=secret-query"), headers=world.auth("reader"))
    # A worker writes its line once the answer is sent: wait for it.
    from conftest import wait_for
    wait_for(lambda: f"GET {world.request_path()}/comments 200" in logged.log(), what="the request's log line")
    log = logged.log()
    assert f"POST {world.request_path()}/comments 201" in log
    assert f"GET {world.request_path()}/comments 200" in log
    for secret in ["confidential-body-text", world.tokens["reader"], "do-not-log-me", "secret-query"]:
        assert secret not in log


def test_a_second_responder_never_steals_a_live_socket(stack):
    result = subprocess.run([BIN, "serve", "--listen", str(stack.socket)], cwd=REPO, capture_output=True, text=True,
                            env={"DATABASE_URL": "host=/nonexistent"}, timeout=10)
    assert result.returncode != 0
    assert "another process is listening" in result.stderr
    assert requests.get(stack.url("/healthz")).status_code == 200
