"""Token lifecycle through the command line and the API: expiry, list, revoke, last use, and a host user's name left
alone."""
import subprocess
import time
import uuid

import requests

from conftest import BIN, DATABASE_URL, REPO, psql, wait_for


def ticketsync(*args, check=True):
    return subprocess.run([BIN, *args], cwd=REPO, capture_output=True, text=True, check=check,
                          env={"DATABASE_URL": DATABASE_URL})


def create(email, *extra):
    return ticketsync("token", "create", "--email", email, *extra).stdout.strip().splitlines()[-1]


def me(stack, token):
    return requests.get(stack.url("/api/v1/me"), headers={"Authorization": f"Bearer {token}"})


def test_expires_in_gives_an_expiry_and_an_expired_token_is_a_401(stack):
    email = f"expiring-{uuid.uuid4()}@e2e.example"
    token = create(email, "--expires-in", "90d")
    answer = me(stack, token)
    assert answer.status_code == 200
    expires = answer.json()["token"]["expires_at"]
    assert expires and expires.endswith("Z")
    days = float(psql("SELECT extract(epoch FROM expires_at - now()) / 86400 FROM ticket_sync.api_tokens "
                      "WHERE id = :'id'", id=answer.json()["token"]["id"]))
    assert 89.9 < days <= 90
    psql("UPDATE ticket_sync.api_tokens SET expires_at = now() - interval '1 second' WHERE id = :'id'",
         id=answer.json()["token"]["id"])
    expired = me(stack, token)
    assert expired.status_code == 401 and expired.headers["Content-Type"].startswith("application/problem+json")
    # A token without --expires-in has none.
    assert me(stack, create(email)).json()["token"]["expires_at"] is None


def test_a_bad_lifetime_is_refused_before_anything_is_written():
    email = f"refused-{uuid.uuid4()}@e2e.example"
    for bad in ("90", "0d", "1y", "-3h", "4000d"):
        result = ticketsync("token", "create", "--email", email, "--expires-in", bad, check=False)
        assert result.returncode != 0 and "--expires-in" in result.stderr, (bad, result.stderr)
    assert psql("SELECT count(*) FROM users WHERE email = :'e'", e=email) == "0"


def test_list_and_revoke_by_id(stack):
    email = f"listed-{uuid.uuid4()}@e2e.example"
    first = create(email, "--label", "laptop")
    create(email, "--label", "ci", "--expires-in", "12h")
    listed = ticketsync("token", "list", "--email", email).stdout.strip().splitlines()
    assert listed[0].split("\t") == ["id", "state", "label", "created", "expires", "last used"]
    rows = {line.split("\t")[2]: line.split("\t") for line in listed[1:]}
    assert set(rows) == {"laptop", "ci"}
    assert rows["laptop"][1] == "active" and rows["laptop"][4] == "never"
    assert rows["ci"][4].endswith("Z")
    assert first not in "\n".join(listed), "the list never shows a token"

    assert me(stack, first).status_code == 200
    assert ticketsync("token", "revoke", rows["laptop"][0]).stdout.strip() == f"revoked {rows['laptop'][0]}"
    assert me(stack, first).status_code == 401
    again = ticketsync("token", "revoke", rows["laptop"][0], check=False)
    assert again.returncode == 1 and "already revoked" in again.stderr
    assert ticketsync("token", "revoke", "not-a-uuid", check=False).returncode != 0
    after = {line.split("\t")[2]: line.split("\t")[1] for line in
             ticketsync("token", "list", "--email", email).stdout.strip().splitlines()[1:]}
    assert after == {"laptop": "revoked", "ci": "active"}


def test_an_existing_users_name_is_never_overwritten():
    email = f"host-user-{uuid.uuid4()}@e2e.example"
    psql("INSERT INTO users (id, email, display_name) VALUES (gen_random_uuid(), :'e', 'Name From The Host')", e=email)
    create(email, "--name", "CLI Name")
    assert psql("SELECT display_name FROM users WHERE email = :'e'", e=email) == "Name From The Host"
    # A missing user is still created, with the name given.
    other = f"new-user-{uuid.uuid4()}@e2e.example"
    create(other, "--name", "New Person")
    assert psql("SELECT display_name FROM users WHERE email = :'e'", e=other) == "New Person"


def test_last_use_is_recorded_after_the_answer_at_most_once_a_minute(stack):
    email = f"used-{uuid.uuid4()}@e2e.example"
    token = create(email)
    token_id = me(stack, token).json()["token"]["id"]

    def last_used():
        return psql("SELECT coalesce(last_used_at::text, '') FROM ticket_sync.api_tokens WHERE id = :'id'", id=token_id)
    wait_for(lambda: last_used() != "", what="the first use to be recorded")
    first = last_used()
    for _ in range(5):
        assert me(stack, token).status_code == 200
    time.sleep(0.3)
    assert last_used() == first, "uses within the minute write nothing"
    psql("UPDATE ticket_sync.api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = :'id'", id=token_id)
    stale = last_used()
    assert me(stack, token).status_code == 200
    wait_for(lambda: last_used() != stale, what="a use after the minute to be recorded")
    listed = ticketsync("token", "list", "--email", email).stdout.strip().splitlines()[1].split("\t")
    assert listed[5].endswith("Z")
