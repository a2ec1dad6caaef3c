import BridgeClient
import BridgeProtocol
import Foundation
import InfinitySimulator
import Testing

/// The whole conference through the real transport against the simulator: every request's permission, its
/// effect on the node, and the event that follows; bad input; the ephemeral-event rules; the transfer PIN.
@Suite("The whole conference, end to end")
struct WholeConferenceTests {
    /// A participant of the room, waited for on the host's connection.
    func addSIP(_ room: HostedRoom, _ name: String = "Yara") async throws -> String {
        let uuid = try room.simulator.addParticipant(alias: "t.open", displayName: name, protocolName: "sip")
        try await room.bothSee { if case .participantJoined(let p) = $0 { p.uuid == uuid } else { false } }
        return uuid
    }

    func control(_ room: HostedRoom, _ control: ConferenceControl) async throws -> Result<ResultData, ErrorBody> {
        try await room.host.request(.control(session: room.session.id, control))
    }

    func me(_ room: HostedRoom) -> ParticipantInfo? {
        room.simulator.participants(alias: "t.open").first { $0.isAPI }
    }

    func them(_ room: HostedRoom, _ uuid: String) -> ParticipantInfo? {
        room.simulator.participants(alias: "t.open").first { $0.uuid == uuid }
    }

    @Test func handsRolesVideoAndOverlayReachTheNodeAndComeBackAsEvents() async throws {
        let room = try await HostedRoom.open()
        let yara = try await addSIP(room)
        let snapshot = try #require(try await room.host.request(.list).sessions?.first)
        #expect(snapshot.capabilities.raiseHand && snapshot.capabilities.lowerAllHands && snapshot.capabilities.dtmf)

        #expect(try await control(room, .raiseHand) == .success(.empty))
        #expect(me(room)?.handRaisedAt != nil)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.isSelf && p.handRaisedAt != nil } else { false }
        }
        #expect(try await control(room, .lowerHand(participant: nil)) == .success(.empty))
        #expect(me(room)?.handRaisedAt == nil)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.isSelf && p.handRaisedAt == nil } else { false }
        }

        try room.simulator.setHandRaised(alias: "t.open", uuid: yara, true)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == yara && p.handRaisedAt != nil } else { false }
        }
        #expect(try await control(room, .lowerHand(participant: yara)) == .success(.empty))
        #expect(them(room, yara)?.handRaisedAt == nil)
        try room.simulator.setHandRaised(alias: "t.open", uuid: yara, true)
        #expect(try await control(room, .lowerAllHands) == .success(.empty))
        #expect(them(room, yara)?.handRaisedAt == nil)

        #expect(try await control(room, .setRole(participant: yara, role: .host)) == .success(.empty))
        #expect(them(room, yara)?.role == .host)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == yara && p.role == .host } else { false }
        }

        #expect(try await control(room, .videoMute(participant: yara)) == .success(.empty))
        #expect(them(room, yara)?.isVideoMuted == true)
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == yara && p.videoMuted } else { false }
        }
        #expect(try await control(room, .videoUnmute(participant: yara)) == .success(.empty))
        #expect(them(room, yara)?.isVideoMuted == false)

        #expect(try await control(room, .overlayText(participant: yara, text: "Stage left")) == .success(.empty))
        #expect(them(room, yara)?.overlayText == "Stage left")
        try await room.bothSee {
            if case .participantUpdated(let p) = $0 { p.uuid == yara && p.overlayText == "Stage left" } else { false }
        }

        #expect(try await control(room, .guestsCanUnmute(allowed: true)) == .success(.empty))
        try await room.bothSee { if case .conference(let c) = $0 { c.guestsCanUnmute } else { false } }

        try room.simulator.setPresenting(alias: "t.open", uuid: yara, true)
        let presented = try await room.bothSee { if case .presentation = $0 { true } else { false } }
        #expect(
            presented
                == .presentation(
                    PresentationState(active: true, presenter: MessageSender(uuid: yara, displayName: "Yara"))
                )
        )
        #expect(try await control(room, .clearSpotlights) == .success(.empty))
        #expect(room.simulator.calls(alias: "t.open").contains { $0.endpoint == "clearspotlights" })
        await room.close()
    }

    @Test func layoutsAreListedAndChangedAndAnUnknownLayoutIsInvalidValue() async throws {
        let room = try await HostedRoom.open()
        #expect(try await control(room, .layouts) == .success(.layouts(InfinitySimulator.availableLayouts)))
        #expect(try await control(room, .setLayout(LayoutChange(layout: "ac", overlayText: false))) == .success(.empty))
        #expect(room.simulator.layout(alias: "t.open")?.layout == "ac")
        let event = try await room.bothSee { if case .layout = $0 { true } else { false } }
        #expect(
            event == .layout(LayoutState(layout: "ac", hostLayout: "ac", guestLayout: "ac", overlayTextEnabled: false))
        )

        guard case .failure(let error) = try await control(room, .setLayout(LayoutChange(layout: "no-such-layout")))
        else {
            Issue.record("an unknown layout was accepted")
            return
        }
        #expect(error.code == .invalidValue)
        #expect(room.simulator.layout(alias: "t.open")?.layout == "ac")
        // The session is unharmed.
        let snapshot = try #require(try await room.host.request(.list).sessions?.first)
        #expect(snapshot.state == .connected)
        #expect(snapshot.layout.layout == "ac")
        await room.close()
    }

    @Test func dialAddsTheCalledParticipantsAndAnswersTheirUUIDs() async throws {
        let room = try await HostedRoom.open()
        let dial = DialParameters(
            destination: "rtmp://live.example.com/app/stream",
            callProtocol: .rtmp,
            role: .guest,
            displayName: "Live stream",
            streaming: true
        )
        guard case .success(.dialed(let uuids)) = try await control(room, .dial(dial)), let uuid = uuids.first else {
            Issue.record("dial did not answer participants")
            return
        }
        #expect(uuids.count == 1)
        #expect(room.simulator.dials(alias: "t.open").map(\.participantUUIDs) == [uuids])
        let joined = try await room.bothSee { if case .participantJoined(let p) = $0 { p.uuid == uuid } else { false } }
        guard case .participantJoined(let p) = joined else { return }
        #expect(p.callDirection == .out)
        #expect(p.callProtocol == "rtmp")
        #expect(p.displayName == "Live stream")
        #expect(them(room, uuid)?.isStreaming == true)

        let sip = DialParameters(destination: "sip:room42@example.com", callProtocol: .sip, role: .host)
        guard case .success(.dialed(let second)) = try await control(room, .dial(sip)) else {
            Issue.record("second dial failed")
            return
        }
        #expect(them(room, second[0])?.role == .host)
        #expect(them(room, second[0])?.protocolName == "sip")
        await room.close()
    }

    @Test func dtmfIsRecordedByTheNodeAndBadDigitsNeverLeave() async throws {
        let room = try await HostedRoom.open()
        let yara = try await addSIP(room)
        #expect(try await control(room, .dtmf(participant: yara, digits: "1234#*A")) == .success(.empty))
        #expect(room.simulator.dtmfReceived(alias: "t.open") == [DTMFRecord(participantUUID: yara, digits: "1234#*A")])
        let raw = #"{"type":"dtmf","id":"d1","session":"\#(room.session.id)","participant":"\#(yara)","digits":"12x"}"#
        try await room.host.connection.sendText(raw)
        let answer = try await room.host.waitFor { if case .result(.string("d1"), _) = $0 { true } else { false } }
        #expect(answer.failureCode == .invalidValue)
        #expect(room.simulator.dtmfReceived(alias: "t.open").count == 1)
        await room.close()
    }

    @Test func transferMovesTheParticipantAndItsPINNeverShows() async throws {
        let room = try await HostedRoom.open()
        let yara = try await addSIP(room)
        let transfer = TransferParameters(participant: yara, alias: "t.pin", role: .guest, pin: TestPINs.guest)
        #expect(try await control(room, .transfer(transfer)) == .success(.empty))
        try await room.bothSee { if case .participantLeft(let uuid) = $0 { uuid == yara } else { false } }
        #expect(them(room, yara) == nil)
        #expect(room.simulator.participants(alias: "t.pin").contains { $0.uuid == yara && $0.role == .guest })
        #expect(room.simulator.transfers(alias: "t.open").first?.pinGiven == true)

        // A wrong PIN is refused by the node and the session carries on.
        let zed = try await addSIP(room, "Zed")
        let wrong = TransferParameters(participant: zed, alias: "t.pin", role: .host, pin: TestPINs.wrong)
        guard case .failure = try await control(room, .transfer(wrong)) else {
            Issue.record("a transfer with a wrong PIN succeeded")
            return
        }
        #expect(them(room, zed) != nil)
        #expect(try await room.host.request(.ping) == .success(.empty))

        await room.bridge.stop()
        let frames = [room.host.connection, room.watcher.connection].flatMap(\.receivedFrames)
        let logs = room.bridge.logs.all
        for pin in [TestPINs.guest, TestPINs.wrong] {
            #expect(!frames.contains { $0.contains(pin) }, "a frame carries the transfer PIN")
            #expect(!logs.contains { $0.contains(pin) }, "a log line carries the transfer PIN")
        }
        await room.host.close()
        await room.watcher.close()
    }

    @Test func captionsAreShownOnlyWhileOnAndOnlyToClientsThatAskedForThem() async throws {
        let room = try await HostedRoom.open()
        let asker = try await room.bridge.client()
        _ = try await asker.request(.subscribe(session: room.session.id, sinceSeq: nil, include: [.captions]))
        #expect(try await control(room, .captions(on: true)) == .success(.empty))
        #expect(me(room)?.showsLiveCaptions == true)
        try room.simulator.sendCaption(alias: "t.open", text: "Good morning", final: true)
        let got = try await asker.waitFor { if case .ephemeral = $0 { true } else { false } }
        #expect(
            got
                == .ephemeral(
                    EphemeralEvent(
                        session: room.session.id,
                        payload: .captions(Caption(text: "Good morning", final: true))
                    )
                )
        )
        #expect(try await control(room, .captions(on: false)) == .success(.empty))
        #expect(me(room)?.showsLiveCaptions == false)
        // A numbered event after the caption: the clients that did not ask have it, and no caption before it.
        try room.simulator.setLocked(alias: "t.open", true)
        try await room.bothSee { if case .conference(let c) = $0 { c.locked } else { false } }
        for client in [room.host, room.watcher] {
            #expect(!client.messages.contains { if case .ephemeral = $0 { true } else { false } })
        }
        await asker.close()
        await room.close()
    }

    @Test func speakersReachOnlyWhoAskedCoalescedWithTheLatestListLast() async throws {
        let room = try await HostedRoom.open()
        let a = try await addSIP(room, "Ann")
        let b = try await addSIP(room, "Ben")
        let listener = try await room.bridge.client()
        _ = try await listener.request(.subscribe(session: nil, sinceSeq: nil, include: [.speakers]))
        // Ten stage reports at once, the last with Ben leading.
        for i in 0..<10 {
            try room.simulator.emitStage(alias: "t.open", speaking: i == 9 ? [b, a] : (i % 2 == 0 ? [a] : [b]))
        }
        func speakers(_ client: TestClient) -> [[String]] {
            client.messages.compactMap {
                if case .ephemeral(let e) = $0, case .speakers(let list) = e.payload { list } else { nil }
            }
        }
        try await listener.waitFor {
            if case .ephemeral(let e) = $0, case .speakers(let list) = e.payload { list == [b, a] } else { false }
        }
        #expect(speakers(listener).count < 10)
        #expect(speakers(listener).last == [b, a])
        let snapshot = try #require(try await room.host.request(.list).sessions?.first)
        #expect(snapshot.speakers == [b, a])
        // The others never saw a speakers event, and their seq runs on without a gap.
        try room.simulator.setLocked(alias: "t.open", true)
        try await room.bothSee { if case .conference(let c) = $0 { c.locked } else { false } }
        #expect(speakers(room.host).isEmpty && speakers(room.watcher).isEmpty)
        let seqs = room.watcher.events.filter { $0.session == room.session.id }.map(\.seq)
        #expect(seqs == Array(1...seqs.count))
        await listener.close()
        await room.close()
    }

    @Test func aGuestGetsNotHostAndNothingReachesTheNode() async throws {
        do {
            let bridge = try await TestBridge.start()
            let client = try await bridge.client()
            let waiting = try await client.join("t.hostpin")
            let guest = try await client.session(.pin(session: waiting.id, pin: ""))
            #expect(guest.role == .guest)
            #expect(guest.capabilities.raiseHand && guest.capabilities.captions && !guest.capabilities.dial)
            let someone = try bridge.simulator.addParticipant(alias: "t.hostpin", displayName: "Host", role: .host)
            try await client.waitFor {
                if case .event(let e) = $0, case .participantJoined(let p) = e.payload {
                    p.uuid == someone
                } else {
                    false
                }
            }
            let before = bridge.simulator.calls(alias: "t.hostpin").count
            for control: ConferenceControl in [
                .lowerAllHands, .setRole(participant: someone, role: .guest), .videoMute(participant: someone),
                .dial(DialParameters(destination: "sip:x@y", callProtocol: .sip, role: .guest)),
                .transfer(TransferParameters(participant: someone, alias: "t.open", role: .guest)),
                .dtmf(participant: someone, digits: "1"), .lowerHand(participant: someone),
                .setLayout(LayoutChange(layout: "ac")), .guestsCanUnmute(allowed: true), .clearSpotlights,
            ] {
                let result = try await client.request(.control(session: guest.id, control))
                #expect(result.failureCode == .notHost, "\(control.requestType.rawValue)")
            }
            #expect(bridge.simulator.calls(alias: "t.hostpin").count == before)
            // What a guest may do reaches the node.
            #expect(try await client.request(.control(session: guest.id, .raiseHand)) == .success(.empty))
            #expect(
                try await client.request(.control(session: guest.id, .layouts))
                    == .success(.layouts(InfinitySimulator.availableLayouts))
            )
            #expect(bridge.simulator.participants(alias: "t.hostpin").first { $0.isAPI }?.handRaisedAt != nil)
            await client.close()
            await bridge.stop()
        }
    }

    @Test func badInputIsACodedFailureAndTheSessionCarriesOn() async throws {
        let room = try await HostedRoom.open()
        let yara = try await addSIP(room)
        let id = room.session.id
        let tooMany = String(repeating: "9", count: 33)
        let cases: [(String, ErrorCode)] = [
            (
                #"{"type":"set_role","id":"a","session":"\#(id)","participant":"\#(yara)","role":"owner"}"#,
                .invalidValue
            ),
            (#"{"type":"set_role","id":"b","session":"\#(id)","participant":"\#(yara)"}"#, .badRequest),
            (
                #"{"type":"dial","id":"c","session":"\#(id)","destination":"x","protocol":"fax","role":"guest"}"#,
                .invalidValue
            ),
            (#"{"type":"dial","id":"d","session":"\#(id)","protocol":"sip","role":"guest"}"#, .badRequest),
            (#"{"type":"video_mute","id":"e","session":"\#(id)","participant":"nobody"}"#, .unknownParticipant),
            (
                #"{"type":"dtmf","id":"f","session":"\#(id)","participant":"\#(yara)","digits":"\#(tooMany)"}"#,
                .invalidValue
            ),
            (#"{"type":"overlay_text","id":"g","session":"\#(id)","participant":"\#(yara)","text":7}"#, .badRequest),
            (#"{"type":"captions","id":"h","session":"\#(id)"}"#, .badRequest),
            (#"{"type":"subscribe","id":"i","include":["everything"]}"#, .invalidValue),
            (#"{"type":"raise_hand","id":"j","session":"s-nope"}"#, .unknownSession),
        ]
        let before = room.simulator.calls(alias: "t.open").count
        for (text, _) in cases {
            try await room.host.connection.sendText(text)
        }
        for (text, code) in cases {
            let idText = String(text.split(separator: "\"")[7])
            let answer = try await room.host.waitFor {
                if case .result(.string(idText), _) = $0 { true } else { false }
            }
            #expect(answer.failureCode == code, "\(text)")
        }
        #expect(room.simulator.calls(alias: "t.open").count == before)
        #expect(try await control(room, .videoMute(participant: yara)) == .success(.empty))
        await room.close()
    }
}

extension Result where Success == ResultData, Failure == ErrorBody {
    var sessions: [SessionSnapshot]? {
        if case .success(.sessions(let snapshots, _)) = self { return snapshots }
        return nil
    }

    var failureCode: ErrorCode? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}

extension ServerMessage {
    var failureCode: ErrorCode? {
        if case .result(_, .failure(let error)) = self { return error.code }
        return nil
    }
}
