#!/bin/sh
# The root of the systemd test stand (Tests/IntegrationTests/Support/SystemdStand.swift): Debian
# bookworm with systemd as init, debootstrapped once into .build-stand/ and reused by later runs.
# Prints its path. scripts/test.sh starts it in the background while Swift builds.
#
#   scripts/stand-root.sh            build if missing, print the path
set -eu
umask 022

here=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
# systemd as PID 1, D-Bus for systemctl, ip, procps (the unit reloads with /bin/kill), and openvpn
# (its openvpn@ generator is what the README's migration steps mask); libcurl4 and libxml2 for
# swvpn-monitor (the .deb depends on them; `dpkg -i` in the stand has no network to fetch them).
packages=systemd,systemd-sysv,dbus,iproute2,openvpn,procps,libcurl4,libxml2
cache=$here/.build-stand
root=$cache/$suite-root
# The marker names the package list: a root cached with another list is rebuilt.
marker=$root/.swvpnd-stand-complete-$(printf '%s' "$packages" | cksum | cut -d' ' -f1)

if [ -e "$marker" ]; then
    printf '%s\n' "$root"
    exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "stand-root.sh: apt-get install debootstrap" >&2; exit 1; }
mkdir -p "$cache"
# One builder at a time (test.sh's background run and a test that needs the root now).
exec 9>"$cache/.lock"
flock 9
if [ -e "$marker" ]; then
    printf '%s\n' "$root"
    exit 0
fi
partial=$cache/$suite-partial
rm -rf "$partial" "$root"
start=$(date +%s)
# The Debian mirror this host's apt already uses (deb822 `URIs:` or a one-line `deb` entry).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)[[:space:]].*/\2/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
[ -n "$mirror" ] || { echo "stand-root.sh: no Debian mirror found in /etc/apt/sources.list*" >&2; exit 1; }
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$partial" "$mirror" \
    >"$cache/debootstrap.log" 2>&1; then
    tail -20 "$cache/debootstrap.log" >&2
    echo "stand-root.sh: debootstrap failed (log: $cache/debootstrap.log)" >&2
    rm -rf "$partial"
    exit 1
fi
: >"$partial/$(basename "$marker")"
mv "$partial" "$root"
echo "stand-root.sh: debootstrap $suite took $(($(date +%s) - start)) s" >&2
printf '%s\n' "$root"
