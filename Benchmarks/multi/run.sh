#!/usr/bin/env bash
# Many tunnels on one host (the seed's extra-tunnel pattern: one config, one port, one TUN device per
# tunnel): aggregate TCP throughput and memory with 1, 2, 4 and 8 tunnels carrying traffic at once,
# swvpnd and openvpn 2.6 in the same run. Measures only; asserts nothing.
#
#   sudo Benchmarks/multi/run.sh                    tunnels 1 2 4 8, 10 s each, 2 repetitions
#   COUNTS="1 8" DURATION=5 REPS=1 sudo Benchmarks/multi/run.sh
#
# Env: SWVPND_BIN [.build/release/swvpnd, built if missing], COUNTS ["1 2 4 8"], TUNNELS [largest COUNT],
#      DURATION [10], REPS [2], IMPLS [swvpnd openvpn], OUT [Benchmarks/results/multi-<UTC time>]
#
# Two namespaces joined by a veth pair (192.0.2.1/.2). TUNNELS tunnels are started once per implementation
# (ports 1194.., tunnel k = 10.97.k.1 ↔ 10.97.k.2, AES-256-CBC/SHA256); for each COUNT, that many iperf3
# clients in A send to their own iperf3 server in B at once. Reported: the sum of Mbit/s received, CPU
# seconds of all daemons per GB, the idle RSS of one daemon and the sum over all of them, and the peak.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
COUNTS="${COUNTS:-1 2 4 8}" DURATION="${DURATION:-10}" REPS="${REPS:-2}"
IMPLS="${IMPLS:-swvpnd openvpn}"
read -r -a counts <<<"$COUNTS"
TUNNELS="${TUNNELS:-$(printf '%s\n' "${counts[@]}" | sort -n | tail -n 1)}"
OUT="${OUT:-$ROOT/Benchmarks/results/multi-$(date -u +%Y%m%dT%H%M%SZ)}"
NSA="bmA-$$" NSB="bmB-$$"
UA=192.0.2.1 UB=192.0.2.2
WORK="$(mktemp -d /tmp/swvpnd-multi.XXXXXX)"
DAEMONS=() OTHERS=() CREATED_NS=()

. "$HERE/../tools/lab.sh"
lab_init "$ROOT" "$OUT" ip iperf3 python3 openvpn

lab_veth_pair "$NSA" "$NSB" "$UA" "$UB"
openvpn --genkey secret "$WORK/static.key" >/dev/null
for k in $(seq 1 "$TUNNELS"); do
    ip netns exec "$NSB" iperf3 -s -p $(( 5200 + k )) >"$WORK/iperf3-server-$k.log" 2>&1 &
    OTHERS+=($!)
    for side in a b; do
        if [ "$side" = a ]; then local_tun="10.97.$k.1" peer_tun="10.97.$k.2" remote=$UB dir=0
        else local_tun="10.97.$k.2" peer_tun="10.97.$k.1" remote=$UA dir=1; fi
        printf '%s\n' "dev tun" "proto udp" "port $(( 1193 + k ))" "remote $remote" "ifconfig $local_tun $peer_tun" \
            "secret $WORK/static.key $dir" "cipher AES-256-CBC" "auth SHA256" "verb 3" >"$WORK/t$k-$side.conf"
    done
done

tunnels_up() { # impl
    local bin=openvpn k side ns
    [ "$1" = swvpnd ] && bin="$SWVPND_BIN"
    DAEMONS=()
    for k in $(seq 1 "$TUNNELS"); do
        for side in b a; do
            ns="$NSA"; [ "$side" = b ] && ns="$NSB"
            ip netns exec "$ns" "$bin" --config "$WORK/t$k-$side.conf" >"$WORK/$1-t$k-$side.log" 2>&1 &
            DAEMONS+=($!)
        done
    done
    for k in $(seq 1 "$TUNNELS"); do
        for _ in $(seq 1 150); do
            ip netns exec "$NSA" ping -c 1 -W 1 -q "10.97.$k.2" >/dev/null 2>&1 && continue 2
            sleep 0.2
        done
        die "$1: tunnel $k does not ping after 30 s"
    done
}
rss_kb() { # field (VmRSS|VmHWM) -> "largest sum" over DAEMONS
    local m=0 s=0 v pid
    for pid in "${DAEMONS[@]}"; do
        v="$(awk -v k="$1:" '$1==k {print $2}' "/proc/$pid/status")"
        s=$(( s + v )); [ "$v" -gt "$m" ] && m=$v
    done
    echo "$m $s"
}

