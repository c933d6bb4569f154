"""The Debian package (`make deb`, scripts/deb.sh), used the way an operator would, minus the system changes: unpacked
with `dpkg-deb -x` into a throwaway root, then only its files run: `migrate` with the packaged SQL, `serve` with the
unit's own command line and a configured copy of the example env file, and nginx from the packaged snippets and page.

The package is built from the suite's binary (TICKETSYNC_BIN, scripts/test-env.sh), a debug build that links the Swift
runtime from the toolchain, which this machine has: it runs as it is. `make deb` links that runtime statically; either
way Depends must name only Debian's runtime libraries (deb.sh reads them from the binary, and leaves out, with a
warning, the toolchain's libraries that no Debian package holds).
"""
import os
import re
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from conftest import BIN, DATABASE_URL, REPO, RUN, RUNTIME_DATABASE_URL, World, fresh_database, psql, free_port, \
    wait_for

SHARE = "usr/share/ticketsync"
UNIT = "lib/systemd/system/ticketsync.service"
# Debian 12's packages of the libraries the responder links (libfcgi, libpq, libcrypto/libssl, libcurl) and of the C
# and C++ runtimes (the static Swift runtime needs libstdc++ and libgcc_s), plus adduser, which postinst runs.
RUNTIME_PACKAGES = {"libfcgi0ldbl", "libpq5", "libssl3", "libcurl4", "libc6", "libstdc++6", "libgcc-s1", "adduser"}


@pytest.fixture(autouse=True)
def quiet_outbox():
    """Overrides conftest's fixture of this name: these tests use a database of their own."""
    yield


@pytest.fixture(scope="module")
def package():
    RUN.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="deb-", dir=RUN))
    # gzip at level 1: the test's package is thrown away, xz would only cost time.
    env = {**os.environ, "TICKETSYNC_BIN": BIN, "OUT_DIR": str(work / "out"),
           "DPKG_DEB_COMPRESSOR_TYPE": "gzip", "DPKG_DEB_COMPRESSOR_LEVEL": "1"}
    built = subprocess.run(["bash", str(REPO / "scripts/deb.sh")], env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    deb = Path(built.stdout.strip().splitlines()[-1])
    root = work / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return deb, root, work


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], check=True, capture_output=True, text=True).stdout.strip()


def unit_exec_start(root):
    text = (root / UNIT).read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_control_names_the_version_the_architecture_and_only_runtime_libraries(package):
    deb, root, _ = package
    version = re.search(r'static let current = "([^"]+)"',
                        (REPO / "Sources/TicketSyncPlatform/Outbound/Version.swift").read_text()).group(1)
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    assert field(deb, "Package") == "ticketsync"
    assert field(deb, "Version") == version
    assert field(deb, "Architecture") == arch
    assert deb.name == f"ticketsync_{version}_{arch}.deb"
    depends = {entry.split()[0] for entry in field(deb, "Depends").split(",")}
    assert {"libfcgi0ldbl", "libpq5", "libssl3", "libcurl4"} <= depends
    assert depends <= RUNTIME_PACKAGES, depends - RUNTIME_PACKAGES
    assert not any(name.endswith("-dev") or "swift" in name for name in depends)


def test_the_layout_the_conffile_and_the_unit_agree(package):
    deb, root, work = package
    assert os.access(root / "usr/bin/ticketsync", os.X_OK)
    packaged_sql = sorted(p.name for p in (root / SHARE / "sql").iterdir())
    assert packaged_sql == sorted(p.name for p in (REPO / "sql").glob("*.sql"))
    assert (root / SHARE / "html/index.html").read_bytes() == (REPO / "nginx/html/index.html").read_bytes()
    for snippet in ("ticketsync.conf", "ticketsync-upstream.conf", "ticketsync-limits.conf", "ticketsync-metrics.conf",
                    "ticketsync-ui.conf"):
        assert (root / SHARE / "nginx" / snippet).is_file(), snippet
    control = work / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/ticketsync/env"]
    env_example = (root / "etc/ticketsync/env").read_text()
    assert re.search(r"^#DATABASE_URL=", env_example, re.M), "the required setting, commented"
    for script in ("postinst", "prerm", "postrm"):
        subprocess.run(["sh", "-n", str(control / script)], check=True)
    assert "adduser --system --group" in (control / "postinst").read_text()
    # The unit runs the packaged binary with the conffile, as the user postinst makes, on the socket the packaged
    # upstream snippet names.
    unit = (root / UNIT).read_text()
    argv = unit_exec_start(root)
    assert argv[:2] == ["/usr/bin/ticketsync", "serve"]
    assert option(argv, "--env-file") == "/etc/ticketsync/env"
    assert re.search(r"^User=ticketsync$", unit, re.M) and re.search(r"^SupplementaryGroups=ticketsync$", unit, re.M)
    upstream = (root / SHARE / "nginx/ticketsync-upstream.conf").read_text()
    assert f"server unix:{option(argv, '--listen')};" in upstream
    assert "/opt/" not in unit and "TICKETSYNC_SQL_DIR" not in unit


