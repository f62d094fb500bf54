#!/bin/sh
# Verify the systemd units with systemd-analyze; any warning or error fails.
#
# The units are checked exactly as installed: scripts/install.sh stages them
# into a temporary DESTDIR, then the ExecStart path is pointed into that DESTDIR
# (verify insists the executable exists) and MANPATH at the staged man page (so
# Documentation=man:swvpnd(8) is checked too). The openvpn-reuse drop-in is
# verified on top of an instance.
#
# Uses the built daemon and monitor if present (BINARY=, default
# .build/release/swvpnd; MONITOR_BINARY=, default swvpn-monitor next to it),
# otherwise stub executables: verify only needs the paths to be executable.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "check-units: installing systemd for systemd-analyze" >&2
    apt-get update -qq && apt-get install -y -qq systemd >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

binary=${BINARY:-$here/.build/release/swvpnd}
if [ ! -x "$binary" ]; then
    echo "check-units: no built daemon at $binary, verifying with a stub executable" >&2
    binary=$tmp/stub-swvpnd
    printf '#!/bin/sh\nexit 0\n' > "$binary"
    chmod 0755 "$binary"
fi

monitor=${MONITOR_BINARY:-$(dirname "$binary")/swvpn-monitor}
if [ ! -x "$monitor" ]; then
    echo "check-units: no built monitor at $monitor, verifying with a stub executable" >&2
    monitor=$tmp/stub-swvpn-monitor
    printf '#!/bin/sh\nexit 0\n' > "$monitor"
    chmod 0755 "$monitor"
fi

root=$tmp/root
DESTDIR=$root PREFIX=/usr/local BINARY=$binary MONITOR_BINARY=$monitor "$here/scripts/install.sh" install >/dev/null

units=$tmp/units
mkdir -p "$units/swvpnd@vpc1-to-vpc2.service.d"
for u in swvpnd@.service swvpnd.target swvpn-monitor.service; do
    sed -e "s|/usr/local/sbin/swvpnd|$root/usr/local/sbin/swvpnd|g" \
        -e "s|/usr/local/sbin/swvpn-monitor|$root/usr/local/sbin/swvpn-monitor|g" \
        "$root/usr/lib/systemd/system/$u" > "$units/$u"
done
sed "s|/usr/local/sbin/swvpnd|$root/usr/local/sbin/swvpnd|g" \
    "$root/usr/local/share/doc/swvpnd/examples/use-etc-openvpn.conf" \
    > "$units/swvpnd@vpc1-to-vpc2.service.d/use-etc-openvpn.conf"
# verify needs a concrete instance of the template.
ln -s swvpnd@.service "$units/swvpnd@vpc1-to-vpc3.service"
ln -s swvpnd@.service "$units/swvpnd@vpc1-to-vpc2.service"

status=0
for unit in swvpnd@vpc1-to-vpc3.service swvpnd@vpc1-to-vpc2.service swvpnd.target swvpn-monitor.service; do
    out=$(cd "$units" && MANPATH="$root/usr/local/share/man" \
        SYSTEMD_UNIT_PATH="$units:" systemd-analyze verify "./$unit" 2>&1) || status=1
    if [ -n "$out" ]; then
        printf '%s\n' "$out" | sed "s|$tmp|<tmp>|g" >&2
        status=1
    fi
    if [ $status -ne 0 ]; then
        echo "check-units: FAIL $unit" >&2
        exit 1
    fi
    echo "check-units: ok $unit"
done

# The drop-in must really be loaded (verify ignores a directory it does not
# find): a probe key in a copy of it has to draw systemd's "Unknown key" warning.
printf '[Service]\nSwvpndDropInProbe=1\n' > "$units/swvpnd@vpc1-to-vpc2.service.d/zz-probe.conf"
probe=$(cd "$units" && SYSTEMD_UNIT_PATH="$units:" MANPATH="$root/usr/local/share/man" \
    systemd-analyze verify ./swvpnd@vpc1-to-vpc2.service 2>&1 || true)
case $probe in
    *SwvpndDropInProbe*) echo "check-units: ok use-etc-openvpn drop-in is loaded" ;;
    *) echo "check-units: FAIL drop-in directory not loaded by systemd-analyze" >&2; exit 1 ;;
esac

# The sysctl drop-in: only "key = value" lines and comments.
if grep -Ev '^[[:space:]]*(#.*)?$|^[a-z0-9_.]+ = [0-9]+$' "$here/systemd/60-swvpnd-forwarding.conf"; then
    echo "check-units: FAIL malformed line in 60-swvpnd-forwarding.conf" >&2
    exit 1
fi
echo "check-units: ok 60-swvpnd-forwarding.conf"
