"""The scale-out drill (`make drill`, also run by `make test`): two responders listening on TCP, standing in for two
hosts, behind one nginx upstream, both running delivery loops, with PgBouncer in transaction mode between them and
PostgreSQL (prepared statements off, as PgBouncer 1.18 needs). Under a comment and read load, one "host" (its master
and workers) is SIGKILLed: reads fail over, every acknowledged comment is stored once, every event is delivered
exactly once in effect (one event id per comment) and in outbox order per link, and the survivor carries on."""
import collections
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from urllib.parse import parse_qs, urlparse

import requests

from conftest import BIN, DATABASE_URL, REPO, RUN, RUNTIME_DATABASE_URL, SHARED_ENV, World, free_port, psql, wait_for
from trackers import Receiver


class PgBouncer:
    """PgBouncer in transaction mode in front of the test cluster (a unix socket), on a private loopback port.
    It refuses to run as root, so as root its directory belongs to "postgres" and it switches to that user."""

    def __init__(self, database_url=DATABASE_URL):
        target = parse_qs(urlparse(database_url).query)
        self.dir = tempfile.mkdtemp(prefix="ticketsync-pgbouncer-")
        self.port = free_port()
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(ini, "w") as config:
            config.write(f"""[databases]
ticketsync = host={target['host'][0]} port={target['port'][0]} dbname=ticketsync

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        # The responders connect as the runtime role when `make test` made one (trust auth: no passwords here).
        user = urlparse(RUNTIME_DATABASE_URL).username or "postgres"
        with open(os.path.join(self.dir, "userlist.txt"), "w") as users:
            users.write(f'"postgres" ""\n"{user}" ""\n')
        self.command = ["pgbouncer", ini]
        if os.getuid() == 0:
            postgres = pwd.getpwnam("postgres")
            for path in [self.dir] + [os.path.join(self.dir, name) for name in os.listdir(self.dir)]:
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
            self.command = ["pgbouncer", "-u", "postgres", ini]  # it switches to that user itself
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"postgresql://{user}@127.0.0.1:{self.port}/ticketsync?sslmode=disable"
        wait_for(lambda: subprocess.run(["psql", self.url, "-XAtqc", "SELECT 1"], capture_output=True).returncode == 0,
                 what="PgBouncer to accept connections")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # PgBouncer's immediate shutdown
            self.process.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


class Host:
    """One responder (master and workers) on 127.0.0.1:port, in its own process group so a "host crash" takes all."""

    def __init__(self, name, env):
        self.port = free_port()
        self.log_path = RUN / f"{name}-{uuid.uuid4().hex[:8]}.log"
        self.process = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.port}", "--threads", "4"], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"), start_new_session=True)
        wait_for(lambda: "listening on" in self.log_path.read_text(errors="replace"), what=f"{name} to listen")

    def crash(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)


def run_load(send, threads, stop):
    """`threads` threads calling `send(session)` until `stop` is set; returns [(outcome, started_at)] and the
    client errors' details (kept for the assertion messages)."""
    results, errors, lock = [], [], threading.Lock()

    def loop():
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            try:
                outcome = send(session)
            except requests.RequestException as error:
                outcome = f"error: {type(error).__name__}"
                with lock:
                    errors.append(f"{time.monotonic():.3f} {error!r}")
            with lock:
                results.append((outcome, started))
    workers = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    return results, errors, workers


def drill_scale_out(report):
    secret = "scale-out-secret"
    receiver = Receiver(secret)
    bouncer = PgBouncer()
    hosts, nginx = [], None
    try:
        env = {"PATH": os.environ["PATH"], **SHARED_ENV, "DATABASE_URL": bouncer.url,
               "TICKETSYNC_DB_PREPARED_STATEMENTS": "off", "TICKET_PROVIDER": "webhook",
               "TICKET_WEBHOOK_URL": receiver.url, "TICKET_WEBHOOK_SECRET": secret,
               "TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1",
               "TICKET_DELIVERY_POLL_MS": "100", "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1", "TICKET_HTTP_TIMEOUT_S": "2"}
        hosts = [Host("scale-out-a", env), Host("scale-out-b", env)]
        nginx_dir = RUN / f"scale-out-nginx-{uuid.uuid4().hex[:8]}"
        port = free_port()
        conf = subprocess.check_output(
            ["bash", str(REPO / "scripts/render-nginx.sh"), str(nginx_dir), str(port),
             ",".join(f"127.0.0.1:{host.port}" for host in hosts)], text=True).strip()
        nginx = subprocess.Popen(["nginx", "-p", str(nginx_dir), "-c", conf, "-e", str(nginx_dir / "error.log")])
        base = f"http://127.0.0.1:{port}"

        def ready():
            try:
                return requests.get(base + "/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False
        wait_for(ready, what="nginx and the upstream to answer")

        world = World()
        extra = [str(uuid.uuid4()) for _ in range(2)]
        psql("INSERT INTO evidence_requests (id, org_id, title) VALUES (:'a', :'org', 'Scale A'), (:'b', :'org', 'Scale B')",
             a=extra[0], b=extra[1], org=world.org)
        requests_ = [world.r1, world.r2] + extra
        for request in requests_:
            response = requests.post(base + world.request_path(request) + "/ticket", headers=world.auth("admin"))
            assert response.status_code == 201, response.text

        acknowledged, lock = {}, threading.Lock()
        counter = iter(range(1, 10**9))
        headers = world.auth("reader")

        def post(session):
            with lock:
                n = next(counter)
                request = requests_[n % len(requests_)]
            body = f"scale-out comment {n}"
            response = session.post(base + world.request_path(request) + "/comments", json={"body": body},
                                    headers=headers, timeout=10)
            if response.status_code == 201:
                with lock:
                    acknowledged[response.json()["comment"]["id"]] = body
            return response.status_code

        def read(session):
            return session.get(base + world.request_path() + "/comments", headers=headers, timeout=10).status_code

        stop = threading.Event()
        writes, write_errors, writers = run_load(post, 6, stop)
        reads, read_errors, readers = run_load(read, 4, stop)
        time.sleep(1.5)
        crashed_at = time.monotonic()
        hosts[0].crash()
        time.sleep(2.5)
        stop.set()
        for worker in writers + readers:
            worker.join(timeout=30)

        write_counts = collections.Counter(str(outcome) for outcome, _ in writes)
        read_counts = collections.Counter(str(outcome) for outcome, _ in reads)
        assert set(write_counts) <= {"201", "502"}, (write_counts, write_errors[:5], f"crashed at {crashed_at:.3f}")
        assert set(read_counts) <= {"200", "502"}, (read_counts, read_errors[:5], f"crashed at {crashed_at:.3f}")
        assert read_counts["502"] <= 4, f"reads fail over: only those in flight at the crash fail ({read_counts})"
        after = [outcome for outcome, started in writes if started > crashed_at + 0.5]
        assert after and all(outcome == 201 for outcome in after), "the survivor takes every write after the crash"

        # Stored once: every acknowledged comment is there, and no body was stored twice (no write was replayed).
        rows = psql("SELECT id, body FROM ticket_sync.comments WHERE org_id = :'org' AND source = 'internal'",
                    org=world.org)
        by_id = dict(line.split("|", 1) for line in rows.splitlines() if line)
        missing = [cid for cid in acknowledged if str(cid) not in by_id]
        assert not missing, f"acknowledged comments lost: {missing[:10]}"
        doubled = [body for body, count in collections.Counter(by_id.values()).items() if count > 1]
        assert not doubled, f"comments stored twice: {doubled[:5]}"

        # Delivered: the crashed host's claims are taken over once their leases pass (about 32 s here).
        def drained():
            return psql("SELECT count(*) FROM ticket_sync.outbox o JOIN ticket_sync.ticket_links l ON l.id = o.link_id "
                        "WHERE l.org_id = :'org' AND o.state <> 'delivered'", org=world.org).strip() == "0"
        wait_for(drained, seconds=90, what="every event of the drill to be delivered")
        outbox = psql("SELECT link_id || '|' || event_id FROM ticket_sync.outbox o "
                      "WHERE org_id = :'org' AND event_type = 'ticket.comment' ORDER BY id", org=world.org)
        expected = collections.defaultdict(list)
        for line in outbox.splitlines():
            link, event = line.split("|")
            expected[link].append(event)
        arrivals = receiver.event_ids("ticket.comment")
        assert all(e["valid"] for e in receiver.events())
        first_seen = list(dict.fromkeys(arrivals))
        queued = {event for events in expected.values() for event in events}
        assert set(first_seen) == queued, "every queued event arrived, and nothing else"
        for link, events in expected.items():
            arrived = [event for event in first_seen if event in set(events)]
            assert arrived == events, f"link {link}: events out of outbox order"
        per_comment = collections.defaultdict(set)
        for record in receiver.events("ticket.comment"):
            per_comment[record["event"]["comment"]["id"]].add(record["headers"]["X-Event-Id"])
        assert all(len(ids) == 1 for ids in per_comment.values()), "one event id per comment"

        # The survivor carries on.
        response = requests.post(base + world.request_path() + "/comments", json={"body": "after the drill"},
                                 headers=headers, timeout=10)
        assert response.status_code == 201 and response.json()["comment"]["sync_state"] == "synced", response.text
        report("scale-out-pgbouncer", writes=dict(write_counts), reads=dict(read_counts),
               acknowledged=len(acknowledged), stored_once=len(acknowledged), events=len(queued),
               deliveries=len(arrivals), redeliveries_same_event_id=len(arrivals) - len(first_seen),
               links_in_order=len(expected), survivor_ok=True)
    finally:
        if nginx and nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=15)
        for host in hosts:
            host.stop()
        bouncer.stop()
        receiver.down()
