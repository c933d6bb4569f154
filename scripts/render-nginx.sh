#!/usr/bin/env bash
# Renders the standalone nginx config into RUN_DIR for a responder listening on SOCKET.
#   scripts/render-nginx.sh RUN_DIR PORT SOCKET      (then: nginx -p RUN_DIR -c RUN_DIR/nginx.conf -e RUN_DIR/error.log)
# SOCKET is a unix socket path, or host:port when the responder listens on TCP; several, separated by commas, make an
# upstream of several responders (the scale-out drill: two "hosts" behind one nginx).
set -euo pipefail
run_dir=${1:?run dir}; port=${2:?port}; socket=${3:?socket path}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$run_dir/tmp"
run_dir=$(cd "$run_dir" && pwd)
upstream=""
IFS=, read -ra targets <<< "$socket"
for target in "${targets[@]}"; do
    case "$target" in
        /*) server="unix:$target" ;;
        *:[0-9]*) server="$target" ;;
        *) server="unix:$(pwd)/$target" ;;
    esac
    upstream="${upstream:+$upstream; server }$server"
done
# As root, nginx workers would run as "nobody" and could not reach a 0660 socket inside the checkout:
# the standalone dev/test server keeps them as root (it listens on 127.0.0.1 only).
user_directive=""
[ "$(id -u)" -eq 0 ] && user_directive="user root root;"
cp /etc/nginx/fastcgi_params /etc/nginx/mime.types "$run_dir/"
# The rate-limit zones, with the rates TICKETSYNC_TOKEN_RATE / TICKETSYNC_INBOUND_RATE / TICKETSYNC_ADDRESS_RATE when
# set (benchmarks and drills raise them; tests lower them to see the 429).
# TICKETSYNC_TRUSTED_PROXIES (CIDRs, space-separated) are trusted to send their own X-Request-Id (a test sets it).
trusted=""
for cidr in ${TICKETSYNC_TRUSTED_PROXIES:-}; do trusted="$trusted $cidr 1;"; done
sed -e "s|zone=ticketsync_token:10m rate=50r/s|zone=ticketsync_token:10m rate=${TICKETSYNC_TOKEN_RATE:-50r/s}|" \
    -e "s|zone=ticketsync_inbound:10m rate=50r/s|zone=ticketsync_inbound:10m rate=${TICKETSYNC_INBOUND_RATE:-50r/s}|" \
    -e "s|zone=ticketsync_address:10m rate=100r/s|zone=ticketsync_address:10m rate=${TICKETSYNC_ADDRESS_RATE:-100r/s}|" \
    -e "s|# @TRUSTED_PROXIES@|$trusted|" \
    "$repo/nginx/ticketsync-limits.conf" > "$run_dir/ticketsync-limits.conf"
# TICKETSYNC_METRICS_ALLOW (addresses or CIDRs, space-separated) replaces the default allow-list of /metrics (loopback).
metrics_allow="allow 127.0.0.1; allow ::1;"
if [ -n "${TICKETSYNC_METRICS_ALLOW:-}" ]; then
    metrics_allow=""
    for cidr in $TICKETSYNC_METRICS_ALLOW; do metrics_allow="$metrics_allow allow $cidr;"; done
fi
sed -e "s|^\( *\).*# @METRICS_ALLOW@.*\$|\1$metrics_allow|" \
    "$repo/nginx/ticketsync-metrics.conf" > "$run_dir/ticketsync-metrics.conf"
sed -e "s|# @USER_DIRECTIVE@|$user_directive|" -e "s|@RUN_DIR@|$run_dir|g" -e "s|@PORT@|$port|g" \
    -e "s|@UPSTREAM@|$upstream|g" -e "s|@REPO@|$repo|g" "$repo/nginx/standalone.conf.in" > "$run_dir/nginx.conf"
echo "$run_dir/nginx.conf"
