import BridgeProtocol
import Foundation
import Testing
import WebSocketTransport

@testable import BridgeServer

/// Start-time refusals and the HTTP edge (security review findings 6, 7, 14, 17, 18, 19).
@Suite("Hardening: refusals at start, the HTTP edge, secrets on disk")
struct HardeningTests {
    private static let token = "hardening-controller-4242"

    // MARK: Finding 7: plain text to the network

    @Test func aNetworkListenerWithoutTLSIsRefusedUnlessPlaintextIsAllowed() async throws {
        let refused = try await runPexbridge(["serve", "--listen", "0.0.0.0:0", "--token", "\(Self.token):controller"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("without TLS"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-plaintext"))
        #expect(!refused.stderr.contains(Self.token))

        let allowed = try ChildProcess(arguments: [
            "serve", "--listen", "0.0.0.0:0", "--token", "\(Self.token):controller", "--allow-plaintext",
        ])
        defer { allowed.stop() }
        _ = try await allowed.line(startingWith: "listening on ")
        kill(allowed.process.processIdentifier, SIGTERM)
        #expect(await allowed.waitForExit() == 0)
    }

    @Test func theLibraryRefusesTheSameCombinations() {
        var network = ServerConfiguration()
        network.host = "0.0.0.0"
        network.core.authTokens = [.init(secret: Self.token, role: .controller)]
        guard case .plaintextOnNetwork? = network.refusal else {
            Issue.record("expected plaintextOnNetwork, got \(String(describing: network.refusal))")
            return
        }
        network.allowPlaintext = true
        #expect(network.refusal == nil)

        var origins = ServerConfiguration()
        origins.allowedOrigins = ["*"]
        guard case .originsWithoutTokens? = origins.refusal else {
            Issue.record("expected originsWithoutTokens, got \(String(describing: origins.refusal))")
            return
        }
        origins.core.authTokens = [.init(secret: Self.token, role: .controller)]
        #expect(origins.refusal == nil)

        var echo = ServerConfiguration()
        echo.echoEndpoint = true
        #expect(echo.refusal == nil)
        echo.core.authTokens = [.init(secret: Self.token, role: .controller)]
        guard case .echoEndpointInProduction? = echo.refusal else {
            Issue.record("expected echoEndpointInProduction, got \(String(describing: echo.refusal))")
            return
        }
        #expect(ServerConfiguration().refusal == nil)
    }

    @Test func theRemoteCLIWillNotSendATokenOverPlainWebSocketToAnotherHost() async throws {
        // 192.0.2.1 (TEST-NET-1) is never reached: the refusal comes before any connection.
        for (arguments, environment) in [
            (["list", "--url", "ws://192.0.2.1:8080/ws", "--token", Self.token], [:]),
            (["list", "--url", "ws://bridge.example:8080/ws"], ["PEXBRIDGE_TOKEN": Self.token]),
        ] {
            let run = try await runPexbridge(arguments, environment: environment, timeout: .seconds(20))
            #expect(run.status == 64, "\(run.stderr)")
            #expect(run.stderr.contains("refusing to send the token over ws://"), "\(run.stderr)")
            #expect(!run.stderr.contains(Self.token))
        }
        // To this machine it still goes (here: nobody listens, so a connection error, not a refusal).
        let local = try await runPexbridge(
            ["list", "--url", "ws://127.0.0.1:9/ws", "--token", Self.token, "--timeout", "5"],
            timeout: .seconds(20)
        )
        #expect(local.status == 3, "\(local.stderr)")
        #expect(!local.stderr.contains("refusing to send"))
    }

    // MARK: Finding 6: any origin without tokens

    @Test func anyOriginWithoutTokensIsRefusedAtStart() async throws {
        let refused = try await runPexbridge(["serve", "--listen", "127.0.0.1:0", "--allow-origin", "*"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("refusing --allow-origin * without authentication"))
        // A named origin is the operator's explicit choice (a front end in development) and stays allowed.
        var named = ServerConfiguration()
        named.allowedOrigins = ["http://localhost:3000"]
        #expect(named.refusal == nil)
        named.allowedOrigins.append("*")
        #expect(named.refusal != nil)
    }

    // MARK: Finding 18: the echo endpoint

    @Test func theEchoEndpointIsHiddenAndRefusedNextToTokens() async throws {
        let help = try await runPexbridge(["serve", "--help"])
        #expect(help.status == 0)
        #expect(!help.stdout.contains("echo"))
        #expect(help.stdout.contains("--allow-plaintext"))
        #expect(help.stdout.contains("--metrics-public"))
        let refused = try await runPexbridge([
            "serve", "--listen", "127.0.0.1:0", "--echo-endpoint", "--token", "\(Self.token):controller",
        ])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("refusing --echo-endpoint"))
    }

    // MARK: Finding 17: secrets on disk

    @Test func secretFilesOthersCanReadAreWarnedAboutOrRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = directory.appendingPathComponent("tokens").path
        try "\(Self.token):controller\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokens)

        let strict = try await runPexbridge([
            "serve", "--listen", "127.0.0.1:0", "--token-file", tokens, "--strict-permissions",
        ])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("token file \(tokens) can be read by every user"), "\(strict.stderr)")

        let config = directory.appendingPathComponent("pexbridge.json").path
        try #"{"listen": "127.0.0.1:0", "tokens": ["\#(Self.token):observer"]}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let warned = try ChildProcess(arguments: ["serve", "--config", config, "--token-file", tokens])
        defer { warned.stop() }
        _ = try await warned.line(startingWith: "listening on ")
        kill(warned.process.processIdentifier, SIGTERM)
        #expect(await warned.waitForExit() == 0)
        #expect(warned.stderr.contains("token file \(tokens) can be read by every user"), "\(warned.stderr)")
        #expect(warned.stderr.contains(#"config: "tokens" puts client secrets in the configuration file"#))
        #expect(!warned.stderr.contains(Self.token))

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokens)
        let quiet = try ChildProcess(arguments: [
            "serve", "--listen", "127.0.0.1:0", "--token-file", tokens, "--strict-permissions",
        ])
        defer { quiet.stop() }
        _ = try await quiet.line(startingWith: "listening on ")
        kill(quiet.process.processIdentifier, SIGTERM)
        #expect(await quiet.waitForExit() == 0)
        #expect(!quiet.stderr.contains("can be read by"))
    }

