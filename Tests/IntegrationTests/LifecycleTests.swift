import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import Locking
import Testing

/// The harness every test composes its bridge with: a `ServiceGroup` that always ends, in the right order.
@Suite("Lifecycle: services in a group")
struct LifecycleTests {
    private struct BodyFailed: Error {}

    @Test func withBridgeStopsEverythingEvenWhenTheBodyThrows() async throws {
        // What the body saw, taken out through the error path.
        final class Seen: Sendable {
            let state = Mutex<(client: TestClient?, session: String?, harness: BridgeHarness?)>((nil, nil, nil))
        }
        let seen = Seen()
        await #expect(throws: BodyFailed.self) {
            try await withTestBridge { bridge in
                let client = TestClient(try await BridgeConnection.connect(url: bridge.url, recordFrames: true))
                let session = try await client.join("t.open")
                seen.state.withLock { $0 = (client, session.id, bridge) }
                #expect(bridge.simulator?.liveTokenCount(alias: "t.open") == 1)
                throw BodyFailed()
            }
        }
        let (client, session, harness) = seen.state.withLock { $0 }
        let c = try #require(client)
        let s = try #require(session)
        let h = try #require(harness)
        // The engine went first: the client heard why, and the node saw the release, before anything closed.
        let change = try await c.waitForState(s, .disconnected)
        #expect(change.reason == .bridgeShutdown)
        #expect(h.simulator?.liveTokenCount(alias: "t.open") == 0)
        #expect(await c.connection.waitUntilClosed())
        #expect(c.connection.closeCode == 1001)
        #expect(await h.bridge.engine.sessionCount == 0)
        // Nothing listens any more.
        await #expect(throws: (any Error).self) { try await httpGet(port: h.port, path: "/healthz") }
        #expect(h.simulator?.port == nil)
    }

    @Test func bridgesInOneProcessKeepTheirOwnMetrics() async throws {
        try await withTestBridge { busy in
            try await withTestBridge { idle in
                let client = TestClient(try await BridgeConnection.connect(url: busy.url, recordFrames: true))
                _ = try await client.join("t.open")
                let busyMetrics = try await httpGet(port: busy.port, path: "/metrics").body
                let idleMetrics = try await httpGet(port: idle.port, path: "/metrics").body
                #expect(busyMetrics.contains(#"pexbridge_upstream_requests_total{endpoint="request_token""#))
                #expect(!idleMetrics.contains("pexbridge_upstream_requests_total"))
                #expect(idleMetrics.contains("pexbridge_websocket_connections 0"))
                await client.close()
            }
        }
    }
}
