"""Cursors are opaque, but a client can forge one: base64url of JSON that decodes yet holds an impossible time or
position. Whatever it holds, a cursor that is not one this API could have written is a 400 naming the parameter,
and a request without a valid token is a 401 before any parameter is looked at (never the server's 500)."""
import base64
import json

import pytest
import requests

from conftest import assert_problem


def cursor(members):
    return base64.urlsafe_b64encode(json.dumps(members).encode()).decode().rstrip("=")


IMPOSSIBLE = "9999-99-99T99:99:99.999999Z"
FORGED_THREAD = [
    cursor({"t": IMPOSSIBLE, "i": 1}),
    cursor({"t": "2026-02-30T10:00:00.000000Z", "i": 1}),  # a day February does not have
    cursor({"t": "2026-01-01T24:00:00.000000Z", "i": 1}),
    cursor({"t": "2026-01-01T00:00:00.000000Z", "i": 1e300}),
]


def thread(stack, world, headers, **params):
    return requests.get(stack.url(world.request_path() + "/comments"), params=params, headers=headers)


@pytest.mark.parametrize("parameter", ["cursor", "before"])
@pytest.mark.parametrize("forged", FORGED_THREAD)
def test_a_forged_thread_cursor_is_a_400_naming_it(stack, world, parameter, forged):
    body = assert_problem(thread(stack, world, world.auth("reader"), **{parameter: forged}), 400)
    assert body["parameter"] == parameter


@pytest.mark.parametrize("parameter", ["cursor", "before"])
def test_a_forged_thread_cursor_with_a_bogus_token_is_a_401(stack, world, parameter):
    bogus = {"Authorization": "Bearer tsk_" + "0" * 64}
    assert_problem(thread(stack, world, bogus, **{parameter: cursor({"t": IMPOSSIBLE, "i": 1})}), 401)
    assert_problem(thread(stack, world, {}, **{parameter: cursor({"t": IMPOSSIBLE, "i": 1})}), 401)
    # Not a member: the org is missing to them, whatever the cursor.
    outsider = thread(stack, world, world.auth("outsider"), **{parameter: cursor({"t": IMPOSSIBLE, "i": 1})})
    assert_problem(outsider, 404)


@pytest.mark.parametrize("forged", [cursor({"a": 1e300}), cursor({"a": -1}), cursor({"a": "1"}), cursor([1])])
def test_a_forged_audit_cursor_is_a_400_and_a_401_without_a_token(stack, world, forged):
    path = stack.url(f"/api/v1/orgs/{world.org}/ticket-sync/audit")
    body = assert_problem(requests.get(path, params={"before": forged}, headers=world.auth("admin")), 400)
    assert body["parameter"] == "before"
    assert_problem(requests.get(path, params={"before": forged}, headers={"Authorization": "Bearer nope"}), 401)


@pytest.mark.parametrize("forged", [cursor({"t": "x", "i": "not-a-uuid"}), cursor({"t": 5, "i": IMPOSSIBLE})])
def test_a_forged_list_cursor_is_a_400_and_a_401_without_a_token(stack, world, forged):
    path = stack.url(f"/api/v1/orgs/{world.org}/evidence-requests")
    body = assert_problem(requests.get(path, params={"cursor": forged}, headers=world.auth("reader")), 400)
    assert body["parameter"] == "cursor"
    assert_problem(requests.get(path, params={"cursor": forged}, headers={"Authorization": "Bearer nope"}), 401)
