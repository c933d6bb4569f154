"""Upgrading a database filled by the previous schema (migrations 001–004): its links, threads and events attach
to the deployment default and keep working."""
import json
import os
import shutil
import subprocess
import uuid

import requests

from conftest import BIN, REPO, World, fresh_database, psql
from connections import sign


def test_links_and_threads_of_the_previous_schema_keep_working(make_stack, tmp_path):
    previous = tmp_path / "sql"
    previous.mkdir()
    for name in sorted(os.listdir(REPO / "sql")):
        if name < "005":
            shutil.copy(REPO / "sql" / name, previous / name)
    database = fresh_database(sql_dir=previous)
    assert psql("SELECT max(version) FROM ticket_sync.schema_migrations", database_url=database) == "4"

    # Filled as the previous version wrote it: a mock link with a thread and a delivered event.
    world = World(database_url=database)
    link = str(uuid.uuid4())
    psql("""
        INSERT INTO ticket_sync.ticket_links (id, org_id, evidence_request_id, provider, external_id, external_url)
        VALUES (:'link', :'org', :'r1', 'mock', 'mock-TCK-900001', 'https://mock-tracker.invalid/browse/mock-TCK-900001');
        INSERT INTO ticket_sync.comments (org_id, evidence_request_id, source, author, body, external_comment_id, sync_state)
        VALUES (:'org', :'r1', 'internal', 'Admin User', 'Before the upgrade', 'mock-TCK-900001-c1', 'synced');
        INSERT INTO ticket_sync.outbox (org_id, link_id, provider, event_type, body, state, attempts, delivered_at)
        VALUES (:'org', :'link', 'mock', 'ticket.comment', '{}', 'delivered', 1, now());
        INSERT INTO ticket_sync.inbound_deliveries (source, delivery_id) VALUES ('jira', 'old-delivery');
        """, database_url=database, link=link, org=world.org, r1=world.r1)

    migrated = subprocess.run([BIN, "migrate"], cwd=REPO, env={**os.environ, "DATABASE_URL": database},
                              capture_output=True, text=True, check=True)
    assert "applied 005_connections.sql" in migrated.stdout
    assert psql("SELECT count(*) FROM ticket_sync.ticket_links WHERE connection_id IS NULL", database_url=database) == "1"

    stack = make_stack("upgraded", {"TICKET_WEBHOOK_SECRET": "env-secret"}, database_url=database)
    read = requests.get(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")).json()
    assert read["external_id"] == "mock-TCK-900001" and read["connection_id"] is None
    posted = requests.post(stack.url(world.request_path() + "/comments"), headers=world.auth("reader"),
                           json={"body": "After the upgrade"})
    assert posted.status_code == 201 and posted.json()["comment"]["sync_state"] == "synced", posted.text
    body = json.dumps({"external_id": "mock-TCK-900001",
                       "comment": {"external_comment_id": "ext-1", "author": "Ext", "body": "Reply"}}).encode()
    inbound = requests.post(stack.url("/api/v1/ticket-sync/webhook"), data=body,
                            headers={"Content-Type": "application/json", "X-Signature": sign(body, "env-secret")})
    assert inbound.status_code == 200 and inbound.json()["applied"]["comment"] == "created"
    thread = requests.get(stack.url(world.request_path() + "/comments"), headers=world.auth("reader")).json()["comments"]
    assert [c["body"] for c in thread][:2] == ["Before the upgrade", "After the upgrade"]
    assert "Reply" in [c["body"] for c in thread]
    closed = requests.post(stack.url(world.request_path() + "/ticket/close"), headers=world.auth("admin"))
    assert closed.status_code == 200 and closed.json()["closed_at"]
    # The org has no connection of its own: its readiness is the deployment default's.
    status = requests.get(stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/status"), headers=world.auth("reader")).json()
    assert status["source"] == "deployment_default" and status["provider"] == "mock"


def test_the_outbox_indexes_built_concurrently_beforehand_are_kept_by_the_migration(tmp_path):
    """docs/upgrading.md tells an operator with a large outbox to build the outbox indexes of 011 and 014 with
    CREATE INDEX CONCURRENTLY before migrating: those exact statements, then the migration, which must skip them."""
    previous = tmp_path / "sql"
    previous.mkdir()
    for name in sorted(os.listdir(REPO / "sql")):
        if name < "011":
            shutil.copy(REPO / "sql" / name, previous / name)
    database = fresh_database(sql_dir=previous)
    guide = (REPO / "docs" / "upgrading.md").read_text()
    statements = guide.split("**A large outbox:**", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    assert statements.count("CREATE INDEX CONCURRENTLY IF NOT EXISTS") == 3
    psql(statements, database_url=database)  # statement by statement, outside a transaction, as an operator would

    migrated = subprocess.run([BIN, "migrate"], cwd=REPO, env={**os.environ, "DATABASE_URL": database},
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert "applied 011_isolation_outbox_lanes.sql" in migrated.stdout
    assert "applied 014_isolation_delivering_per_org.sql" in migrated.stdout
    indexes = psql("""
        SELECT string_agg(c.relname || ':' || i.indisvalid, ',' ORDER BY c.relname)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'ticket_sync.outbox'::regclass
          AND c.relname IN ('outbox_open_per_lane', 'outbox_delivering_per_lane', 'outbox_delivering_per_org')
        """, database_url=database)
    assert indexes == "outbox_delivering_per_lane:true,outbox_delivering_per_org:true,outbox_open_per_lane:true"
