"""Runs the benchmark matrix for `make bench` (see scripts/bench.sh, which builds, seeds and sets the environment).
wrk through nginx → ticketsync, beside two ceilings measured in the same run: nginx → a fixed C libfcgi responder,
and pgbench running each endpoint's SQL with the same number of connections."""
import hashlib
import hmac
import json
import os
import re
import resource
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / os.environ["BENCH_RUN"]
BIN = os.environ["TICKETSYNC_BIN"]
DATABASE_URL = os.environ["DATABASE_URL"]
TOKEN = os.environ["BENCH_TOKEN"]
DIGEST = os.environ["BENCH_DIGEST"]
DURATION = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "8,32,128").split(",")]
# ticketsync: 2 workers x 4 threads (eight database connections); the C responder gets as many threads in total.
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
C_THREADS = max(1, WORKERS) * THREADS
SECRET = "bench-secret"
ORG = "00000000-0000-4000-8000-000000000050"
THREAD_PATH = f"/api/v1/orgs/{ORG}/evidence-requests/00000000-0000-4000-9000-000000050001/comments"
POST_PATH = f"/api/v1/orgs/{ORG}/evidence-requests/00000000-0000-4000-9000-000000050010/comments"  # the script varies it
LONG_THREAD_PATH = f"/api/v1/orgs/{ORG}/evidence-requests/00000000-0000-4000-9000-000000050002/comments"
LIST_PATH = f"/api/v1/orgs/{ORG}/evidence-requests"
AUDIT_PATH = f"/api/v1/orgs/{ORG}/ticket-sync/audit"
SCALE = os.environ.get("BENCH_SCALE", "")
SCALE_CONNECTIONS = int(os.environ.get("BENCH_SCALE_CONNECTIONS", "32"))
HOOK_BODY = json.dumps({"external_id": "bench-hook", "status": "in_progress"})
HOOK_SIGNATURE = "sha256=" + hmac.new(SECRET.encode(), HOOK_BODY.encode(), hashlib.sha256).hexdigest()


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(name, socket_path, kept=True):
    """nginx as shipped in front of `socket_path`. `kept=False` turns the shipped `fastcgi_keep_conn on` off: the C
    libfcgi responder keeps its reference shape (a connection per request), since libfcgi pins a thread to each kept
    connection and the 8 threads would then serve at most 8 of nginx's connections."""
    port = free_port()
    conf = subprocess.check_output(["bash", str(REPO / "scripts/render-nginx.sh"), str(RUN / name), str(port),
                                    str(socket_path)], text=True).strip()
    # Benchmarks measure the server, not its access log.
    text = Path(conf).read_text().replace(f"access_log {RUN / name}/access.log ticketsync;", "access_log off;")
    if not kept:
        for snippet in ("ticketsync.conf", "ticketsync-metrics.conf"):
            source = REPO / "nginx" / snippet if snippet == "ticketsync.conf" else RUN / name / snippet
            copy = RUN / name / snippet
            copy.write_text(source.read_text().replace("fastcgi_keep_conn on;", "fastcgi_keep_conn off;"))
        text = text.replace(f"include {REPO}/nginx/ticketsync.conf;", f"include {RUN / name}/ticketsync.conf;")
    Path(conf).write_text(text)
    process = subprocess.Popen(["nginx", "-p", str(RUN / name), "-c", conf, "-e", str(RUN / name / "error.log")])
    return port, process


def wait_ok(url, headers=None):
    for _ in range(100):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"not answering: {url}")


def analyze():
    """Before each run: wait until the outbox has delivered what the previous run queued (its cost belongs to that run),
    then clean up and refresh the planner's statistics as autovacuum would (the comment runs add and update thousands
    of rows), so autovacuum does not run during the next row and count as its cost."""
    for _ in range(1200):
        pending = subprocess.check_output(["psql", DATABASE_URL, "-X", "-At", "-c",
                                           "SELECT count(*) FROM ticket_sync.outbox WHERE state NOT IN ('delivered', 'cancelled') "
                                           "AND next_attempt_at < now() + interval '1 year'"], text=True)
        if pending.strip() == "0":
            break
        time.sleep(0.1)
    else:
        print("(the outbox was still delivering the previous run's events after 120 s)", flush=True)
    subprocess.run(["psql", DATABASE_URL, "-X", "-q", "-c", "VACUUM ANALYZE"], check=True)


COMPONENTS = {"ticketsync": "responder", "postgres": "PostgreSQL", "pgbouncer": "PgBouncer", "nginx": "nginx",
              "fixed_responder": "C responder"}


