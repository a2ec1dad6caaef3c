import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import InfinityClient
import InfinitySimulator
import Testing

/// Short backoffs so every fault is retried quickly, and bounds that no loaded machine (two cores, the suite in
/// parallel, ThreadSanitizer) comes near while things go right: a test expecting recovery never races the give-up
/// window or the request timeout. Tests whose outcome IS a give-up or a timeout shorten that one bound themselves,
/// against a fault that never heals, so their outcome does not depend on the machine's speed either.
func quickFaults(_ c: inout TestBridge.Configuration) {
    c.connectionPolicy.reconnectInitial = .milliseconds(100)
    c.connectionPolicy.reconnectMax = .milliseconds(400)
    c.connectionPolicy.giveUpAfter = .seconds(30)
    c.connectionPolicy.refreshRetryInitial = .milliseconds(100)
    c.connectionPolicy.refreshRetryMax = .milliseconds(400)
    c.infinity.requestTimeout = .seconds(30)
}

@Suite("Upstream faults end in a stated session state")
struct FaultTests {
    /// Nothing of the session is left: no session, no task, no stream, no token.
    func expectNothingLeft(_ room: HostedRoom, alias: String = "t.open") async {
        #expect(await eventually { await room.bridge.bridge.engine.sessionCount == 0 })
        #expect(await eventually { await room.bridge.bridge.engine.runningTaskCount == 0 })
        #expect(await eventually { room.simulator.openEventStreams(alias: alias) == 0 })
        #expect(await eventually { room.simulator.liveTokenCount(alias: alias) == 0 })
    }

