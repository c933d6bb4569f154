#!/usr/bin/env bash
# Instructions per request, counted by callgrind (repeatable, unlike timings): the responder runs under valgrind with
# one thread while N and then 5N sequential GETs of a 20-comment thread pass through nginx; the difference of the two
# totals divided by 4N is the cost of one request, start-up excluded; then the functions that cost the most per request.
#   scripts/bench/profile.sh [BINARY]     (needs the database that `make bench` seeded, in .run/bench)
# PROFILE_PATH picks the GET, PROFILE_KIND=comment or webhook profiles bench.py's comment POST or signed webhook
# instead, PROFILE_KEEP_CONN=off turns nginx's kept FastCGI connections off.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-$(swift build -c release --show-bin-path)/ticketsync}
RUN=.run/bench
export DATABASE_URL
DATABASE_URL=$(PG_FSYNC=off bash scripts/pg.sh start "$RUN/pg" "${BENCH_PG_PORT:-55434}")
psql "$DATABASE_URL" -X -q -c ANALYZE
token=$("$bin" token create --email bench@bench.example --label profile | tail -n 1)
# PROFILE_PATH profiles another GET (e.g. /healthz) the same way.
path=${PROFILE_PATH:-/api/v1/orgs/00000000-0000-4000-8000-000000000050/evidence-requests/00000000-0000-4000-9000-000000050001/comments}
port=${PROFILE_PORT:-18097}
export TICKETSYNC_TOKEN_RATE=100000r/s TICKETSYNC_INBOUND_RATE=100000r/s TICKETSYNC_ADDRESS_RATE=100000r/s
conf=$(bash scripts/render-nginx.sh "$RUN/nginx-profile" "$port" "$RUN/profile.sock")
sed -i 's|access_log .*;|access_log off;|' "$conf"
# PROFILE_KEEP_CONN=off: a new FastCGI connection per request (as before kept connections), to see what they save.
if [ "${PROFILE_KEEP_CONN:-on}" = off ]; then
    sed 's/fastcgi_keep_conn on;/fastcgi_keep_conn off;/' nginx/ticketsync.conf > "$RUN/nginx-profile/ticketsync.conf"
    sed -i "s|include [^;]*/nginx/ticketsync.conf;|include $(pwd)/$RUN/nginx-profile/ticketsync.conf;|" "$conf"
fi
nginx -p "$RUN/nginx-profile" -c "$conf" -e "$RUN/nginx-profile/error.log" &
nginx_pid=$!
total() {
    rm -f "$RUN/callgrind-$1.out"
    TICKET_WEBHOOK_SECRET=bench-secret valgrind --tool=callgrind --callgrind-out-file="$RUN/callgrind-$1.out" \
        "$bin" serve --listen "$RUN/profile.sock" --workers 0 --threads 1 --no-delivery-loop 2>/dev/null &
    local pid=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
    python3 - "$1" "$port" "$path" "$token" "${PROFILE_KIND:-get}" <<'PY'
import hashlib, hmac, json, sys, urllib.request
count, port, path, token, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
org = "00000000-0000-4000-8000-000000000050"
for n in range(count):
    if kind == "comment":  # as bench.py's post-comment.lua: spread over the 90 requests with a linked mock ticket
        body = json.dumps({"body": "Benchmark comment with a realistic length of text in it."}).encode()
        url = f"/api/v1/orgs/{org}/evidence-requests/00000000-0000-4000-9000-0000000500{10 + n % 90}/comments"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    elif kind == "webhook":  # as bench.py's signed status change
        body = json.dumps({"external_id": "bench-hook", "status": "in_progress"}).encode()
        url = "/api/v1/ticket-sync/webhook"
        signature = "sha256=" + hmac.new(b"bench-secret", body, hashlib.sha256).hexdigest()
        headers = {"X-Signature": signature, "Content-Type": "application/json"}
    else:
        body, url, headers = None, path, {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{url}", data=body, headers=headers)
    assert urllib.request.urlopen(request).status in (200, 201, 202)
PY
    kill -TERM "$pid"; wait "$pid" || true
    grep -m1 '^summary:' "$RUN/callgrind-$1.out" | cut -d' ' -f2
}
small=$(total 100)
large=$(total 500)
kill -QUIT "$nginx_pid" 2>/dev/null || true
echo "instructions per ${PROFILE_KIND:-GET $path}: $(( (large - small) / 400 ))"
# Where they go, per request (start-up subtracted): the functions whose own cost grew most between the two runs.
python3 scripts/bench/callgrind_delta.py "$RUN/callgrind-100.out" "$RUN/callgrind-500.out" 400 | head -n "${PROFILE_TOP:-25}"
