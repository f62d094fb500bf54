#!/usr/bin/env bash
# The whole test suite: unit tests of the pure core, Linux I/O tests and the root-only network-namespace
# tests against the real openvpn 2.6. Run as root on Debian. Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: must run as root (TUN devices, network namespaces, routes)" >&2
    exit 1
fi

need=(libssl-dev liblzo2-dev liblz4-dev pkg-config openvpn iproute2 iputils-ping iperf3 python3 procps systemd openssl
      debootstrap systemd-container lintian dpkg-dev prometheus curl
      libcurl4-openssl-dev libxml2-dev)  # swvpn-monitor static release: FoundationNetworking links -lcurl -lxml2
missing=()
for p in "${need[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The HA monitor's AWS tests: botocore computes SigV4 vectors, moto's server stands in for EC2.
python3 -c 'import botocore, moto.server' 2>/dev/null || python3 -m pip install -q 'moto[server]'
[[ -c /dev/net/tun ]] || { echo "test.sh: /dev/net/tun is missing" >&2; exit 1; }

# Pure layers must stay pure: no Foundation, Dispatch or Glibc in the protocol core.
if grep -rnE '^\s*(@preconcurrency\s+)?import\s+(Foundation|FoundationEssentials|Dispatch|Glibc|Musl)\b' \
    Sources/SwvpnCrypto Sources/SwvpnProtocol Sources/SwvpnConfig Sources/SwvpnControl Sources/SwvpnCompression \
    Sources/SwvpnAWS Sources/SwvpnMonitorCore Sources/SwvpnHealth; then
    echo "test.sh: a pure target imports an OS/Foundation module (see above)" >&2
    exit 1
fi

# One format for every Swift file (.swift-format; the formatter ships with the toolchain):
# `swift format -i --recursive Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks` fixes it.
swift format lint --strict --recursive Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks

# The systemd stand's Debian root (SystemdStandSuite): debootstrapped once, while Swift compiles.
./scripts/stand-root.sh >/dev/null &
stand_root=$!

swift build --build-tests
export SWVPND_BIN="$PWD/.build/debug/swvpnd"
# The install tests need the shipped binaries: release, Swift runtime linked in (slow, ~3-5 min on 2 cores).
# Its own scratch path, so it never contends with the debug build's lock or objects. The monitor lands
# next to swvpnd, where install.sh looks for it.
swift build -c release --static-swift-stdlib --product swvpnd --scratch-path "$PWD/.build-release-static"
swift build -c release --static-swift-stdlib --product swvpn-monitor --scratch-path "$PWD/.build-release-static"
export SWVPND_RELEASE_BIN="$PWD/.build-release-static/release/swvpnd"
wait "$stand_root" || { echo "test.sh: cannot build the systemd stand's root (see above)" >&2; exit 1; }
swift test --skip-build "$@"
# Without a filter: sanitizer builds (ASan/UBSan for the pure unit tests, TSan for the data-plane tests)
# and a bounded run of every fuzz target (see README "Fuzzing and sanitizers").
if (($# == 0)); then
    ./scripts/sanitizers.sh
    ./scripts/fuzz.sh 12
fi
