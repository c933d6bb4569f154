#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests: unix socket only, in its own directory.
#   scripts/pg.sh start DIR PORT   creates the cluster if needed, starts it, creates database "ticketsync",
#                                  and prints its DATABASE_URL on stdout
#   scripts/pg.sh stop DIR
# PG_FSYNC=off (throwaway test and bench clusters only) trades crash safety for speed; the default keeps fsync on.
# PostgreSQL refuses to run as root: as root the cluster belongs to the "postgres" user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

command=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=${2:?directory}
bin=$(pg_bin)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The directory that really holds the cluster. As root it must be reachable by "postgres" and short enough
# for a unix socket path; when the checkout is not, the cluster lives under /tmp and DIR links to it.
data_dir() {
    if [ -L "$dir" ]; then readlink -f "$dir"; return; fi
    if [ -d "$dir" ]; then echo "$(cd "$dir" && pwd)"; return; fi
    mkdir -p "$(dirname "$dir")"
    local target
    target="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$target"; chown postgres: "$target"
        if ! runuser -u postgres -- test -w "$target" || [ ${#target} -gt 80 ]; then
            rmdir "$target"
            target=$(mktemp -d /tmp/ticketsync-pg.XXXXXX)
            chown postgres: "$target"
            ln -s "$target" "$dir"
        fi
    else
        mkdir -p "$target"
    fi
    echo "$target"
}

case "$command" in
start)
    port=${3:?port}
    data=$(data_dir)
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
            -o "-c listen_addresses='' -c unix_socket_directories='$data' -p $port -c max_connections=200 -c fsync=${PG_FSYNC:-on}" \
            start >/dev/null
    fi
    as_owner "$bin/psql" -h "$data" -p "$port" -U postgres -d postgres -Atq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'ticketsync'" | grep -q 1 \
        || as_owner "$bin/createdb" -h "$data" -p "$port" -U postgres ticketsync
    echo "postgresql://postgres@/ticketsync?host=$data&port=$port"
    ;;
stop)
    [ -e "$dir" ] || exit 0
    data=$(data_dir)
    if [ -f "$data/PG_VERSION" ]; then
        as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: pg.sh start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
