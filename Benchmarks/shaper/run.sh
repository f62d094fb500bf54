#!/usr/bin/env bash
# shaper rate check (issue #10): an iperf3 TCP stream through a tunnel whose sending side has
# `shaper RATE`, for swvpnd and for openvpn 2.6 as the reference. The rate is what left the sender's
# underlay veth in IP bytes (the veth's tx bytes minus 14 Ethernet bytes per packet, which openvpn's
# shaper does not count either), over the iperf3 run. Exits 1 if swvpnd is more than 10 % off RATE.
#
#   sudo Benchmarks/shaper/run.sh                          RATE=1000000 DURATION=10, both daemons
#   RATE=250000 IMPLS=swvpnd sudo Benchmarks/shaper/run.sh
#
# Env: SWVPND_BIN [.build/release/swvpnd, else .build/debug/swvpnd], RATE bytes/s [1000000],
#      DURATION seconds [10], IMPLS [swvpnd openvpn].
# Addresses 192.0.2.1/.2 (veth) and 10.98.0.1/.2 (tunnel) exist only in the namespaces made here
# (bsA-<pid>, bsB-<pid>), deleted on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RATE="${RATE:-1000000}"
DURATION="${DURATION:-10}"
IMPLS="${IMPLS:-swvpnd openvpn}"
NSA="bsA-$$" NSB="bsB-$$"
WORK="$(mktemp -d /tmp/swvpnd-shaper.XXXXXX)"
DAEMONS=() OTHERS=() CREATED_NS=()

. "$HERE/../tools/lab.sh"
trap lab_cleanup EXIT
trap 'exit 130' INT TERM
lab_require openvpn iperf3 ip python3
BIN="${SWVPND_BIN:-}"
if [ -z "$BIN" ]; then
    BIN="$ROOT/.build/release/swvpnd"
    [ -x "$BIN" ] || BIN="$ROOT/.build/debug/swvpnd"
fi
[ -x "$BIN" ] || die "no swvpnd binary (set SWVPND_BIN)"

lab_veth_pair "$NSA" "$NSB" 192.0.2.1 192.0.2.2
openvpn --genkey secret "$WORK/key" 2>/dev/null

conf() {  # side local remote-underlay extra...
    printf 'dev tun\nproto udp\nport 1194\nremote %s\nifconfig %s %s\nsecret %s %s\ncipher AES-256-CBC\nauth SHA256\nverb 3\n' \
        "$3" "$2" "$4" "$WORK/key" "$1"
    shift 4
    for line in "$@"; do printf '%s\n' "$line"; done
}

run_one() {  # impl
    local impl="$1" a b
    conf 0 10.98.0.1 192.0.2.2 10.98.0.2 "shaper $RATE" >"$WORK/a.conf"
    conf 1 10.98.0.2 192.0.2.1 10.98.0.1 >"$WORK/b.conf"
    local cmd_a=(openvpn --config "$WORK/a.conf")
    [ "$impl" = swvpnd ] && cmd_a=("$BIN" --config "$WORK/a.conf")
    ip netns exec "$NSB" openvpn --config "$WORK/b.conf" >"$WORK/b.log" 2>&1 & b=$!
    ip netns exec "$NSA" "${cmd_a[@]}" >"$WORK/a.log" 2>&1 & a=$!
    DAEMONS=("$a" "$b")
    for _ in $(seq 1 100); do
        grep -q "Initialization Sequence Completed" "$WORK/a.log" && grep -q "Initialization Sequence Completed" "$WORK/b.log" && break
        sleep 0.1
    done
    ip netns exec "$NSA" ping -c 1 -W 2 10.98.0.2 >/dev/null || { tail "$WORK/a.log" "$WORK/b.log" >&2; stop_pids "${DAEMONS[@]}"; return 1; }
    ip netns exec "$NSB" iperf3 -s -1 -B 10.98.0.2 >/dev/null 2>&1 & OTHERS+=($!)
    sleep 0.5
    read -r tx0 p0 < <(ip -n "$NSA" -s -j link show veth0 | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]["tx"]; print(s["bytes"], s["packets"])')
    local start end
    start=$(date +%s.%N)
    ip netns exec "$NSA" iperf3 -c 10.98.0.2 -t "$DURATION" >/dev/null
    end=$(date +%s.%N)
    read -r tx1 p1 < <(ip -n "$NSA" -s -j link show veth0 | python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]["tx"]; print(s["bytes"], s["packets"])')
    stop_pids "${DAEMONS[@]}"
    DAEMONS=()
    python3 - "$impl" "$RATE" "$tx0" "$p0" "$tx1" "$p1" "$start" "$end" <<'PY'
import sys
impl, rate = sys.argv[1], int(sys.argv[2])
tx0, p0, tx1, p1 = map(int, sys.argv[3:7])
seconds = float(sys.argv[8]) - float(sys.argv[7])
measured = ((tx1 - tx0) - 14 * (p1 - p0)) / seconds
print(f"{impl:8s} shaper {rate} B/s: measured {measured:.0f} B/s over {seconds:.1f} s ({100 * measured / rate:.1f} %)")
PY
}

status=0
for impl in $IMPLS; do
    line="$(run_one "$impl")" || { echo "$impl: run failed" >&2; status=1; continue; }
    echo "$line"
    if [ "$impl" = swvpnd ]; then
        pct="$(echo "$line" | sed -E 's/.*\(([0-9.]+) %\)/\1/')"
        python3 -c "import sys; sys.exit(0 if 90 <= $pct <= 110 else 1)" || { echo "swvpnd off by more than 10 %" >&2; status=1; }
    fi
    sleep 1
done
exit $status
