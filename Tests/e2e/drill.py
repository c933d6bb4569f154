"""Fault drills (`make drill`, also run by `make test`): PostgreSQL stopped under load, SIGTERM under load,
SIGKILL during a comment load with the webhook provider, and two responders behind PgBouncer with one of them killed
(drill_scale_out.py). Each prints one summary line and fails loudly on a breach.
Loads are bounded in count and time and target 127.0.0.1 only."""
import collections
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import requests

import os

from conftest import BIN, REPO, RUN, Stack, World, wait_for

# The drills load one token and one inbound URL far past the default rate limits, on purpose: lift them here.
os.environ.setdefault("TICKETSYNC_TOKEN_RATE", "100000r/s")
os.environ.setdefault("TICKETSYNC_INBOUND_RATE", "100000r/s")
os.environ.setdefault("TICKETSYNC_ADDRESS_RATE", "100000r/s")
from trackers import Receiver

def report(name, **values):
    print(f"drill {name}: " + ", ".join(f"{key}={value}" for key, value in values.items()), flush=True)


class Load:
    """`threads` workers calling `send()` until stopped (or `limit` requests each); records every outcome."""

    def __init__(self, send, threads=8, limit=100_000):
        self.send, self.threads, self.limit = send, threads, limit
        self.results = []          # (status or error text, seconds, started_at)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.workers = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        session = requests.Session()
        for _ in range(self.limit):
            if self.stopping.is_set():
                return
            started = time.monotonic()
            try:
                outcome = self.send(session)
            except requests.RequestException as error:
                outcome = f"error: {type(error).__name__}"
            with self.lock:
                self.results.append((outcome, time.monotonic() - started, started))

    def __enter__(self):
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for worker in self.workers:
            worker.join(timeout=30)

    def counts(self):
        return dict(collections.Counter(str(getattr(outcome, "status_code", outcome)) for outcome, _, _ in self.results))


def drill_postgres_outage():
    pg_dir = tempfile.mkdtemp(prefix="drill-pg-", dir=RUN)
    shutil.rmtree(pg_dir)
    port = "55611"
    pg = ["bash", str(REPO / "scripts/pg.sh")]
    url = subprocess.check_output(pg + ["start", pg_dir, port], text=True).strip()
    stack = None
    try:
        subprocess.run([BIN, "migrate", "--database-url", url], cwd=REPO, check=True, capture_output=True)
        world = World(database_url=url)
        stack = Stack("drill-outage", database_url=url, threads=8).start()
        pid = stack.responder.pid
        path = stack.url(world.request_path() + "/comments")
        headers = world.auth("reader")
        outage = {}

        def send(session):
            response = session.get(path, headers=headers, timeout=10)
            if response.status_code >= 500:
                assert response.status_code == 503, response.text
                assert response.headers["Content-Type"].startswith("application/problem+json")
            return response.status_code

        with Load(send, threads=8) as load:
            time.sleep(1.5)
            outage["down"] = time.monotonic()
            subprocess.run(pg + ["stop", pg_dir], check=True)
            time.sleep(2.0)
            subprocess.check_output(pg + ["start", pg_dir, port])
            outage["up"] = time.monotonic()
            time.sleep(2.0)
        after = [outcome for outcome, _, started in load.results if started > outage["up"] + 0.5]
        during = [seconds for outcome, seconds, started in load.results if outage["down"] <= started < outage["up"]]
        counts = load.counts()
        assert set(counts) <= {"200", "503"}, counts
        assert "503" in counts, "the outage was seen"
        assert after and all(outcome == 200 for outcome in after), "every request after recovery succeeds"
        assert stack.responder.poll() is None and stack.responder.pid == pid, "the same process served throughout"
        assert max(during) < 5, "answers stay bounded while the database is down"
        report("postgres-outage", sent=len(load.results), answered=counts,
               max_ms_during_outage=round(max(during) * 1000), after_recovery_ok=len(after), same_process=True)
    finally:
        if stack:
            stack.stop()
        subprocess.run(pg + ["stop", pg_dir])


