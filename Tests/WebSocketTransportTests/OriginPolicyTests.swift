import Testing

@testable import WebSocketTransport

@Suite struct OriginPolicyTests {
    // Constant, valid lists: a throw here is a bug in the normalisation, and traps loudly.
    let loopback = try! OriginPolicy(allowed: [], loopbackListener: true)
    let network = try! OriginPolicy(allowed: ["https://console.example.com"], loopbackListener: false)

    @Test func clientsThatAreNotBrowsersAreNotChecked() {
        #expect(loopback.allows(origin: nil, host: "127.0.0.1:8080"))
        #expect(loopback.allows(origin: "ws://anything", host: nil))
        #expect(loopback.allows(origin: "WSS://anything", host: nil))
    }

    @Test func theBridgesOwnPageIsAllowed() {
        #expect(loopback.allows(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080"))
        #expect(loopback.allows(origin: "http://LOCALHOST:8080", host: "localhost:8080"))
        #expect(loopback.allows(origin: "http://[::1]:8080", host: "[::1]:8080"))
        #expect(network.allows(origin: "https://bridge.example.com", host: "bridge.example.com:443"))
        #expect(network.allows(origin: "http://10.0.0.5:8080", host: "10.0.0.5:8080"))
    }

    @Test func otherPagesAreRefusedUnlessListed() {
        #expect(!loopback.allows(origin: "https://evil.example", host: "127.0.0.1:8080"))
        #expect(!loopback.allows(origin: "null", host: "127.0.0.1:8080"))
        #expect(!loopback.allows(origin: "http://127.0.0.1:9999", host: "127.0.0.1:8080"))
        #expect(!loopback.allows(origin: "http://127.0.0.1:8080", host: nil))
        #expect(network.allows(origin: "https://console.example.com", host: "bridge.example.com"))
        #expect(!network.allows(origin: "https://console.example.com.evil", host: "bridge.example.com"))
    }

    @Test func aRebindingNameIsNotTheLoopbackBridgesOwnPage() {
        #expect(!loopback.allows(origin: "http://evil.example:8080", host: "evil.example:8080"))
        #expect(!loopback.allows(origin: "http://127.0.0.1.evil.example:8080", host: "127.0.0.1.evil.example:8080"))
    }

    @Test func anAsteriskAllowsAnyOrigin() throws {
        let any = try OriginPolicy(allowed: ["*"], loopbackListener: true)
        #expect(any.allows(origin: "https://a.example", host: "x"))
        #expect(any.allowsAnyOrigin)
        #expect(!loopback.allowsAnyOrigin)
        #expect(TransportConfiguration(allowedOrigins: ["*"]).allowsAnyOrigin)
    }

    @Test func loopbackNamesAreExactlyLocalhostTheLoopbackNetAndIPv6Loopback() {
        for name in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            #expect(OriginPolicy.isLoopbackAddress(name), "\(name)")
        }
        for name in [
            "app.localhost", "localhost.evil.example", "127.0.0.1.evil.example", "128.0.0.1", "0127.0.0.1",
            "::2", "127.0.0.256",
        ] {
            #expect(!OriginPolicy.isLoopbackAddress(name), "\(name)")
        }
        // A page under a *.localhost name is not the loopback bridge's own page.
        #expect(!loopback.allows(origin: "http://evil.localhost:8080", host: "evil.localhost:8080"))
    }

    @Test func configuredOriginsAreNormalised() throws {
        let policy = try OriginPolicy(
            allowed: ["HTTPS://Console.Example.com:443/", "http://[::1]:80", "http://ui.example:8080"],
            loopbackListener: false
        )
        #expect(policy.allowed == ["https://console.example.com", "http://[::1]", "http://ui.example:8080"])
        #expect(policy.allows(origin: "https://console.example.com", host: "bridge.example"))
        #expect(policy.allows(origin: "https://CONSOLE.example.com:443", host: "bridge.example"))
        #expect(!policy.allows(origin: "http://ui.example", host: "bridge.example"))
    }

    @Test(arguments: [
        "ftp://x.example", "https://", "https://a.example/path", "https://user@a.example",
        "a.example", "https://a.example:99999", "null", "https://a b.example",
    ])
    func anInvalidConfiguredOriginIsAStartError(origin: String) async throws {
        #expect(throws: TransportError.self) { try OriginPolicy(allowed: [origin], loopbackListener: true) }
        let server = WebSocketServer(
            configuration: .init(port: 0, allowedOrigins: [origin]),
            logger: testLogger,
            httpHandler: { _ in .notFound }
        )
        #expect {
            try server.start()
        } throws: { error in
            guard case .invalidConfiguration(let why) = error as? TransportError else { return false }
            return why.contains(origin)
        }
        await server.shutdown()
    }
}
