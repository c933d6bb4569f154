"""The documentation names only things that exist: settings, routes and files.

Pure Python: reads README.md, docs/**/*.md, openapi.yaml and the source tree; needs no stack and no database.
When a setting is renamed, a route changes or a source file moves, this test names every page and line to update.
"""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Settings are environment variables with one of these prefixes (Config/*.swift, scripts/*.sh, the nginx render),
# plus the few read without a prefix of their own.
SETTING = re.compile(
    r"(?<![A-Za-z0-9_])(?:(?:TICKETSYNC|TICKET|JIRA|SERVICENOW|LINEAR|BENCH|TEST_PG|PG|DEMO|SCHEMATHESIS|PROFILE)_[A-Z0-9_]*"
    r"[A-Z0-9]|PUBLIC_BASE_URL|DATABASE_URL)(?![A-Za-z0-9_])"
)
# A setting exists when its exact name is written somewhere the project reads settings (the end-to-end tests read
# a few of their own, e.g. SCHEMATHESIS_EXAMPLES).
SETTING_SOURCES = ["Sources", "scripts", "nginx", "Makefile", "Tests/e2e"]
# Names the docs may mention although nothing reads them, and why. Keep this short.
SETTING_ALLOWED: dict[str, str] = {}

# Our own routes: everything under /api/v1/, and the top-level probes (/healthz, /readyz, ...) and /metrics.
# /api/v1/ is checked wherever it appears, also after a host (http://127.0.0.1:8080/api/v1/...).
ROUTE = re.compile(
    r"(?:\b(?P<method>GET|POST|PUT|PATCH|DELETE)\s+)?"
    r"(?P<path>/api/v1/(?:<[^>]*>|[^\s`'\"()\[\]|,;*<])*|(?<![\w.:/-])/[a-z]+z\b|(?<![\w.:/-])/metrics\b)"
)
# A path segment that stands for any one segment: {param}, <token>, $VAR, a concrete UUID, 64 hex digits.
PLACEHOLDER = re.compile(
    r"^(\{[^}]*\}|<[^>]*>|\$\w+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64})$"
)
ELISION = ("…", "...")

# Repository paths: a top-level folder followed by the rest of the path.
REPO_PATH = re.compile(r"(?<![\w./~-])(?:Sources|Tests|scripts|nginx|sql|docs)/[A-Za-z0-9_./+-]*")
# File names of the kinds the project keeps in its tree, bare (JiraProvider.swift) or under a partial path
# (Auth/BearerToken.swift): some file of the tree must end with it.
BARE_FILE = re.compile(r"(?<![\w./-])[A-Za-z0-9_/+-]*[A-Za-z0-9_+-]\.(?:swift|py|sql|sh)\b")
REPO_PREFIXES = ("Sources/", "Tests/", "scripts/", "nginx/", "sql/", "docs/")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(autouse=True)
def quiet_outbox():
    """Overrides conftest's fixture of this name, which tidies the database after each test: these need none."""
    yield


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def lines_of(page: Path, text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        yield f"{page.relative_to(ROOT)}:{number}", line


def known_setting_names() -> set[str]:
    names: set[str] = set()
    for source in SETTING_SOURCES:
        base = ROOT / source
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for path in files:
            if path == Path(__file__).resolve():  # this file names bogus settings on purpose
                continue
            try:
                names.update(re.findall(r"[A-Z][A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8")))
            except UnicodeDecodeError:
                continue
    return names


def openapi_operations() -> dict[str, set[str]]:
    """Paths and their methods, read from openapi.yaml's `paths:` block (two-space paths, four-space methods)."""
    operations: dict[str, set[str]] = {}
    current = None
    in_paths = False
    for line in (ROOT / "openapi.yaml").read_text(encoding="utf-8").splitlines():
        if re.match(r"^\S", line):
            in_paths = line.startswith("paths:")
            current = None
            continue
        if not in_paths:
            continue
        if match := re.match(r"^  (/\S*):\s*$", line):
            current = match.group(1)
            operations[current] = set()
        elif current and (match := re.match(r"^    (get|post|put|patch|delete):", line)):
            operations[current].add(match.group(1).upper())
    return operations


def nginx_locations() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "nginx").glob("*.conf*"))
    return set(re.findall(r"location\s+(?:=\s+|\^~\s+)?(/[^\s{]*)", text))


def segments_match(doc: list[str], spec: list[str]) -> bool:
    if not doc:
        return not spec
    head, rest = doc[0], doc[1:]
    if head in ELISION:  # "…" stands for one or more segments
        return any(segments_match(rest, spec[i:]) for i in range(1, len(spec) + 1))
    if not spec:
        return False
    if head == spec[0] or PLACEHOLDER.match(head) or (spec[0].startswith("{") and spec[0].endswith("}")):
        return segments_match(rest, spec[1:])
    return False


def route_problem(method: str | None, path: str, operations: dict[str, set[str]], locations: set[str]):
    path = unquote(path.split("?", 1)[0].split("#", 1)[0].rstrip(".:"))
    if path in locations and method in (None, "GET"):
        return None
    doc = [s for s in path.strip("/").split("/")]
    if doc and doc[-1] == "":
        doc.pop()
    matches = [p for p in operations if segments_match(doc, [s for s in p.strip("/").split("/")])]
    if not matches:
        return f"route {method + ' ' if method else ''}{path} is not in openapi.yaml"
    if method and not any(method in operations[p] for p in matches):
        return f"route {method} {path}: openapi.yaml has no {method} for it"
    return None


def tree_files() -> list[str]:
    """Every file of the tree the docs may name, as "/" + its path from the repository's root."""
    files = ["/" + p.name for p in ROOT.iterdir() if p.is_file()]
    for folder in ("Sources", "Tests", "scripts", "sql", "nginx"):
        files.extend("/" + p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file())
    return files


def path_problem(token: str, text_after: str):
    token = token.rstrip(".,:")
    if text_after[:1] in ("<", "{", "*"):  # a pattern such as sql/011_<name>.sql: the folder must exist
        token = token.rsplit("/", 1)[0]
    return None if (ROOT / token).exists() else f"file {token} does not exist"


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, -1 for a
    repeated one."""
    seen: dict[str, int] = {}
    in_code = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not (match := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)):
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
        seen[slug] = seen.get(slug, -1) + 1
        if seen[slug]:
            seen[f"{slug}-{seen[slug]}"] = 0
    return set(seen)


def link_problem(page: Path, target: str):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
        return None
    relative, _, anchor = target.partition("#")
    linked = (page.parent / relative) if relative else page
    if not linked.exists():
        return f"link {target} does not exist"
    if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
        return f"link {target}: no heading {linked.name}#{anchor}"
    return None


def offenders(appended: dict[Path, str] | None = None) -> list[str]:
    """Every stale name, as "page:line: what"; `appended` adds text to pages (to prove each check fires)."""
    settings = known_setting_names()
    operations = openapi_operations()
    locations = nginx_locations()
    files = tree_files()
    found = []
    for page in pages():
        text = page.read_text(encoding="utf-8") + (appended or {}).get(page, "")
        for where, line in lines_of(page, text):
            for name in SETTING.findall(line):
                if name not in settings and name not in SETTING_ALLOWED:
                    found.append(f"{where}: setting {name} is read nowhere")
            for match in ROUTE.finditer(line):
                if problem := route_problem(match.group("method"), match.group("path"), operations, locations):
                    found.append(f"{where}: {problem}")
            for match in REPO_PATH.finditer(line):
                if problem := path_problem(match.group(0), line[match.end():]):
                    found.append(f"{where}: {problem}")
            for match in MD_LINK.finditer(line):
                if problem := link_problem(page, match.group(1)):
                    found.append(f"{where}: {problem}")
            for name in BARE_FILE.findall(line):
                if not name.startswith(REPO_PREFIXES) and not any(f.endswith("/" + name) for f in files):
                    found.append(f"{where}: file {name} is nowhere in the tree")
    return found


def test_docs_name_only_settings_routes_and_files_that_exist():
    found = offenders()
    assert not found, "the docs name things that do not exist:\n" + "\n".join(found)


def test_api_route_table_lists_every_operation_of_openapi():
    """docs/api.md keeps a table of routes with their permissions; it must list every operation of the spec."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^\s`?]*)", text, flags=re.M)
    listed = {(method, path) for method, path in rows}
    missing = [
        f"{method} {path}"
        for path, methods in openapi_operations().items()
        for method in sorted(methods)
        if (method, path) not in listed
    ]
    assert not missing, "docs/api.md's route table lacks: " + ", ".join(missing)


def test_docs_index_lists_every_page():
    index = ROOT / "docs" / "README.md"
    targets = MD_LINK.findall(index.read_text(encoding="utf-8"))
    linked = {(index.parent / target.split("#", 1)[0]).resolve() for target in targets}
    pages_under_docs = [p for p in (ROOT / "docs").rglob("*.md") if p != index]
    unlisted = [str(p.relative_to(ROOT)) for p in pages_under_docs if p.resolve() not in linked]
    assert not unlisted, "docs/README.md does not list: " + ", ".join(sorted(unlisted))


@pytest.mark.parametrize("bogus, kind", [
    ("`TICKET_NO_SUCH_SETTING`", "setting"),
    ("`GET /api/v1/orgs/{org_id}/no-such-route`", "route"),
    ("`DELETE /api/v1/me`", "route"),
    ("`/livez`", "route"),
    ("`Sources/TicketSync/NoSuchFolder/`", "file"),
    ("`NoSuchFile.swift`", "file"),
    ("`Auth/NoSuchFile.swift`", "file"),
    ("`Sources/TicketSync/Routes/BearerToken.swift`", "file"),
    ("`curl http://127.0.0.1:8080/api/v1/no-such-route`", "route"),
    ("[x](no-such-page.md)", "link"),
    ("[x](operations.md#no-such-heading)", "link"),
    ("[x](#no-such-heading)", "link"),
])
def test_each_kind_of_stale_name_is_caught(bogus, kind):
    page = ROOT / "docs" / "api.md"
    found = offenders({page: "\n" + bogus + "\n"})
    assert any(entry.startswith("docs/api.md:") and f": {kind} " in entry for entry in found), found
