#!/usr/bin/env bash
# HA benchmark (issue 8): four VPN instances running real swvpnd (tunnel B's far end: openvpn 2.6), moto as
# EC2, VPC routers whose kernel routes follow moto's route tables, 100 pps UDP streams between private
# hosts, swvpn-monitor in its own namespace, and the fault list; ends with the `ha:` line. Asserts nothing.
#
#   sudo Benchmarks/ha/run.sh
#
# Env (defaults in brackets):
#   SWVPND_BIN, SWVPN_MONITOR_BIN   binaries [.build/debug/swvpnd, .build/debug/swvpn-monitor; built if missing]
#   HEALTH         swvpnd | shim [swvpnd]: who answers GET /health on each VPN instance. "swvpnd": its own
#                  `health-listen` with the in-tunnel `health-probe 1` (openvpn, which has neither, gets
#                  health_shim.py); "shim": health_shim.py next to every daemon (200 while a ping
#                  through the tunnel answers).
#   FAULT_SECONDS  how long each failover fault lasts [10]
#   REPEAT         how many times the failover fault list runs [3] (11 failovers each; the flapping and
#                  no-write windows run once); the summary gives p50/max per fault
#   KEEP=1         keep the work directory (logs, results.json)
#
# Namespaces ha-* and every process are ours: deleted / killed by PID on any exit. Addresses
# (198.51.100.0/24, 10.1/16, 10.2/16, 172.31.255.0/30) exist only inside those namespaces; moto listens
# on 127.0.0.1 inside ha-aws.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$(mktemp -d /tmp/swvpnd-ha.XXXXXX)"
: >"$WORK/pids"; : >"$WORK/netns"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pid ns
    while read -r pid; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true; done <"$WORK/pids"
    while read -r ns; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true; done <"$WORK/netns"
    if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "run as root (namespaces, TUN devices)"
for tool in ip ping python3 openvpn moto_server; do command -v "$tool" >/dev/null || die "$tool missing"; done
python3 -c 'import boto3, moto' 2>/dev/null || die "python modules boto3/moto missing: pip install 'moto[server]'"
[ -e /dev/net/tun ] || die "/dev/net/tun missing"
for ns in $(ip netns list | awk '{print $1}'); do
    case $ns in ha-*) die "namespace $ns exists (a stand still running, or left over: ip netns del $ns)";; esac
done

SWVPND_BIN="${SWVPND_BIN:-$ROOT/.build/debug/swvpnd}"
SWVPN_MONITOR_BIN="${SWVPN_MONITOR_BIN:-$ROOT/.build/debug/swvpn-monitor}"
if [ ! -x "$SWVPND_BIN" ] || [ ! -x "$SWVPN_MONITOR_BIN" ]; then
    log "building swvpnd and swvpn-monitor (debug)"
    (cd "$ROOT" && swift build --product swvpnd >&2 && swift build --product swvpn-monitor >&2)
fi

log "versions: $(swift --version 2>&1 | head -1); moto $(python3 -c 'import moto; print(moto.__version__)');"\
" $(openvpn --version | head -1 | cut -d' ' -f1-2); kernel $(uname -r)"

ip netns add ha-aws
ip -n ha-aws link set lo up
echo ha-aws >>"$WORK/netns"
HA_WORK="$WORK" SWVPND_BIN="$SWVPND_BIN" SWVPN_MONITOR_BIN="$SWVPN_MONITOR_BIN" \
    ip netns exec ha-aws python3 "$HERE/stand.py"
