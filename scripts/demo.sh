#!/usr/bin/env bash
# Reproduces the seed deployment (two VPCs joined by a static-key tunnel) on this machine inside
# network namespaces, with swvpnd on VPN instance #1 and real openvpn (or swvpnd) on #2.
#
#   sudo scripts/demo.sh                          swvpnd on VPN #1, openvpn on VPN #2
#   sudo scripts/demo.sh --peer swvpnd            swvpnd on both
#   sudo scripts/demo.sh --self openvpn --peer openvpn   openvpn on both (checks the demo itself)
#
# Env: SWVPND_BIN=path skips the build. Everything lives in namespaces named swdemo-<pid>-*; the
# EIPs are documentation addresses (198.51.100.1, 203.0.113.1) that exist only inside them.
# Exits non-zero if traffic does not cross the tunnel. Cleans up on any exit.
set -euo pipefail

SELF=swvpnd
PEER=openvpn
while [ $# -gt 0 ]; do
    case "$1" in
        --self) SELF="${2:?--self needs openvpn|swvpnd}"; shift 2 ;;
        --peer) PEER="${2:?--peer needs openvpn|swvpnd}"; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
for impl in "$SELF" "$PEER"; do
    case "$impl" in openvpn|swvpnd) ;; *) echo "implementation must be openvpn or swvpnd, got '$impl'" >&2; exit 2 ;; esac