def cpu_ticks():
    """CPU time so far (user + system, in clock ticks) of each process running now that belongs to a component, and
    the machine's total and idle ticks: where a run's CPU went, by difference."""
    by_pid = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        name = next((label for prefix, label in COMPONENTS.items() if comm.startswith(prefix[:15])), None)
        if name:
            by_pid[pid] = (name, int(fields[11]) + int(fields[12]))
    machine = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return by_pid, sum(machine), machine[3] + machine[4]


def cpu_split(before, after, wrk_seconds, requests):
    """Microseconds of CPU per request by component (wrk's own from its rusage), and the machine's idle share. A
    process started during the run counts whole; one that ended during it (a short-lived PostgreSQL backend or
    autovacuum worker) is not seen."""
    tick = 1e6 / os.sysconf("SC_CLK_TCK")
    split = {}
    for pid, (name, ticks) in after[0].items():
        split[name] = split.get(name, 0) + (ticks - before[0].get(pid, (name, 0))[1]) * tick / requests
    split["wrk"] = wrk_seconds * 1e6 / requests
    split["idle"] = (after[2] - before[2]) / max(1, after[1] - before[1])
    return split


def wrk(url, connections, script=None):
    analyze()
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{DURATION}s", "--latency"]
    if script:
        command += ["-s", str(REPO / "scripts/bench" / script)]
    env = {**os.environ, "BENCH_WEBHOOK_BODY": HOOK_BODY, "BENCH_WEBHOOK_SIGNATURE": HOOK_SIGNATURE}
    before, children = cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(command + [url], capture_output=True, text=True, env=env, check=True).stdout
    after, children_after = cpu_ticks(), resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_seconds = (children_after.ru_utime - children.ru_utime) + (children_after.ru_stime - children.ru_stime)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else "",
            "cpu": cpu_split(before, after, wrk_seconds, max(1, requests))}


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def pgbench(script, connections):
    # The baseline: the SQL each endpoint ran before issue 12 (a copy of ../shared/bench-baseline), fixed.
    sql = (REPO / "scripts/bench/baseline" / script).read_text().replace("{digest}", DIGEST)
    rendered = RUN / f"pgbench-{script}"
    rendered.write_text(sql)
    analyze()
    out = subprocess.run(["pgbench", "-n", "-M", "simple", "-c", str(connections), "-j", "2", "-T", str(DURATION),
                          "-f", str(rendered), DATABASE_URL], capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": tps, "avg_ms": latency}


def peak_rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def children(pid):
    """The responder's workers: its live children, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def start_responder(name, database_url=DATABASE_URL, delivery_loops=True):
    """`ticketsync serve` on a unix socket of its own, as in production (its delivery loops included, unless told
    otherwise)."""
    socket_path = RUN / f"{name}.sock"
    env = {**os.environ, "TICKET_WEBHOOK_SECRET": SECRET, "DATABASE_URL": database_url}
    process = subprocess.Popen([BIN, "serve", "--listen", str(socket_path), "--workers", str(WORKERS),
                                "--threads", str(THREADS)] + ([] if delivery_loops else ["--no-delivery-loop"]),
                               cwd=REPO, env=env, stderr=open(RUN / f"{name}.log", "w"))
    return socket_path, process


def start_pgbouncer():
    """PgBouncer (Debian 12's 1.18) in transaction mode in front of the bench cluster, with its default settings
    (no prepared statements carried): the responder notices and runs without them. Run as postgres when root."""
    port = free_port()
    process = subprocess.Popen(["bash", str(REPO / "scripts/pgbouncer.sh"), str(RUN / "pgbouncer"), str(port),
                                str(WORKERS * (THREADS + 1)), DATABASE_URL],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = DATABASE_URL.split("@/")[1].split("?")[0]
    return f"postgresql://postgres@127.0.0.1:{port}/{database}", process


def main():
    if SCALE == "large":
        return scale_main()
    if SCALE == "soak":
        return soak_main()
    processes = []
    try:
        ts_socket, responder = start_responder("ticketsync")
        processes.append(responder)
        fixed_socket = RUN / "fixed.sock"
        processes.append(subprocess.Popen([os.environ["FIXED_RESPONDER"], str(fixed_socket), str(C_THREADS)]))
        time.sleep(0.5)
        ts_port, ts_nginx = start_nginx("nginx-ticketsync", ts_socket)
        fixed_port, fixed_nginx = start_nginx("nginx-fixed", fixed_socket, kept=False)
        processes += [ts_nginx, fixed_nginx]
        ts, fixed = f"http://127.0.0.1:{ts_port}", f"http://127.0.0.1:{fixed_port}"
        wait_ok(ts + "/readyz")
        wait_ok(fixed + "/healthz")
        # The same service behind PgBouncer in transaction mode (issue 24, item 5): one more responder and nginx.
        bouncer_url, bouncer = start_pgbouncer()
        processes.append(bouncer)
        time.sleep(0.5)
        # Only its thread GET row is measured: without delivery loops, so it never takes part in the other rows'
        # deliveries (through the pooler, unprepared, they cost PostgreSQL 2.6 ms of CPU per comment POST).
        pooled_socket, pooled = start_responder("pooled", bouncer_url, delivery_loops=False)
        processes.append(pooled)
        time.sleep(0.5)
        pooled_port, pooled_nginx = start_nginx("nginx-pooled", pooled_socket)
        processes.append(pooled_nginx)
        pooled_ts = f"http://127.0.0.1:{pooled_port}"
        wait_ok(pooled_ts + "/readyz")
        # The ticketsync log line per request is part of the product; it goes to a file, as in production.

        rows = []
        for connections in CONNECTIONS:
            ceiling = wrk(fixed + "/healthz", connections)
            db = {name: pgbench(f"{name}.sql", connections) for name in ("thread", "comment", "webhook")}
            cases = [
                ("GET /healthz", wrk(ts + "/healthz", connections), ceiling["rps"], None),
                ("GET comments (20)", wrk(ts + THREAD_PATH, connections, "get-auth.lua"), ceiling["rps"], db["thread"]["tps"]),
                ("GET comments (20), PgBouncer", wrk(pooled_ts + THREAD_PATH, connections, "get-auth.lua"),
                 ceiling["rps"], db["thread"]["tps"]),
                ("POST comment (mock)", wrk(ts + POST_PATH, connections, "post-comment.lua"), ceiling["rps"], db["comment"]["tps"]),
                ("POST webhook (signed)", wrk(ts + "/api/v1/ticket-sync/webhook", connections, "webhook.lua"),
                 ceiling["rps"], db["webhook"]["tps"]),
            ]
            rows.append((connections, ceiling, db, cases))
        rss = {"master": peak_rss_mib(responder.pid)}
        rss.update({f"worker {pid}": peak_rss_mib(pid) for pid in children(responder.pid)})
        print_report(rows, rss)
    finally:
        stop_all(processes)


def stop_all(processes):
    for process in reversed(processes):
        if process.poll() is None:
            # The fixed C responder is libfcgi's plain example: SIGTERM does not stop its threads.
            stop = {"nginx": signal.SIGQUIT, BIN: signal.SIGTERM, "runuser": signal.SIGTERM}.get(
                process.args[0], signal.SIGKILL)
            process.send_signal(stop)
            process.wait(timeout=20)


def print_report(rows, rss):
    lines = [f"Benchmark: {DURATION}s per run, wrk -t2 through nginx, ticketsync {WORKERS} workers x {THREADS} threads, "
             f"C responder {C_THREADS} threads, "
             f"{os.cpu_count()} cores; seeded 100 orgs x 100 evidence requests.", "",
             "| conns | endpoint | req/s | p50 ms | p99 ms | non-2xx | C responder req/s | ratio to C | pgbench tps | ratio to pgbench |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for connections, ceiling, db, cases in rows:
        for name, result, c_rps, pg_tps in cases:
            db_tps = "" if pg_tps is None else f"{pg_tps:.0f}"
            db_ratio = "" if pg_tps is None else f"{result['rps'] / pg_tps:.2f}"
            lines.append(
                f"| {connections} | {name} | {result['rps']:.0f} | {result['p50']:.2f} | {result['p99']:.2f} | "
                f"{result['non2xx']} | {c_rps:.0f} | {result['rps'] / c_rps:.2f} | {db_tps} | {db_ratio} |")
    # Where the time goes: the two cores are shared by wrk, nginx, the responder and PostgreSQL, so a rate is the
    # inverse of the CPU each request costs them together.
    parts = ["responder", "PostgreSQL", "PgBouncer", "nginx", "wrk"]
    lines += ["", "CPU per request, microseconds (user + system, from /proc; wrk from its rusage), and the machine's "
              "idle share during the run:", "",
              "| conns | endpoint | " + " | ".join(parts) + " | total | idle |", "|---:|---|" + "---:|" * (len(parts) + 2)]
    for connections, ceiling, db, cases in rows:
        for name, result, c_rps, pg_tps in [("C responder /healthz", ceiling, None, None)] + cases:
            cpu = dict(result["cpu"])
            if name.startswith("C responder"):
                cpu["responder"] = cpu.get("C responder", 0)
            total = sum(cpu.get(part, 0) for part in parts)
            lines.append(f"| {connections} | {name} | " + " | ".join(f"{cpu.get(part, 0):.0f}" for part in parts)
                         + f" | {total:.0f} | {cpu['idle']:.0%} |")
    lines += ["", "Peak resident memory (VmHWM) after all runs: "
              + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in rss.items())]
    report = "\n".join(lines)
    print(report)
    (REPO / "test-output").mkdir(exist_ok=True)
    (REPO / "test-output" / "bench.md").write_text(report + "\n")


def get_json(url):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def deep_cursor(base, path, skip):
    """The thread's `next_cursor` after its first `skip` comments (pages of 200, as a client would walk them)."""
    cursor, seen = None, 0
    while seen < skip:
        limit = min(200, skip - seen)
        page = get_json(f"{base}{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        cursor, seen = page["next_cursor"], seen + len(page["comments"])
        if not page["comments"]:
            break
    return cursor


def scale_cases(ts, deep_skip, thread_path):
    """The endpoints issue 24 names, at SCALE_CONNECTIONS connections. Thread pages of 10 on both data sets (the
    small one's thread has 20 comments), so the responses compared are the same size."""
    cursor = deep_cursor(ts, thread_path, deep_skip)
    c = SCALE_CONNECTIONS
    return [
        ("GET thread, first page of 10", wrk(ts + thread_path + "?limit=10", c, "get-auth.lua")),
        (f"GET thread, 10 after {deep_skip}", wrk(f"{ts}{thread_path}?limit=10&cursor={cursor}", c, "get-auth.lua")),
        ("POST comment (mock)", wrk(ts + POST_PATH, c, "post-comment.lua")),
        ("POST webhook (signed)", wrk(ts + "/api/v1/ticket-sync/webhook", c, "webhook.lua")),
        ("GET request list", wrk(ts + LIST_PATH, c, "get-auth.lua")),
        ("GET audit page", wrk(ts + AUDIT_PATH, c, "get-auth.lua")),
    ]


def psql(sql):
    return subprocess.check_output(["psql", DATABASE_URL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                                   text=True).strip()


def drain(processes):
    """A second responder joins the first; the 10,000 held events are made due at once, as a backlog past its
    writers' grace (the loops leave an event younger than that to the request that wrote it), and the time until
    both responders' delivery loops have delivered them all is measured."""
    _, second = start_responder("second")
    processes.append(second)
    time.sleep(1)
    held = int(psql("WITH due AS (UPDATE ticket_sync.outbox SET next_attempt_at = now() - interval '1 hour' "
                    "WHERE state = 'pending' "
                    "AND next_attempt_at > now() + interval '1 year' RETURNING 1) SELECT count(*) FROM due"))
    started = time.monotonic()
    left = held
    while left > 0 and time.monotonic() - started < 1800:
        time.sleep(0.2)
        left = int(psql("SELECT count(*) FROM ticket_sync.outbox WHERE event_type = 'ticket.comment' "
                        "AND state IN ('pending', 'delivering')"))
    seconds = time.monotonic() - started
    failed = int(psql("SELECT count(*) FROM ticket_sync.outbox WHERE state = 'failed'"))
    return {"events": held, "seconds": seconds, "left": left, "failed": failed}


def start_ticketsync(processes):
    """The responder behind its own nginx, both added to `processes`; returns nginx's base URL once it is ready."""
    ts_socket, responder = start_responder("ticketsync")
    processes.append(responder)
    time.sleep(0.5)
    ts_port, ts_nginx = start_nginx("nginx-ticketsync", ts_socket)
    processes.append(ts_nginx)
    ts = f"http://127.0.0.1:{ts_port}"
    wait_ok(ts + "/readyz")
    return ts


def scale_main():
    processes = []
    try:
        ts = start_ticketsync(processes)
        small = scale_cases(ts, 10, THREAD_PATH)
        started = time.monotonic()
        subprocess.run(["psql", DATABASE_URL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f",
                        str(REPO / "scripts/bench/seed-large.sql")], check=True, stdout=subprocess.DEVNULL)
        seeded = time.monotonic() - started
        counts = psql("SELECT (SELECT count(*) FROM orgs) || ' orgs, ' || (SELECT count(*) FROM evidence_requests) "
                      "|| ' evidence requests, ' || (SELECT count(*) FROM ticket_sync.comments) || ' comments, ' "
                      "|| (SELECT count(*) FROM ticket_sync.ticket_links) || ' links, ' "
                      "|| (SELECT count(*) FROM ticket_sync.outbox WHERE state = 'delivered') || ' delivered and ' "
                      "|| (SELECT count(*) FROM ticket_sync.outbox WHERE state = 'pending') || ' pending events, ' "
                      "|| (SELECT count(*) FROM ticket_sync.audit_events) || ' audit rows'")
        large = scale_cases(ts, 1800, LONG_THREAD_PATH)
        drained = drain(processes)
        print_scale_report(small, large, seeded, counts, drained)
    finally:
        stop_all(processes)


def print_scale_report(small, large, seeded, counts, drained):
    lines = [f"Scale benchmark: {DURATION}s per run, wrk -t2 -c{SCALE_CONNECTIONS} through nginx, ticketsync {WORKERS} "
             f"workers x {THREADS} threads, {os.cpu_count()} cores.",
             f"Large data set built in {seeded:.0f} s: {counts}.", "",
             "| endpoint | small: req/s | p50 ms | p99 ms | large: req/s | p50 ms | p99 ms | p50 large/small "
             "| p99 large/small | non-2xx |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (name, s), (large_name, b) in zip(small, large):
        label = name if name == large_name else f"{name} → {large_name}"
        lines.append(f"| {label} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {b['rps']:.0f} | "
                     f"{b['p50']:.2f} | {b['p99']:.2f} | {b['p50'] / s['p50']:.2f} | {b['p99'] / s['p99']:.2f} | "
                     f"{s['non2xx'] + b['non2xx']} |")
    rate = drained["events"] / drained["seconds"] if drained["seconds"] else 0
    lines += ["", f"Drain: {drained['events']} pending events delivered by two responders in "
              f"{drained['seconds']:.1f} s ({rate:.0f} events/s); {drained['left']} left, {drained['failed']} failed."]
    report = "\n".join(lines)
    print(report)
    (REPO / "test-output").mkdir(exist_ok=True)
    (REPO / "test-output" / "bench-scale.md").write_text(report + "\n")


def soak_main():
    """The soak of issue 24: windows of wrk with soak.lua (32 connections by default), one after the other, each
    reported with the three threads' length and the outbox's queue at its end. No analyze() between windows: the
    database is left as the load leaves it."""
    windows = int(os.environ.get("BENCH_SOAK_WINDOWS", "4"))
    processes = []
    try:
        ts = start_ticketsync(processes)
        lines = [f"Soak: {windows} windows of {DURATION}s, wrk -t2 -c{SCALE_CONNECTIONS} through nginx, 80 % thread "
                 f"GET / 20 % comment POST on three threads, ticketsync {WORKERS} workers x {THREADS} threads, "
                 f"{os.cpu_count()} cores.", "",
                 "| window | req/s | p50 ms | p99 ms | non-2xx | comments per thread after | events queued after |",
                 "|---:|---:|---:|---:|---:|---|---:|"]
        command = ["wrk", "-t", "2", "-c", str(SCALE_CONNECTIONS), "-d", f"{DURATION}s", "--latency", "-s",
                   str(REPO / "scripts/bench/soak.lua"), ts + "/"]
        for window in range(1, windows + 1):
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            latency = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
            errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            threads = psql("SELECT string_agg(n::text, ' / ' ORDER BY r) FROM (SELECT evidence_request_id r, count(*) n "
                           "FROM ticket_sync.comments WHERE org_id = '00000000-0000-4000-8000-000000000050' AND "
                           "evidence_request_id IN ('00000000-0000-4000-9000-000000050010', "
                           "'00000000-0000-4000-9000-000000050011', '00000000-0000-4000-9000-000000050012') "
                           "GROUP BY 1) t")
            queued = psql("SELECT count(*) FROM ticket_sync.outbox WHERE state IN ('pending', 'delivering')")
            lines.append(f"| {window} | {rps:.0f} | {latency.get('50', 0):.2f} | {latency.get('99', 0):.2f} | "
                         f"{int(errors.group(1)) if errors else 0} | {threads} | {queued} |")
            print(lines[-1], flush=True)
        report = "\n".join(lines)
        print(report)
        (REPO / "test-output").mkdir(exist_ok=True)
        (REPO / "test-output" / "bench-soak.md").write_text(report + "\n")
    finally:
        stop_all(processes)


if __name__ == "__main__":
    main()
