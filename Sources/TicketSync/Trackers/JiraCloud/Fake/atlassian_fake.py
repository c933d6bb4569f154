"""A fake Atlassian for Jira Cloud connected with OAuth 2.0 (3LO), on 127.0.0.1, for the end-to-end tests
(docs/trackers/jira-cloud.md; ../shared/reference/trackers-2026.md §2). It serves both hosts the service calls:

- the auth host (TICKET_ATLASSIAN_AUTH_URL): `/authorize` is only a URL the test reads (`authorize()` checks its exact
  query and hands back a code, as Atlassian's redirect would), and `POST /oauth/token` (JSON) exchanges a code or a
  refresh token. Refresh tokens ROTATE: each refresh answers a new pair; presenting a rotated refresh token again
  outside the leeway (10 minutes at Atlassian; `leeway` seconds here) revokes every token of that grant, access
  tokens included, and answers `invalid_grant`.
- the API host (TICKET_ATLASSIAN_API_URL): `GET /oauth/token/accessible-resources`, and each site's Jira under
  `/ex/jira/{cloudId}/rest/api/3/…` with `Authorization: Bearer <access token>`, handed to a FakeJira (as Cloud):
  v3 bodies (descriptions, comments) must be Atlassian Document Format and are read as text. Plus the dynamic webhooks:
  `POST /webhook` (`jqlFilter` without labels), `PUT /webhook/refresh`, `DELETE /webhook`.

`delivery()` sends a webhook as Jira would: `Authorization: Bearer <JWT>` (HS256 with the client secret),
`X-Atlassian-Webhook-Identifier`, and `matchedWebhookIds`."""
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from fake_server import FakeServer
from jira_fake import FakeJira

SCOPES = "read:jira-work write:jira-work read:jira-user manage:jira-webhook offline_access"