done

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
P="swdemo-$$"
NS_HOST1="$P-host1" NS_VPN1="$P-vpn1" NS_VPN2="$P-vpn2" NS_HOST2="$P-host2"
EIP1=198.51.100.1 EIP2=203.0.113.1
WORK="$(mktemp -d /tmp/swdemo.XXXXXX)"
PIDS=()
CREATED_NS=()

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    step "Cleaning up"
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    for ns in "${CREATED_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    if [ "$rc" -ne 0 ]; then
        for log in "$WORK"/*.log; do
            [ -f "$log" ] || continue
            echo "--- last lines of $(basename "$log")"
            tail -n 15 "$log"
        done
    fi
    rm -rf "$WORK"
    echo "removed namespaces ${CREATED_NS[*]:-none} and $WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "run as root (namespaces, tun devices and routes need it)"

step "Checking tools"
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v python3 >/dev/null || need+=(python3)
command -v openvpn >/dev/null || need+=(openvpn)   # the default peer, and the key maker without swvpnd
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
else
    echo "ip, ping, iperf3, python3, openvpn present"
fi
[ -e /dev/net/tun ] || fail "/dev/net/tun is missing (load the tun module: modprobe tun)"

SWVPND=""
if [ "$SELF" = swvpnd ] || [ "$PEER" = swvpnd ]; then
    if [ -n "${SWVPND_BIN:-}" ]; then
        SWVPND="$SWVPND_BIN"
        step "Using swvpnd from SWVPND_BIN=$SWVPND"
    else
        step "Building swvpnd (swift build -c release)"
        (cd "$ROOT" && swift build -c release --product swvpnd)
        SWVPND="$ROOT/.build/release/swvpnd"
    fi
    [ -x "$SWVPND" ] || fail "swvpnd binary not found at $SWVPND"
fi

step "Creating the two VPCs as network namespaces"
for ns in "$NS_HOST1" "$NS_VPN1" "$NS_VPN2" "$NS_HOST2"; do
    ip netns add "$ns"
    CREATED_NS+=("$ns")
    ip -n "$ns" link set lo up
done
veth() { # ns1 if1 addr1 ns2 if2 addr2
    ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$4" addr add "$6" dev "$5"
    ip -n "$1" link set "$2" up
    ip -n "$4" link set "$5" up
}
echo "VPC #1: private host 10.0.1.10 -> VPN instance #1 10.0.0.5 (EIP $EIP1)"
veth "$NS_HOST1" eth0 10.0.1.10/16 "$NS_VPN1" eth0 10.0.0.5/16
ip -n "$NS_HOST1" route add default via 10.0.0.5
echo "VPC #2: private host 172.16.1.10 -> VPN instance #2 172.16.0.5 (EIP $EIP2)"
veth "$NS_HOST2" eth0 172.16.1.10/16 "$NS_VPN2" eth0 172.16.0.5/16
ip -n "$NS_HOST2" route add default via 172.16.0.5
echo "\"internet\" between the EIPs: $EIP1 <-> $EIP2"
veth "$NS_VPN1" eip0 "$EIP1/32" "$NS_VPN2" eip0 "$EIP2/32"
ip -n "$NS_VPN1" route add "$EIP2/32" dev eip0
ip -n "$NS_VPN2" route add "$EIP1/32" dev eip0
for ns in "$NS_VPN1" "$NS_VPN2"; do
    ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1   # source/dest check off: the instance forwards
done

step "Making the pre-shared key"
mkdir -p "$WORK/vpn1" "$WORK/vpn2"
if [ -n "$SWVPND" ]; then
    echo "$SWVPND --genkey --secret ovpn.key"
    (cd "$WORK/vpn1" && "$SWVPND" --genkey --secret ovpn.key)
else
    echo "openvpn --genkey secret ovpn.key   (no swvpnd in this run)"
    (cd "$WORK/vpn1" && openvpn --genkey secret ovpn.key)
fi
[ -s "$WORK/vpn1/ovpn.key" ] || fail "no key file was written"
cp -p "$WORK/vpn1/ovpn.key" "$WORK/vpn2/ovpn.key"
echo "copied ovpn.key to VPN #2 (the seed does this over a secure channel)"

step "Writing the seed's two configs (EIP replaced)"
# openvpn 2.6 on OpenSSL 3 cannot run the seed's BF-CBC default without the legacy provider.
cat > "$WORK/vpn1/vpc1-to-vpc2.conf" <<CONF
# pre-shared static key, point-to-point
port 1194
dev tun
remote $EIP2
route 172.16.0.0 255.255.0.0
ifconfig 169.254.255.1 169.254.255.2
secret ovpn.key
providers legacy default
CONF
cat > "$WORK/vpn2/vpc2-to-vpc1.conf" <<CONF
port 1194
dev tun
remote $EIP1
route 10.0.0.0 255.255.0.0
ifconfig 169.254.255.2 169.254.255.1
secret ovpn.key
providers legacy default
CONF
for f in "$WORK/vpn1/vpc1-to-vpc2.conf" "$WORK/vpn2/vpc2-to-vpc1.conf"; do
    echo "--- $(basename "$f")"; cat "$f"
done

start_peer() { # impl ns dir conf log
    local bin=openvpn
    [ "$1" = swvpnd ] && bin="$SWVPND"
    (cd "$3" && exec ip netns exec "$2" "$bin" --config "$4") >"$5" 2>&1 &
    PIDS+=($!)
    echo "started $1 in $2 (pid $!), log $5"
}
wait_log() { # log text seconds pid
    local i
    for i in $(seq 1 $(( $3 * 10 ))); do
        grep -q "$2" "$1" && return 0
        kill -0 "$4" 2>/dev/null || fail "$(basename "$1") process exited before '$2'"
        sleep 0.1
    done
    fail "no '$2' in $(basename "$1") after $3 s"
}

step "Starting the tunnel: VPN #1 runs $SELF, VPN #2 runs $PEER"
start_peer "$PEER" "$NS_VPN2" "$WORK/vpn2" vpc2-to-vpc1.conf "$WORK/vpn2.log"; PID2=${PIDS[-1]}
start_peer "$SELF" "$NS_VPN1" "$WORK/vpn1" vpc1-to-vpc2.conf "$WORK/vpn1.log"; PID1=${PIDS[-1]}
wait_log "$WORK/vpn1.log" "Initialization Sequence Completed" 30 "$PID1"
wait_log "$WORK/vpn2.log" "Initialization Sequence Completed" 30 "$PID2"
wait_log "$WORK/vpn1.log" "Peer Connection Initiated" 30 "$PID1"
grep -E "Peer Connection Initiated|Initialization Sequence Completed" "$WORK/vpn1.log" | sed 's/^/  vpn1: /'

step "VPN #1: ip addr"
ip -n "$NS_VPN1" addr show
step "VPN #1: ip route"
ip -n "$NS_VPN1" route show

step "Ping 172.16.1.10 (VPC #2 private host) from 10.0.1.10 (VPC #1 private host)"
ip netns exec "$NS_HOST1" ping -n -c 4 -i 0.5 -W 1 -w 15 172.16.1.10 || fail "ping did not cross the tunnel"
step "Ping 10.0.1.10 from 172.16.1.10 (the way back)"
ip netns exec "$NS_HOST2" ping -n -c 2 -i 0.5 -W 1 -w 15 10.0.1.10 || fail "ping did not cross the tunnel"

step "TCP through the tunnel: iperf3 from 10.0.1.10 to 172.16.1.10 for 3 s"
ip netns exec "$NS_HOST2" iperf3 -s -1 -B 172.16.1.10 >"$WORK/iperf3-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
    ip netns exec "$NS_HOST2" ss -ltn 2>/dev/null | grep -q ':5201' && break
    sleep 0.1
done
ip netns exec "$NS_HOST1" iperf3 -c 172.16.1.10 -t 3 -f m || fail "iperf3 through the tunnel failed"

step "Tunnel counters on VPN #1"
ip -n "$NS_VPN1" -s link show type tun

if grep -E "Authenticate/Decrypt packet error|may be a replay|used inconsistently" "$WORK"/vpn*.log; then
    fail "the logs above show packet errors"
fi
step "Done: traffic crossed the tunnel ($SELF on VPN #1 <-> $PEER on VPN #2)"
