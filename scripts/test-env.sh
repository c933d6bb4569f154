# Shared set-up of `make test` and `make drill`: packages, a debug build, and a throwaway PostgreSQL under .run/test,
# migrated, with DATABASE_URL and TICKETSYNC_BIN exported. Source it from the repository root.
. scripts/lib.sh

ensure_packages
ensure_test_packages

RUN=.run/test
bash scripts/pg.sh stop "$RUN/pg" 2>/dev/null || true
rm -rf "$RUN"
mkdir -p "$RUN" test-output

log "building"
swift build --build-tests >&2
export TICKETSYNC_BIN
TICKETSYNC_BIN=$(swift build --show-bin-path)/ticketsync

cleanup_test_env() { bash scripts/pg.sh stop "$RUN/pg" || true; }
trap cleanup_test_env EXIT

export DATABASE_URL
DATABASE_URL=$(PG_FSYNC=off bash scripts/pg.sh start "$RUN/pg" "${TEST_PG_PORT:-55433}")
"$TICKETSYNC_BIN" migrate >&2

# The end-to-end suite serves through the least-privileged runtime role (what `ticketsync grants` gives), so a
# missing grant fails a test; fixtures, migrations and admin commands keep the owner's DATABASE_URL.
psql "$DATABASE_URL" -Xq -v ON_ERROR_STOP=1 -c "CREATE ROLE ticketsync_runtime LOGIN"
"$TICKETSYNC_BIN" grants --role ticketsync_runtime | psql "$DATABASE_URL" -Xq -v ON_ERROR_STOP=1
export TICKETSYNC_RUNTIME_DATABASE_URL=${DATABASE_URL/postgresql:\/\/postgres@/postgresql://ticketsync_runtime@}