for rep in $(seq 1 "$REPS"); do
    for impl in $IMPLS; do
        tunnels_up "$impl"
        sleep 2
        read -r idle_max idle_sum < <(rss_kb VmRSS)
        for n in "${counts[@]}"; do
            c0=$(cpu_ticks)
            pids=()
            for k in $(seq 1 "$n"); do
                timeout $(( DURATION + 30 )) ip netns exec "$NSA" iperf3 -c "10.97.$k.2" -p $(( 5200 + k )) \
                    -t "$DURATION" -J >"$WORK/iperf-$k.json" 2>/dev/null &
                pids+=($!)
            done
            for p in "${pids[@]}"; do wait "$p" || true; done
            c1=$(cpu_ticks)
            read -r peak_max peak_sum < <(rss_kb VmHWM)
            python3 - "$impl" "$rep" "$n" "$(( c1 - c0 ))" "$(getconf CLK_TCK)" "$idle_max" "$idle_sum" "$peak_max" \
                "$peak_sum" "$TUNNELS" "$WORK" >>"$OUT/results.jsonl" <<'PY'
import json, sys
impl, rep, n, ticks, hz, idle_max, idle_sum, peak_max, peak_sum, tunnels, work = sys.argv[1:]
total = 0.0
for k in range(1, int(n) + 1):
    try:
        total += json.load(open(f"{work}/iperf-{k}.json"))["end"]["sum_received"]["bits_per_second"] / 1e6
    except Exception:
        pass
print(json.dumps({"impl": impl, "rep": int(rep), "busy": int(n), "tunnels": int(tunnels), "mbps": total,
                  "cpu_s": int(ticks) / int(hz), "idle_rss_kb_max": int(idle_max), "idle_rss_kb_sum": int(idle_sum),
                  "peak_rss_kb_max": int(peak_max), "peak_rss_kb_sum": int(peak_sum)}))
PY
            log "$impl rep $rep, $n busy of $TUNNELS: $(tail -n 1 "$OUT/results.jsonl")"
        done
        stop_pids "${DAEMONS[@]}"; DAEMONS=(); sleep 0.5
    done
done
printf '{"date_utc":"%s","reps":%s,"duration_s":%s,"tunnels":%s,"swvpnd_rev":"%s","loadavg_end":"%s"}\n' \
    "$(date -u +%FT%TZ)" "$REPS" "$DURATION" "$TUNNELS" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/meta.json"
python3 - "$OUT/results.jsonl" "$DURATION" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
dur = float(sys.argv[2])
print(f"{'implementation':<10} {'busy':>4} {'sum Mbit/s':>10} {'CPU-s/GB':>9} {'idle RSS MB one/all':>20} {'peak RSS MB one/all':>20}")
for impl in dict.fromkeys(r["impl"] for r in rows):
    for n in sorted({r["busy"] for r in rows}):
        rs = [r for r in rows if r["impl"] == impl and r["busy"] == n]
        mb = statistics.median(r["mbps"] for r in rs)
        gb = [r["mbps"] * dur / 8 / 1000 for r in rs]
        cpu = statistics.median(r["cpu_s"] / g for r, g in zip(rs, gb) if g > 0)
        im = statistics.median(r["idle_rss_kb_max"] for r in rs) / 1024
        isum = statistics.median(r["idle_rss_kb_sum"] for r in rs) / 1024
        pm = statistics.median(r["peak_rss_kb_max"] for r in rs) / 1024
        psum = statistics.median(r["peak_rss_kb_sum"] for r in rs) / 1024
        print(f"{impl:<10} {n:>4} {mb:>10.0f} {cpu:>9.2f} {im:>9.1f} / {isum:>7.1f} {pm:>9.1f} / {psum:>7.1f}")
PY
