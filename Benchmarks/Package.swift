// swift-tools-version: 6.1
import PackageDescription

// Micro benchmarks for the per-packet path (issue #5). Run with `swift package benchmark` from
// this directory; see README.md. A separate package so the daemon never depends on the harness.
let package = Package(
    name: "SwvpndBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "swvpnd", path: "../"),
        // Only the malloc interposer: mallocCountTotal is the zero-allocation check.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DataChannelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwvpnProtocol", package: "swvpnd"),
                .product(name: "SwvpnCrypto", package: "swvpnd"),
            ],
            path: "Benchmarks/DataChannel",
            // Measured as shipped: release (-O) with Swift's checks on, like swvpnd itself.
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
