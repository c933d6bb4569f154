"""`ticketsync keys rotate` skips a secret another transaction holds (SKIP LOCKED, so a running service is never
blocked), but never forgets it: it retries for --wait-seconds, re-seals it once released, and otherwise names it
and exits 1, never reporting success with a secret left on the old key."""
import os
import subprocess
import threading

from conftest import Stack, World, fresh_database, psql, wait_for
from connections import create_connection
from test_secrets_at_rest import key_line, run


def sealed_connection(old):
    """A fresh database with one connection whose secret is sealed under `old`."""
    database = fresh_database()
    stack = Stack("keys-locked", {"TICKET_SECRET_KEYS": old}, database_url=database).start()
    try:
        world = World(database_url=database)
        connection = create_connection(stack, world, {"kind": "mock", "name": "Held", "secrets": {"webhook_secret": "s"}})
    finally:
        stack.stop()
    return database, connection["id"]


class RowLock:
    """Another session holding the connection's secret row (FOR UPDATE) until `release`."""

    def __init__(self, database, connection):
        self.name = "held-" + connection[:8]
        self.session = subprocess.Popen(["psql", database, "-X", "-q", "-v", "ON_ERROR_STOP=1"], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        env={**os.environ, "PGAPPNAME": self.name})
        self.session.stdin.write("BEGIN; SELECT 1 FROM ticket_sync.connection_secrets "
                                 f"WHERE connection_id = '{connection}' FOR UPDATE;\n")
        self.session.stdin.flush()
        wait_for(lambda: psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = :'n' "
                              "AND state = 'idle in transaction'", n=self.name) == "1", what="the row lock")

    def release(self):
        if self.session.poll() is None:
            self.session.stdin.write("ROLLBACK;\n")
            self.session.stdin.close()
            self.session.wait(timeout=10)


def key_ids(database):
    return psql("SELECT string_agg(DISTINCT key_id, ',') FROM ticket_sync.connection_secrets", database_url=database)


def test_a_secret_held_through_the_wait_is_named_and_the_command_fails():
    old, new = key_line("old"), key_line("new")
    database, connection = sealed_connection(old)
    lock = RowLock(database, connection)
    try:
        result = run(["keys", "rotate", "--wait-seconds", "2"], database, keys=f"{new};{old}")
    finally:
        lock.release()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"skipped webhook_secret of connection {connection}: locked by another transaction" in result.stdout
    assert "still sealed with key 'old'" in result.stdout and "not done: 1 secret(s)" in result.stdout
    assert key_ids(database) == "old"
    # Run again with nothing held: done.
    again = run(["keys", "rotate"], database, keys=f"{new};{old}")
    assert again.returncode == 0 and "re-sealed 1 secret(s) under key new" in again.stdout, again.stdout
    assert key_ids(database) == "new"


def test_a_secret_released_within_the_wait_is_resealed():
    old, new = key_line("old"), key_line("new")
    database, connection = sealed_connection(old)
    lock = RowLock(database, connection)
    releaser = threading.Timer(1.5, lock.release)
    releaser.start()
    try:
        result = run(["keys", "rotate", "--wait-seconds", "30"], database, keys=f"{new};{old}")
    finally:
        releaser.join()
        lock.release()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "re-sealed 1 secret(s) under key new" in result.stdout and "skipped" not in result.stdout
    assert key_ids(database) == "new"
