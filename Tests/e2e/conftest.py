"""End-to-end harness: real responders behind a real nginx on 127.0.0.1, against the PostgreSQL
that `make test` started (DATABASE_URL, migrated). Each Stack is one responder + one nginx."""
import hashlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TICKETSYNC_BIN", str(REPO / ".build/debug/ticketsync"))
DATABASE_URL = os.environ["DATABASE_URL"]
# Responders connect as the least-privileged runtime role when `make test` made one (scripts/test-env.sh); fixtures,
# migrations and admin commands use the owner's DATABASE_URL.
RUNTIME_DATABASE_URL = os.environ.get("TICKETSYNC_RUNTIME_DATABASE_URL", DATABASE_URL)
RUN = REPO / ".run" / "test"
# Every responder of the suite shares one database, so each one must open the connection secrets any test stored,
# and may reach the fake trackers on loopback (which org connections may only inside an allowed network).
SECRET_KEYS = "test1:" + "A" * 43 + "="
# The rate limits are lifted for the suite (tests load one token hard); test_fault_isolation lowers them to see a 429.
SHARED_ENV = {"TICKET_SECRET_KEYS": SECRET_KEYS, "TICKET_ALLOWED_TRACKER_NETWORKS": "127.0.0.0/8",
              "TICKETSYNC_TOKEN_RATE": "100000r/s", "TICKETSYNC_INBOUND_RATE": "100000r/s",
              "TICKETSYNC_ADDRESS_RATE": "100000r/s",
              # Sweeps are tested in databases of their own (own_world); elsewhere none comes during the run.
              "TICKET_SYNC_SWEEP_INTERVAL": "1h"}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, seconds=10.0, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """A responder on a unix socket and an nginx in front of it, with its own environment."""

    def __init__(self, name, env=None, database_url=RUNTIME_DATABASE_URL, threads=4, tcp=False, workers=None,
                 env_file=None):
        RUN.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=RUN))
        self.socket = self.dir / "ts.sock"
        self.listen = f"127.0.0.1:{free_port()}" if tcp else str(self.socket)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {"PATH": os.environ["PATH"], "DATABASE_URL": database_url, **SHARED_ENV, **(env or {})}
        self.threads = threads
        self.workers = workers  # None: the default (a master and its workers)
        self.env_file = env_file
        self.responder = None
        self.nginx = None
        self.log_path = self.dir / "responder.log"

    def start(self):
        self.start_responder()
        rates = {key: value for key, value in self.env.items() if key.startswith("TICKETSYNC_")
                 and (key.endswith("_RATE") or key in ("TICKETSYNC_TRUSTED_PROXIES", "TICKETSYNC_METRICS_ALLOW"))}
        conf = subprocess.check_output(
            ["bash", str(REPO / "scripts/render-nginx.sh"), str(self.dir / "nginx"), str(self.port), self.listen],
            text=True, env={**os.environ, **rates}).strip()
        self.nginx = subprocess.Popen(["nginx", "-p", str(self.dir / "nginx"), "-c", conf,
                                       "-e", str(self.dir / "nginx" / "error.log")])
        wait_for(lambda: self._healthy(), what="nginx and the responder")
        return self

    def start_responder(self):
        already = self.log().count("listening on") if self.log_path.exists() else 0
        self.responder = subprocess.Popen(
            [BIN, "serve", "--listen", self.listen, "--threads", str(self.threads)]
            + ([] if self.workers is None else ["--workers", str(self.workers)])
            + ([] if self.env_file is None else ["--env-file", str(self.env_file)]),
            cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"))
        wait_for(lambda: self.log().count("listening on") > already, what="the responder to listen")

    def stop_responder(self):
        if self.responder and self.responder.poll() is None:
            self.responder.send_signal(signal.SIGTERM)
            return self.responder.wait(timeout=15)
        return None

    def _healthy(self):
        try:
            return requests.get(self.base + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        self.stop_responder()
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            self.nginx.wait(timeout=15)

    def worker_pids(self):
        """The responder's worker processes: its live children, read from /proc (no procps needed)."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, …
            if fields[1] == str(self.responder.pid) and fields[0] != "Z":
                children.append(int(entry.name))
        return sorted(children)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def url(self, path):
        return self.base + path


def psql(sql, database_url=DATABASE_URL, **variables):
    """Runs SQL through psql; variables are bound safely as :'name'."""
    args = ["psql", database_url, "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"]
    for name, value in variables.items():
        args += ["-v", f"{name}={value}"]
    return subprocess.run(args, input=sql, text=True, capture_output=True, check=True).stdout.strip()


def fresh_database(migrate=True, sql_dir=None):
    """Creates a new database in the suite's cluster and returns its URL, migrated unless told otherwise."""
    name = "ts_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    url = DATABASE_URL.replace("/ticketsync?", f"/{name}?", 1)
    assert url != DATABASE_URL
    if migrate:
        args = [BIN, "migrate"] + (["--sql-dir", str(sql_dir)] if sql_dir else [])
        subprocess.run(args, cwd=REPO, env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
    return url


def new_token():
    token = "tsk_" + secrets.token_hex(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


class World:
    """Two orgs. A: requests r1, r2; admin (configure), reader (read). B: request rb; admin_b.
    outsider: a valid user in no org."""

    def __init__(self, database_url=DATABASE_URL):
        self.database_url = database_url
        self.org = str(uuid.uuid4())
        self.org_b = str(uuid.uuid4())
        self.r1, self.r2, self.rb = (str(uuid.uuid4()) for _ in range(3))
        self.tokens = {}
        statements = [
            "INSERT INTO orgs VALUES (:'org', 'Org A'), (:'org_b', 'Org B');",
            "INSERT INTO evidence_requests (id, org_id, title, description) VALUES "
            "(:'r1', :'org', 'Access review', 'Q3 access review'), (:'r2', :'org', 'Change sample', ''),"
            "(:'rb', :'org_b', 'Other org request', '');",
        ]
        variables = {"org": self.org, "org_b": self.org_b, "r1": self.r1, "r2": self.r2, "rb": self.rb}
        for role, org, permission in [("admin", "org", "configure"), ("reader", "org", "read"),
                                      ("admin_b", "org_b", "configure"), ("outsider", None, None)]:
            user = str(uuid.uuid4())
            token, digest = new_token()
            self.tokens[role] = token
            variables[f"{role}_id"] = user
            variables[f"{role}_digest"] = digest
            statements.append(f"INSERT INTO users (id, email, display_name) VALUES "
                              f"(:'{role}_id', :'{role}_id' || '@e2e.example', '{role.title()} User');")
            statements.append(f"INSERT INTO ticket_sync.api_tokens (user_id, token_sha256) "
                              f"VALUES (:'{role}_id', decode(:'{role}_digest', 'hex'));")
            if org:
                statements.append(f"INSERT INTO org_memberships VALUES (:'{org}', :'{role}_id', '{permission}');")
        psql("\n".join(statements), database_url=database_url, **variables)
        self.user_ids = {role: variables[f"{role}_id"] for role in self.tokens}

    def auth(self, role):
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def sql(self, query, **variables):
        """psql on this world's database, with `:'org'` bound to org A."""
        return psql(query, database_url=self.database_url, **{"org": self.org, **variables})

    def request_path(self, request=None, org=None):
        return f"/api/v1/orgs/{org or self.org}/evidence-requests/{request or self.r1}"

    def snapshot(self):
        """Everything Ticket Sync stored for org A, to prove a rejected request changed nothing."""
        return psql("""
            SELECT coalesce(json_agg(l ORDER BY l.created_at)::text, '[]') FROM ticket_sync.ticket_links l WHERE org_id = :'org';
            SELECT coalesce(json_agg(c ORDER BY c.id)::text, '[]') FROM ticket_sync.comments c WHERE org_id = :'org';
            SELECT coalesce(json_agg(e ORDER BY e.id)::text, '[]') FROM evidence_requests e WHERE org_id = :'org';
            """, database_url=self.database_url, org=self.org)


@pytest.fixture(scope="session")
def stack():
    running = Stack("mock").start()
    yield running
    running.stop()


@pytest.fixture
def world():
    return World()


@pytest.fixture
def make_stack():
    """Extra stacks with their own environment, stopped after the test."""
    stacks = []

    def make(name, env=None, **kwargs):
        running = Stack(name, env=env, **kwargs).start()
        stacks.append(running)
        return running

    yield make
    for running in stacks:
        running.stop()


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:ticketsync:problem:")
    assert body["title"] and body["detail"]
    return body


def own_world():
    """A World in a database of its own (migrated, the runtime role granted), with `runtime_url` for its stacks.
    Every responder sweeps every connection of its database (ticket_sync.sync_sweeps), whatever its interval: sweep
    tests keep the suite's other responders (the session's stack, other tests' intervals) out of theirs."""
    url = fresh_database()
    if RUNTIME_DATABASE_URL != DATABASE_URL:
        grants = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], capture_output=True, text=True,
                                check=True, env={**os.environ, "DATABASE_URL": url}).stdout
        psql(grants, database_url=url)
    world = World(database_url=url)
    name = url.split("?")[0].rsplit("/", 1)[1]
    world.runtime_url = (RUNTIME_DATABASE_URL.replace("/ticketsync?", f"/{name}?", 1)
                         if RUNTIME_DATABASE_URL != DATABASE_URL else url)
    return world


def due_date_world():
    """own_world() whose host table has the contract's optional `due_date date` column (issue 23): a database of its
    own, since no other test may see the column."""
    made = own_world()
    made.sql("ALTER TABLE evidence_requests ADD COLUMN due_date date")
    return made


@pytest.fixture(autouse=True)
def quiet_outbox():
    """Every responder's delivery loop serves every org in the database through its own provider settings, as a
    deployment's processes do. Tests share one database but not settings: once a test's responders have stopped,
    its undelivered events are closed, so a later test's loop never sends them to that test's receiver."""
    yield
    psql("UPDATE ticket_sync.outbox SET state = 'failed', last_error = 'closed by the test harness' "
         "WHERE state IN ('pending', 'delivering')")
