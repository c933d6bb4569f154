"""The command line: token create, demo-seed, migrate, and serve over TCP; /readyz with migrations pending."""
import shutil
import subprocess
import uuid

import requests

from conftest import BIN, DATABASE_URL, REPO, RUN, assert_problem, psql


def ticketsync(*args, env=None):
    return subprocess.run([BIN, *args], cwd=REPO, capture_output=True, text=True, check=True,
                          env={"DATABASE_URL": DATABASE_URL, **(env or {})})


def test_token_create_prints_a_working_token_last(stack, world):
    email = f"cli-{uuid.uuid4()}@e2e.example"
    output = ticketsync("token", "create", "--email", email, "--name", "CLI User").stdout
    token = output.strip().splitlines()[-1]
    assert token.startswith("tsk_") and len(token) == 68
    stored = psql("SELECT encode(t.token_sha256, 'hex') FROM ticket_sync.api_tokens t JOIN users u ON u.id = t.user_id "
                  "WHERE u.email = :'e'", e=email)
    assert token not in stored  # only the digest is stored
    psql("INSERT INTO org_memberships SELECT :'org', id, 'read' FROM users WHERE email = :'e'", org=world.org, e=email)
    response = requests.post(stack.url(world.request_path() + "/comments"), json={"body": "from the CLI user"},
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert response.json()["comment"]["author"] == "CLI User"


def test_demo_seed_is_idempotent_and_rotates_its_tokens(stack):
    def counts():
        return psql("SELECT (SELECT count(*) FROM orgs), (SELECT count(*) FROM evidence_requests), "
                    "(SELECT count(*) FROM users), (SELECT count(*) FROM org_memberships)")

    def seed():
        values = dict(line.split("=", 1) for line in ticketsync("demo-seed").stdout.splitlines())
        return values

    first = seed()
    before = counts()
    second = seed()
    assert counts() == before
    assert first["ORG_ID"] == second["ORG_ID"]
    request = second["REQUEST_IDS"].split(",")[0]
    path = stack.url(f"/api/v1/orgs/{second['ORG_ID']}/evidence-requests/{request}/comments")
    assert requests.get(path, headers={"Authorization": f"Bearer {second['READ_TOKEN']}"}).status_code == 200
    assert_problem(requests.get(path, headers={"Authorization": f"Bearer {first['READ_TOKEN']}"}), 401)
    close = stack.url(f"/api/v1/orgs/{second['ORG_ID']}/evidence-requests/{request}/ticket/close")
    assert_problem(requests.post(close, headers={"Authorization": f"Bearer {second['READ_TOKEN']}"}), 403)


def test_migrate_again_is_a_no_op():
    assert ticketsync("migrate").stdout.strip() == "schema is up to date"


def test_readyz_reports_pending_migrations(make_stack):
    sql_dir = RUN / f"sql-{uuid.uuid4()}"
    shutil.copytree(REPO / "sql", sql_dir)
    (sql_dir / "999_future.sql").write_text("SELECT 1;\n")
    ahead = make_stack("ahead", {"TICKETSYNC_SQL_DIR": str(sql_dir)})
    problem = assert_problem(requests.get(ahead.url("/readyz")), 503)
    assert problem["type"] == "urn:ticketsync:problem:migrations-pending"
    assert requests.get(ahead.url("/healthz")).status_code == 200


def test_serve_over_tcp(make_stack, world):
    tcp = make_stack("tcp", tcp=True)
    assert tcp.listen.startswith("127.0.0.1:")
    assert requests.get(tcp.url(world.request_path() + "/comments"), headers=world.auth("reader")).status_code == 200


def test_make_run_exits_non_zero_when_the_service_does_not_start(tmp_path):
    """`make run` (scripts/run.sh) ends with a failure status whenever the service did not start: here the
    responder refuses an unusable setting. (It used to print "the responder did not start" and exit 0.)"""
    import os
    env = {**os.environ, "TICKETSYNC_BIN": BIN, "DATABASE_URL": DATABASE_URL, "DEMO_SEED": "0", "PORT": "1",
           "TICKET_SECRET_KEYS_FILE": str(tmp_path / "none"), "TICKET_STATUS_MAP": "done=nonsense"}
    ran = subprocess.run(["bash", "scripts/run.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode != 0, ran.stderr[-2000:]
    assert "did not start" in ran.stderr, ran.stderr[-2000:]