def test_migrate_serve_and_nginx_from_the_unpacked_files_only(package):
    deb, root, work = package
    binary = str(root / "usr/bin/ticketsync")
    # No TICKETSYNC_SQL_DIR and a working directory without sql/: the binary finds <root>/usr/share/ticketsync/sql.
    clean = {key: value for key, value in os.environ.items() if key != "TICKETSYNC_SQL_DIR"}
    url = fresh_database(migrate=False)
    migrated = subprocess.run([binary, "migrate"], cwd=work, env={**clean, "DATABASE_URL": url},
                              capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    last = sorted(p.name for p in (root / SHARE / "sql").iterdir())[-1]
    assert f"applied {last}" in migrated.stdout
    runtime_url = url
    if RUNTIME_DATABASE_URL != DATABASE_URL:  # serve as the runtime role, with what `ticketsync grants` gives it
        grants = subprocess.run([binary, "grants", "--role", "ticketsync_runtime"], cwd=work, check=True, text=True,
                                capture_output=True, env={**clean, "DATABASE_URL": url}).stdout
        psql(grants, database_url=url)
        name = url.split("?")[0].rsplit("/", 1)[1]
        runtime_url = RUNTIME_DATABASE_URL.replace("/ticketsync?", f"/{name}?", 1)

    # The operator's /etc/ticketsync/env: the example with DATABASE_URL set.
    env_file = work / "env"
    example = (root / "etc/ticketsync/env").read_text()
    env_file.write_text(re.sub(r"^#DATABASE_URL=.*$", f"DATABASE_URL={runtime_url}", example, flags=re.M))
    socket_path = work / "ts.sock"
    argv = unit_exec_start(root)
    argv[0] = binary
    argv[argv.index("--listen") + 1] = str(socket_path)
    argv[argv.index("--env-file") + 1] = str(env_file)
    if os.geteuid() != 0:  # only root (as systemd starts it) may give the socket to a group it is not in
        del argv[argv.index("--socket-group"):argv.index("--socket-group") + 2]

    # nginx as an operator's http { } would have it: the packaged snippets and page included from the root; the
    # upstream snippet copied and pointed at this socket (the packaged one names the unit's), as render-nginx.sh does.
    nginx_dir = work / "nginx"
    (nginx_dir / "tmp").mkdir(parents=True)
    for name in ("fastcgi_params", "mime.types"):
        (nginx_dir / name).write_bytes(Path("/etc/nginx", name).read_bytes())
    upstream = (root / SHARE / "nginx/ticketsync-upstream.conf").read_text()
    (nginx_dir / "ticketsync-upstream.conf").write_text(
        upstream.replace("unix:/run/ticketsync/ticketsync.sock", f"unix:{socket_path}"))
    port = free_port()
    share = root / SHARE
    (nginx_dir / "nginx.conf").write_text(f"""
{"user root root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {nginx_dir}/nginx.pid;
error_log {nginx_dir}/error.log warn;
daemon off;
events {{ worker_connections 64; }}
http {{
    include mime.types;
    include {share}/nginx/ticketsync-limits.conf;
    include {nginx_dir}/ticketsync-upstream.conf;
    access_log {nginx_dir}/access.log ticketsync;
    client_body_temp_path {nginx_dir}/tmp/client_body;
    fastcgi_temp_path {nginx_dir}/tmp/fastcgi;
    proxy_temp_path {nginx_dir}/tmp/proxy;
    uwsgi_temp_path {nginx_dir}/tmp/uwsgi;
    scgi_temp_path {nginx_dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {share}/html;
        include {share}/nginx/ticketsync.conf;
        include {share}/nginx/ticketsync-metrics.conf;
        include {share}/nginx/ticketsync-ui.conf;
    }}
}}
""")
    log = open(work / "responder.log", "ab")
    # Only PATH from outside: every setting comes from the env file.
    responder = subprocess.Popen(argv, cwd=work, env={"PATH": os.environ["PATH"]}, stdout=subprocess.DEVNULL,
                                 stderr=log)
    nginx = subprocess.Popen(["nginx", "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"),
                              "-e", str(nginx_dir / "error.log")])
    base = f"http://127.0.0.1:{port}"
    try:
        def ready():
            assert responder.poll() is None, (work / "responder.log").read_text()
            try:
                return requests.get(base + "/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, seconds=20, what="the packaged responder behind nginx")
        if os.geteuid() == 0:
            assert socket_path.stat().st_gid == int(subprocess.run(
                ["getent", "group", option(argv, "--socket-group")], check=True, capture_output=True,
                text=True).stdout.split(":")[2])

        # A token made with the packaged binary, and one API call with it.
        token = subprocess.run([binary, "token", "create", "--email", "operator@deb.example"], cwd=work, check=True,
                               capture_output=True, text=True, env={**clean, "DATABASE_URL": url}).stdout.split()[-1]
        me = requests.get(base + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert me.status_code == 200, me.text
        assert me.json()["user"]["email"] == "operator@deb.example"
        world = World(database_url=url)
        listed = requests.get(base + f"/api/v1/orgs/{world.org}/evidence-requests", headers=world.auth("admin"),
                              timeout=5)
        assert listed.status_code == 200, listed.text
        assert {item["id"] for item in listed.json()["evidence_requests"]} == {world.r1, world.r2}
        assert requests.get(base + "/api/v1/me", timeout=5).status_code == 401

        page = requests.get(base + "/", timeout=5)
        assert page.status_code == 200
        assert page.content == (share / "html/index.html").read_bytes()
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        script = requests.get(base + "/app.js", timeout=5)
        assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    finally:
        responder.send_signal(signal.SIGTERM)
        nginx.send_signal(signal.SIGQUIT)
        assert responder.wait(timeout=30) == 0
        nginx.wait(timeout=15)
        log.close()


def test_maintainer_scripts_make_the_user_and_the_override_once_and_start_nothing(package, tmp_path):
    """postinst, prerm and postrm with the system commands they call replaced by recorders (PATH first): the
    ticketsync user and the env file's stat override are made once however often `configure` runs, nothing is
    enabled or started, and removing stops and disables the service; purging drops the override."""
    deb, _, work = package
    control = work / "scripts"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    shims, calls, state = tmp_path / "bin", tmp_path / "calls", tmp_path / "state"
    shims.mkdir()
    state.mkdir()
    recorder = f'#!/bin/sh\necho "$(basename "$0") $*" >> {calls}\n'
    (shims / "adduser").write_text(recorder + f"touch {state}/user\n")
    (shims / "getent").write_text(recorder + f'[ "$1 $2" = "passwd ticketsync" ] && [ -e {state}/user ]\n')
    (shims / "dpkg-statoverride").write_text(recorder + f"""case "$1" in
--list) [ -e {state}/override ] ;;
--update) touch {state}/override ;;
--remove) rm {state}/override ;;
esac
""")
    for name in ("systemctl", "rmdir"):
        (shims / name).write_text(recorder)
    for shim in shims.iterdir():
        shim.chmod(0o755)
    env = {"PATH": f"{shims}:/usr/bin:/bin"}

    def run(script, *args):
        subprocess.run(["sh", "-e", str(control / script), *args], env=env, check=True)
        recorded = calls.read_text().splitlines() if calls.exists() else []
        calls.unlink(missing_ok=True)
        return [line for line in recorded if not line.startswith(("getent", "dpkg-statoverride --list"))]

    assert run("postinst", "configure", "") == [
        "adduser --system --group --home /nonexistent --no-create-home --quiet ticketsync",
        "dpkg-statoverride --update --add root ticketsync 0640 /etc/ticketsync/env",
    ] + (["systemctl daemon-reload"] if Path("/run/systemd/system").is_dir() else [])
    again = run("postinst", "configure", "0.3.0")  # an upgrade, or configure run twice: nothing new
    assert not any(line.startswith(("adduser", "dpkg-statoverride")) for line in again), again
    assert not any(word in line for line in again for word in ("enable", "start", "restart", "reload ")), again
    assert run("prerm", "upgrade", "0.3.1") == []
    removed = run("prerm", "remove")
    assert "systemctl disable ticketsync.service" in removed
    purged = run("postrm", "purge")
    assert "dpkg-statoverride --remove /etc/ticketsync/env" in purged and "rmdir /etc/ticketsync" in purged
    assert not (state / "override").exists()
