import BridgeProtocol
import Foundation
import Testing

/// Security review finding 4: a controller must not be able to point the bridge at hosts on its own network.
/// Only loopback addresses are used here (the private, link-local and metadata classes are unit-tested in
/// InfinityClientTests' NodeAddressPolicyTests, so no test ever sends a packet towards them).
@Suite("Nodes on internal addresses are refused before anything is sent")
struct NodePolicyTests {
    /// The embedded simulator's port, for naming it by other names than its exempt `127.0.0.1` address.
    private func simulatorPort(_ bridge: TestBridge) throws -> Int {
        try #require(URLComponents(string: bridge.simulator.baseURL)?.port)
    }

    @Test func loopbackNodesNeedTheDevelopmentSwitchOrTheAllowList() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let port = try simulatorPort(bridge)
        let before = bridge.simulator.liveTokenCount(alias: "t.open")
        for node in ["https://localhost:\(port)", "https://2130706433:\(port)", "https://[::1]:\(port)"] {
            let error = try await client.failure(.join(JoinParameters(node: node, alias: "t.open", displayName: "x")))
            #expect(error.code == .nodeNotAllowed, "\(node): \(error)")
            // The refusal says nothing of what the name resolved to.
            #expect(!error.message.contains("127.0.0.1") && !error.message.contains("::1"), "\(error.message)")
        }
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == before)
        // The embedded simulator stays allowed under its own name and address.
        let open = try await client.join("t.open")
        #expect(open.state == .connected)
        await client.close()
        await bridge.stop()
    }

    @Test func theDevelopmentSwitchAllowsLoopbackNodes() async throws {
        let bridge = try await TestBridge.start { $0.core.allowInsecureNodes = true }
        let client = try await bridge.client()
        let port = try simulatorPort(bridge)
        let s = try await client.session(
            .join(
                JoinParameters(
                    node: "http://localhost:\(port)",
                    alias: "t.open",
                    displayName: "x"
                )
            )
        )
        #expect(s.state == .connected)
        await client.close()
        await bridge.stop()
    }

    @Test func anAllowedNodeIsCalledAndItsFailureIsReducedToACode() async throws {
        let bridge = try await TestBridge.start { configuration in
            configuration.allowedNodes = ["localhost"]
        }
        let client = try await bridge.client()
        let port = try simulatorPort(bridge)
        // Allowed by the list, so the bridge calls it: HTTPS to the simulator's plain-HTTP port fails in TLS. The
        // client learns only the code, not whether the port refused, reset or spoke something else.
        let error = try await client.failure(
            .join(
                JoinParameters(
                    node: "https://localhost:\(port)",
                    alias: "t.open",
                    displayName: "x"
                )
            )
        )
        #expect(error.code == .nodeUnreachable)
        #expect(error.message == "cannot reach the conference node")
        await client.close()
        await bridge.stop()
    }
}
