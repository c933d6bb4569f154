# Shared shell helpers for make run / make test. Source it; do not run it.

APT_PACKAGES="libfcgi-dev nginx postgresql libpq-dev libssl-dev libcurl4-openssl-dev pkg-config curl"

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages the build, the service and the tests need, when any is missing.
ensure_packages() {
    local missing=""
    for package in $APT_PACKAGES; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        log "installing:$missing"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
    fi
}

# What only the tests need: Chromium and its driver for the page tests (Debian), and the Python test libraries.
TEST_APT_PACKAGES="chromium chromium-driver pgbouncer"

ensure_test_packages() {
    APT_PACKAGES="$TEST_APT_PACKAGES" ensure_packages
    python3 -c 'import pytest, requests, selenium, yaml' 2>/dev/null && command -v schemathesis >/dev/null && return 0
    log "installing pytest, requests, selenium, pyyaml and schemathesis"
    python3 -m pip install -q pytest requests selenium pyyaml schemathesis
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
