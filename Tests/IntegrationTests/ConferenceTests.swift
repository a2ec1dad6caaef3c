import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Testing

/// A host session in a room with a second client watching every session.
struct HostedRoom {
    let bridge: TestBridge
    let host: TestClient
    let watcher: TestClient
    let session: SessionSnapshot

    static func open(
        _ alias: String = "t.open",
        pin: String? = nil,
        _ configure: (inout TestBridge.Configuration) -> Void = { _ in }
    ) async throws -> HostedRoom {
        let bridge = try await TestBridge.start(configure)
        let host = try await bridge.client()
        let watcher = try await bridge.client()
        _ = try await watcher.request(.subscribe(session: nil, sinceSeq: nil))
        let session = try await host.join(alias, pin: pin)
        // Wait for the roster sync to bring in the bridge's own participant.
        try await host.waitFor { m in
            if case .event(let e) = m, case .participantJoined(let p) = e.payload { p.isSelf } else { false }
        }
        return HostedRoom(bridge: bridge, host: host, watcher: watcher, session: session)
    }

    var simulator: InfinitySimulator { bridge.simulator }

    func close() async {
        await host.close()
        await watcher.close()
        await bridge.stop()
    }

    /// Waits until both clients have an event matching `match`, and checks that they saw the same events.
    @discardableResult
    func bothSee(_ match: @escaping (EventPayload) -> Bool) async throws -> EventPayload {
        let m = try await host.waitFor { if case .event(let e) = $0 { match(e.payload) } else { false } }
        try await watcher.waitFor { if case .event(let e) = $0 { match(e.payload) } else { false } }
        guard case .event(let e) = m else { throw CancellationError() }
        let mine = host.events.filter { $0.session == session.id }
        let theirs = watcher.events.filter { $0.session == session.id }
        let n = min(mine.count, theirs.count)
        #expect(Array(mine.prefix(n)) == Array(theirs.prefix(n)))
        #expect(mine.map(\.seq) == Array(1..<(mine.count + 1)))
        return e.payload
    }
}

