import BridgeClient
import BridgeProtocol
import Foundation
import InfinitySimulator
import Testing

@Suite("Join and PIN over real sockets")
struct JoinAndPINTests {
    @Test func openRoomConnects() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let snapshot = try await client.join("t.open")
        #expect(snapshot.state == .connected)
        #expect(snapshot.role == .host)
        #expect(snapshot.pin == nil)
        await client.close()
        await bridge.stop()
    }

    @Test func bothPINsAskForAPINAndEachPINGivesItsRole() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let guestSession = try await client.join("t.pin", name: "Guest bot")
        #expect(guestSession.state == .pinRequired)
        #expect(guestSession.pin == PINRequirement(host: true, guest: true))
        let guest = try await client.session(.pin(session: guestSession.id, pin: TestPINs.guest))
        #expect(guest.state == .connected)
        #expect(guest.role == .guest)

        let hostSession = try await client.join("t.pin", name: "Host bot")
        let host = try await client.session(.pin(session: hostSession.id, pin: TestPINs.host))
        #expect(host.role == .host)
        await client.close()
        await bridge.stop()
    }

    @Test func hostPINOnlyIsOptionalAndAnEmptyPINJoinsAsGuestWithNone() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.hostpin")
        #expect(s.state == .pinOptional)
        #expect(s.pin == PINRequirement(host: true, guest: false))
        let joined = try await client.session(.pin(session: s.id, pin: ""))
        #expect(joined.state == .connected)
        #expect(joined.role == .guest)
        #expect(bridge.simulator.pinHeadersReceived(alias: "t.hostpin") == [nil, "none"])
        await client.close()
        await bridge.stop()
    }

    @Test func anEmptyPINWhereOneIsRequiredIsRefusedWithoutAskingTheNode() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.pin")
        let error = try await client.failure(.pin(session: s.id, pin: ""))
        #expect(error.code == .pinRequired)
        #expect(bridge.simulator.pinHeadersReceived(alias: "t.pin") == [nil])
        await client.close()
        await bridge.stop()
    }

    @Test func wrongPINKeepsThePINStateAndTheRightOneThenWorks() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.pin")
        let error = try await client.failure(.pin(session: s.id, pin: TestPINs.wrong))
        #expect(error.code == .invalidPIN)
        #expect(error.attemptsLeft == 4)
        let listed = try await client.request(.list)
        guard case .success(.sessions(let sessions, _)) = listed else {
            Issue.record("no list")
            return
        }
        #expect(sessions.first?.state == .pinRequired)
        #expect(sessions.first?.error?.code == .invalidPIN)
        let ok = try await client.session(.pin(session: s.id, pin: TestPINs.host))
        #expect(ok.state == .connected)
        #expect(ok.error == nil)
        await client.close()
        await bridge.stop()
    }

    @Test func aWrongPINInJoinStillCreatesTheSessionInItsPINState() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.pin", pin: TestPINs.wrong)
        #expect(s.state == .pinRequired)
        #expect(s.error?.code == .invalidPIN)
        let ok = try await client.session(.pin(session: s.id, pin: TestPINs.guest))
        #expect(ok.role == .guest)
        await client.close()
        await bridge.stop()
    }

    @Test func fiveWrongPINsLockTheSessionOut() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.pin")
        for _ in 1...4 {
            #expect(try await client.failure(.pin(session: s.id, pin: TestPINs.wrong)).code == .invalidPIN)
        }
        #expect(try await client.failure(.pin(session: s.id, pin: TestPINs.wrong)).code == .tooManyPINAttempts)
        let final = try await client.waitForState(s.id, .error)
        #expect(final.error?.code == .tooManyPINAttempts)
        #expect(try await client.failure(.pin(session: s.id, pin: TestPINs.host)).code == .unknownSession)
        await client.close()
        await bridge.stop()
    }

    @Test func unknownAliasIsConferenceNotFound() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let error = try await client.failure(
            .join(JoinParameters(node: "simulator", alias: "t.nowhere", displayName: "x"))
        )
        #expect(error.code == .conferenceNotFound)
        await client.close()
        await bridge.stop()
    }

    @Test func aClosedPortIsNodeUnreachable() async throws {
        let bridge = try await TestBridge.start { $0.core.allowInsecureNodes = true }
        let client = try await bridge.client()
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let error = try await client.failure(
            .join(
                JoinParameters(
                    node: "http://127.0.0.1:\(port)",
                    alias: "t.open",
                    displayName: "x"
                )
            )
        )
        #expect(error.code == .nodeUnreachable)
        await client.close()
        await bridge.stop()
    }

    @Test func plainHTTPNodesAreRefusedByDefault() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let error = try await client.failure(
            .join(
                JoinParameters(
                    node: "http://192.0.2.10",
                    alias: "t.open",
                    displayName: "x"
                )
            )
        )
        #expect(error.code == .insecureNode)
        await client.close()
        await bridge.stop()
    }

    @Test func leaveReleasesTheTokenUpstream() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 1)
        #expect(try await client.request(.leave(session: s.id)) == .success(.empty))
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 0)
        let change = try await client.waitForState(s.id, .disconnected)
        #expect(change.reason == .left)
        guard case .success(.sessions(let left, _)) = try await client.request(.list) else {
            Issue.record("unexpected message")
            return
        }
        #expect(left.isEmpty)
        await client.close()
        await bridge.stop()
    }

    @Test func theTokenIsRefreshedBeforeItExpires() async throws {
        // The node's tokens live 90 s (its `expires`), and the bridge refreshes at 1/45 of that: every 2 s, with
        // 88 s to spare, so no slow (loaded, instrumented) run lets a token run out before its refresh. When a
        // refresh is due (a third of `expires` by default) is the connection's unit test, on a test clock.
        let bridge = try await TestBridge.start {
            $0.simulator.tokenExpiry = .seconds(90)
            $0.connectionPolicy.refreshFraction = 1.0 / 45
        }
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        // Wait for the fourth refresh (an observed event, not a fixed sleep). A refresh replaces the token it was
        // made with, so the session lives on refreshed tokens only.
        #expect(await eventually(timeout: .seconds(30)) { bridge.simulator.refreshCount(alias: "t.open") >= 4 })
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 1)
        #expect(bridge.simulator.issuedTokens(alias: "t.open").count >= 5)
        guard case .success(.sessions(let sessions, _)) = try await client.request(.list) else {
            Issue.record("unexpected message")
            return
        }
        #expect(sessions.first { $0.id == s.id }?.state == .connected)
        await client.close()
        await bridge.stop()
    }

    @Test func sessionsSurviveTheirCreatorDisconnecting() async throws {
        let bridge = try await TestBridge.start()
        let creator = try await bridge.client()
        let s = try await creator.join("t.open")
        await creator.close()
        let other = try await bridge.client()
        guard
            case .success(.sessions(let sessions, _)) = try await other.request(.subscribe(session: nil, sinceSeq: nil))
        else {
            Issue.record("subscribe failed")
            return
        }
        #expect(sessions.map(\.id) == [s.id])
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 1)
        #expect(try await other.request(.leave(session: s.id)) == .success(.empty))
        await other.close()
        await bridge.stop()
    }

    @Test func twoClientsOnOneSessionGetIdenticalEventsNumberedOneByOne() async throws {
        let bridge = try await TestBridge.start()
        let a = try await bridge.client()
        let b = try await bridge.client()
        _ = try await b.request(.subscribe(session: nil, sinceSeq: nil))
        let s = try await a.join("t.open")
        // Chat is not replayed by the node: wait until the session follows the event stream (its roster synced).
        try await a.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload { p.isSelf } else { false }
        }
        let uuid = try bridge.simulator.addParticipant(alias: "t.open", displayName: "Zoe", role: .guest, muted: false)
        try bridge.simulator.setMuted(alias: "t.open", uuid: uuid, true)
        try bridge.simulator.sendChat(alias: "t.open", fromUUID: uuid, text: "hello all")
        try await a.waitFor { if case .event(let e) = $0, case .message = e.payload { true } else { false } }
        try await b.waitFor { if case .event(let e) = $0, case .message = e.payload { true } else { false } }
        let ea = a.events.filter { $0.session == s.id }
        let eb = b.events.filter { $0.session == s.id }
        #expect(ea == eb)
        #expect(ea.map(\.seq) == Array(1...ea.count))
        #expect(
            ea.contains { if case .participantJoined(let p) = $0.payload { p.displayName == "Zoe" } else { false } }
        )
        #expect(
            ea.contains { if case .participantUpdated(let p) = $0.payload { p.uuid == uuid && p.muted } else { false } }
        )
        #expect(ea.contains { if case .participantJoined(let p) = $0.payload { p.isSelf } else { false } })
        await a.close()
        await b.close()
        await bridge.stop()
    }
}
