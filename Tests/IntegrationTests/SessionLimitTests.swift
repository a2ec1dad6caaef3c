import BridgeProtocol
import Testing

/// Security review finding 3 over real sockets: a `join` loop cannot exhaust the bridge or fill a node with ghost
/// participants, and sessions left waiting for a PIN do not live forever.
@Suite("Session limits and PIN-state expiry")
struct SessionLimitTests {
    @Test func aJoinLoopIsAnsweredTooManySessionsAndOthersStillJoin() async throws {
        let bridge = try await TestBridge.start { $0.core.maxSessions = 3 }
        let looper = try await bridge.client()
        for _ in 0..<3 { _ = try await looper.join("t.open") }
        let refused = try await looper.failure(
            .join(
                JoinParameters(
                    node: "simulator",
                    alias: "t.open",
                    displayName: "one more"
                )
            )
        )
        #expect(refused.code == .tooManySessions)
        // Nothing reached the node for the refused join: three participants of the bridge, no more.
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 3)
        // The bridge still serves: list answers, and a leave makes room for someone else's join.
        let other = try await bridge.client()
        guard case .success(.sessions(let live, _)) = try await other.request(.list) else {
            Issue.record("list failed")
            return
        }
        #expect(live.count == 3)
        #expect(try await looper.request(.leave(session: live[0].id)) == .success(.empty))
        let joined = try await other.join("t.open")
        #expect(joined.state == .connected)
        await looper.close()
        await other.close()
        await bridge.stop()
    }

    @Test func aSessionWaitingForAPINExpires() async throws {
        let bridge = try await TestBridge.start { $0.core.pinStateTimeout = .seconds(1) }
        let client = try await bridge.client()
        let s = try await client.join("t.pin")
        #expect(s.state == .pinRequired)
        // Waits for the event (the timeout is the bridge's, 1 s here), not for a duration.
        let change = try await client.waitForState(s.id, .error)
        #expect(change.error?.code == .sessionExpired)
        guard case .success(.sessions(let live, _)) = try await client.request(.list) else {
            Issue.record("list failed")
            return
        }
        #expect(live.isEmpty)
        #expect(bridge.simulator.liveTokenCount(alias: "t.pin") == 0)
        await client.close()
        await bridge.stop()
    }
}