    // MARK: Finding 8: short secrets

    @Test func clientTokensUnder128BitsAreWarnedAbout() async throws {
        let short = try ChildProcess(arguments: [
            "serve", "--listen", "127.0.0.1:0", "--token", "short-secret:observer",
        ])
        defer { short.stop() }
        _ = try await short.line(startingWith: "listening on ")
        kill(short.process.processIdentifier, SIGTERM)
        #expect(await short.waitForExit() == 0)
        #expect(short.stderr.contains("1 client token(s) shorter than 22 characters"), "\(short.stderr)")
        #expect(!short.stderr.contains("short-secret"))

        let long = try ChildProcess(arguments: [
            "serve", "--listen", "127.0.0.1:0", "--token", "\(Self.token):observer",
        ])
        defer { long.stop() }
        _ = try await long.line(startingWith: "listening on ")
        kill(long.process.processIdentifier, SIGTERM)
        #expect(await long.waitForExit() == 0)
        #expect(!long.stderr.contains("shorter than 22 characters"))
    }

    // MARK: Findings 14 and 19: the HTTP edge

    private func site(metricsPublic: Bool = false) -> StaticSite {
        StaticSite(
            embeddedNode: nil,
            authRequired: false,
            metrics: BridgeMetrics(registry: .init()),
            metricsPublic: metricsPublic
        )
    }

    private func header(_ name: String, _ response: HTTPResponse) -> [String] {
        response.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    @Test func metricsGoToLoopbackPeersOnlyUnlessPublic() {
        for peer in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
            #expect(site().respond(to: HTTPRequest(method: "GET", path: "/metrics", peerAddress: peer)).status == 200)
        }
        for peer in ["192.0.2.7", "2001:db8::1", "::ffff:192.0.2.7", "10.0.0.1"] {
            let response = site().respond(to: HTTPRequest(method: "GET", path: "/metrics", peerAddress: peer))
            #expect(response.status == 403, "\(peer)")
            #expect(!String(decoding: response.body, as: UTF8.self).contains("pexbridge_"))
        }
        let open = site(metricsPublic: true).respond(
            to: HTTPRequest(method: "GET", path: "/metrics", peerAddress: "192.0.2.7")
        )
        #expect(open.status == 200)
    }

    @Test func thePageMayConnectOnlyToItsOwnOriginAndEveryAnswerIsNosniff() throws {
        let page = site().respond(to: HTTPRequest(method: "GET", path: "/", peerAddress: "127.0.0.1"))
        #expect(page.status == 200)
        let policy = try #require(header("Content-Security-Policy", page).first)
        let directives = Dictionary(
            policy.split(separator: ";").map { part -> (String, String) in
                let words = part.split(separator: " ")
                return (String(words.first ?? ""), words.dropFirst().joined(separator: " "))
            },
            uniquingKeysWith: { first, _ in first }
        )
        #expect(directives["connect-src"] == "'self'")
        #expect(directives["base-uri"] == "'none'")
        #expect(directives["form-action"] == "'none'")
        #expect(directives["object-src"] == "'none'")
        #expect(directives["frame-ancestors"] == "'none'")
        // The page's script opens its socket to its own origin: 'self' covers ws:/wss: there.
        let script = site().respond(to: HTTPRequest(method: "GET", path: "/app.js", peerAddress: "127.0.0.1"))
        let source =
            String(decoding: script.body, as: UTF8.self)
            + String(
                decoding: site().respond(
                    to: HTTPRequest(method: "GET", path: "/lib/bridge-client.js", peerAddress: "127.0.0.1")
                ).body,
                as: UTF8.self
            )
        #expect(source.contains("location.host"), "the page no longer builds its socket URL from its own origin")
        for (method, path) in [
            ("GET", "/"), ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/bridge.json"),
            ("GET", "/protocol/schema.json"), ("GET", "/nothing-here"), ("POST", "/"),
        ] {
            let response = site().respond(to: HTTPRequest(method: method, path: path, peerAddress: "127.0.0.1"))
            #expect(header("X-Content-Type-Options", response) == ["nosniff"], "\(method) \(path)")
        }
    }
}