@Suite("A living conference: events and host controls")
struct ConferenceTests {
    @Test func rosterConferenceAndChatEventsReachTwoClientsInOrder() async throws {
        let room = try await HostedRoom.open()
        let uuid = try room.simulator.addParticipant(alias: "t.open", displayName: "Yara", role: .guest, muted: false)
        try await room.bothSee {
            if case .participantJoined(let p) = $0 { p.uuid == uuid && p.role == .guest } else { false }
        }
        try room.simulator.setPresenting(alias: "t.open", uuid: uuid, true)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == uuid && p.presenting } else { false }
        }
        try room.simulator.setLocked(alias: "t.open", true)
        try await room.bothSee { if case .conference(let c) = $0 { c.locked } else { false } }
        try room.simulator.sendChat(alias: "t.open", fromUUID: uuid, text: "bonjour")
        let message = try await room.bothSee { if case .message = $0 { true } else { false } }
        #expect(message == .message(ChatMessage(from: MessageSender(uuid: uuid, displayName: "Yara"), text: "bonjour")))
        try room.simulator.removeParticipant(alias: "t.open", uuid: uuid)
        try await room.bothSee { if case .participantLeft(let left) = $0 { left == uuid } else { false } }
        await room.close()
    }

    @Test func snapshotsStayCurrent() async throws {
        let room = try await HostedRoom.open()
        let uuid = try room.simulator.addParticipant(alias: "t.open", displayName: "Quinn", role: .host, muted: true)
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.uuid == uuid } else { false } }
        guard case .success(.sessions(let sessions, _)) = try await room.watcher.request(.list) else {
            Issue.record("list failed")
            return
        }
        let snapshot = try #require(sessions.first)
        #expect(snapshot.participants.contains { $0.uuid == uuid && $0.muted && $0.role == .host })
        #expect(snapshot.participants.filter(\.isSelf).count == 1)
        #expect(snapshot.seq == room.watcher.events.filter { $0.session == snapshot.id }.last?.seq)
        #expect(snapshot.capabilities.lock)
        await room.close()
    }

    @Test func lockAndUnlock() async throws {
        let room = try await HostedRoom.open()
        #expect(try await room.host.request(.control(session: room.session.id, .lock)) == .success(.empty))
        try await room.bothSee { if case .conference(let c) = $0 { c.locked } else { false } }
        #expect(try await room.host.request(.control(session: room.session.id, .unlock)) == .success(.empty))
        try await room.bothSee { if case .conference(let c) = $0 { !c.locked } else { false } }
        await room.close()
    }

    @Test func muteAndUnmuteGuests() async throws {
        let room = try await HostedRoom.open()
        let guest = try room.simulator.addParticipant(alias: "t.open", displayName: "G", role: .guest, muted: false)
        #expect(try await room.host.request(.control(session: room.session.id, .muteGuests)) == .success(.empty))
        try await room.bothSee { if case .conference(let c) = $0 { c.guestsMuted } else { false } }
        try await room.bothSee { if case .participantUpdated(let p) = $0 { p.uuid == guest && p.muted } else { false } }
        #expect(try await room.host.request(.control(session: room.session.id, .unmuteGuests)) == .success(.empty))
        try await room.bothSee { if case .conference(let c) = $0 { !c.guestsMuted } else { false } }
        await room.close()
    }

    @Test func muteUnmuteSpotlightAndDisconnectAParticipant() async throws {
        let room = try await HostedRoom.open()
        let uuid = try room.simulator.addParticipant(alias: "t.open", displayName: "Pat", role: .guest, muted: false)
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.uuid == uuid } else { false } }
        let s = room.session.id
        #expect(try await room.host.request(.control(session: s, .mute(participant: uuid))) == .success(.empty))
        try await room.bothSee { if case .participantUpdated(let p) = $0 { p.uuid == uuid && p.muted } else { false } }
        #expect(try await room.host.request(.control(session: s, .unmute(participant: uuid))) == .success(.empty))
        try await room.bothSee { if case .participantUpdated(let p) = $0 { p.uuid == uuid && !p.muted } else { false } }
        #expect(
            try await room.host.request(.control(session: s, .spotlight(participant: uuid, on: true)))
                == .success(.empty)
        )
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == uuid && p.spotlight } else { false }
        }
        #expect(
            try await room.host.request(.control(session: s, .spotlight(participant: uuid, on: false)))
                == .success(.empty)
        )
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == uuid && !p.spotlight } else { false }
        }
        #expect(
            try await room.host.request(.control(session: s, .disconnectParticipant(participant: uuid)))
                == .success(.empty)
        )
        try await room.bothSee { if case .participantLeft(let left) = $0 { left == uuid } else { false } }
        #expect(
            try await room.host.failure(.control(session: s, .mute(participant: "no-such-uuid"))).code
                == .unknownParticipant
        )
        await room.close()
    }

    @Test func admitLetsAWaitingGuestIn() async throws {
        let room = try await HostedRoom.open("t.waiting", pin: TestPINs.host)
        // A guest (no PIN) joins through a second bridge session: the conference has started (a host is in), so lock it first.
        #expect(try await room.host.request(.control(session: room.session.id, .lock)) == .success(.empty))
        let guest = try await room.host.join("t.waiting", pin: "", name: "Late guest")
        #expect(guest.state == .pinOptional || guest.state == .connected)
        if guest.state == .pinOptional { _ = try await room.host.session(.pin(session: guest.id, pin: "")) }
        let waiting = try await room.host.waitFor { m in
            if case .event(let e) = m, e.session == room.session.id, case .participantJoined(let p) = e.payload {
                p.displayName == "Late guest" && p.serviceType == "waiting_room"
            } else {
                false
            }
        }
        guard case .event(let e) = waiting, case .participantJoined(let p) = e.payload else {
            Issue.record("unexpected message")
            return
        }
        #expect(
            try await room.host.request(.control(session: room.session.id, .admit(participant: p.uuid)))
                == .success(.empty)
        )
        try await room.bothSee {
            if case .participantUpdated(let q) = $0 { q.uuid == p.uuid && q.serviceType == "conference" } else { false }
        }
        await room.close()
    }

    @Test func startConferenceInAGuestsWaitForHostRoom() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let guest = try await client.join("t.waiting", pin: "", name: "Early guest")
        let connected = guest.state == .connected ? guest : try await client.session(.pin(session: guest.id, pin: ""))
        #expect(connected.role == .guest)
        try await client.waitFor { m in
            if case .event(let e) = m, e.session == guest.id, case .conference(let c) = e.payload {
                !c.started
            } else {
                false
            }
        }
        let host = try await client.join("t.waiting", pin: TestPINs.host, name: "Host")
        #expect(host.role == .host)
        // The host's arrival starts the conference for the waiting guest.
        try await client.waitFor { m in
            if case .event(let e) = m, e.session == guest.id, case .conference(let c) = e.payload {
                c.started
            } else {
                false
            }
        }
        #expect(try await client.request(.control(session: host.id, .startConference)) == .success(.empty))
        await client.close()
        await bridge.stop()
    }

    @Test func startConferenceStartsAConferenceTheHostsArrivalDidNotStart() async throws {
        let bridge = try await TestBridge.start {
            $0.simulator.rooms.append(
                SimulatedRoom(
                    alias: "t.manual",
                    hostPIN: TestPINs.host,
                    guestsWaitForHost: true,
                    hostStartsConference: true
                )
            )
        }
        let client = try await bridge.client()
        let guest = try await client.join("t.manual", pin: "", name: "Early guest")
        let connected = guest.state == .connected ? guest : try await client.session(.pin(session: guest.id, pin: ""))
        #expect(connected.role == .guest)
        let host = try await client.join("t.manual", pin: TestPINs.host, name: "Host")
        #expect(host.role == .host)
        // A host is in, and the conference has still not started: only the call can start it.
        #expect(bridge.simulator.conference(alias: "t.manual")?.started == false)
        #expect(!bridge.simulator.calls(alias: "t.manual").contains { $0.endpoint == "start_conference" })
        #expect(try await client.request(.control(session: host.id, .startConference)) == .success(.empty))
        #expect(
            bridge.simulator.calls(alias: "t.manual").filter { $0.endpoint == "start_conference" }.map(\.status)
                == [200]
        )
        #expect(bridge.simulator.conference(alias: "t.manual")?.started == true)
        // The waiting guest's session sees it start.
        try await client.waitFor { m in
            if case .event(let e) = m, e.session == guest.id, case .conference(let c) = e.payload {
                c.started
            } else {
                false
            }
        }
        await client.close()
        await bridge.stop()
    }

    @Test func sendMessageReachesTheOtherParticipants() async throws {
        let room = try await HostedRoom.open()
        let other = try await room.host.join("t.open", name: "Listener")
        #expect(
            try await room.host.request(.control(session: room.session.id, .sendMessage(text: "hello from the bridge")))
                == .success(.empty)
        )
        let m = try await room.host.waitFor { m in
            if case .event(let e) = m, e.session == other.id, case .message(let c) = e.payload {
                c.text == "hello from the bridge"
            } else {
                false
            }
        }
        guard case .event(let e) = m, case .message(let chat) = e.payload else {
            Issue.record("unexpected message")
            return
        }
        #expect(chat.from.displayName == "Bridge bot")
        // The node does not echo a participant's own chat; the bridge tells the sender's subscribers itself.
        let own = try await room.watcher.waitFor { m in
            if case .event(let e) = m, e.session == room.session.id, case .message(let c) = e.payload {
                c.text == "hello from the bridge"
            } else {
                false
            }
        }
        guard case .event(let ownEvent) = own, case .message(let ownChat) = ownEvent.payload else {
            Issue.record("unexpected message")
            return
        }
        let me = try #require(
            room.simulator.participants(alias: "t.open").first { $0.isAPI && $0.displayName == "Bridge bot" }
        )
        #expect(ownChat.from.uuid == me.uuid)
        await room.close()
    }

    @Test func aSessionHeldInTheWaitingRoomMayOnlyLeaveUntilAdmitted() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.locked")
        try await client.waitFor { m in
            if case .event(let e) = m, case .participantJoined(let p) = e.payload {
                p.isSelf && p.serviceType == "waiting_room"
            } else {
                false
            }
        }
        guard case .success(.sessions(let held, _)) = try await client.request(.list) else {
            Issue.record("list failed")
            return
        }
        #expect(held.first?.capabilities == Capabilities(leave: true))
        // While held, a control is refused by the bridge (the session's state does not allow it) and never
        // reaches the node.
        let refused = try await client.request(.control(session: s.id, .lock))
        guard case .failure(let error) = refused else {
            Issue.record("a held session's lock was accepted: \(refused)")
            return
        }
        #expect(error.code == .invalidState)
        #expect(!bridge.simulator.calls(alias: "t.locked").contains { $0.endpoint == "lock" })
        #expect(bridge.simulator.conference(alias: "t.locked")?.locked == true)
        let me = try #require(bridge.simulator.participants(alias: "t.locked").first { $0.isAPI })
        try bridge.simulator.admit(alias: "t.locked", uuid: me.uuid)
        // Admitted: the node moves the bridge's own participant from the waiting room into the conference.
        try await client.waitFor { m in
            if case .event(let e) = m, e.session == s.id, case .participantUpdated(let p) = e.payload {
                p.isSelf && p.serviceType == "conference"
            } else {
                false
            }
        }
        // Once admitted, the same control goes through to the node.
        #expect(try await client.request(.control(session: s.id, .unlock)) == .success(.empty))
        #expect(bridge.simulator.calls(alias: "t.locked").contains { $0.endpoint == "unlock" })
        #expect(bridge.simulator.conference(alias: "t.locked")?.locked == false)
        await client.close()
        await bridge.stop()
    }

    @Test func disconnectAllEndsEveryoneIncludingTheBridge() async throws {
        let room = try await HostedRoom.open()
        _ = try room.simulator.addParticipant(alias: "t.open", displayName: "Z", role: .guest, muted: false)
        #expect(try await room.host.request(.control(session: room.session.id, .disconnectAll)) == .success(.empty))
        let change = try await room.host.waitForState(room.session.id, .disconnected)
        #expect(change.reason == .remoteDisconnect)
        #expect(await eventually { room.simulator.participants(alias: "t.open").isEmpty })
        await room.close()
    }

    @Test func guestsAreRefusedEveryHostControlWithoutAskingTheNode() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.hostpin")
        let guest = try await client.session(.pin(session: s.id, pin: ""))
        #expect(guest.role == .guest)
        #expect(!guest.capabilities.lock && guest.capabilities.chat)
        let target = try bridge.simulator.addParticipant(
            alias: "t.hostpin",
            displayName: "T",
            role: .guest,
            muted: false
        )
        try await client.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload { p.uuid == target } else { false }
        }
        let background: Set<String> = [
            "events", "refresh_token", "request_token", "release_token", "participants", "conference_status",
        ]
        let controlCalls = {
            bridge.simulator.calls(alias: "t.hostpin").filter { !background.contains($0.endpoint) }.count
        }
        let before = controlCalls()
        let controls: [ConferenceControl] = [
            .lock, .unlock, .muteGuests, .unmuteGuests, .startConference, .disconnectAll, .mute(participant: target),
            .unmute(participant: target), .spotlight(participant: target, on: true), .admit(participant: target),
            .disconnectParticipant(participant: target),
        ]
        for control in controls {
            #expect(try await client.failure(.control(session: s.id, control)).code == .notHost, "\(control)")
        }
        #expect(controlCalls() == before)
        #expect(
            try await client.request(.control(session: s.id, .sendMessage(text: "guests may chat"))) == .success(.empty)
        )
        await client.close()
        await bridge.stop()
    }
}