def adf_text(doc):
    """The text of an ADF document, paragraphs on their own lines, hard breaks as newlines; None if not ADF."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return None
    lines = []
    for block in doc.get("content", []):
        if block.get("type") != "paragraph":
            return None
        parts = []
        for node in block.get("content", []):
            if node.get("type") == "text" and isinstance(node.get("text"), str) and node["text"]:
                parts.append(node["text"])
            elif node.get("type") == "hardBreak":
                parts.append("\n")
            else:
                return None
        lines.append("".join(parts))
    return "\n\n".join(lines)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(secret, claims, alg="HS256"):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


class FakeAtlassian(FakeServer):
    def __init__(self, client_id="ts-client", client_secret="ts-client-secret", sites=1, access_ttl=3600, leeway=600):
        self.client_id, self.client_secret = client_id, client_secret
        self.access_ttl, self.leeway = access_ttl, leeway
        self.jira = FakeJira(email=None, token="unused")
        self.sites = [{"id": str(uuid.uuid4()), "url": f"https://site{n}.atlassian.example", "name": f"Site {n}",
                       "scopes": SCOPES.split(), "avatarUrl": ""} for n in range(sites)]
        self.codes = {}        # code -> redirect_uri
        self.grants = {}       # grant id -> {"revoked": bool}
        self.access = {}       # access token -> (grant, expires at)
        self.refresh = {}      # refresh token -> {"grant", "rotated_at": None|time}
        self.webhooks = {}     # id -> {"url", "events", "jqlFilter", "expires"}
        self.next_webhook = 100 + uuid.uuid4().int % 100000
        self.state_lock = threading.Lock()
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.jira.stop()
        super().stop()

    @property
    def cloud_id(self):
        return self.sites[0]["id"]

    # --- the test's side ----------------------------------------------------------------------------------------

    def authorize(self, url, redirect_uri):
        """Checks the authorize URL as Atlassian would and returns (code, state): what its redirect would carry."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == self.base and parts.path == "/authorize", url
        query = parse_qs(parts.query, keep_blank_values=True)
        assert {k: v[0] for k, v in query.items() if k != "state"} == {
            "audience": "api.atlassian.com", "client_id": self.client_id, "scope": SCOPES,
            "redirect_uri": redirect_uri, "response_type": "code", "prompt": "consent"}, query
        assert all(len(v) == 1 for v in query.values())
        code = secrets.token_urlsafe(16)
        with self.state_lock:
            self.codes[code] = redirect_uri
        return code, query["state"][0]

    def token_calls(self, grant_type=None):
        return [c for c in self.calls("POST", "/oauth/token")
                if grant_type is None or (isinstance(c["json"], dict) and c["json"].get("grant_type") == grant_type)]

    def expire_access(self):
        """Every access token expires now (as an hour passing would)."""
        with self.state_lock:
            for token, (grant, _) in list(self.access.items()):
                self.access[token] = (grant, time.time() - 1)

    def revoke_all(self):
        """The user revoked the app (or a token was reused): every grant ends."""
        with self.state_lock:
            for grant in self.grants.values():
                grant["revoked"] = True

    def delivery(self, url, payload, secret=None, claims=None, token=None, identifier=None):
        now = int(time.time())
        token = token or jwt(secret or self.client_secret,
                             claims if claims is not None else {"iss": self.client_id, "iat": now, "exp": now + 60})
        return requests.post(url, data=json.dumps(payload).encode(), headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {token}",
            "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4())})

    # --- the auth host ------------------------------------------------------------------------------------------

    def issue(self, grant):
        access, refresh = "at-" + secrets.token_hex(16), "rt-" + secrets.token_hex(16)
        self.access[access] = (grant, time.time() + self.access_ttl)
        self.refresh[refresh] = {"grant": grant, "rotated_at": None}
        return 200, {}, {"access_token": access, "refresh_token": refresh, "expires_in": self.access_ttl,
                         "scope": SCOPES, "token_type": "Bearer"}

    @staticmethod
    def invalid_grant(description):
        return 403, {}, {"error": "invalid_grant", "error_description": description}

    def token(self, body):
        if not isinstance(body, dict) or body.get("client_id") != self.client_id \
                or body.get("client_secret") != self.client_secret:
            return 401, {}, {"error": "access_denied", "error_description": "Unauthorized"}
        with self.state_lock:
            if body.get("grant_type") == "authorization_code":
                redirect = self.codes.pop(body.get("code"), None)
                if redirect is None or redirect != body.get("redirect_uri"):
                    return self.invalid_grant("Invalid authorization code")
                grant = str(uuid.uuid4())
                self.grants[grant] = {"revoked": False}
                return self.issue(grant)
            if body.get("grant_type") == "refresh_token":
                known = self.refresh.get(body.get("refresh_token"))
                if known is None or self.grants[known["grant"]]["revoked"]:
                    return self.invalid_grant("Unknown or invalid refresh token.")
                if known["rotated_at"] is not None and time.time() - known["rotated_at"] > self.leeway:
                    self.grants[known["grant"]]["revoked"] = True   # reuse outside the leeway: everything ends
                    return self.invalid_grant("Unknown or invalid refresh token.")
                known["rotated_at"] = known["rotated_at"] or time.time()
                return self.issue(known["grant"])
        return 400, {}, {"error": "unsupported_grant_type"}

    # --- the API host -------------------------------------------------------------------------------------------

    def authorized(self, r):
        header = r["headers"].get("Authorization", "")
        token = header[len("Bearer "):] if header.startswith("Bearer ") else None
        with self.state_lock:
            found = self.access.get(token)
            return found is not None and found[1] > time.time() and not self.grants[found[0]]["revoked"]

    def route(self, r):
        path = r["path"]
        if path == "/oauth/token" and r["method"] == "POST":
            return self.token(r["json"])
        if not self.authorized(r):
            return 401, {}, {"code": 401, "message": "Unauthorized; scope does not match"}
        if path == "/oauth/token/accessible-resources" and r["method"] == "GET":
            return 200, {}, self.sites
        site = next((s for s in self.sites if path.startswith(f"/ex/jira/{s['id']}/rest/api/3/")), None)
        if site is None:
            return 404, {}, {"errorMessages": ["No such site"]}
        rest = path[len(f"/ex/jira/{site['id']}/rest/api/3"):]
        if rest.startswith("/webhook"):
            return self.webhook(r, rest)
        return self.to_jira(r, rest)

    def to_jira(self, r, rest):
        """The site's Jira: v3 bodies must be ADF; reads and searches as v3, writes through the fake's v2 (text)."""
        body = r["json"]
        parts = rest.strip("/").split("/")
        if r["method"] == "POST" and rest == "/issue":
            description = body.get("fields", {}).get("description") if isinstance(body, dict) else None
            text = adf_text(description)
            if text is None:
                return 400, {}, {"errorMessages": [], "errors": {"description": "Operation value must be an Atlassian Document"}}
            body = {**body, "fields": {**body["fields"], "description": text}}
        if r["method"] == "POST" and parts[0] == "issue" and parts[2:] == ["comment"]:
            text = adf_text(body.get("body") if isinstance(body, dict) else None)
            if text is None:
                return 400, {}, {"errorMessages": [], "errors": {"comment": "Comment body must be an Atlassian Document"}}
            body = {**body, "body": text}
        reads_v3 = r["method"] == "GET" and (rest.startswith("/search") or (parts[0] == "issue" and
                                                                             parts[2:] in ([], ["comment"])))
        version = 3 if reads_v3 or rest.startswith("/search") else 2
        record = {**r, "path": f"{self.jira.context}/rest/api/{version}{rest}", "json": body,
                  "headers": {**r["headers"], "Authorization": self.jira.expected_auth(),
                              "Content-Type": r["headers"].get("Content-Type")}}
        with self.jira.lock:
            self.jira.requests.append(record)
        return self.jira.route(record)

    def webhook(self, r, rest):
        body = r["json"] if isinstance(r["json"], dict) else {}
        now = time.time()
        with self.state_lock:
            if rest == "/webhook" and r["method"] == "POST":
                results = []
                for spec in body.get("webhooks", []):
                    if "labels" in spec.get("jqlFilter", ""):
                        results.append({"errors": ["Invalid JQL: labels is not supported"]})
                        continue
                    self.next_webhook += 1
                    self.webhooks[self.next_webhook] = {"url": body.get("url"), "events": spec.get("events"),
                                                        "jqlFilter": spec.get("jqlFilter"), "expires": now + 30 * 86400}
                    results.append({"createdWebhookId": self.next_webhook})
                return 200, {}, {"webhookRegistrationResult": results}
            if rest == "/webhook/refresh" and r["method"] == "PUT":
                ids = body.get("webhookIds", [])
                live = [i for i in ids if i in self.webhooks and self.webhooks[i]["expires"] > now]
                if not live:
                    return 404, {}, {"errorMessages": ["Webhooks not found"]}
                for i in live:
                    self.webhooks[i]["expires"] = now + 30 * 86400
                return 200, {}, {"expirationDate": int((now + 30 * 86400) * 1000)}
            if rest == "/webhook" and r["method"] == "DELETE":
                for i in body.get("webhookIds", []):
                    self.webhooks.pop(i, None)
                return 202, {}, None
        return 404, {}, {"errorMessages": ["No such path"]}
