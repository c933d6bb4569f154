"""Connection secrets at rest: sealed with AES-256-GCM, bound to their row and field, rotated with
`ticketsync keys rotate`, checked at start-up; and the inbound secret's rotation with its grace period."""
import base64
import os
import secrets
import subprocess

import requests

from conftest import BIN, REPO, SECRET_KEYS, Stack, World, assert_problem, fresh_database, psql
from connections import connections_path, create_connection, post_hook


def key_line(kid):
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def run(args, database_url, keys=None, check=False):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": database_url}
    if keys is not None:
        env["TICKET_SECRET_KEYS"] = keys
    return subprocess.run([BIN, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=check)


def test_inbound_secret_rotation_keeps_the_old_one_for_the_grace_period(stack, world):
    connection = create_connection(stack, world, {"kind": "mock", "name": "Demo", "secrets": {"webhook_secret": "old"}})
    link = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()

    def reply(secret, n):
        payload = {"external_id": link["external_id"],
                   "comment": {"external_comment_id": f"r{n}", "author": "Ext", "body": f"reply {n}"}}
        return post_hook(stack, connection["inbound_url"], payload, secret)

    assert reply("old", 1).status_code == 200
    path = stack.url(f"{connections_path(world.org)}/{connection['id']}/inbound-secret")
    assert_problem(requests.post(path, headers=world.auth("reader")), 403)
    rotated = requests.post(path, headers=world.auth("admin"))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["webhook_secret"]
    assert new != "old" and len(new) == 64 and rotated.json()["previous_valid_until"]
    # During the grace period both verify.
    assert reply("old", 2).status_code == 200
    assert reply(new, 3).status_code == 200
    shown = requests.get(stack.url(f"{connections_path(world.org)}/{connection['id']}"), headers=world.auth("reader")).json()
    assert shown["secrets"]["webhook_secret"]["previous_valid_until"] == rotated.json()["previous_valid_until"]
    assert new not in str(shown)
    # After it, only the new one.
    psql("UPDATE ticket_sync.connection_secrets SET valid_until = now() - interval '1 second' "
         "WHERE connection_id = :'id' AND field = 'webhook_secret_previous'", id=connection["id"])
    assert_problem(reply("old", 4), 401)
    assert reply(new, 5).status_code == 200
    bodies = [c["body"] for c in requests.get(stack.url(world.request_path() + "/comments"),
                                              headers=world.auth("reader")).json()["comments"]]
    assert bodies == ["reply 1", "reply 2", "reply 3", "reply 5"]


def test_a_dump_of_the_database_holds_no_secret(stack, world):
    values = {"api_token": "tok-" + secrets.token_hex(16), "webhook_secret": "hook-" + secrets.token_hex(16)}
    create_connection(stack, world, {"kind": "jira", "name": "J", "settings": {"base_url": "http://127.0.0.1:9",
                                                                                "project_key": "GRC"},
                                     "secrets": values})
    dump = subprocess.run(["pg_dump", "--data-only", os.environ["DATABASE_URL"]], capture_output=True, check=True).stdout
    assert dump, "pg_dump produced nothing"
    for value in values.values():
        assert value.encode() not in dump
        assert base64.b64encode(value.encode()) not in dump
    assert psql("SELECT count(*) FROM ticket_sync.connection_secrets s JOIN ticket_sync.connections c "
                "ON c.id = s.connection_id WHERE c.org_id = :'org' AND s.sealed LIKE 'v1:test1:%'", org=world.org) == "2"


def test_a_ciphertext_moved_to_another_row_or_field_does_not_open(stack, world):
    first = create_connection(stack, world, {"kind": "mock", "name": "One", "secrets": {"webhook_secret": "one"}})
    second = create_connection(stack, world, {"kind": "mock", "name": "Two", "secrets": {"webhook_secret": "two"}})
    first_link = requests.post(stack.url(world.request_path() + "/ticket"), headers=world.auth("admin"),
                               json={"connection_id": second["id"]}).json()
    psql("UPDATE ticket_sync.connection_secrets SET sealed = (SELECT sealed FROM ticket_sync.connection_secrets "
         "WHERE connection_id = :'from' AND field = 'webhook_secret') WHERE connection_id = :'to' AND field = 'webhook_secret'",
         **{"from": first["id"], "to": second["id"]})
    payload = {"external_id": first_link["external_id"], "comment": {"external_comment_id": "m", "author": "E", "body": "b"}}
    # Neither the original secret of the row nor the moved one verifies: the value no longer opens at all.
    for secret in ("one", "two"):
        assert_problem(post_hook(stack, second["inbound_url"], payload, secret), 503)
    test = requests.post(stack.url(f"{connections_path(world.org)}/{second['id']}/test"), headers=world.auth("admin"))
    assert_problem(test, 503)
    assert "one" not in test.text


def test_keys_rotate_then_dropping_the_old_key_keeps_every_secret(make_stack):
    database = fresh_database()
    old, new = key_line("old"), key_line("new")
    first = make_stack("keys-old", {"TICKET_SECRET_KEYS": old}, database_url=database)
    world = World(database_url=database)
    connection = create_connection(first, world, {"kind": "mock", "name": "Demo", "secrets": {"webhook_secret": "s3"}})
    link = requests.post(first.url(world.request_path() + "/ticket"), headers=world.auth("admin")).json()
    first.stop()

    rotated = run(["keys", "rotate", "--batch-size", "1"], database, keys=f"{new};{old}")
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed 1 secret(s) under key new" in rotated.stdout
    assert psql("SELECT string_agg(DISTINCT key_id, ',') FROM ticket_sync.connection_secrets", database_url=database) == "new"

    # The old key is gone from the ring: everything still opens.
    second = make_stack("keys-new", {"TICKET_SECRET_KEYS": new}, database_url=database)
    payload = {"external_id": link["external_id"], "comment": {"external_comment_id": "k", "author": "E", "body": "b"}}
    assert post_hook(second, connection["inbound_url"], payload, "s3").status_code == 200

    # A ring that lacks the key secrets are sealed with refuses to start, naming it (serve and deliver alike).
    for command in (["serve", "--listen", str(REPO / ".run/test/never.sock")], ["deliver"]):
        refused = run(command, database, keys=old)
        assert refused.returncode != 0
        assert "key id 'new'" in refused.stderr, refused.stderr
    # So does a malformed ring, naming the line but never the key.
    bad = run(["serve", "--listen", str(REPO / ".run/test/never.sock")], database, keys="new:tooshort")
    assert bad.returncode != 0 and "line 1" in bad.stderr and "tooshort" not in bad.stderr


def test_keys_rotate_reports_what_it_cannot_reseal():
    database = fresh_database()
    stack = Stack("keys-lost", {"TICKET_SECRET_KEYS": SECRET_KEYS}, database_url=database).start()
    try:
        world = World(database_url=database)
        create_connection(stack, world, {"kind": "mock", "name": "Demo", "secrets": {"webhook_secret": "s"}})
    finally:
        stack.stop()
    result = run(["keys", "rotate"], database, keys=key_line("other"))
    assert result.returncode == 1
    assert "could not re-seal webhook_secret" in result.stdout and "key id 'test1'" in result.stdout
