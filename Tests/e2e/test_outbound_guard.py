"""The outbound URL guard on org-supplied URLs: every refused address class, refused before any connection is made
(literal addresses when saved, names when called), redirects not followed, and the allow-list override.
Only loopback is ever connected to; the other addresses are checked and refused, never contacted."""
import re

import pytest
import requests

from conftest import assert_problem
from connections import connections_path, create_connection
from trackers import Receiver

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"), ("https://127.9.9.9/hook", "loopback"), ("https://[::1]/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"), ("https://172.16.0.1/hook", "private"), ("https://192.168.1.1/hook", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"), ("https://[fe80::1]/hook", "link-local"),
    ("https://100.64.0.1/hook", "carrier-grade NAT"), ("https://224.0.0.1/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"), ("https://0.0.0.0/hook", "unspecified"), ("https://[::]/hook", "unspecified"),
    ("https://[fc00::1]/hook", "unique-local"), ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    # NAT64 and 6to4 forms of an inner address, and the other IPv6 ranges that reach inside.
    ("https://[64:ff9b::7f00:1]/hook", "loopback"), ("https://[64:ff9b::a9fe:a9fe]/hook", "link-local"),
    ("https://[2002:a00:1::1]/hook", "private"), ("https://[::10.0.0.1]/hook", "IPv4-compatible"),
    ("https://[fec0::1]/hook", "site-local"), ("https://192.0.0.8/hook", "special-purpose"),
]


@pytest.fixture(scope="module")
def guarded(request):
    """A deployment with no allowed networks: what a hosted service runs with."""
    from conftest import Stack
    running = Stack("guarded", {"TICKET_ALLOWED_TRACKER_NETWORKS": ""}).start()
    request.addfinalizer(running.stop)
    return running


@pytest.mark.parametrize("url, kind", REFUSED)
def test_each_refused_address_class_is_422_when_saved(guarded, world, url, kind):
    for body in ({"kind": "webhook", "name": "x", "settings": {"url": url}},
                 {"kind": "jira", "name": "x", "settings": {"base_url": url}}):
        problem = assert_problem(requests.post(guarded.url(connections_path(world.org)), json=body,
                                               headers=world.auth("admin")), 422)
        assert problem["field"] in ("settings.url", "settings.base_url")
        assert f" {kind} address, which is not allowed" in problem["detail"]


def test_plain_http_is_refused_outside_the_allowed_networks(guarded, world):
    problem = assert_problem(requests.post(guarded.url(connections_path(world.org)), headers=world.auth("admin"),
                                           json={"kind": "webhook", "name": "x", "settings": {"url": "http://192.0.2.10/h"}}),
                             422)
    assert "https" in problem["detail"]


def test_a_name_resolving_to_loopback_is_refused_before_any_connection(guarded, world):
    receiver = Receiver("guard-secret")
    try:
        # Saved (https names are not resolved when saved), then refused on use, with no packet sent to the receiver.
        connection = create_connection(guarded, world, {
            "kind": "webhook", "name": "Sneaky", "default": True,
            "settings": {"url": f"https://localhost:{receiver.port}/hook"}, "secrets": {"webhook_secret": "guard-secret"}})
        test = requests.post(guarded.url(f"{connections_path(world.org)}/{connection['id']}/test"), headers=world.auth("admin"))
        assert test.json()["steps"] == [{"name": "ping", "ok": False, "error": "address-refused", "status": None}]
        create = requests.post(guarded.url(world.request_path() + "/ticket"), headers=world.auth("admin"))
        assert_problem(create, 502)
        # The answer says only that the name is refused; the address it resolved to is in the log, not in the answer.
        assert "localhost resolves to an address that is not allowed" in create.json()["detail"]
        assert "127.0.0.1" not in create.json()["detail"] and "::1" not in create.json()["detail"]
        assert re.search(r"localhost resolves to (127\.0\.0\.1|::1), a loopback address", guarded.log())
        assert receiver.requests == []
    finally:
        receiver.stop()


def test_plain_http_to_a_name_is_refused_when_saved_unless_it_resolves_inside_the_allowed_networks(
        guarded, make_stack, world):
    receiver = Receiver("http-secret")
    try:
        url = f"http://localhost:{receiver.port}/hook"
        before = world.snapshot()
        for body in ({"kind": "webhook", "name": "Plain", "settings": {"url": url}},
                     {"kind": "jira", "name": "Plain", "settings": {"base_url": url}}):
            problem = assert_problem(requests.post(guarded.url(connections_path(world.org)), json=body,
                                                   headers=world.auth("admin")), 422)
            assert problem["field"] in ("settings.url", "settings.base_url")
            assert "not allowed" in problem["detail"] and "127.0.0.1" not in problem["detail"]
        listed = requests.get(guarded.url(connections_path(world.org)), headers=world.auth("admin")).json()
        assert listed["connections"] == [] and world.snapshot() == before
        # A PATCH to plain http is refused the same way.
        saved = create_connection(guarded, world, {"kind": "webhook", "name": "Safe",
                                                   "settings": {"url": "https://192.0.2.10/hook"}})
        patched = requests.patch(guarded.url(f"{connections_path(world.org)}/{saved['id']}"), headers=world.auth("admin"),
                                 json={"settings": {"url": url}})
        assert assert_problem(patched, 422)["field"] == "settings.url"
        # Inside the allowed networks (localhost may resolve to ::1 too), plain http to a name is saved and used.
        lan = make_stack("http-lan", {"TICKET_ALLOWED_TRACKER_NETWORKS": "127.0.0.0/8 ::1/128"})
        connection = create_connection(lan, world, {"kind": "webhook", "name": "LAN by name", "settings": {"url": url},
                                                    "secrets": {"webhook_secret": "http-secret"}})
        test = requests.post(lan.url(f"{connections_path(world.org)}/{connection['id']}/test"), headers=world.auth("admin"))
        assert test.json()["ok"] is True and len(receiver.events("ping")) == 1
    finally:
        receiver.stop()


def test_the_allow_list_admits_an_on_premise_tracker_over_plain_http(stack, world):
    """The suite's stacks allow 127.0.0.0/8 (TICKET_ALLOWED_TRACKER_NETWORKS), as an on-premise install would its LAN."""
    receiver = Receiver("lan-secret")
    try:
        connection = create_connection(stack, world, {"kind": "webhook", "name": "LAN", "settings": {"url": receiver.url},
                                                      "secrets": {"webhook_secret": "lan-secret"}})
        test = requests.post(stack.url(f"{connections_path(world.org)}/{connection['id']}/test"), headers=world.auth("admin"))
        assert test.json()["ok"] is True and len(receiver.events("ping")) == 1
    finally:
        receiver.stop()


def test_redirects_are_not_followed(stack, world):
    target, redirector = Receiver("s"), Receiver("s")
    redirector.default = (302, {"Location": target.url}, b"", 0)
    try:
        connection = create_connection(stack, world, {"kind": "webhook", "name": "R", "settings": {"url": redirector.url},
                                                      "secrets": {"webhook_secret": "s"}})
        test = requests.post(stack.url(f"{connections_path(world.org)}/{connection['id']}/test"), headers=world.auth("admin"))
        assert test.json()["steps"][0]["error"] == "redirect"
        assert len(redirector.requests) == 1 and target.requests == []
    finally:
        target.stop()
        redirector.stop()
