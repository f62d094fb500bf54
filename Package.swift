// swift-tools-version: 6.1
import PackageDescription

// One settings array for every Swift target (swift-nio's habit): Swift 6 mode, strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    // Release builds keep Swift's checks (-O, not -Ounchecked): overflow traps, preconditions and
    // bounds checks turn a packet-path bug into a crash instead of silent memory corruption.
]

let package = Package(
    name: "swvpnd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swvpnd", targets: ["swvpnd"]),
        .executable(name: "swvpn-monitor", targets: ["swvpn-monitor"]),
        // For Benchmarks/ (a separate package that depends on this one by path).
        .library(name: "SwvpnProtocol", targets: ["SwvpnProtocol"]),
        .library(name: "SwvpnCrypto", targets: ["SwvpnCrypto"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // Prometheus text exposition for GET /metrics.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libcrypto from the system (Debian: libssl-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // liblzo2 and liblz4 from the system (Debian: liblzo2-dev, liblz4-dev), the libraries openvpn uses.
        .systemLibrary(name: "CLZO", pkgConfig: "lzo2", providers: [.apt(["liblzo2-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        // Thin C shim for Linux syscalls Swift cannot call directly (ioctls, cmsg macros). No logic.
        .target(name: "CSwvpnLinux"),

        // Pure layers: no Foundation, Dispatch or Glibc.
        .target(name: "SwvpnCrypto", dependencies: ["CLibcrypto"], swiftSettings: swiftSettings),
        .target(name: "SwvpnProtocol", dependencies: ["SwvpnCrypto"], swiftSettings: swiftSettings),
        .target(name: "SwvpnConfig", dependencies: ["SwvpnProtocol"], swiftSettings: swiftSettings),
        // The control plane: TunnelSession, events in, actions out (docs/ARCHITECTURE.md).
        .target(name: "SwvpnControl", dependencies: ["SwvpnProtocol", "SwvpnConfig"], swiftSettings: swiftSettings),
        // Bounded LZO/LZ4 packet decompression, injected into InboundPath (allow-compression asym|yes).
        .target(
            name: "SwvpnCompression", dependencies: ["CLZO", "CLZ4", "SwvpnProtocol"], swiftSettings: swiftSettings),
        // HA monitor's AWS side, pure: EC2 models, the EC2API protocol, SigV4, Query form encoding.
        .target(name: "SwvpnAWS", dependencies: ["SwvpnCrypto"], swiftSettings: swiftSettings),
        // swvpn-monitor's config and decisions: events and time in, actions out.
        .target(name: "SwvpnMonitorCore", dependencies: ["SwvpnConfig"], swiftSettings: swiftSettings),
        // Tunnel snapshot, its JSON/status/metrics renderings, the in-tunnel probe, management protocol.
        .target(name: "SwvpnHealth", dependencies: ["SwvpnProtocol"], swiftSettings: swiftSettings),

        // Linux I/O: TUN, sockets, netlink, packet loop, timers, signals, systemd notify.
        .target(
            name: "SwvpnLinux",
            dependencies: [
                "CSwvpnLinux", "SwvpnProtocol", "SwvpnConfig", "SwvpnControl", "SwvpnCompression", "SwvpnHealth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // HA monitor's AWS I/O: EC2Client (URLSession, XMLParser), IMDSv2 credentials and metadata.
        .target(name: "SwvpnAWSClient", dependencies: ["SwvpnAWS"], swiftSettings: swiftSettings),
        // The daemon: argv, wiring, nothing else.
        .executableTarget(
            name: "swvpnd",
            dependencies: [
                "SwvpnLinux", "SwvpnConfig", "SwvpnProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HA monitor: health poller, EC2 and logs wired to the decision core.
        .executableTarget(
            name: "swvpn-monitor",
            dependencies: [
                "SwvpnMonitorCore", "SwvpnAWS", "SwvpnAWSClient", "SwvpnLinux", "SwvpnConfig",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Test support: counts heap allocations (interposes malloc in the test executable) for the
        // zero-allocations-per-packet tests. No logic beyond counting.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        // Hex fixtures, a seeded generator and the allocation counter shared by the unit-test targets.
        .target(
            name: "SwvpnTestSupport", dependencies: ["CMallocCounter"], path: "Tests/SwvpnTestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SwvpnCryptoTests", dependencies: ["SwvpnCrypto", "SwvpnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SwvpnProtocolTests",
            dependencies: ["SwvpnProtocol", "SwvpnTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwvpnConfigTests",
            dependencies: ["SwvpnConfig", "SwvpnTestSupport"],
            resources: [.copy("Corpus")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SwvpnControlTests", dependencies: ["SwvpnControl"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SwvpnLinuxTests", dependencies: ["SwvpnLinux", "SwvpnProtocol", "SwvpnHealth", "SwvpnTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SwvpnCompressionTests",
            dependencies: ["SwvpnCompression", "SwvpnProtocol", "CLZO", "CLZ4", "SwvpnTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwvpnAWSTests", dependencies: ["SwvpnAWS", "SwvpnAWSClient"], exclude: ["sigv4_vectors.py"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SwvpnHealthTests", dependencies: ["SwvpnHealth"], swiftSettings: swiftSettings),
        .testTarget(name: "SwvpnMonitorCoreTests", dependencies: ["SwvpnMonitorCore"], swiftSettings: swiftSettings),
        // Root-only tests in network namespaces against the real openvpn; they fail, never skip.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SwvpnProtocol", "SwvpnCompression", "SwvpnTestSupport", "SwvpnAWS", "SwvpnAWSClient"],
            resources: [.copy("CheckConfigCorpus")],
            swiftSettings: swiftSettings
        ),
    ]
)
