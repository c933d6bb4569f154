#!/usr/bin/env bash
# PgBouncer (Debian 12's 1.18) in the foreground, in front of a local cluster: transaction pooling with its default
# settings otherwise (no prepared statements carried across clients), trust auth for postgres and ticketsync_runtime.
# Used by Tests/e2e/test_pgbouncer.py and `make bench`'s PgBouncer row; stop it with SIGTERM.
# Usage: scripts/pgbouncer.sh DIR LISTEN_PORT POOL_SIZE DATABASE_URL   (DATABASE_URL: the cluster's unix socket URL)
set -euo pipefail
dir=$1 port=$2 pool=$3 url=$4
socket_dir=$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$url")
pg_port=$(sed -n 's/.*[?&]port=\([0-9]*\).*/\1/p' <<<"$url")
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
mkdir -p "$dir"
printf '"postgres" ""\n"ticketsync_runtime" ""\n' >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$socket_dir port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
# PgBouncer refuses to run as root.
if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$dir"
    exec runuser -u postgres -- "$bouncer" "$dir/pgbouncer.ini"
fi
exec "$bouncer" "$dir/pgbouncer.ini"
