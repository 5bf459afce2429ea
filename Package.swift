// swift-tools-version:6.1
import PackageDescription

/// Strict settings shared by every target (Swift 6 language mode is the default for tools 6.x).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sesame",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sesame", targets: ["sesame"]),
        .library(name: "SesameCore", targets: ["SesameCore"]),
        .library(name: "SesameSQLite", targets: ["SesameSQLite"]),
        .library(name: "SesamePostgres", targets: ["SesamePostgres"]),
        .library(name: "SesameHTTP", targets: ["SesameHTTP"]),
        .library(name: "SesameServer", targets: ["SesameServer"]),
        .library(name: "SesameTestSupport", targets: ["SesameTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The token core: accounts, sessions, rotation, lockout, policies, clock. No HTTP, no SQL.
        .target(
            name: "SesameCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The store protocol's SQLite implementation (GRDB, WAL, synchronous=FULL).
        .target(
            name: "SesameSQLite",
            dependencies: [
                "SesameCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The store protocol's PostgreSQL implementation (postgres-nio), for many processes on one database.
        .target(
            name: "SesamePostgres",
            dependencies: [
                "SesameCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // What every HTTP dialect shares: parameter reading, the request context.
        .target(
            name: "SesameHTTP",
            dependencies: [
                "SesameCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Family A: /v2/enduser/enduserapi/*
        .target(
            name: "SesameEnduser",
            dependencies: ["SesameCore", "SesameHTTP", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        // Family B: /v2/Authorization/*
        .target(
            name: "SesameKanfang",
            dependencies: ["SesameCore", "SesameHTTP", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        // Standard OAuth 2.0: /oauth/*, /.well-known/*
        .target(
            name: "SesameOAuth",
            dependencies: [
                "SesameCore", "SesameHTTP", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Operability: Prometheus metrics, request ids, JSON logs.
        .target(
            name: "SesameTelemetry",
            dependencies: [
                "SesameCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Assembles the application: dialects, health, lifecycle.
        .target(
            name: "SesameServer",
            dependencies: [
                "CSesameMalloc", "SesameCore", "SesameHTTP", "SesameEnduser", "SesameKanfang", "SesameOAuth", "SesameSQLite",
                "SesamePostgres", "SesameTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI document, compiled into the binary (no files needed at run time).
            resources: [.embedInCode("openapi.json")],
            swiftSettings: swiftSettings
        ),
        // The `sesame` command line.
        // glibc's malloc knobs (M_ARENA_MAX is a macro Swift does not import; malloc_trim).
        .target(name: "CSesameMalloc"),
        .executableTarget(
            name: "sesame",
            dependencies: [
                "CSesameMalloc", "SesameCore", "SesameSQLite", "SesameServer", "SesameTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The load benchmark's ceiling: one Hummingbird route answering a fixed JSON body
        // (Benchmarks/run-load.sh compares every scenario with it).
        .executableTarget(
            name: "sesame-ceiling",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/Sources/sesame-ceiling",
            swiftSettings: swiftSettings
        ),
        // The load benchmark's seeder: writes users and sessions straight into a SQLite store.
        .executableTarget(
            name: "sesame-bench-seed",
            dependencies: [
                "SesameCore", "SesameSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/sesame-bench-seed",
            swiftSettings: swiftSettings
        ),
        // Fixtures shared by the test targets: temporary stores, a manual clock, seeded accounts.
        .target(
            name: "SesameTestSupport",
            dependencies: [
                "SesameCore", "SesameSQLite", "SesamePostgres", "SesameServer", "SesameTelemetry",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SesameCoreTests",
            // The core's tests build the core only: no stores, no server.
            dependencies: ["SesameCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            // The store suite, each test run against SQLite and PostgreSQL (see StoreKind).
            name: "SesameStoreTests",
            dependencies: [
                "SesameCore", "SesameSQLite", "SesamePostgres", "SesameServer", "SesameTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SesameEnduserTests",
            dependencies: ["SesameCore", "SesameHTTP", "SesameServer", "SesameTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SesameKanfangTests",
            dependencies: ["SesameCore", "SesameHTTP", "SesameServer", "SesameTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SesameOAuthTests",
            dependencies: [
                "SesameCore", "SesameHTTP", "SesameTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SesameServerTests",
            dependencies: ["SesameCore", "SesameHTTP", "SesameSQLite", "SesamePostgres", "SesameServer", "SesameTelemetry", "sesame", "SesameTestSupport",
                "SesameEnduser", "SesameKanfang", "SesameOAuth", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
