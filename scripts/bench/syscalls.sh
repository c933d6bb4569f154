#!/usr/bin/env bash
# System calls per request, responder and nginx side by side (strace -c; counts are repeatable, unlike timings):
# N sequential GETs through nginx with kept FastCGI connections, then with a new connection per request.
#   scripts/bench/syscalls.sh [BINARY]     (needs the database that `make bench` seeded, in .run/bench)
# PROFILE_PATH picks the GET (default: the 20-comment thread); SYSCALLS_REQUESTS the count (default 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-$(swift build -c release --show-bin-path)/ticketsync}
RUN=.run/bench
export DATABASE_URL
DATABASE_URL=$(PG_FSYNC=off bash scripts/pg.sh start "$RUN/pg" "${BENCH_PG_PORT:-55434}")
token=$("$bin" token create --email bench@bench.example --label syscalls | tail -n 1)
path=${PROFILE_PATH:-/api/v1/orgs/00000000-0000-4000-8000-000000000050/evidence-requests/00000000-0000-4000-9000-000000050001/comments}
count=${SYSCALLS_REQUESTS:-1000}
port=${PROFILE_PORT:-18097}
export TICKETSYNC_TOKEN_RATE=100000r/s TICKETSYNC_INBOUND_RATE=100000r/s TICKETSYNC_ADDRESS_RATE=100000r/s
for keep in on off; do
    dir="$RUN/nginx-syscalls-$keep"
    conf=$(bash scripts/render-nginx.sh "$dir" "$port" "$RUN/syscalls.sock")
    sed -i -e 's|access_log .*;|access_log off;|' -e 's|^worker_processes .*;|worker_processes 1;|' "$conf"
    if [ "$keep" = off ]; then
        sed 's/fastcgi_keep_conn on;/fastcgi_keep_conn off;/' nginx/ticketsync.conf > "$dir/ticketsync.conf"
        sed -i "s|include [^;]*/nginx/ticketsync.conf;|include $(pwd)/$dir/ticketsync.conf;|" "$conf"
    fi
    strace -f -c -o "$dir/responder.strace" \
        "$bin" serve --listen "$RUN/syscalls.sock" --workers 0 --threads 2 --no-delivery-loop 2>/dev/null &
    responder=$!
    for _ in $(seq 1 100); do [ -S "$RUN/syscalls.sock" ] && break; sleep 0.1; done
    nginx -p "$dir" -c "$conf" -e "$(pwd)/$dir/error.log" &
    nginx_master=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    worker=$(pgrep -P "$nginx_master" | head -n 1)
    strace -f -c -p "$worker" -o "$dir/nginx.strace" &
    tracer=$!
    sleep 0.5
    python3 - "$count" "$port" "$path" "$token" <<'PY'
import http.client, sys
count, port, path, token = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
connection = http.client.HTTPConnection("127.0.0.1", int(port))  # one client connection: only the upstream varies
for _ in range(count):
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, answer.status
PY
    kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
    kill -QUIT "$nginx_master"; wait "$nginx_master" 2>/dev/null || true
    kill -INT "$(pgrep -P "$responder")"; wait "$responder" 2>/dev/null || true
    total() { awk '$NF == "total" { print $4 }' "$1"; }
    echo "keep_conn $keep: per request: responder $(( $(total "$dir/responder.strace") / count )) system calls," \
        "nginx worker $(( $(total "$dir/nginx.strace") / count ))"
    for side in responder nginx; do
        awk -v n="$count" -v side="$side" '$NF ~ /^[a-z_0-9]+$/ && $NF != "total" && $4 + 0 >= n / 10 {
            printf "    %-9s %-16s %.2f\n", side, $NF, $4 / n }' "$dir/$side.strace"
    done
done
