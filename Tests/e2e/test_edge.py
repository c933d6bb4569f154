"""The edge: no log holds a connection's inbound URL token (nginx's access and error logs, the responder's), and the
rate limits cannot be sidestepped (a token counts as one however its header is spaced; a malformed Authorization is
401; every API request but an inbound URL's is limited per client address too, so made-up tokens are)."""
import http.client
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import assert_problem, wait_for
from connections import create_connection, post_hook

TEMPLATE = "/api/v1/ticket-sync/hooks/{inbound_token}"


def raw_request(stack, method, path, body=b"", headers=None):
    """Sends the path exactly as written (requests would decode %-escapes of unreserved characters)."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_no_log_holds_an_inbound_urls_token(make_stack, world):
    stack = make_stack("edge-logs", {"TICKETSYNC_INBOUND_RATE": "1r/s"})
    created = create_connection(stack, world, {"kind": "mock", "name": "Logged",
                                               "secrets": {"webhook_secret": "log-secret"}})
    token = created["inbound_url"].rsplit("/", 1)[1]
    unknown = secrets.token_hex(32)
    path = f"/api/v1/ticket-sync/hooks/{token}"
    # A signed delivery, a bad signature, an unknown token, a GET, an extra segment, encoded forms of the same URL.
    signed = post_hook(stack, created["inbound_url"], {"external_id": "none", "status": "done"}, "log-secret")
    assert signed.status_code == 422, signed.text  # the signature verified; the event itself is refused
    assert post_hook(stack, created["inbound_url"], {"external_id": "none"}, "wrong-secret").status_code == 401
    assert requests.post(stack.url(f"/api/v1/ticket-sync/hooks/{unknown}"), data=b"{}").status_code == 401
    assert requests.get(stack.url(path)).status_code == 405
    assert requests.post(stack.url(path + "/more"), data=b"{}").status_code == 404
    encoded_token = f"/api/v1/ticket-sync/hooks/%{ord(token[0]):02x}{token[1:]}"
    encoded_route = f"/api/v1/ticket-sync/%68ooks/{token}"
    assert raw_request(stack, "POST", encoded_token, b"{}") == 401
    assert raw_request(stack, "POST", encoded_route, b"{}") == 401
    # Past the URL's rate: nginx answers 429 itself, and would log each refusal with the request line.
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: requests.post(stack.url(path), data=b"{}").status_code, range(140)))
    assert statuses.count(429) >= 20, statuses

    answered = len(statuses) - statuses.count(429) + 7
    wait_for(lambda: stack.log().count(TEMPLATE) >= answered, what="the responder's access lines")
    responder_log = stack.log()
    access_log = (stack.dir / "nginx" / "access.log").read_text()
    error_log = (stack.dir / "nginx" / "error.log").read_text()
    assert f"POST {TEMPLATE} 401" in responder_log and f"GET {TEMPLATE} 405" in responder_log
    assert f"POST {TEMPLATE}/more 404" in responder_log
    assert f'"POST {TEMPLATE} HTTP/1.1" 429' in access_log and f'"GET {TEMPLATE} HTTP/1.1" 405' in access_log
    assert '"POST /api/v1/ticket-sync/{encoded-path} HTTP/1.1" 401' in access_log
    for secret in (token, unknown, token[1:]):
        assert secret not in responder_log
        assert secret not in access_log
        assert secret not in error_log


def test_spacing_or_case_after_bearer_counts_as_the_same_token(make_stack, world):
    stack = make_stack("edge-token-limit", {"TICKETSYNC_TOKEN_RATE": "1r/s"})
    path = stack.url(world.request_path() + "/comments")
    token = world.tokens["reader"]
    schemes = ["Bearer", "bearer", "BEARER", "bEaReR"]

    def call(i):
        return requests.get(path, headers={"Authorization": schemes[i % 4] + " " * (1 + i % 40) + token}).status_code
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(140)))
    # As for one unchanging header (test_fault_isolation): the burst passes, the rest is refused.
    assert set(statuses) <= {200, 429} and statuses.count(200) >= 100 and statuses.count(429) >= 20, statuses


@pytest.mark.parametrize("form", [
    "Bearer \t{t}", "Bearer\t{t}", "Bearer{t}", "Bearer {t} {t}", "Bearer {t}, Bearer {t}", "Bearer {T}",
    "Bearer {t} extra", "Bearer Bearer {t}", "Token {t}", "{t}", "Bearer {t}0",
])
def test_a_malformed_authorization_is_401(stack, world, form):
    token = world.tokens["reader"]
    header = form.format(t=token, T=token[:4] + token[4:].upper())
    answer = requests.get(stack.url(world.request_path()), headers={"Authorization": header})
    assert_problem(answer, 401)
    # The same token, well formed, is accepted.
    spaced = requests.get(stack.url(world.request_path()), headers={"Authorization": f"bearer   {token}"})
    assert spaced.status_code == 200


def test_requests_without_a_token_are_limited_per_address(make_stack, world):
    stack = make_stack("edge-address-limit", {"TICKETSYNC_ADDRESS_RATE": "1r/s"})
    path = stack.url(world.request_path())
    headers = [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda i: requests.get(path, headers=headers[i % 3]).status_code, range(300)))
    # The burst (200) passes, the rest is refused.
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 50, statuses
    limited = requests.get(path)
    problem = assert_problem(limited, 429)
    assert problem["type"].endswith("rate-limited") and limited.headers["Retry-After"] == "1"
    # An inbound URL from the same address has a zone of its own.
    assert requests.post(stack.url("/api/v1/ticket-sync/hooks/" + "0" * 64), data=b"{}").status_code == 401


def test_made_up_tokens_are_limited_per_address(make_stack, world):
    """A well-formed token is a rate-limit key of its own; a new random one on every request must still be counted
    against the address it comes from (each costs a token lookup before its 401)."""
    stack = make_stack("edge-made-up-tokens", {"TICKETSYNC_ADDRESS_RATE": "1r/s"})
    path = stack.url(world.request_path())

    def call(_):
        made_up = "tsk_" + secrets.token_hex(32)
        return requests.get(path, headers={"Authorization": f"Bearer {made_up}"}).status_code
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(call, range(300)))
    assert set(statuses) <= {401, 429} and statuses.count(429) >= 50, statuses
    # The address's budget is spent for real tokens too (both zones apply to them); inbound URLs keep their own.
    assert_problem(requests.get(path, headers=world.auth("reader")), 429)
    assert requests.post(stack.url("/api/v1/ticket-sync/hooks/" + "0" * 64), data=b"{}").status_code == 401
