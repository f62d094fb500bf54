#!/usr/bin/env bash
# Flood resistance benchmark: TCP through the tunnel, clean and under a garbage flood, for swvpnd and
# openvpn 2.6 in the same run, interleaved. Measures only; asserts nothing.
#
#   sudo Benchmarks/flood/run.sh                     3 repetitions, 10 s per test, 50,000 datagrams/s
#   REPS=1 DURATION=5 sudo Benchmarks/flood/run.sh   quick look
#
# Env: SWVPND_BIN [.build/release/swvpnd, built if missing], REPS [3], DURATION [10], RATE [50000],
#      IMPLS [swvpnd openvpn], OUT [Benchmarks/results/flood-<UTC time>]
#
# Two namespaces joined by a veth pair (192.0.2.1/.2 underlay, 10.98.0.1/.2 tunnel), created and deleted
# here. iperf3 sends A → B, so B opens every data packet. The flood is aimed at B's tunnel port from
# inside A with a raw socket (Benchmarks/flood/flood.py), in two kinds:
#   peer     source 192.0.2.1:1194, the peer's own address: each datagram passes the source check
#            and costs B an HMAC before it is dropped ("bad HMAC" / "packet authentication failed")
#   foreign  source 192.0.2.1:40000: dropped by the source check (pinning) before any crypto
# Reported per implementation: median Mbit/s clean and under each flood, the ratio flooded ÷ clean,
# the flood rate really sent, both daemons' CPU seconds, and B's log lines during the flood.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REPS="${REPS:-3}" DURATION="${DURATION:-10}" RATE="${RATE:-50000}"
IMPLS="${IMPLS:-swvpnd openvpn}"
OUT="${OUT:-$ROOT/Benchmarks/results/flood-$(date -u +%Y%m%dT%H%M%SZ)}"
NSA="bfA-$$" NSB="bfB-$$"
UA=192.0.2.1 UB=192.0.2.2 TA=10.98.0.1 TB=10.98.0.2
WORK="$(mktemp -d /tmp/swvpnd-flood.XXXXXX)"
DAEMONS=() OTHERS=() CREATED_NS=()

. "$HERE/../tools/lab.sh"
lab_init "$ROOT" "$OUT" ip iperf3 python3 openvpn

lab_veth_pair "$NSA" "$NSB" "$UA" "$UB"
ip netns exec "$NSB" iperf3 -s >"$WORK/iperf3-server.log" 2>&1 &
OTHERS+=($!)
openvpn --genkey secret "$WORK/static.key" >/dev/null
conf() { # file local-tun remote-tun remote-underlay direction
    printf '%s\n' "dev tun" "proto udp" "port 1194" "remote $4" "ifconfig $2 $3" "secret $WORK/static.key $5" \
        "cipher AES-256-CBC" "auth SHA256" "verb 3" >"$1"
}
conf "$WORK/a.conf" "$TA" "$TB" "$UB" 0
conf "$WORK/b.conf" "$TB" "$TA" "$UA" 1

