"""Helpers for tests of per-org connections: create one through the API, sign for its inbound URL."""
import hashlib
import hmac
import json

import requests


def connections_path(org):
    return f"/api/v1/orgs/{org}/ticket-sync/connections"


def create_connection(stack, world, body, role="admin", org=None):
    response = requests.post(stack.url(connections_path(org or world.org)), json=body, headers=world.auth(role))
    assert response.status_code == 201, response.text
    return response.json()


def jira_connection(fake, secret="jira-hook-secret", name="GRC Jira", default=True):
    settings = {"base_url": fake.base, "project_key": fake.project}
    if fake.email:
        settings["email"] = fake.email
    return {"kind": "jira", "name": name, "default": default, "settings": settings,
            "secrets": {"api_token": fake.token, "webhook_secret": secret}}


def sign(body, secret):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_hook(stack, inbound_url, payload, secret, header="X-Signature", extra=None):
    """Posts to a connection's inbound URL (its path, through the test's nginx), signed with `secret`."""
    body = json.dumps(payload).encode()
    path = inbound_url[inbound_url.index("/api/v1/"):]
    headers = {"Content-Type": "application/json", header: sign(body, secret), **(extra or {})}
    return requests.post(stack.url(path), data=body, headers=headers)
