"""nginx's kept FastCGI connections (`fastcgi_keep_conn on` with an upstream keepalive pool): many requests share
few connections (counted by the responder's accepts against its requests), and a mix of reads, writes with bodies
of every size around libfcgi's 8 KB buffer, refusals, the responder's own 413 and clients that hang up mid-request
never desynchronises a kept connection. On 127.0.0.1 only; bounded in count."""
import json
import socket
import subprocess
import time

import requests

from test_metrics import samples, scrape

ACCEPTED = "ticketsync_fastcgi_connections_accepted_total"


def accepted(stack):
    return samples(scrape(stack))[ACCEPTED]


def answered(found):
    return sum(value for series, value in found.items() if series.startswith("ticketsync_http_requests_total{"))


def responder_connections(stack):
    """Unix-socket connections open on the responder's socket (both ends are listed by ss: nginx's and ours)."""
    out = subprocess.run(["ss", "-x", "-H"], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if str(stack.socket) in line and "LISTEN" not in line)


def test_two_hundred_requests_share_a_few_connections(make_stack, world):
    stack = make_stack("kept-count", threads=4)
    session = requests.Session()
    path = stack.url(world.request_path() + "/comments")
    before_found = samples(scrape(stack))
    before = before_found[ACCEPTED]
    ids = set()
    for n in range(200):
        answer = session.get(path, headers=world.auth("reader"), params={"limit": 5})
        assert answer.status_code == 200, answer.text
        assert isinstance(answer.json()["comments"], list)
        ids.add(answer.headers["X-Request-Id"])
    after_found = samples(scrape(stack))
    # Each answer is its own request's (no answer read twice or out of turn on a kept connection).
    assert len(ids) == 200
    served = answered(after_found) - answered(before_found)
    assert served >= 200
    # Without kept connections this would be one accept per request (the scrapes included). nginx's two workers
    # each keep theirs; its keepalive_time (5 s) may retire a connection during the run.
    assert accepted(stack) - before <= 10, (accepted(stack) - before, served)


def test_every_kind_of_request_leaves_the_kept_connection_in_step(make_stack, world):
    stack = make_stack("kept-mix", threads=2, env={"TICKETSYNC_MAX_BODY": "20000"})
    session = requests.Session()
    base = world.request_path()
    reader, admin = world.auth("reader"), world.auth("admin")
    posting = {**reader, "Content-Type": "application/json"}
    comments = stack.url(base + "/comments")

    def hang_up_mid_request():
        """A client that sends a whole request and goes away before the answer (nginx then drops the upstream
        request and its connection)."""
        with socket.create_connection(("127.0.0.1", stack.port)) as client:
            body = json.dumps({"body": "gone before the answer"}).encode()
            client.sendall(f"POST {base}/comments HTTP/1.1\r\nHost: localhost\r\n"
                           f"Authorization: {reader['Authorization']}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")

    before = accepted(stack)
    for round_ in range(6):
        # Bodies on both sides of libfcgi's 8,192-byte read buffer: the request's end record lands in the same
        # read as the body, or in the next.
        for size in (0, 1, 8_100, 8_150, 8_170, 8_192, 8_200, 16_400):
            answer = session.post(comments, headers=posting, data=json.dumps({"body": "x" * size}),
                                  params={"round": round_})
            assert answer.status_code in (201, 422), (size, answer.status_code, answer.text)
            assert answer.headers["Content-Type"].startswith("application/"), answer.headers
            thread = session.get(comments, headers=reader, params={"limit": 1})
            assert thread.status_code == 200, thread.text
        # Refusals: not JSON, unauthenticated, unknown path, wrong method, and over the responder's own body cap
        # (its 413 leaves the body unread: that connection is closed, not kept).
        assert session.post(comments, headers=posting, data="{not json").status_code == 400
        assert session.get(comments).status_code == 401
        assert session.get(stack.url("/api/v1/nothing-here"), headers=reader).status_code == 404
        assert session.delete(stack.url("/healthz")).status_code == 405
        assert session.post(comments, headers=posting, data=json.dumps({"body": "y" * 30_000})).status_code == 413
        hang_up_mid_request()
        assert session.get(stack.url("/healthz")).status_code == 200
        assert session.get(stack.url(base), headers=admin).status_code == 200
    # Connections are reused between the refusals (a 413 and each hung-up client may cost one each).
    assert accepted(stack) - before <= 6 * 2 + 6, accepted(stack) - before


def test_idle_kept_connections_hold_no_thread(make_stack, world):
    """One thread, more idle kept connections than threads: requests on new and kept connections alike are
    answered at once (an idle connection waits in the acceptor's set, not on a thread)."""
    stack = make_stack("kept-idle", threads=1, workers=0)
    sessions = [requests.Session() for _ in range(12)]
    for session in sessions:  # distinct client connections, so nginx opens and keeps several upstream ones
        assert session.get(stack.url("/healthz")).status_code == 200
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda s: s.get(stack.url("/healthz"), timeout=5).status_code, sessions))
    assert statuses == [200] * 12
    assert responder_connections(stack) >= 2  # kept open, idle
    started = time.monotonic()
    for session in sessions:
        assert session.get(stack.url("/healthz"), timeout=5).status_code == 200
    assert time.monotonic() - started < 5


def test_kept_connections_closed_by_nginx_are_closed_by_the_responder(make_stack, world):
    stack = make_stack("kept-close", threads=2, workers=0)
    session = requests.Session()
    for _ in range(20):
        assert session.get(stack.url("/healthz")).status_code == 200
    assert responder_connections(stack) >= 1
    # nginx's keepalive_timeout (3 s) closes the idle ones; the responder closes its ends.
    deadline = time.monotonic() + 10
    while responder_connections(stack) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert responder_connections(stack) == 0
    assert session.get(stack.url("/healthz")).status_code == 200
