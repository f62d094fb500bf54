#!/bin/sh
# Install or uninstall swvpnd and swvpn-monitor (the HA monitor). The Makefile calls this script, so hosts without
# make get the same result:
#
#   scripts/install.sh [install|uninstall]
#
# Environment (all optional):
#   DESTDIR    staging root for packaging (default: empty = the live system)
#   PREFIX     default /usr/local: binary in $PREFIX/sbin, man page in
#              $PREFIX/share/man/man8, examples in $PREFIX/share/doc/swvpnd
#   UNITDIR    default /usr/lib/systemd/system (see below)
#   SYSCTLDIR  default /usr/lib/sysctl.d
#   CONFDIR    default /etc/swvpnd
#   BINARY     the built daemon (default .build/release/swvpnd; "make build")
#   MONITOR_BINARY  the built monitor (default: swvpn-monitor next to BINARY)
#
# Units and the sysctl drop-in go to the vendor directories under /usr/lib even
# for a /usr/local install: files in /etc/systemd/system and /etc/sysctl.d
# (admin overrides, "systemctl edit" drop-ins) take precedence over them, and
# uninstall never deletes what the admin put in /etc.
# Existing configs and keys in CONFDIR are never touched; samples go to the
# examples directory instead.
set -eu

action=${1:-install}
here=$(cd "$(dirname "$0")/.." && pwd)

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
UNITDIR=${UNITDIR:-/usr/lib/systemd/system}
SYSCTLDIR=${SYSCTLDIR:-/usr/lib/sysctl.d}
CONFDIR=${CONFDIR:-/etc/swvpnd}
BINARY=${BINARY:-$here/.build/release/swvpnd}
MONITOR_BINARY=${MONITOR_BINARY:-$(dirname "$BINARY")/swvpn-monitor}

sbindir=$PREFIX/sbin
mandir=$PREFIX/share/man/man8
docdir=$PREFIX/share/doc/swvpnd
exampledir=$docdir/examples

units="swvpnd@.service swvpnd.target swvpn-monitor.service"
mans="swvpnd.8 swvpn-monitor.8"
sysctl_file=60-swvpnd-forwarding.conf
examples="vpc1-to-vpc2.conf vpc2-to-vpc1.conf vpc1-to-vpc3.conf reference.conf monitor.conf"

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# Copy $1 to $2 with mode $3, pointing swvpnd paths at the chosen PREFIX.
install_subst() {
    sed -e "s|/usr/local/sbin/swvpnd|$sbindir/swvpnd|g" \
        -e "s|/usr/local/sbin/swvpn-monitor|$sbindir/swvpn-monitor|g" \
        -e "s|/usr/local/share/doc/swvpnd|$docdir|g" "$1" > "$2.tmp"
    chmod "$3" "$2.tmp"
    mv -f "$2.tmp" "$2"
}

do_install() {
    [ -x "$BINARY" ] || die "no daemon binary at $BINARY (run 'make build' first, or set BINARY=)"
    [ -x "$MONITOR_BINARY" ] || die "no monitor binary at $MONITOR_BINARY (run 'make build' first, or set MONITOR_BINARY=)"

    install -d -m 0755 "$DESTDIR$sbindir" "$DESTDIR$mandir" "$DESTDIR$exampledir" \
        "$DESTDIR$UNITDIR" "$DESTDIR$SYSCTLDIR"
    install -m 0755 "$BINARY" "$DESTDIR$sbindir/swvpnd"
    install -m 0755 "$MONITOR_BINARY" "$DESTDIR$sbindir/swvpn-monitor"

    for u in $units; do
        install_subst "$here/systemd/$u" "$DESTDIR$UNITDIR/$u" 0644
    done
    install -m 0644 "$here/systemd/$sysctl_file" "$DESTDIR$SYSCTLDIR/$sysctl_file"
    for m in $mans; do
        install_subst "$here/man/$m" "$DESTDIR$mandir/$m" 0644
    done

    for f in $examples; do
        install -m 0644 "$here/conf/$f" "$DESTDIR$exampledir/$f"
    done
    install_subst "$here/systemd/examples/use-etc-openvpn.conf" \
        "$DESTDIR$exampledir/use-etc-openvpn.conf" 0644
    install -m 0644 "$here/README.md" "$DESTDIR$docdir/README.md"

    # Keys live here: create it private, but leave an existing one as it is.
    if [ ! -d "$DESTDIR$CONFDIR" ]; then
        install -d -m 0750 "$DESTDIR$CONFDIR"
    fi

    if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
    say "installed swvpnd under ${DESTDIR:-/}"
    say "next: put NAME.conf and its key in $CONFDIR (samples: $exampledir),"
    say "      'sysctl --system' to enable forwarding, 'systemctl enable --now swvpnd@NAME'"
    say "HA monitor host: $CONFDIR/monitor.conf (sample in $exampledir), 'systemctl enable --now swvpn-monitor'"
}

do_uninstall() {
    rm -f "$DESTDIR$sbindir/swvpnd" "$DESTDIR$sbindir/swvpn-monitor" \
        "$DESTDIR$SYSCTLDIR/$sysctl_file" "$DESTDIR$docdir/README.md" \
        "$DESTDIR$exampledir/use-etc-openvpn.conf"
    for u in $units; do rm -f "$DESTDIR$UNITDIR/$u"; done
    for m in $mans; do rm -f "$DESTDIR$mandir/$m"; done
    for f in $examples; do rm -f "$DESTDIR$exampledir/$f"; done
    rmdir "$DESTDIR$exampledir" "$DESTDIR$docdir" 2>/dev/null || true

    if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
    say "uninstalled swvpnd from ${DESTDIR:-/}"
    if [ -d "$DESTDIR$CONFDIR" ]; then
        say "kept $DESTDIR$CONFDIR (your configs and keys); remove it yourself if no longer needed"
    fi
}

case $action in
    install) do_install ;;
    uninstall) do_uninstall ;;
    *) die "usage: install.sh [install|uninstall]" ;;
esac
