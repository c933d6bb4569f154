"""The host's tables are read in TICKETSYNC_HOST_SCHEMA (default `public`), never wherever the search path finds
them first: a co-tenant of the database who may create a schema named after the runtime role (first on the default
`"$user", public` path) and puts an `org_memberships` there that makes everyone a member of every org gains
nothing: the service names the schema in every statement and pins its sessions' search path."""
import os
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from conftest import BIN, DATABASE_URL, REPO, RUNTIME_DATABASE_URL, Stack, World, assert_problem, fresh_database, psql

pytestmark = pytest.mark.skipif(RUNTIME_DATABASE_URL == DATABASE_URL, reason="needs the runtime role of make test")


def runtime_url(database):
    name = urlsplit(database).path.lstrip("/")
    url = RUNTIME_DATABASE_URL.replace("/ticketsync?", f"/{name}?", 1)
    assert url != RUNTIME_DATABASE_URL
    return url


def granted_database():
    database = fresh_database()
    grants = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "DATABASE_URL": database}, check=True).stdout
    psql(grants, database_url=database)
    return database


def test_a_schema_named_after_the_runtime_role_does_not_shadow_the_memberships(make_stack):
    database = granted_database()
    world = World(database_url=database)
    # The owner stands in for the co-tenant: a schema named after the runtime role, readable by it, whose
    # org_memberships makes every user a configure member of every org.
    psql("""
        CREATE SCHEMA ticketsync_runtime;
        CREATE TABLE ticketsync_runtime.org_memberships AS
            SELECT o.id AS org_id, u.id AS user_id, 'configure'::text AS permission
            FROM public.orgs o CROSS JOIN public.users u;
        GRANT USAGE ON SCHEMA ticketsync_runtime TO ticketsync_runtime;
        GRANT SELECT ON ticketsync_runtime.org_memberships TO ticketsync_runtime;
        """, database_url=database)
    runtime = runtime_url(database)
    # The shadow works on the runtime role's default search path: what an unqualified statement would read.
    assert psql("SELECT permission FROM org_memberships WHERE user_id = :'u' AND org_id = :'o'", database_url=runtime,
                u=world.user_ids["outsider"], o=world.org) == "configure"

    stack = make_stack("host-schema", database_url=runtime)
    assert_problem(requests.get(stack.url(world.request_path()), headers=world.auth("outsider")), 404)
    assert_problem(requests.get(stack.url(f"/api/v1/orgs/{world.org}/evidence-requests"),
                                headers=world.auth("outsider")), 404)
    assert_problem(requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("reader")), 403)
    assert_problem(requests.get(stack.url(f"/api/v1/orgs/{world.org_b}/ticket-sync/connections"),
                                headers=world.auth("admin")), 404)
    assert requests.get(stack.url("/api/v1/me"), headers=world.auth("outsider")).json()["orgs"] == []
    # The real memberships still answer.
    assert requests.get(stack.url(world.request_path()), headers=world.auth("reader")).status_code == 200


def test_grants_name_the_host_schema():
    printed = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], cwd=REPO, capture_output=True,
                             text=True, env={**os.environ, "DATABASE_URL": DATABASE_URL}, check=True).stdout
    assert 'GRANT USAGE ON SCHEMA "public" TO ticketsync_runtime;' in printed
    assert "GRANT SELECT ON public.orgs, public.users, public.org_memberships, public.evidence_requests TO" in printed
    assert "GRANT UPDATE (status) ON public.evidence_requests TO" in printed
    bad = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "DATABASE_URL": DATABASE_URL, "TICKETSYNC_HOST_SCHEMA": "a\tb"})
    assert bad.returncode != 0 and "TICKETSYNC_HOST_SCHEMA" in bad.stderr
    missing = subprocess.run([BIN, "grants", "--role", "ticketsync_runtime"], cwd=REPO, capture_output=True,
                             text=True, env={**os.environ, "DATABASE_URL": DATABASE_URL,
                                             "TICKETSYNC_HOST_SCHEMA": "no_such_schema"})
    assert missing.returncode != 0


def test_the_host_tables_in_another_schema_are_migrated_granted_and_served():
    """A host whose tables are in `HostApp` (mixed case: quoted, never folded), nothing of theirs in `public`."""
    database = fresh_database(migrate=False)
    host = {"TICKETSYNC_HOST_SCHEMA": "HostApp"}
    psql('CREATE SCHEMA "HostApp"', database_url=database)
    for command in (["migrate"], ["grants", "--role", "ticketsync_runtime"]):
        done = subprocess.run([BIN, *command], cwd=REPO, capture_output=True, text=True, check=True,
                              env={**os.environ, "DATABASE_URL": database, **host})
    psql(done.stdout, database_url=database)
    assert 'GRANT UPDATE (status) ON "HostApp".evidence_requests TO' in done.stdout
    assert psql("SELECT to_regclass('public.orgs') IS NULL AND to_regclass('\"HostApp\".orgs') IS NOT NULL",
                database_url=database) == "t"
    world = World(database_url=database + "&options=-c%20search_path%3D%22HostApp%22")
    stack = Stack("host-app", host, database_url=runtime_url(database)).start()
    try:
        assert requests.get(stack.url(world.request_path()), headers=world.auth("reader")).status_code == 200
        created = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert created.status_code == 201, created.text
        assert_problem(requests.get(stack.url(world.request_path()), headers=world.auth("outsider")), 404)
        assert requests.get(stack.url("/api/v1/me"), headers=world.auth("admin")).json()["orgs"][0]["name"] == "Org A"
    finally:
        stack.stop()
