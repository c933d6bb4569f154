"""Behind PgBouncer in transaction mode, out of the box (issue 24, item 5; docs/operations.md "PgBouncer"):
PgBouncer 1.18 (Debian 12's) hands one server session to many clients and keeps no prepared statements, so named
statements collide (42P05) or vanish (26000). The responder notices the first one, says so once in its log, and
runs without them; requests never see it. A pool of one server connection makes every client share it."""
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from conftest import DATABASE_URL, own_world, wait_for

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
REPO = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bouncer():
    """PgBouncer on 127.0.0.1 in front of the suite's cluster (its unix socket), transaction pooling, one server
    connection per database and user (scripts/pgbouncer.sh, shared with make bench)."""
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer is not installed (make test installs it)")
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = free_port()
    process = subprocess.Popen(["bash", str(REPO / "scripts/pgbouncer.sh"), str(folder), str(port), "1", DATABASE_URL],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening():
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    wait_for(listening, seconds=10, what="pgbouncer to listen")
    yield port
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


def test_the_responder_runs_behind_pgbouncer_in_transaction_mode_without_being_told(make_stack, bouncer):
    world = own_world()
    database = world.database_url.split("@/")[1].split("?")[0]
    url = f"postgresql://ticketsync_runtime@127.0.0.1:{bouncer}/{database}"
    stack = make_stack("pgbouncer", database_url=url, workers=2, threads=4)
    # Every kind of statement, from both workers, sharing one server session: reads (prepared on first use), a
    # create (a transaction), comments (pipelines) and the list.
    for round_ in range(12):
        listed = requests.get(stack.url(f"/api/v1/orgs/{world.org}/evidence-requests"), headers=world.auth("reader"))
        assert listed.status_code == 200, listed.text
        thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"))
        assert thread.status_code == 200, thread.text
    opened = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
    assert opened.status_code == 201, opened.text
    for n in range(6):
        posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("admin"),
                               json={"body": f"behind the pooler {n}"})
        assert posted.status_code == 201, posted.text
    thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()
    assert sum(c["body"].startswith("behind the pooler") for c in thread["comments"]) == 6
    log = stack.log()
    # Said once per process (a master and two workers at most), never as a raw SQLSTATE error.
    assert 1 <= log.count("does not keep prepared statements") <= 3, log[-3000:]
    assert "42P05" not in log.replace("SQLSTATE 42P05", "").replace("SQLSTATE 26000", ""), log[-3000:]
    assert "Error: server(" not in log
