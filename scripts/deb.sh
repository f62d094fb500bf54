#!/bin/sh
# Build a Debian package of swvpnd (and swvpn-monitor, its HA monitor) with dpkg-deb ("make deb"):
#
#   scripts/deb.sh [OUTDIR]          default OUTDIR: out/
#
# The file list is scripts/install.sh's (staged with PREFIX=/usr), so the
# package holds exactly what "make install" puts on a host. Then the Debian
# specifics: compressed man page, copyright and changelog, maintainer scripts
# from packaging/deb, and Depends computed from the binary by dpkg-shlibdeps
# (what ldd shows: libc6, libssl3, libstdc++6, libgcc-s1) plus procps for the
# unit's /bin/kill.
#
# Environment (all optional):
#   BINARY      the static release build (default .build/release/swvpnd;
#               "make deb" builds it with --static-swift-stdlib)
#   MONITOR_BINARY  the monitor's static release build (default: swvpn-monitor next to BINARY)
#   DEB_VERSION package version (default: the binary's --version)
#   DEB_MAINTAINER  "Name <address>" (default: the last commit's author)
#   DEB_COMPRESS    dpkg-deb compressor (default xz; gzip builds faster)
set -eu
umask 022

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/out}
BINARY=${BINARY:-$here/.build/release/swvpnd}
MONITOR_BINARY=${MONITOR_BINARY:-$(dirname "$BINARY")/swvpn-monitor}

die() { printf 'deb.sh: %s\n' "$*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool missing (apt-get install dpkg-dev)"
done
[ -x "$BINARY" ] || die "no daemon binary at $BINARY (run 'make build' first, or set BINARY=)"
[ -x "$MONITOR_BINARY" ] || die "no monitor binary at $MONITOR_BINARY (run 'make build' first, or set MONITOR_BINARY=)"

version=${DEB_VERSION:-$("$BINARY" --version)}
maintainer=${DEB_MAINTAINER:-$(git -C "$here" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$maintainer" ] || maintainer="swvpnd maintainers <root@localhost>"
arch=$(dpkg --print-architecture)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# dpkg-shlibdeps expects the files where debhelper would stage them.
root=$tmp/src/debian/swvpnd
docdir=$root/usr/share/doc/swvpnd

DESTDIR=$root PREFIX=/usr BINARY=$BINARY MONITOR_BINARY=$MONITOR_BINARY "$here/scripts/install.sh" install >/dev/null
# Keep symbol names for Swift's crash backtraces; drop only the DWARF.
strip --strip-debug "$root/usr/sbin/swvpnd" "$root/usr/sbin/swvpn-monitor"
gzip -9n "$root/usr/share/man/man8/swvpnd.8" "$root/usr/share/man/man8/swvpn-monitor.8"
install -m 0644 "$here/packaging/deb/copyright" "$docdir/copyright"
date=$(date -R -d "@$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)")
printf 'swvpnd (%s) unstable; urgency=medium\n\n  * Built from the swvpnd source tree (see README.md).\n\n -- %s  %s\n' \
    "$version" "$maintainer" "$date" | gzip -9n > "$docdir/changelog.gz"
chmod 0644 "$docdir/changelog.gz"
install -d -m 0755 "$root/usr/share/lintian/overrides"
printf '%s\n' "# Symbols are kept for Swift's crash backtraces (only DWARF is stripped)." \
    "swvpnd: unstripped-binary-or-object [usr/sbin/swvpnd]" \
    "swvpnd: unstripped-binary-or-object [usr/sbin/swvpn-monitor]" \
    "# Keys live here: not readable by other users." \
    "swvpnd: non-standard-dir-perm 0750 != 0755 [etc/swvpnd/]" \
    "# swvpnd.target is the package's own group of all tunnels (systemctl stop swvpnd.target)." \
    "swvpnd: systemd-service-file-refers-to-unusual-wantedby-target swvpnd.target [usr/lib/systemd/system/swvpnd@.service]" \
    > "$root/usr/share/lintian/overrides/swvpnd"
chmod 0644 "$root/usr/share/lintian/overrides/swvpnd"

install -d -m 0755 "$root/DEBIAN"
# Depends from the binaries' own NEEDED entries.
printf 'Source: swvpnd\n\nPackage: swvpnd\nArchitecture: any\n' > "$tmp/src/debian/control"
depends=$(cd "$tmp/src" && dpkg-shlibdeps -O debian/swvpnd/usr/sbin/swvpnd debian/swvpnd/usr/sbin/swvpn-monitor | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for $BINARY"
# The unit's ExecReload= runs /bin/kill (minimal images may lack it).
depends="$depends, procps"

for script in postinst prerm postrm; do
    install -m 0755 "$here/packaging/deb/$script" "$root/DEBIAN/$script"
done
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
{
    printf 'Package: swvpnd\nVersion: %s\nArchitecture: %s\nMaintainer: %s\n' "$version" "$arch" "$maintainer"
    printf 'Installed-Size: %s\nDepends: %s\nSection: net\nPriority: optional\n' "$size" "$depends"
    printf 'Description: '
    cat "$here/packaging/deb/description"
} > "$root/DEBIAN/control"

mkdir -p "$out"
deb=$out/swvpnd_${version}_${arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$root" "$deb" >/dev/null
printf '%s\n' "$deb"
