import Testing

@testable import WebSocketTransport

@Suite struct OriginPolicyTests {
    let loopback = OriginPolicy(allowed: [], loopbackListener: true)
    let network = OriginPolicy(allowed: ["https://console.example.com"], loopbackListener: false)

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

    @Test func anAsteriskAllowsAnyOrigin() {
        #expect(OriginPolicy(allowed: ["*"], loopbackListener: true).allows(origin: "https://a.example", host: "x"))
    }
}