tunnel_up() { # impl
    local bin=openvpn side ns
    [ "$1" = swvpnd ] && bin="$SWVPND_BIN"
    DAEMONS=()
    for side in b a; do
        ns="$NSA"; [ "$side" = b ] && ns="$NSB"
        ip netns exec "$ns" "$bin" --config "$WORK/$side.conf" >"$WORK/$1-$side.log" 2>&1 &
        DAEMONS+=($!)
    done
    for _ in $(seq 1 150); do
        ip netns exec "$NSA" ping -c 1 -W 1 -q "$TB" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "$1: no ping through the tunnel after 30 s"
}
run_test() { # impl rep kind
    local impl=$1 rep=$2 kind=$3 fpid="" c0 c1 lines0 lines1 src
    lines0=$(wc -l <"$WORK/$impl-b.log")
    c0=$(cpu_ticks)
    case "$kind" in
        peer) src="$UA:1194" ;;
        foreign) src="$UA:40000" ;;
        *) src="" ;;
    esac
    : >"$WORK/flood.out"
    if [ -n "$src" ]; then
        ip netns exec "$NSA" python3 "$HERE/flood.py" --src "$src" --dst "$UB:1194" --rate "$RATE" \
            --seconds $(( DURATION + 1 )) >"$WORK/flood.out" 2>&1 &
        fpid=$!
        sleep 0.5
    fi
    timeout $(( DURATION + 30 )) ip netns exec "$NSA" iperf3 -c "$TB" -t "$DURATION" -J >"$WORK/iperf.json" 2>/dev/null || true
    [ -n "$fpid" ] && { wait "$fpid" || true; }
    c1=$(cpu_ticks)
    lines1=$(wc -l <"$WORK/$impl-b.log")
    python3 - "$impl" "$rep" "$kind" "$WORK/iperf.json" "$WORK/flood.out" "$(( c1 - c0 ))" "$(getconf CLK_TCK)" \
        "$(( lines1 - lines0 ))" >>"$OUT/results.jsonl" <<'PY'
import json, re, sys
impl, rep, kind, jf, ff, ticks, hz, lines = sys.argv[1:]
try:
    mbps = json.load(open(jf))["end"]["sum_received"]["bits_per_second"] / 1e6
except Exception:
    mbps = None
m = re.search(r"rate=(\d+)", open(ff).read())
print(json.dumps({"impl": impl, "rep": int(rep), "kind": kind, "mbps": mbps, "cpu_s": int(ticks) / int(hz),
                  "flood_rate": int(m.group(1)) if m else 0, "log_lines": int(lines)}))
PY
    log "$impl rep $rep $kind: $(tail -n 1 "$OUT/results.jsonl")"
}

read -r -a impls <<<"$IMPLS"
kinds=(clean peer foreign)
printf '{"date_utc":"%s","reps":%s,"duration_s":%s,"rate":%s,"swvpnd_rev":"%s","loadavg_start":"%s"}\n' \
    "$(date -u +%FT%TZ)" "$REPS" "$DURATION" "$RATE" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/meta.json"
for rep in $(seq 1 "$REPS"); do
    for impl in "${impls[@]}"; do
        tunnel_up "$impl"
        sleep 1
        for i in 0 1 2; do run_test "$impl" "$rep" "${kinds[$(( (i + rep - 1) % 3 ))]}"; done
        stop_pids "${DAEMONS[@]}"; DAEMONS=(); sleep 0.5
    done
done
python3 - "$OUT/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")
print(f"{'implementation':<10} {'clean Mbit/s':>12} {'peer flood':>11} {'÷ clean':>8} {'foreign':>9} {'÷ clean':>8}"
      f" {'flood/s sent':>12} {'B log lines':>11}")
for impl in dict.fromkeys(r["impl"] for r in rows):
    m = {k: med(r["mbps"] for r in rows if r["impl"] == impl and r["kind"] == k) for k in ("clean", "peer", "foreign")}
    per_rep = []
    for rep in sorted({r["rep"] for r in rows}):
        got = {r["kind"]: r["mbps"] for r in rows if r["impl"] == impl and r["rep"] == rep}
        if got.get("clean") and got.get("peer"):
            per_rep.append(got["peer"] / got["clean"])
    rate = med(r["flood_rate"] for r in rows if r["impl"] == impl and r["kind"] != "clean")
    lines = max(r["log_lines"] for r in rows if r["impl"] == impl and r["kind"] != "clean")
    print(f"{impl:<10} {m['clean']:>12.0f} {m['peer']:>11.0f} {m['peer'] / m['clean']:>7.0%} {m['foreign']:>9.0f}"
          f" {m['foreign'] / m['clean']:>7.0%} {rate:>12.0f} {lines:>11}")
    print(f"{'':<10} peer flood ÷ clean per repetition: " + ", ".join(f"{x:.0%}" for x in per_rep))
PY
