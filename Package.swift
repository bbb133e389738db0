// swift-tools-version:6.0
//
// Warden: secure serverless tool functions in Swift.
//
// Every `functions/<tool>` target links only our own modules, swift-log and the static C libraries built by
// `make deps` (libcurl, libpq, libcrypto) into `.deps/prefix`. SwiftNIO and swift-argument-parser are used by the
// local `warden` tool only and never reach a `bootstrap`.
import PackageDescription

/// Absolute path of the static dependency prefix built by `scripts/deps.sh`.
let depsPrefix: String = {
    let manifest = #filePath
    let root = manifest.split(separator: "/").dropLast().joined(separator: "/")
    return "/" + root + "/.deps/prefix"
}()

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // The bootstraps leave out _StringProcessing (about 1 MB of regex tables): keep every build honest about it.
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// C include path for the Swift wrappers that import our C shims.
let cImports: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-I\(depsPrefix)/include"])]

let toolFunctions = [
    "get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email",
    "generate_qbr_outline", "participants", "participant_export", "intent", "enrichment_worker", "retention", "mcp",
]

var targets: [Target] = [
    // MARK: C shims (the only places with C calls, besides their one Swift wrapper each)
    .target(
        name: "CCurl",
        cSettings: [.unsafeFlags(["-I\(depsPrefix)/include"])],
        // Each archive group names what it needs after itself: SwiftPM de-duplicates `linkedLibrary` entries and
        // would otherwise put libssl before libcurl.
        linkerSettings: [.unsafeFlags(["-L\(depsPrefix)/lib", "-lcurl", "-lcares", "-lssl", "-lcrypto", "-lz"])]
    ),
    .target(
        name: "CLibPQ",
        cSettings: [.unsafeFlags(["-I\(depsPrefix)/include"])],
        linkerSettings: [.unsafeFlags(["-L\(depsPrefix)/lib", "-lpq", "-lpgcommon", "-lpgport", "-lssl", "-lcrypto"])]
    ),
    // Compiled against the headers of the OpenSSL it links (scripts/deps.sh builds it), not the system's.
    .target(
        name: "CCrypto", cSettings: [.unsafeFlags(["-I\(depsPrefix)/include"])],
        linkerSettings: [.unsafeFlags(["-L\(depsPrefix)/lib", "-lcrypto"])]
    ),
    .target(name: "CWardenSystem"),
    .target(name: "CResolver", cSettings: [.unsafeFlags(["-I\(depsPrefix)/include"])], linkerSettings: [.unsafeFlags(["-L\(depsPrefix)/lib", "-lcares"])]),

    // MARK: Swift modules shared by every bootstrap
    .target(name: "Bytes", swiftSettings: strictSwift),
    .target(name: "WardenJSON", dependencies: ["Bytes"], swiftSettings: strictSwift),
    .target(name: "WardenCrypto", dependencies: ["CCrypto"], swiftSettings: strictSwift),
    .target(name: "Platform", dependencies: ["CWardenSystem"], swiftSettings: strictSwift),
    .target(name: "Curl", dependencies: ["Bytes", "CCurl"], swiftSettings: strictSwift + cImports),
    .target(
        name: "LambdaRuntime",
        dependencies: ["Bytes", "Curl", "Platform", "WardenCrypto", "WardenJSON", .product(name: "Logging", package: "swift-log")],
        swiftSettings: strictSwift
    ),
    .target(name: "Postgres", dependencies: ["Bytes", "CLibPQ", "CResolver", "Platform"], swiftSettings: strictSwift + cImports),
    // Events apart from HTTP: API Gateway (REST, HTTP API) and Function URL events become one request type and back.
    .target(name: "LambdaHTTP", dependencies: ["Bytes", "LambdaRuntime", "WardenJSON"], swiftSettings: strictSwift),
    .target(name: "Secrets", dependencies: ["Bytes", "Curl", "Platform", "WardenJSON"], swiftSettings: strictSwift),
    .target(
        name: "Middleware",
        dependencies: [
            "Bytes", "LambdaHTTP", "LambdaRuntime", "Platform", "Postgres", "Secrets", "WardenJSON", "WardenCrypto",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),
    // The HTTP APIs' part of the framework: JWT and API-key authentication, idempotency keys, `APIHandler`. The copilot
    // tools do not link it.
    .target(
        name: "HTTPAPI",
        dependencies: [
            "Auth", "Bytes", "LambdaHTTP", "LambdaRuntime", "Middleware", "Platform", "Postgres", "Secrets", "WardenCrypto", "WardenJSON",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),

    .target(
        name: "Copilot", dependencies: ["Bytes", "LambdaHTTP", "LambdaRuntime", "Middleware", "Platform", "Postgres", "Secrets", "WardenJSON"],
        swiftSettings: strictSwift
    ),
    .target(
        name: "Enrichment",
        dependencies: [
            "Bytes", "Curl", "LambdaRuntime", "Middleware", "Participants", "Platform", "Postgres", "Secrets", "WardenJSON",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),
    // MCP (Model Context Protocol) over Streamable HTTP: JSON-RPC, both protocol eras, the JSON Schema subset.
    // Knows nothing of the copilot.
    .target(name: "MCP", dependencies: ["Bytes", "LambdaHTTP", "WardenJSON"], swiftSettings: strictSwift),
    // The copilot tools served over MCP: bearer JWT (subject = tenant), RFC 9728 metadata, the tool-call budget.
    .target(
        name: "CopilotMCP",
        dependencies: [
            "Copilot", "HTTPAPI", "LambdaHTTP", "LambdaRuntime", "MCP", "Middleware", "Platform", "Postgres", "Secrets", "WardenJSON",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),
    .target(name: "Auth", dependencies: ["Bytes", "WardenCrypto", "WardenJSON"], swiftSettings: strictSwift),
    .target(
        name: "Participants", dependencies: ["Bytes", "LambdaRuntime", "Middleware", "Platform", "Postgres", "WardenJSON"],
        swiftSettings: strictSwift
    ),
    // The schema and its migrations: only the `warden` tool applies them, so no bootstrap carries them.
    .target(name: "WardenSchema", dependencies: ["Postgres"], swiftSettings: strictSwift),
    .target(name: "Intent", dependencies: ["Bytes", "Middleware", "Platform", "Postgres", "WardenJSON"], swiftSettings: strictSwift),
    .target(
        name: "Retention",
        dependencies: [
            "LambdaRuntime", "Middleware", "Platform", "Postgres", "Secrets", "WardenJSON", .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),

    // MARK: Local tools (never in a bootstrap)
    .target(
        name: "Emulator",
        dependencies: [
            "Bytes", "Platform",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: strictSwift
    ),
    .target(
        name: "Gateway",
        dependencies: [
            "Bytes", "Emulator", "Platform", "WardenJSON",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ],
        swiftSettings: strictSwift
    ),
    .executableTarget(
        name: "warden",
        dependencies: [
            "Bytes", "Curl", "Emulator", "Gateway", "HTTPAPI", "Postgres", "Middleware", "WardenJSON", "WardenCrypto", "WardenSchema",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: strictSwift
    ),

    // MARK: Benchmarks and tests
    .executableTarget(
        name: "warden-bench-echo",
        dependencies: ["Copilot", "LambdaRuntime", "Postgres", "WardenJSON"],
        path: "bench/echo-tool",
        swiftSettings: strictSwift
    ),
    .executableTarget(
        name: "warden-bench-middleware",
        dependencies: ["Copilot", "LambdaHTTP", "LambdaRuntime", "Middleware", "Secrets", "WardenJSON"],
        path: "bench/middleware-tool",
        swiftSettings: strictSwift
    ),
    .executableTarget(
        name: "warden-testapi",
        dependencies: ["HTTPAPI", "Middleware", "Postgres", "WardenJSON"],
        path: "Tests/Fixtures/testapi",
        swiftSettings: strictSwift
    ),
    .executableTarget(
        name: "warden-testfn",
        dependencies: ["LambdaRuntime", "Platform", "WardenJSON"],
        path: "Tests/Fixtures/testfn",
        swiftSettings: strictSwift
    ),
    // What several test targets share (a deterministic generator for generated inputs); linked by tests only.
    .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSwift),
    .testTarget(name: "BytesTests", dependencies: ["Bytes", "TestSupport"], swiftSettings: strictSwift),
    .testTarget(name: "PlatformTests", dependencies: ["Platform"], swiftSettings: strictSwift),
    .testTarget(name: "WardenJSONTests", dependencies: ["TestSupport", "WardenJSON"], swiftSettings: strictSwift),
    .testTarget(
        name: "MiddlewareTests",
        dependencies: ["Bytes", "LambdaHTTP", "Middleware", "LambdaRuntime", "Platform", "Postgres", "TestSupport", "WardenJSON", "WardenCrypto"],
        swiftSettings: strictSwift
    ),
    .testTarget(
        name: "CopilotTests",
        dependencies: ["Copilot", "LambdaRuntime", "Middleware", "Platform", "Postgres", "Secrets", "WardenJSON", .product(name: "Logging", package: "swift-log")],
        swiftSettings: strictSwift
    ),
    .testTarget(name: "PostgresTests", dependencies: ["Postgres"], swiftSettings: strictSwift),
    .testTarget(name: "CurlTests", dependencies: ["Curl"], swiftSettings: strictSwift),
    .testTarget(name: "SecretsTests", dependencies: ["Secrets", "Curl"], swiftSettings: strictSwift),
    .testTarget(name: "EnrichmentTests", dependencies: ["Enrichment", "Middleware", "WardenJSON"], swiftSettings: strictSwift),
    .testTarget(name: "HTTPAPITests", dependencies: ["HTTPAPI", "Middleware"], swiftSettings: strictSwift),
    .testTarget(name: "IntentTests", dependencies: ["Intent", "Middleware", "WardenJSON"], swiftSettings: strictSwift),
    .testTarget(name: "RetentionTests", dependencies: ["Middleware", "Retention", "Secrets"], swiftSettings: strictSwift),
    .testTarget(
        name: "ParticipantsTests", dependencies: ["Bytes", "Middleware", "Participants", "Postgres", "WardenJSON"], swiftSettings: strictSwift
    ),
    .testTarget(name: "MCPTests", dependencies: ["MCP", "LambdaHTTP", "WardenJSON"], swiftSettings: strictSwift),
    .testTarget(name: "CopilotMCPTests", dependencies: ["CopilotMCP", "LambdaHTTP", "Middleware"], swiftSettings: strictSwift),
    .testTarget(name: "AuthTests", dependencies: ["Auth", "Bytes", "WardenCrypto", "WardenJSON"], swiftSettings: strictSwift),
    .testTarget(
        name: "LambdaRuntimeTests", dependencies: ["LambdaRuntime", .product(name: "Logging", package: "swift-log")],
        swiftSettings: strictSwift
    ),
]

/// What each tool function links: its feature library and the framework modules its `main.swift` wires it with.
/// A function missing here links nothing of ours, and its build says which module it lacks.
let copilotTools = ["get_customer_usage", "get_recent_tickets", "get_contract_info", "calculate_health", "generate_email", "generate_qbr_outline"]
let functionDependencies: [String: [Target.Dependency]] = [
    "participants": ["Enrichment", "HTTPAPI", "Middleware", "Participants"],
    "participant_export": ["HTTPAPI", "Middleware", "Participants"],
    "intent": ["HTTPAPI", "Intent", "Middleware"],
    "enrichment_worker": ["Enrichment"],
    "retention": ["Retention"],
    "mcp": ["CopilotMCP", "Middleware"],
].merging(copilotTools.map { ($0, ["Copilot"]) }) { $1 }

for tool in toolFunctions {
    targets.append(
        .executableTarget(
            name: tool,
            dependencies: functionDependencies[tool] ?? [],
            path: "functions/\(tool)",
            exclude: ["README.md"],
            swiftSettings: strictSwift
        )
    )
}

// MARK: libFuzzer targets (fuzz/README.md)
// Each `fuzz-<name>` is a regression runner over corpus files in a plain build, and a libFuzzer binary when built
// with `-sanitize=fuzzer -D FUZZING` (scripts/fuzz.sh). route, apikey and idempotency reach internal parsers
// through `@testable import Middleware`: a debug build enables testing, and scripts/fuzz.sh passes -enable-testing.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("event", ["Bytes", "Copilot", "LambdaHTTP", "LambdaRuntime", .product(name: "Logging", package: "swift-log"), "Middleware", "Postgres", "WardenCrypto", "WardenJSON"]),
    ("signature", ["Bytes", "LambdaHTTP", "Middleware", "WardenCrypto", "WardenJSON"]),
    ("jwt", ["Auth", "Bytes", "WardenCrypto", "WardenJSON"]),
    ("validation", ["Copilot", "Intent", "LambdaHTTP", "MCP", "Middleware", "Participants", "Postgres", "WardenJSON"]),
    ("route", ["LambdaHTTP", "Middleware", "WardenJSON"]),
    ("apikey", ["Bytes", "HTTPAPI", "LambdaHTTP", "Middleware", "WardenCrypto", "WardenJSON"]),
    ("idempotency", ["Bytes", "HTTPAPI", "LambdaHTTP", "Middleware", "WardenCrypto", "WardenJSON"]),
    ("v2sign", ["Bytes", "LambdaHTTP", "Middleware", "WardenCrypto", "WardenJSON"]),
]
targets.append(.target(name: "CFuzzer", path: "fuzz/CFuzzer"))
targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzer"], path: "fuzz/Support", swiftSettings: strictSwift))
for fuzz in fuzzTargets {
    targets.append(
        .executableTarget(
            name: "fuzz-\(fuzz.name)",
            dependencies: ["FuzzSupport"] + fuzz.dependencies,
            path: "fuzz/\(fuzz.name)",
            swiftSettings: strictSwift + [.unsafeFlags(["-parse-as-library"])]
        )
    )
}

let package = Package(
    name: "Warden",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "warden", targets: ["warden"])]
        + toolFunctions.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: targets
)
