"""Runs the benchmark matrix for `make bench` (see scripts/bench.sh, which builds, seeds and sets the environment).
wrk through nginx → ticketsync, beside two ceilings measured in the same run: nginx → a fixed C libfcgi responder,
and pgbench running each endpoint's SQL with the same number of connections."""
import hashlib
import hmac
import json
import os
import re
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
HOOK_BODY = json.dumps({"external_id": "bench-hook", "status": "in_progress"})
HOOK_SIGNATURE = "sha256=" + hmac.new(SECRET.encode(), HOOK_BODY.encode(), hashlib.sha256).hexdigest()


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(name, socket_path):
    port = free_port()
    conf = subprocess.check_output(["bash", str(REPO / "scripts/render-nginx.sh"), str(RUN / name), str(port),
                                    str(socket_path)], text=True).strip()
    # Benchmarks measure the server, not its access log.
    text = Path(conf).read_text().replace(f"access_log {RUN / name}/access.log ticketsync;", "access_log off;")
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
    then refresh the planner's statistics as autovacuum would (the comment runs add thousands of rows)."""
    for _ in range(600):
        pending = subprocess.check_output(["psql", DATABASE_URL, "-X", "-At", "-c",
                                           "SELECT count(*) FROM ticket_sync.outbox WHERE state <> 'delivered'"], text=True)
        if pending.strip() == "0":
            break
        time.sleep(0.1)
    subprocess.run(["psql", DATABASE_URL, "-X", "-q", "-c", "ANALYZE"], check=True)


def wrk(url, connections, script=None):
    analyze()
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{DURATION}s", "--latency"]
    if script:
        command += ["-s", str(REPO / "scripts/bench" / script)]
    env = {**os.environ, "BENCH_WEBHOOK_BODY": HOOK_BODY, "BENCH_WEBHOOK_SIGNATURE": HOOK_SIGNATURE}
    out = subprocess.run(command + [url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


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


def main():
    processes = []
    try:
        ts_socket = RUN / "ticketsync.sock"
        env = {**os.environ, "TICKET_WEBHOOK_SECRET": SECRET}
        responder = subprocess.Popen([BIN, "serve", "--listen", str(ts_socket), "--workers", str(WORKERS),
                                      "--threads", str(THREADS)], cwd=REPO,
                                     env=env, stderr=open(RUN / "responder.log", "w"))
        processes.append(responder)
        fixed_socket = RUN / "fixed.sock"
        processes.append(subprocess.Popen([os.environ["FIXED_RESPONDER"], str(fixed_socket), str(C_THREADS)]))
        time.sleep(0.5)
        ts_port, ts_nginx = start_nginx("nginx-ticketsync", ts_socket)
        fixed_port, fixed_nginx = start_nginx("nginx-fixed", fixed_socket)
        processes += [ts_nginx, fixed_nginx]
        ts, fixed = f"http://127.0.0.1:{ts_port}", f"http://127.0.0.1:{fixed_port}"
        wait_ok(ts + "/readyz")
        wait_ok(fixed + "/healthz")
        # The ticketsync log line per request is part of the product; it goes to a file, as in production.

        rows = []
        for connections in CONNECTIONS:
            ceiling = wrk(fixed + "/healthz", connections)
            db = {name: pgbench(f"{name}.sql", connections) for name in ("thread", "comment", "webhook")}
            cases = [
                ("GET /healthz", wrk(ts + "/healthz", connections), ceiling["rps"], None),
                ("GET comments (20)", wrk(ts + THREAD_PATH, connections, "get-auth.lua"), ceiling["rps"], db["thread"]["tps"]),
                ("POST comment (mock)", wrk(ts + POST_PATH, connections, "post-comment.lua"), ceiling["rps"], db["comment"]["tps"]),
                ("POST webhook (signed)", wrk(ts + "/api/v1/ticket-sync/webhook", connections, "webhook.lua"),
                 ceiling["rps"], db["webhook"]["tps"]),
            ]
            rows.append((connections, ceiling, db, cases))
        rss = {"master": peak_rss_mib(responder.pid)}
        rss.update({f"worker {pid}": peak_rss_mib(pid) for pid in children(responder.pid)})
        print_report(rows, rss)
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                # The fixed C responder is libfcgi's plain example: SIGTERM does not stop its threads.
                stop = {"nginx": signal.SIGQUIT, BIN: signal.SIGTERM}.get(process.args[0], signal.SIGKILL)
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
    lines += ["", "Peak resident memory (VmHWM) after all runs: "
              + ", ".join(f"{name} {mib:.1f} MiB" for name, mib in rss.items())]
    report = "\n".join(lines)
    print(report)
    (REPO / "test-output").mkdir(exist_ok=True)
    (REPO / "test-output" / "bench.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
