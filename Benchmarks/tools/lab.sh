# Shared by the benchmark scripts (source it): logging, stopping our own processes by PID, two
# namespaces joined by a veth pair, and the daemons' CPU time. The caller sets WORK, DAEMONS, OTHERS
# and CREATED_NS, and may define lab_extra_cleanup for what only it creates.

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

stop_pids() {
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

# EXIT trap: stops what we started, deletes our namespaces, shows the logs' tails on failure.
lab_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pids "${DAEMONS[@]}" "${OTHERS[@]}"
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if declare -F lab_extra_cleanup >/dev/null; then lab_extra_cleanup; fi
    if [ "$rc" -ne 0 ]; then
        for f in "$WORK"/*.log; do [ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 12 "$f"; }; done >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}

lab_veth_pair() { # nsA nsB addrA addrB: two fresh namespaces joined by veth0, /24 addresses
    local ns
    for ns in "$1" "$2"; do ip netns add "$ns"; CREATED_NS+=("$ns"); ip -n "$ns" link set lo up; done
    ip -n "$1" link add veth0 type veth peer name veth0 netns "$2"
    ip -n "$1" addr add "$3/24" dev veth0
    ip -n "$2" addr add "$4/24" dev veth0
    ip -n "$1" link set veth0 up
    ip -n "$2" link set veth0 up
}

cpu_ticks() { # utime+stime of DAEMONS, in clock ticks
    local t=0 pid f
    for pid in "${DAEMONS[@]}"; do
        f="$(cat "/proc/$pid/stat")"; f="${f##*) }"
        set -- $f
        t=$(( t + ${12} + ${13} ))
    done
    echo "$t"
}

lab_require() { # tool...: root, /dev/net/tun and each tool, or a clear failure
    [ "$(id -u)" -eq 0 ] || die "run as root (namespaces, TUN devices)"
    [ -e /dev/net/tun ] || die "/dev/net/tun missing"
    local tool
    for tool in "$@"; do command -v "$tool" >/dev/null || die "$tool missing"; done
}

lab_swvpnd_bin() { # ROOT: sets SWVPND_BIN, building the release binary when none was given
    if [ -z "${SWVPND_BIN:-}" ]; then
        log "building swvpnd (swift build -c release --product swvpnd)"
        (cd "$1" && swift build -c release --product swvpnd >&2)
        SWVPND_BIN="$1/.build/release/swvpnd"
    fi
    [ -x "$SWVPND_BIN" ] || die "no swvpnd at $SWVPND_BIN"
}

lab_init() { # ROOT OUT tool...: cleanup trap, prerequisites, SWVPND_BIN, the results directory
    local root=$1 out=$2
    shift 2
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
    lab_require "$@"
    lab_swvpnd_bin "$root"
    mkdir -p "$out"
}
