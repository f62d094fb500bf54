// swift-tools-version: 6.1
import PackageDescription

// One settings array for every Swift target (swift-nio's habit): Swift 6 mode, strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "swvpnd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swvpnd", targets: ["swvpnd"]),
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
        // Thin C shim for Linux syscalls Swift cannot call directly (ioctls, cmsg macros). No logic.
        .target(name: "CSwvpnLinux"),

        // Pure layers: no Foundation, Dispatch or Glibc.
        .target(name: "SwvpnCrypto", dependencies: ["CLibcrypto"], swiftSettings: swiftSettings),
        .target(name: "SwvpnProtocol", dependencies: ["SwvpnCrypto"], swiftSettings: swiftSettings),
        .target(name: "SwvpnConfig", dependencies: ["SwvpnProtocol"], swiftSettings: swiftSettings),
        // Tunnel snapshot, its JSON/status/metrics renderings, the in-tunnel probe, management protocol.
        .target(name: "SwvpnHealth", dependencies: ["SwvpnProtocol"], swiftSettings: swiftSettings),

        // Linux I/O: TUN, sockets, netlink, packet loop, timers, signals, systemd notify.
        .target(
            name: "SwvpnLinux",
            dependencies: [
                "CSwvpnLinux", "SwvpnProtocol", "SwvpnConfig", "SwvpnHealth",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
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

        // Hex fixtures and a seeded generator shared by the unit-test targets.
        .target(name: "SwvpnTestSupport", path: "Tests/SwvpnTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "SwvpnCryptoTests", dependencies: ["SwvpnCrypto", "SwvpnTestSupport"], swiftSettings: swiftSettings),
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
        .testTarget(name: "SwvpnHealthTests", dependencies: ["SwvpnHealth"], swiftSettings: swiftSettings),
        .testTarget(name: "SwvpnLinuxTests", dependencies: ["SwvpnLinux", "SwvpnHealth"], swiftSettings: swiftSettings),
        // Root-only tests in network namespaces against the real openvpn; they fail, never skip.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SwvpnProtocol", "SwvpnTestSupport"],
            resources: [.copy("CheckConfigCorpus")],
            swiftSettings: swiftSettings
        ),
    ]
)