    @Test func aDroppedEventStreamReconnectsAndResyncsWithoutDuplicateJoins() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil, quickFaults)
        _ = try room.simulator.addParticipant(alias: "t.open", displayName: "Stays", role: .guest, muted: false)
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.displayName == "Stays" } else { false } }
        let joinsBefore = room.host.events.filter { if case .participantJoined = $0.payload { true } else { false } }
            .count
        try room.simulator.dropEventStreams(alias: "t.open")
        try await room.bothSee { if case .upstream(let u) = $0 { u.status == .reconnecting } else { false } }
        try await room.bothSee { if case .upstream(let u) = $0 { u.status == .ok } else { false } }
        // A change after the resync arrives exactly once; nothing already known is joined again.
        _ = try room.simulator.addParticipant(alias: "t.open", displayName: "Arrives", role: .guest, muted: false)
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.displayName == "Arrives" } else { false } }
        let joins = room.host.events.compactMap {
            if case .participantJoined(let p) = $0.payload { p.uuid } else { nil }
        }
        #expect(joins.count == joinsBefore + 1)
        #expect(Set(joins).count == joins.count)
        await room.close()
    }

    @Test func aSilentEventStreamIsTakenForDeadAndReopened() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil) {
            quickFaults(&$0)
            $0.infinity.eventStreamIdleTimeout = .seconds(1)
        }
        // The node's side of the stream stays open but nothing more arrives, as with a half-open connection.
        try room.simulator.stallEventStreams(alias: "t.open")
        _ = try room.simulator.addParticipant(alias: "t.open", displayName: "Missed", role: .guest, muted: false)
        try await room.bothSee { if case .upstream(let u) = $0 { u.status == .reconnecting } else { false } }
        // The resync brings in what the silent stream never delivered.
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.displayName == "Missed" } else { false } }
        #expect(await eventually { room.simulator.openEventStreams(alias: "t.open") == 1 })
        await room.close()
    }

    @Test func anEventStreamThatStaysDownEndsTheSessionAsUpstreamLost() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil) {
            quickFaults(&$0)
            // The stream never comes back, so the give-up is certain; a short window only keeps the test short.
            $0.connectionPolicy.giveUpAfter = .seconds(2)
        }
        try room.simulator.refuseEventStreams(alias: "t.open", true)
        try room.simulator.dropEventStreams(alias: "t.open")
        // The reason proves the give-up decision; when it happens is the connection's unit test (test clock).
        let change = try await room.host.waitForState(room.session.id, .disconnected, timeout: .seconds(20))
        #expect(change.reason == .upstreamLost)
        await expectNothingLeft(room)
        await room.close()
    }

    @Test func aRefreshThatKeepsFailingEndsTheSessionAsTokenExpired() async throws {
        let nodeTime = SimulatorTime()
        let room = try await HostedRoom.open("t.open", pin: nil) {
            $0.simulator.time = nodeTime
            quickFaults(&$0)
            // The bridge takes the node's 90 s tokens for 6 s ones (its clamp on a node's `expires`): it refreshes
            // at 2 s and gives up at 6 s on its own clock, while the node never expires the token during the test.
            // So the end is always the bridge's give-up (a first failure is always reported before it, however
            // late), never the node dropping an expired participant first, which a slow run used to let happen.
            $0.simulator.tokenExpiry = .seconds(90)
            $0.connectionPolicy.tokenLifetimeRange = 1...6
        }
        room.simulator.failNext(endpoint: "refresh_token", status: 503, count: 1000, alias: "t.open")
        try await room.bothSee { if case .upstream(let u) = $0 { u.status == .tokenRefreshFailed } else { false } }
        let change = try await room.host.waitForState(room.session.id, .disconnected, timeout: .seconds(10))
        #expect(change.reason == .tokenExpired)
        // The node's clock reaches the end of the token too (as it would have at 6 s had the node sent that).
        nodeTime.advance(by: .seconds(90))
        await expectNothingLeft(room)
        await room.close()
    }

    @Test func aRefreshTokenEventFromTheNodeRefreshesAtOnce() async throws {
        let room = try await HostedRoom.open()
        #expect(room.simulator.refreshCount(alias: "t.open") == 0)
        try room.simulator.requestRefresh(alias: "t.open")
        #expect(await eventually { room.simulator.refreshCount(alias: "t.open") == 1 })
        await room.close()
    }

    @Test func transientServerErrorsAreRetriedForIdempotentCalls() async throws {
        let bridge = try await TestBridge.start(quickFaults)
        let client = try await bridge.client()
        bridge.simulator.failNext(endpoint: "request_token", status: 502, count: 1, alias: "t.open")
        #expect(try await client.join("t.open").state == .connected)
        bridge.simulator.failNext(endpoint: "request_token", status: 503, count: 50, alias: "t.open")
        let error = try await client.failure(
            .join(JoinParameters(node: "simulator", alias: "t.open", displayName: "x"))
        )
        #expect(error.code == .upstreamError)
        await client.close()
        await bridge.stop()
    }

    @Test func aSlowNodeGivesUpstreamTimeout() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil) {
            quickFaults(&$0)
            // The delayed call waits 60 s, twelve times this; the join before it answers in milliseconds.
            $0.infinity.requestTimeout = .seconds(5)
        }
        // The node would answer long after the request timeout: the bridge gives up with the timeout's own code
        // (an answer that waited for the node would be a success, not this failure).
        room.simulator.delayNext(endpoint: "lock", by: .seconds(60), count: 1, alias: "t.open")
        #expect(try await room.host.failure(.control(session: room.session.id, .lock)).code == .upstreamTimeout)
        #expect(room.simulator.conference(alias: "t.open")?.locked == false)
        await room.close()
    }

    @Test func theNodeDisconnectingTheParticipantEndsTheSessionWithItsReason() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil, quickFaults)
        let me = try #require(room.simulator.participants(alias: "t.open").first { $0.isAPI })
        try room.simulator.disconnectParticipant(alias: "t.open", uuid: me.uuid, reason: "Disconnected by an operator")
        let change = try await room.host.waitForState(room.session.id, .disconnected)
        #expect(change.reason == .remoteDisconnect)
        #expect(change.message == "Disconnected by an operator")
        await expectNothingLeft(room)
        await room.close()
    }

    @Test func aTokenTheNodeNoLongerAcceptsEndsTheSession() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil, quickFaults)
        try room.simulator.expireTokens(alias: "t.open")
        let change = try await room.host.waitForState(room.session.id, .disconnected, timeout: .seconds(10))
        // The token was still within its lifetime and refreshes were not failing: the node ended it.
        #expect(change.reason == .remoteDisconnect)
        await expectNothingLeft(room)
        await room.close()
    }
}
