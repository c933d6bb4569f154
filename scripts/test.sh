#!/usr/bin/env bash
# make test: build, start a throwaway PostgreSQL, migrate, then run the Swift unit and integration tests
# and the end-to-end tests (which start their own responders and nginx on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_packages
ensure_test_packages

RUN=.run/test
bash scripts/pg.sh stop "$RUN/pg" 2>/dev/null || true
rm -rf "$RUN" test-output
mkdir -p "$RUN" test-output

log "building"
swift build --build-tests >&2
bin=$(swift build --show-bin-path)/ticketsync

cleanup() { bash scripts/pg.sh stop "$RUN/pg" || true; }
trap cleanup EXIT

export DATABASE_URL
DATABASE_URL=$(bash scripts/pg.sh start "$RUN/pg" "${TEST_PG_PORT:-55433}")
"$bin" migrate >&2

log "Swift unit and integration tests"
swift test --skip-build 2>&1 | tee test-output/swift-test.log

log "end-to-end tests through nginx"
TICKETSYNC_BIN="$bin" python3 -m pytest Tests/e2e -q -p no:cacheprovider --junitxml=test-output/e2e.xml
