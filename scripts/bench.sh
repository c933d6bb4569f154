#!/usr/bin/env bash
# make bench: wrk through the real nginx against ticketsync, side by side with the two ceilings — a minimal C libfcgi
# responder (nginx + FastCGI) and pgbench running the endpoints' own SQL (the database) — on a seeded database of
# 100 orgs × 100 evidence requests. Prints the table and writes test-output/bench.md. Never part of `make test`.
# `make bench SCALE=large` (BENCH_SCALE=large) measures the same endpoints on the small seed, then grows the database
# with scripts/bench/seed-large.sql (10,000 orgs, 1,000,000 comments, …) and measures them again, then times the
# drain of 10,000 pending events by two responders; it writes test-output/bench-scale.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
APT_PACKAGES="$APT_PACKAGES wrk gcc pgbouncer" ensure_packages

log "building (release)"
swift build -c release >&2
bin=$(swift build -c release --show-bin-path)/ticketsync
RUN=.run/bench
bash scripts/pg.sh stop "$RUN/pg" 2>/dev/null || true
rm -rf "$RUN"
mkdir -p "$RUN" test-output
gcc -O2 -o "$RUN/fixed_responder" scripts/bench/fixed_responder.c -lfcgi -lpthread

cleanup() { bash scripts/pg.sh stop "$RUN/pg" || true; }
trap cleanup EXIT
export DATABASE_URL
# The benchmark drives one token and one inbound URL at thousands of requests a second: no rate limit in its way.
export TICKETSYNC_TOKEN_RATE=1000000r/s TICKETSYNC_INBOUND_RATE=1000000r/s TICKETSYNC_ADDRESS_RATE=1000000r/s
DATABASE_URL=$(PG_FSYNC=off bash scripts/pg.sh start "$RUN/pg" "${BENCH_PG_PORT:-55434}")
"$bin" migrate >&2

export BENCH_TOKEN
BENCH_TOKEN="tsk_$(openssl rand -hex 32)"
digest=$(printf '%s' "$BENCH_TOKEN" | sha256sum | cut -d' ' -f1)
psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -v token_digest="$digest" -f scripts/bench/seed.sql

BENCH_SCALE="${BENCH_SCALE:-}" BENCH_DIGEST="$digest" TICKETSYNC_BIN="$bin" FIXED_RESPONDER="$RUN/fixed_responder" BENCH_RUN="$RUN" \
    python3 scripts/bench/bench.py
