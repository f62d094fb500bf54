#!/usr/bin/env bash
# Does monitoring cost the tunnel throughput? (issue #11) swvpnd <-> openvpn 2.6 through two network
# namespaces; iperf3 TCP through the tunnel, clean, then while /metrics is scraped 20 times a second and
# slow clients (one byte per second) hold the health listener's and management's connection slots.
# Measures only; asserts nothing. Compare the two figures with the run-to-run spread of the clean one.
#
#   sudo Benchmarks/e2e/health-load.sh              3 reps x 10 s each way
#   REPS=1 DURATION=3 sudo Benchmarks/e2e/health-load.sh   quick check of the script
#
# Env: SWVPND_BIN [.build-release-static/release/swvpnd, else .build/debug/swvpnd], REPS [3], DURATION [10].
# Addresses 192.0.2.1/.2 (underlay) and 10.98.0.1/.2 (tunnel) exist only in the namespaces created here
# (hlA-<pid>, hlB-<pid>), deleted on any exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REPS="${REPS:-3}"
DURATION="${DURATION:-10}"
BIN="${SWVPND_BIN:-}"
[[ -n "$BIN" ]] || { BIN="$ROOT/.build-release-static/release/swvpnd"; [[ -x "$BIN" ]] || BIN="$ROOT/.build/debug/swvpnd"; }
[[ -x "$BIN" ]] || { echo "no swvpnd binary (build it, or set SWVPND_BIN)" >&2; exit 1; }
for tool in openvpn iperf3 curl python3; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

NSA="hlA-$$" NSB="hlB-$$"
WORK="$(mktemp -d /tmp/swvpnd-health-load.XXXXXX)"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
    [[ -n "${KEEP:-}" ]] && echo "logs kept in $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add "$NSA"; ip netns add "$NSB"
ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up
ip -n "$NSA" link add u0 type veth peer name u0 netns "$NSB"
ip -n "$NSA" addr add 192.0.2.1/24 dev u0; ip -n "$NSB" addr add 192.0.2.2/24 dev u0
ip -n "$NSA" link set u0 up; ip -n "$NSB" link set u0 up
openvpn --genkey secret "$WORK/k.key"

cat > "$WORK/a.conf" <<CONF
dev tun
remote 192.0.2.2
ifconfig 10.98.0.1 10.98.0.2
cipher AES-256-CBC
auth SHA256
secret $WORK/k.key 0
keepalive 1 10
health-listen 127.0.0.1 9194
health-probe 1
management 127.0.0.1 7505
CONF
cat > "$WORK/b.conf" <<CONF
dev tun
remote 192.0.2.1
ifconfig 10.98.0.2 10.98.0.1
cipher AES-256-CBC
auth SHA256
secret $WORK/k.key 1
keepalive 1 10
CONF
RUNTIME_DIRECTORY="$WORK/run" ip netns exec "$NSA" "$BIN" --config "$WORK/a.conf" > "$WORK/a.log" 2>&1 & PIDS+=($!)
ip netns exec "$NSB" openvpn --config "$WORK/b.conf" > "$WORK/b.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do
    [[ "$(ip netns exec "$NSA" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9194/health)" == 200 ]] && break
    sleep 0.2
done
# In the foreground of a background job (not -D), so its PID is ours to stop.
ip netns exec "$NSB" iperf3 -s -B 10.98.0.2 > "$WORK/iperf-server.log" 2>&1 & PIDS+=($!)
sleep 0.5

throughput() {  # Mbit/s of one TCP run A -> B
    ip netns exec "$NSA" iperf3 -c 10.98.0.2 -t "$DURATION" -J 2>/dev/null \
        | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'
}

# One load process (its own CPU cost stays small): 20 scrapes a second plus 20 slow clients per port.
load_start() {
    /usr/bin/time -f "%U %S" -o "$WORK/load.time" ip netns exec "$NSA" \
        python3 "$ROOT/scripts/lib/badclients.py" load 127.0.0.1 9194 7505 $((DURATION + 2)) > "$WORK/load.json" & LOAD=$!
}
cpu() { awk '{print $14 + $15}' "/proc/${PIDS[0]}/stat"; }  # swvpnd's CPU ticks
load_stop() { wait "$LOAD" || true; }

TICK=$(getconf CLK_TCK)
secs() { awk -v d="$1" -v t="$TICK" 'BEGIN { printf "%.2f", d / t }'; }
printf '%-5s %-20s %8s %14s %14s\n' rep condition Mbit/s "swvpnd CPU s" "load CPU s"
for rep in $(seq "$REPS"); do
    c0=$(cpu); m=$(throughput); c1=$(cpu)
    printf '%-5s %-20s %8s %14s %14s\n' "$rep" clean "$m" "$(secs $((c1 - c0)))" -
    load_start
    sleep 1
    c0=$(cpu); m=$(throughput); c1=$(cpu)
    load_stop
    printf '%-5s %-20s %8s %14s %14s\n' "$rep" "scrape 20/s + slow" "$m" "$(secs $((c1 - c0)))" \
        "$(awk '{print $1 + $2}' "$WORK/load.time")"
    cat "$WORK/load.json"
done
kill -0 "${PIDS[0]}" && echo "swvpnd still running; /health: $(ip netns exec "$NSA" curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9194/health)"