def drill_sigterm_under_load():
    world = World()
    stack = Stack("drill-sigterm", threads=8).start()
    try:
        path = stack.url(world.request_path() + "/comments")
        requests.post(path, json={"body": "something to read"}, headers=world.auth("reader"))
        headers = world.auth("reader")

        def send(session):
            response = session.get(path, headers=headers, timeout=10)
            if response.status_code == 200:
                assert response.json()["comments"], "a complete body"  # a cut response would not parse
            return response.status_code

        with Load(send, threads=8) as load:
            time.sleep(1.0)
            signalled = time.monotonic()
            code = stack.stop_responder()
            stopped = time.monotonic()
            time.sleep(0.5)
        counts = load.counts()
        # 200 until the responder has stopped; 502 (nginx: responder gone) after; never an error mid-response.
        assert set(counts) <= {"200", "502"}, counts
        assert code == 0, f"exit status {code}"
        late = [o for o, _, started in load.results if started > stopped + 0.1 and o != 502]
        assert not late, "nothing answered after the stop"
        report("sigterm", sent=len(load.results), answered=counts, exit_status=code,
               shutdown_ms=round((stopped - signalled) * 1000), broken_connections=0)
    finally:
        stack.stop()


def drill_sigkill_comments():
    secret = "drill-secret"
    receiver = Receiver(secret)
    env = {"TICKET_PROVIDER": "webhook", "TICKET_WEBHOOK_URL": receiver.url, "TICKET_WEBHOOK_SECRET": secret,
           "TICKET_DELIVERY_BACKOFF_BASE_MS": "100", "TICKET_DELIVERY_BACKOFF_CAP_S": "1", "TICKET_DELIVERY_POLL_MS": "100",
           "TICKET_DELIVERY_INLINE_TIMEOUT_S": "1"}
    world = World()
    stack = Stack("drill-sigkill", env, threads=8).start()
    try:
        assert requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).status_code == 201
        path = stack.url(world.request_path() + "/comments")
        headers = world.auth("reader")
        acknowledged = []
        counter = iter(range(1, 10**9))
        lock = threading.Lock()

        def send(session):
            with lock:
                n = next(counter)
            response = session.post(path, json={"body": f"drill comment {n}"}, headers=headers, timeout=10)
            if response.status_code == 201:
                with lock:
                    acknowledged.append(response.json()["comment"]["id"])
            return response.status_code

        with Load(send, threads=8, limit=400) as load:
            time.sleep(1.5)
            stack.responder.send_signal(signal.SIGKILL)
            stack.responder.wait()
            time.sleep(0.5)
            stack.start_responder()
            time.sleep(1.5)
        counts = load.counts()
        assert set(counts) <= {"201", "502"}, counts

        def thread():
            """The whole thread, page by page (200 a page)."""
            rows, params = [], {"limit": 200}
            while True:
                page = requests.get(path, headers=headers, params=params, timeout=10).json()
                rows += page["comments"]
                if not page["has_more"]:
                    return rows
                params = {"limit": 200, "cursor": page["next_cursor"]}

        def drained():
            return all(c["sync_state"] == "synced" for c in thread() if c["source"] == "internal")

        wait_for(drained, seconds=60, what="the outbox to drain after the restart")
        stored = {c["id"] for c in thread() if c["source"] == "internal"}
        missing = set(acknowledged) - stored
        assert not missing, f"acknowledged comments lost: {sorted(missing)[:10]}"
        events = receiver.events("ticket.comment")
        assert all(e["valid"] for e in events)
        by_comment = collections.defaultdict(set)
        for event in events:
            by_comment[event["event"]["comment"]["id"]].add(event["headers"]["X-Event-Id"])
        assert set(by_comment) == stored, f"every stored comment was delivered: {sorted(stored - set(by_comment))[:5]} {sorted(set(by_comment) - stored)[:5]}"
        assert all(len(ids) == 1 for ids in by_comment.values()), "one event id per comment: exactly once in effect"
        report("sigkill-comments", sent=len(load.results), answered=counts, acknowledged=len(acknowledged),
               found_in_db=len(set(acknowledged) & stored), delivered_comments=len(by_comment),
               deliveries=len(events), redeliveries_same_event_id=len(events) - len(by_comment))
    finally:
        stack.stop()
        receiver.down()


def main():
    from conftest import psql
    from drill_scale_out import drill_scale_out
    drills = [drill_postgres_outage, drill_sigterm_under_load, drill_sigkill_comments,
              lambda: drill_scale_out(report)]
    for drill in drills:
        # Every responder's loop delivers the deployment default's events with its own settings: events left over by
        # an earlier run on this database must not reach this run's receiver.
        psql("UPDATE ticket_sync.outbox SET state = 'failed', last_error = 'closed by the drill harness' "
             "WHERE state IN ('pending', 'delivering')")
        drill()
    print(f"{len(drills)} passed, 0 failed")


if __name__ == "__main__":
    main()
