#!/usr/bin/env bash
# make deb: the Debian package ticketsync_<version>_<arch>.deb, built into test-output/ (or OUT_DIR); prints its path.
#   scripts/deb.sh                              release build with the Swift runtime linked in (--static-swift-stdlib)
#   TICKETSYNC_BIN=path scripts/deb.sh          packages that binary as it is (the tests package their debug build)
# Layout: /usr/bin/ticketsync; /lib/systemd/system/ticketsync.service (from scripts/systemd/, with the packaged
# paths); /usr/share/ticketsync/{nginx,html,sql}; /etc/ticketsync/env (a conffile, from scripts/debian/env).
# Depends is read from the binary: the Debian package of every shared library it needs (dpkg -S), plus adduser for
# postinst. A library that no Debian package holds (the Swift toolchain's runtime) fails the build; a prebuilt binary
# that links one is packaged with a warning, since that package would need the toolchain on the target machine.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

out_dir=${OUT_DIR:-test-output}
version=$(sed -n 's/.*static let current = "\([^"]*\)".*/\1/p' Sources/TicketSyncPlatform/Outbound/Version.swift)
[ -n "$version" ] || { echo "deb.sh: no version in Sources/TicketSyncPlatform/Outbound/Version.swift" >&2; exit 1; }
arch=$(dpkg --print-architecture)

if [ -n "${TICKETSYNC_BIN:-}" ]; then
    bin=$TICKETSYNC_BIN
    prebuilt=1
else
    # What the build links against (make run and make test install these too, with nginx and PostgreSQL).
    APT_PACKAGES="libfcgi-dev libpq-dev libssl-dev libcurl4-openssl-dev pkg-config" ensure_packages
    log "building (release, Swift runtime linked statically)"
    swift build -c release --static-swift-stdlib --product ticketsync >&2
    bin=$(swift build -c release --static-swift-stdlib --show-bin-path)/ticketsync
    prebuilt=0
fi
[ -x "$bin" ] || { echo "deb.sh: no binary at $bin" >&2; exit 1; }

