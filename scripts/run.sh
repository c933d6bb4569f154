#!/usr/bin/env bash
# make run: build, start PostgreSQL (unless DATABASE_URL is set), migrate, seed the demo,
# start the responder and nginx on 127.0.0.1:$PORT, and stay in the foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PORT=${PORT:-8080}
RUN=.run
mkdir -p "$RUN"
ensure_packages

if [ -n "${TICKETSYNC_BIN:-}" ]; then
    bin=$TICKETSYNC_BIN  # a binary built already (the tests' debug build)
else
    log "building (release)"
    swift build -c release >&2
    bin=$(swift build -c release --show-bin-path)/ticketsync
fi

pids=()
started_pg=0
# Ends with the status the script stopped with: non-zero whenever the service did not start (Ctrl-C is a clean stop).
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    log "stopping"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "$started_pg" -eq 1 ]; then bash scripts/pg.sh stop "$RUN/pg" || true; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ -z "${DATABASE_URL:-}" ]; then
    log "starting PostgreSQL in $RUN/pg"
    DATABASE_URL=$(bash scripts/pg.sh start "$RUN/pg" "${PG_PORT:-55432}")
    started_pg=1
fi
export DATABASE_URL

# Connection secrets are sealed with a key ring; a development key is made once under .run/ when none is set.
if [ -z "${TICKET_SECRET_KEYS_FILE:-}" ] && [ -z "${TICKET_SECRET_KEYS:-}" ]; then
    if [ ! -s "$RUN/secret-keys" ]; then
        (umask 077; "$bin" keys generate --id "dev$(date +%Y%m%d)" > "$RUN/secret-keys")
        log "created a development secret key in $RUN/secret-keys"
    fi
    export TICKET_SECRET_KEYS_FILE="$PWD/$RUN/secret-keys"
fi

"$bin" migrate >&2
if [ "${DEMO_SEED:-1}" != "0" ]; then
    "$bin" demo-seed > "$RUN/demo.env"
    . "$RUN/demo.env"
fi

socket="$RUN/ticketsync.sock"
"$bin" serve --listen "$socket" --workers "${WORKERS:-2}" --threads "${THREADS:-8}" &
pids+=($!)
for _ in $(seq 1 50); do
    [ -S "$socket" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break  # it stopped (its reason is above)
    sleep 0.1
done
[ -S "$socket" ] || { log "the responder did not start"; exit 1; }

conf=$(bash scripts/render-nginx.sh "$RUN/nginx" "$PORT" "$socket")
nginx -p "$RUN/nginx" -c "$conf" -e "$(dirname "$conf")/error.log" &
pids+=($!)
sleep 0.5
curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null || { log "nginx or the responder is not answering on $PORT"; exit 1; }

base="http://127.0.0.1:$PORT"
cat <<INFO

Ticket Sync is running at $base  (provider: ${TICKET_PROVIDER:-mock}; Ctrl-C stops everything)
INFO
if [ "${DEMO_SEED:-1}" != "0" ]; then
    request=${REQUEST_IDS%%,*}
    cat <<INFO
Open the page, signed in as the demo admin:
  $base/#token=$CONFIGURE_TOKEN
(as the read-only demo user: $base/#token=$READ_TOKEN)

Demo org:         $ORG_ID
Configure token:  $CONFIGURE_TOKEN
Read-only token:  $READ_TOKEN

Try:
  curl -s -X POST -H 'Authorization: Bearer $CONFIGURE_TOKEN' $base/api/v1/orgs/$ORG_ID/evidence-requests/$request/ticket
  curl -s -X POST -H 'Authorization: Bearer $READ_TOKEN' -H 'Content-Type: application/json' -d '{"body":"Uploaded the Q3 review"}' $base/api/v1/orgs/$ORG_ID/evidence-requests/$request/comments
  curl -s -H 'Authorization: Bearer $READ_TOKEN' $base/api/v1/orgs/$ORG_ID/evidence-requests/$request/comments

INFO
fi
wait -n "${pids[@]}" || true
log "a process exited: stopping the rest"
exit 1
