// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of Sesame's hot path, with ordo-one/benchmark. A package of its own, so that
// the main package's `swift test` (and CI) never builds the benchmark dependencies.
//
//   cd Benchmarks/Micro && swift package benchmark
let package = Package(
    name: "sesame-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sesame", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SesameCore", package: "sesame"),
                .product(name: "SesameSQLite", package: "sesame"),
                .product(name: "SesameHTTP", package: "sesame"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/HotPath",
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