mkdir -p "$out_dir"
stage=$(mktemp -d "$out_dir/deb-root.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/ticketsync

install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/ticketsync" \
    "$root/usr/share/ticketsync/nginx" "$root/usr/share/ticketsync/html" "$root/usr/share/ticketsync/sql"
install -m 0755 "$bin" "$root/usr/bin/ticketsync"
# The release build's debug info is dropped; its symbol table stays, for the Swift runtime's crash backtraces.
[ "$prebuilt" -eq 1 ] || strip --strip-debug "$root/usr/bin/ticketsync"
# The snippets an nginx includes (docs/operations.md), as in the tree: their defaults match the packaged unit's socket.
install -m 0644 nginx/ticketsync.conf nginx/ticketsync-upstream.conf nginx/ticketsync-limits.conf \
    nginx/ticketsync-metrics.conf nginx/ticketsync-ui.conf "$root/usr/share/ticketsync/nginx/"
install -m 0644 nginx/html/* "$root/usr/share/ticketsync/html/"
install -m 0644 sql/*.sql "$root/usr/share/ticketsync/sql/"
# The example settings; a stat override (postinst) makes it root:ticketsync 0640 on the target.
install -m 0640 scripts/debian/env "$root/etc/ticketsync/env"

# The unit of scripts/systemd/ with the packaged paths: the binary in /usr/bin (which finds /usr/share/ticketsync/sql
# by itself), the settings in /etc/ticketsync/env (--env-file: read again on every reload, which systemd's
# EnvironmentFile= is not for the workers a running master starts), and the ticketsync group as a supplementary group
# so the service can read that file (the primary group stays www-data, nginx's, for the socket and /run/ticketsync).
unit=$root/lib/systemd/system/ticketsync.service
{
    echo "# Ticket Sync as a systemd service, from the ticketsync package: a master and its worker processes."
    echo "# Configure /etc/ticketsync/env, run \`ticketsync migrate\`, then: systemctl enable --now ticketsync"
    echo "# Reload after changing /etc/ticketsync/env or upgrading the package, without dropping a request:"
    echo "#   systemctl reload ticketsync   (SIGHUP: new workers accept before the old ones drain)."
    echo "# To change a setting of the unit itself: systemctl edit ticketsync"
    sed -n '/^\[Unit\]/,$p' scripts/systemd/ticketsync.service |
        sed -e '/^Environment=TICKETSYNC_SQL_DIR=/d' \
            -e 's|^# DATABASE_URL, .*|# Settings: /etc/ticketsync/env (--env-file), read again on every reload.|' \
            -e 's|^Group=www-data$|Group=www-data\nSupplementaryGroups=ticketsync|' \
            -e 's|/opt/ticketsync/bin/ticketsync|/usr/bin/ticketsync|g' \
            -e 's|/etc/ticketsync/ticketsync\.env|/etc/ticketsync/env|g'
} > "$unit"
chmod 0644 "$unit"
# Fails here, not on an operator's machine, when scripts/systemd/ticketsync.service changed under these edits.
for expected in '^ExecStart=/usr/bin/ticketsync serve ' '--env-file /etc/ticketsync/env' \
    '^SupplementaryGroups=ticketsync$' '^User=ticketsync$' '^RuntimeDirectory=ticketsync$'; do
    grep -q -e "$expected" "$unit" || { echo "deb.sh: the packaged unit lacks '$expected'" >&2; exit 1; }
done
if grep -q -e '/opt/' -e 'TICKETSYNC_SQL_DIR' -e 'ticketsync\.env' "$unit"; then
    echo "deb.sh: the packaged unit still names a path of the manual install" >&2
    exit 1
fi

# Depends: the package holding each library the binary needs (multiarch paths: dpkg knows /lib and /usr/lib apart).
depends=""
unpackaged=""
resolved=$(ldd "$bin")
for library in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
    # "libpq.so.5 => /lib/…/libpq.so.5 (…)", or the loader: "/lib64/ld-linux-x86-64.so.2 (…)".
    path=$(awk -v lib="$library" '!found && $1 == lib && $3 ~ /^\// { print $3; found = 1 }
        !found && $1 ~ /^\// && substr($1, length($1) - length(lib)) == "/" lib { print $1; found = 1 }' \
        <<< "$resolved")
    [ -n "$path" ] || { echo "deb.sh: $library is not found on this machine" >&2; exit 1; }
    package=""
    for candidate in "$path" "$(readlink -f "$path")" "${path/#\/usr\/lib\//\/lib\/}" \
        "${path/#\/lib\//\/usr\/lib\/}"; do
        package=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$package" ] && break
    done
    if [ -z "$package" ]; then
        unpackaged="$unpackaged $path"
        continue
    fi
    case ",$depends," in *",$package,"*) ;; *) depends="${depends:+$depends,}$package" ;; esac
done
if [ -n "$unpackaged" ]; then
    if [ "$prebuilt" -eq 0 ]; then
        echo "deb.sh: the binary needs libraries no Debian package holds:$unpackaged" >&2
        exit 1
    fi
    echo "deb.sh: warning: $bin links libraries of no Debian package (the Swift toolchain's, a debug build);" \
        "this package runs only where they are:$unpackaged" >&2
fi
depends=$(echo "$depends,adduser" | tr ',' '\n' | sort -u | paste -sd, - | sed 's/,/, /g')

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" scripts/debian/control.in > "$root/DEBIAN/control"
install -m 0644 scripts/debian/conffiles "$root/DEBIAN/conffiles"
install -m 0755 scripts/debian/postinst scripts/debian/prerm scripts/debian/postrm "$root/DEBIAN/"

deb=$out_dir/ticketsync_${version}_${arch}.deb
dpkg-deb --build --root-owner-group "$root" "$deb" >&2
echo "$deb"
