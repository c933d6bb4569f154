"""openapi.yaml is the contract: it lists exactly the routes the responder knows, nginx serves it, and
schemathesis finds no failure when it fuzzes the live stack against it (report in test-output/)."""
import os
import subprocess
import uuid

import pytest
import requests
import yaml

from conftest import psql, BIN, REPO, Stack, World

SPEC = REPO / "openapi.yaml"


def spec():
    return yaml.safe_load(SPEC.read_text())


def test_every_route_is_in_the_spec_and_nothing_else():
    listed = subprocess.run([BIN, "routes"], capture_output=True, text=True, check=True).stdout.split("\n")
    routes = {tuple(line.split(" ", 1)) for line in listed if line}
    documented = {(method.upper(), path) for path, item in spec()["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert routes == documented


def test_every_operation_documents_its_errors_as_problems():
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["$ref"].startswith("#/components/responses/"), (path, method, status)


def test_nginx_serves_the_spec(stack):
    response = requests.get(stack.url("/api/v1/openapi.yaml"))
    assert response.status_code == 200
    assert yaml.safe_load(response.text) == spec()


@pytest.fixture
def fuzz_target():
    stack = Stack("schemathesis", {"TICKET_WEBHOOK_SECRET": "fuzz", "JIRA_WEBHOOK_SECRET": "fuzz",
                                    # Connect Jira Cloud answers with its authorize URL (it calls Atlassian only
                                    # on the callback, whose state a fuzzer cannot know).
                                    "TICKET_JIRA_OAUTH_CLIENT_ID": "fuzz", "TICKET_JIRA_OAUTH_CLIENT_SECRET": "fuzz",
                                    "TICKET_JIRA_OAUTH_REDIRECT_URL": "https://grc.example.com/callback"},
                  threads=8).start()
    yield stack
    stack.stop()


def test_schemathesis_finds_nothing(fuzz_target):
    world = World()
    report = REPO / "test-output" / "schemathesis"
    command = [
        "schemathesis", "--config-file", str(REPO / "Tests/e2e/schemathesis.toml"), "run", str(SPEC),
        "--url", fuzz_target.base,
        "--phases", "examples,coverage,fuzzing", "--max-examples", os.environ.get("SCHEMATHESIS_EXAMPLES", "100"),
        "--seed", "1", "--workers", "1", "--request-timeout", "10",
        "-H", f"Authorization: Bearer {world.tokens['admin']}",
        "--report", "junit", "--report-dir", str(report),
    ]
    psql("INSERT INTO org_memberships VALUES (:'org', :'user', 'configure')", org=world.org_b, user=world.user_ids["admin"])
    mock = requests.post(fuzz_target.url(f"/api/v1/orgs/{world.org_b}/ticket-sync/connections"), headers=world.auth("admin"),
                         json={"kind": "mock", "name": "Fuzzed mock"})
    assert mock.status_code == 201, mock.text
    env = {**os.environ, "TS_FUZZ_ORG_ID": world.org, "TS_FUZZ_REQUEST_ID": world.r1,
           "TS_FUZZ_CONNECTION_ORG_ID": world.org_b, "TS_FUZZ_CONNECTION_ID": mock.json()["id"]}
    report.mkdir(parents=True, exist_ok=True)  # schemathesis keeps its cache in the working directory
    result = subprocess.run(command, capture_output=True, text=True, cwd=report, timeout=900, env=env)
    (REPO / "test-output").mkdir(exist_ok=True)
    (REPO / "test-output" / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:]
