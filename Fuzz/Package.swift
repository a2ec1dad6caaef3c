// swift-tools-version:5.4
// (5.4, not 6.x, on purpose: from 5.5 on SwiftPM links an executable with `--defsym main=<Module>_main`, a symbol
// that `-parse-as-library` never emits, so libFuzzer's own `main` could not be linked; Swift 6 mode is set below.)
// libFuzzer targets for pexbridge's parsers: the client request decoder, the SSE parser and the decoding of the
// node's JSON. Build and run them with scripts/fuzz.sh (see Fuzz/README.md).
//
// Each target compiles the code under test INTO its own module (the symlinks under Sources/<target>/ point at
// ../Sources), so only that code carries libFuzzer's coverage and ASan's checks, internal entry points
// (`InfinityClient.tokenOutcome`, `InfinityEvent(message:)`, ...) are reachable without `@testable`, and the
// root package needs no extra product. Dependencies (NIO, AsyncHTTPClient) are built plainly.
import Foundation
import PackageDescription

/// `fuzzer,address` by default; `PEXBRIDGE_FUZZ_SANITIZERS=fuzzer` builds without ASan (faster, fewer checks).
let sanitizers = ProcessInfo.processInfo.environment["PEXBRIDGE_FUZZ_SANITIZERS"] ?? "fuzzer,address"

let fuzzSwift: [SwiftSetting] = [
    // The root package's settings (Swift 6 mode, ExistentialAny), as flags because tools 5.4 has no names for them.
    // No `main`: libFuzzer's own `main` drives `LLVMFuzzerTestOneInput`.
    .unsafeFlags([
        "-swift-version", "6", "-enable-upcoming-feature", "ExistentialAny", "-parse-as-library",
        "-sanitize=\(sanitizers)",
    ])
]
// lld: gold warns about every ASan helper symbol it cannot export.
let fuzzLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=\(sanitizers)", "-use-ld=lld"])]

let package = Package(
    name: "pexbridge-fuzz",
    dependencies: [
        // The same packages, at the same pins (scripts/fuzz.sh copies the root Package.resolved), as the
        // root package's InfinityClient target uses.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // The root package's ThreadSanitizer-visible Mutex, which InfinityClient's files import.
        .target(
            name: "Locking",
            dependencies: [.product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: fuzzSwift
        ),
        // (a) BridgeProtocol's `RequestCodec.decode`, with an encode/decode round trip as the oracle.
        .executableTarget(name: "FuzzRequestCodec", swiftSettings: fuzzSwift, linkerSettings: fuzzLink),
        // (b) InfinityClient's `SSEParser`: whole input, byte by byte and in random chunks must agree.
        .executableTarget(name: "FuzzSSEParser", swiftSettings: fuzzSwift, linkerSettings: fuzzLink),
        // (c) InfinityClient's decoding of the node's answers and events.
        .executableTarget(
            name: "FuzzInfinityJSON",
            dependencies: [
                "Locking",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: fuzzSwift,
            linkerSettings: fuzzLink
        ),
    ]
)
