"""The runtime role `make test` serves through (scripts/test-env.sh applies `ticketsync grants`): everything the
service does works with it (the whole end-to-end suite runs on it), and nothing else does."""
import subprocess
import uuid

import pytest

from conftest import BIN, DATABASE_URL, REPO, RUNTIME_DATABASE_URL, psql

pytestmark = pytest.mark.skipif(RUNTIME_DATABASE_URL == DATABASE_URL, reason="needs the runtime role of make test")


def as_runtime(sql):
    return subprocess.run(["psql", RUNTIME_DATABASE_URL, "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True)


def test_the_runtime_role_is_not_the_owner():
    assert psql("SELECT current_user", database_url=RUNTIME_DATABASE_URL) == "ticketsync_runtime"
    assert psql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'ticketsync_runtime'") == "f"


@pytest.mark.parametrize("sql", [
    "CREATE TABLE ticket_sync.sneaky (id int)",
    "CREATE TABLE public.sneaky (id int)",
    "ALTER TABLE ticket_sync.comments ADD COLUMN sneaky int",
    "DROP TABLE ticket_sync.outbox",
    "UPDATE evidence_requests SET title = 'changed' WHERE false",
    "DELETE FROM evidence_requests WHERE false",
    "INSERT INTO orgs (id, name) VALUES (gen_random_uuid(), 'sneaky')",
    "UPDATE users SET display_name = 'x' WHERE false",
    "DELETE FROM ticket_sync.schema_migrations WHERE false",
    "INSERT INTO ticket_sync.schema_migrations (version, name) VALUES (999, 'sneaky')",
    "SELECT count(*) FROM other_service.payroll",
    "UPDATE ticket_sync.audit_events SET action = 'ticket.close' WHERE false",
    "DELETE FROM ticket_sync.audit_events WHERE false",
    "TRUNCATE ticket_sync.audit_events",
])
def test_what_the_runtime_role_cannot_do(sql):
    psql("CREATE SCHEMA IF NOT EXISTS other_service; "
         "CREATE TABLE IF NOT EXISTS other_service.payroll (id int, amount numeric)")
    result = as_runtime(sql)
    assert result.returncode != 0, sql
    assert "permission denied" in result.stderr or "must be owner" in result.stderr, (sql, result.stderr)


def test_what_it_can_do():
    org, request = str(uuid.uuid4()), str(uuid.uuid4())
    psql("INSERT INTO orgs VALUES (:'o', 'Grants org'); "
         "INSERT INTO evidence_requests (id, org_id, title) VALUES (:'r', :'o', 'Grants request')", o=org, r=request)
    assert as_runtime(f"UPDATE evidence_requests SET status = 'in_progress' WHERE id = '{request}'").returncode == 0
    assert psql("SELECT status FROM evidence_requests WHERE id = :'r'", r=request) == "in_progress"
    assert as_runtime("SELECT count(*) FROM ticket_sync.schema_migrations").returncode == 0


def test_grants_cover_every_table_a_migration_made_and_refuse_an_unknown_role():
    printed = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], cwd=REPO, capture_output=True, text=True,
                             env={"DATABASE_URL": DATABASE_URL}, check=True).stdout
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'ticket_sync'").split()
    for table in tables:
        assert f" ON ticket_sync.{table} TO ticketsync_runtime;" in printed, table
    unknown = subprocess.run([BIN, "grants", "--role", "no_such_role"], cwd=REPO, capture_output=True, text=True,
                             env={"DATABASE_URL": DATABASE_URL})
    assert unknown.returncode != 0 and "no role named 'no_such_role'" in unknown.stderr
