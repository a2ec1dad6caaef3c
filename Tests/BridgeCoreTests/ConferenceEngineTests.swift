import BridgeProtocol
import Clocks
import InfinityClient
import Logging
import Testing

@testable import BridgeCore

/// The whole conference through the engine, with a fake upstream, a recording sink and a test clock.
@Suite("Whole-conference controls and events (fake upstream, no sockets)", .timeLimit(.minutes(1)))
struct ConferenceEngineTests {
    let upstream = FakeUpstream(rooms: [
        "open": .init(hostPIN: nil, guestPIN: nil),
        "hostpin": .init(hostPIN: "4321", guestPIN: nil),
    ])
    let sink = RecordingSink()
    let clock = TestClock<Duration>()

    func engine() -> BridgeEngine {
        var configuration = BridgeConfiguration()
        configuration.allowInsecureNodes = false
        return BridgeEngine(
            configuration: configuration,
            upstream: upstream,
            sink: sink,
            logger: Logger(label: "test"),
            clock: clock
        )
    }

    static let other = InfinityParticipant(uuid: "p-sip", displayName: "Room 42", role: .guest, protocolName: "sip")

    /// A connected host session (room `open`) whose roster holds the bridge and `other`.
    func hostSession(_ e: BridgeEngine, client: ClientID = 1) async throws -> (SessionSnapshot, FakeLink) {
        await e.clientConnected(client, peer: "p")
        await send(e, client, #"{"type":"join","id":1,"node":"node.example.com","alias":"open","display_name":"Bot"}"#)
        guard case .success(.session(let s)) = await sink.result(client, id: 1) else {
            throw Failure("join failed")
        }
        let link = try #require(upstream.links.last)
        try await fillRoster(link, selfUUID: "self-open", client: client)
        return (s, link)
    }

    /// A connected guest session (room `hostpin`, empty PIN).
    func guestSession(_ e: BridgeEngine, client: ClientID = 1) async throws -> (SessionSnapshot, FakeLink) {
        await e.clientConnected(client, peer: "p")
        await send(
            e,
            client,
            #"{"type":"join","id":1,"node":"node.example.com","alias":"hostpin","display_name":"Bot"}"#
        )
        guard case .success(.session(let s)) = await sink.result(client, id: 1) else { throw Failure("join") }
        await send(e, client, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":""}"#)
        guard case .success(.session(let connected)) = await sink.result(client, id: 2), connected.role == .guest
        else {
            throw Failure("not a guest")
        }
        let link = try #require(upstream.links.last)
        try await fillRoster(link, selfUUID: "self-hostpin", client: client)
        return (connected, link)
    }

    func fillRoster(_ link: FakeLink, selfUUID: String, client: ClientID) async throws {
        link.push(.event(.participantCreate(InfinityParticipant(uuid: selfUUID, displayName: "Bot", role: .host))))
        link.push(.event(.participantCreate(Self.other)))
        await sink.waitFor(client) {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload { p.uuid == "p-sip" } else { false }
        }
    }

    func failure(_ client: ClientID, id: Int) async -> ErrorBody? {
        if case .failure(let error) = await sink.result(client, id: id) { return error }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    // MARK: permission and routing

    @Test func aGuestAskingForAHostActionIsRefusedBeforeAnythingGoesUpstream() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await guestSession(e)
            let requests = [
                #""type":"lower_all_hands""#, #""type":"set_role","participant":"p-sip","role":"host""#,
                #""type":"video_mute","participant":"p-sip""#, #""type":"video_unmute","participant":"p-sip""#,
                #""type":"guests_can_unmute","allowed":true"#, #""type":"set_layout","layout":"ac""#,
                #""type":"clear_spotlights""#, #""type":"overlay_text","participant":"p-sip","text":"x""#,
                #""type":"dial","destination":"sip:a@b","protocol":"sip","role":"guest""#,
                #""type":"transfer","participant":"p-sip","alias":"x","role":"guest","pin":"2468""#,
                #""type":"dtmf","participant":"p-sip","digits":"1""#,
                #""type":"lower_hand","participant":"p-sip""#,
            ]
            for (offset, fields) in requests.enumerated() {
                let id = 10 + offset
                await send(e, 1, #"{\#(fields),"id":\#(id),"session":"\#(s.id)"}"#)
                #expect(await failure(1, id: id)?.code == .notHost, "\(fields)")
            }
            #expect(link.commands.isEmpty)
            let capabilities = try #require(
                sink.events(1).compactMap { e -> Capabilities? in
                    if case .state(let c) = e.payload { c.capabilities } else { nil }
                }.last
            )
            #expect(capabilities.raiseHand && capabilities.lowerHand && capabilities.layouts && capabilities.captions)
            #expect(!capabilities.lowerAllHands && !capabilities.dial && !capabilities.transfer && !capabilities.dtmf)
        }
    }

    @Test func aGuestMayRaiseAndLowerItsOwnHandListLayoutsAndToggleCaptions() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await guestSession(e)
            await send(e, 1, #"{"type":"raise_hand","id":10,"session":"\#(s.id)"}"#)
            #expect(await sink.result(1, id: 10) == .success(.empty))
            await send(e, 1, #"{"type":"lower_hand","id":11,"session":"\#(s.id)","participant":"self-hostpin"}"#)
            #expect(await sink.result(1, id: 11) == .success(.empty))
            await send(e, 1, #"{"type":"lower_hand","id":12,"session":"\#(s.id)"}"#)
            #expect(await sink.result(1, id: 12) == .success(.empty))
            await send(e, 1, #"{"type":"captions","id":13,"session":"\#(s.id)","on":true}"#)
            #expect(await sink.result(1, id: 13) == .success(.empty))
            await send(e, 1, #"{"type":"layouts","id":14,"session":"\#(s.id)"}"#)
            #expect(await sink.result(1, id: 14) == .success(.layouts(["1:7", "ac", "5:7"])))
            #expect(
                link.commands == [
                    "buzz self-hostpin", "clearBuzz self-hostpin", "clearBuzz self-hostpin",
                    "showLiveCaptions self-hostpin", "available_layouts",
                ]
            )
        }
    }

    @Test func aHostsControlsReachTheNodeAndDialAnswersTheNewParticipants() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            let requests: [(String, String)] = [
                (#""type":"lower_all_hands""#, "clearAllBuzz"),
                (#""type":"lower_hand","participant":"p-sip""#, "clearBuzz p-sip"),
                (
                    #""type":"set_role","participant":"p-sip","role":"host""#,
                    "role(InfinityClient.InfinityRole.host) p-sip"
                ),
                (#""type":"video_mute","participant":"p-sip""#, "videoMute p-sip"),
                (#""type":"video_unmute","participant":"p-sip""#, "videoUnmute p-sip"),
                (#""type":"guests_can_unmute","allowed":false"#, "setGuestsCanUnmute(false)"),
                (#""type":"clear_spotlights""#, "clearSpotlights"),
                (#""type":"overlay_text","participant":"p-sip","text":"Stage""#, #"overlayText("Stage") p-sip"#),
                (#""type":"dtmf","participant":"p-sip","digits":"12#A""#, #"dtmf("12#A") p-sip"#),
                (#""type":"captions","on":false"#, "hideLiveCaptions self-open"),
            ]
            for (offset, (fields, _)) in requests.enumerated() {
                let id = 10 + offset
                await send(e, 1, #"{\#(fields),"id":\#(id),"session":"\#(s.id)"}"#)
                #expect(await sink.result(1, id: id) == .success(.empty), "\(fields)")
            }
            #expect(link.commands == requests.map(\.1))
            await send(
                e,
                1,
                #"{"type":"dial","id":30,"session":"\#(s.id)","destination":"sip:a@b","protocol":"sip","role":"guest"}"#
            )
            #expect(await sink.result(1, id: 30) == .success(.dialed(["d1a1-0000"])))
            #expect(link.commands.last == "dial sip:a@b sip")
            await send(e, 1, #"{"type":"set_layout","id":31,"session":"\#(s.id)","layout":"1:7"}"#)
            #expect(await sink.result(1, id: 31) == .success(.empty))
        }
    }

    @Test func aNodeWithoutClearSpotlightsGetsOneSpotlightOffPerSpotlitParticipant() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            var lit = Self.other
            lit.isSpotlight = true
            link.push(.event(.participantUpdate(lit)))
            await sink.waitFor(1) {
                if case .event(let ev) = $0, case .participantUpdated(let p) = ev.payload { p.spotlight } else { false }
            }
            link.state.withLock { $0.failCommand = ("clearSpotlights", .notFound("Unknown request")) }
            await send(e, 1, #"{"type":"clear_spotlights","id":10,"session":"\#(s.id)"}"#)
            #expect(await sink.result(1, id: 10) == .success(.empty))
            #expect(link.commands == ["clearSpotlights", "spotlightOff p-sip"])
        }
    }

    @Test func anUnknownParticipantIsRefusedBeforeAnythingGoesUpstream() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            for (id, fields) in [
                (10, #""type":"video_mute","participant":"nobody""#),
                (11, #""type":"dtmf","participant":"nobody","digits":"1""#),
                (12, #""type":"transfer","participant":"nobody","alias":"x","role":"guest""#),
                (13, #""type":"lower_hand","participant":"nobody""#),
            ] {
                await send(e, 1, #"{\#(fields),"id":\#(id),"session":"\#(s.id)"}"#)
                #expect(await failure(1, id: id)?.code == .unknownParticipant)
            }
            #expect(link.commands.isEmpty)
        }
    }

    @Test func refusedValuesAreInvalidValueAndTheSessionIsUnharmed() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            let bad = [
                #""type":"dtmf","participant":"p-sip","digits":"12x""#,
                #""type":"dtmf","participant":"p-sip","digits":"""#,
                #""type":"dtmf","participant":"p-sip","digits":"111111111111111111111111111111111""#,
                #""type":"set_role","participant":"p-sip","role":"owner""#,
                #""type":"dial","destination":"sip:a@b","protocol":"fax","role":"guest""#,
            ]
            for (offset, fields) in bad.enumerated() {
                await send(e, 1, #"{\#(fields),"id":\#(10 + offset),"session":"\#(s.id)"}"#)
                #expect(await failure(1, id: 10 + offset)?.code == .invalidValue, "\(fields)")
            }
            await send(e, 1, #"{"type":"dtmf","id":20,"session":"\#(s.id)","participant":"p-sip"}"#)
            #expect(await failure(1, id: 20)?.code == .badRequest)
            await send(e, 1, #"{"type":"set_layout","id":21,"session":"\#(s.id)"}"#)
            #expect(await failure(1, id: 21)?.code == .badRequest)
            #expect(link.commands.isEmpty)
            // The node refusing a layout is a coded failure too.
            link.state.withLock { $0.failWith = .illegalValue("Illegal value") }
            await send(e, 1, #"{"type":"set_layout","id":22,"session":"\#(s.id)","layout":"nope"}"#)
            #expect(await failure(1, id: 22)?.code == .invalidValue)
            link.state.withLock { $0.failWith = nil }
            await send(e, 1, #"{"type":"lock","id":23,"session":"\#(s.id)"}"#)
            #expect(await sink.result(1, id: 23) == .success(.empty))
            #expect(await e.sessionCount == 1)
        }
    }

    @Test func aTransfersPINNeverLeavesInAFrameOrTheLinksRecord() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            await send(
                e,
                1,
                #"{"type":"transfer","id":10,"session":"\#(s.id)","participant":"p-sip","alias":"meet.b","#
                    + #""role":"guest","pin":"97531"}"#
            )
            #expect(await sink.result(1, id: 10) == .success(.empty))
            #expect(link.commands.count == 1)
            #expect(link.commands.allSatisfy { !$0.contains("97531") })
            #expect(sink.raw(1).allSatisfy { !String(decoding: $0, as: UTF8.self).contains("97531") })
        }
    }

    // MARK: events

    @Test func presentationAndLayoutAreNumberedEventsKeptInTheSnapshot() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            link.push(.event(.presentationStart(InfinityPresenter(uuid: "p-sip", name: "Room 42"))))
            link.push(.event(.layout(InfinityLayout(view: "1:7", hostLayout: "1:7", guestLayout: "ac"))))
            link.push(.event(.presentationStop))
            await sink.waitFor(1) {
                if case .event(let ev) = $0, case .presentation(let p) = ev.payload { !p.active } else { false }
            }
            let payloads = sink.events(1).filter { $0.session == s.id }.suffix(3).map(\.payload)
            #expect(
                payloads == [
                    .presentation(
                        PresentationState(active: true, presenter: MessageSender(uuid: "p-sip", displayName: "Room 42"))
                    ),
                    .layout(LayoutState(layout: "1:7", hostLayout: "1:7", guestLayout: "ac")),
                    .presentation(.inactive),
                ]
            )
            await send(e, 1, #"{"type":"subscribe","id":9,"session":"\#(s.id)"}"#)
            guard case .success(.sessions(let snapshots, _)) = await sink.result(1, id: 9) else {
                Issue.record("subscribe failed")
                return
            }
            #expect(snapshots.first?.layout.guestLayout == "ac")
            #expect(snapshots.first?.presentation == .inactive)
        }
    }

    @Test func ephemeralEventsReachOnlyWhoAskedAndLeaveEveryonesSeqGapFree() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1,"session":"\#(s.id)","include":["speakers"]}"#)
            _ = await sink.result(2, id: 1)
            await e.clientConnected(3, peer: "p")
            await send(e, 3, #"{"type":"subscribe","id":1,"include":["captions"]}"#)
            _ = await sink.result(3, id: 1)
            link.push(.event(.stage([InfinityStageEntry(participantUUID: "p-sip", stageIndex: 0, vad: 100)])))
            link.push(.event(.liveCaptions(InfinityCaption(text: "hello", isFinal: true))))
            link.push(.event(.presentationStart(InfinityPresenter(uuid: "p-sip", name: "Room 42"))))
            for client: ClientID in [1, 2, 3] {
                await sink.waitFor(client) {
                    if case .event(let ev) = $0, case .presentation = ev.payload { true } else { false }
                }
            }
            func ephemerals(_ client: ClientID) -> [EphemeralPayload] {
                sink.messages(client).compactMap { if case .ephemeral(let ev) = $0 { ev.payload } else { nil } }
            }
            #expect(ephemerals(1) == [])
            #expect(ephemerals(2) == [.speakers(["p-sip"])])
            #expect(ephemerals(3) == [.captions(Caption(text: "hello", final: true))])
            // Client 1 has seen every event from the first: its seqs run 1, 2, 3, ... without a gap.
            let seqs = sink.events(1).filter { $0.session == s.id }.map(\.seq)
            #expect(seqs == Array(1...seqs.count))
            // No ephemeral frame carries a seq.
            for client: ClientID in [2, 3] {
                for frame in sink.raw(client) {
                    let text = String(decoding: frame, as: UTF8.self)
                    if text.contains(#""type":"speakers""#) || text.contains(#""type":"captions""#) {
                        #expect(!text.contains(#""seq""#))
                    }
                }
            }
            await send(e, 1, #"{"type":"list","id":50}"#)
            guard case .success(.sessions(let snapshots, _)) = await sink.result(1, id: 50) else {
                Issue.record("list failed")
                return
            }
            #expect(snapshots.first?.speakers == ["p-sip"])
        }
    }

    @Test func speakersAreCoalescedOnTheClockAndTheLatestListAlwaysArrives() async throws {
        try await withEngine(engine()) { e in
            let (s, link) = try await hostSession(e)
            await send(e, 1, #"{"type":"subscribe","id":5,"session":"\#(s.id)","include":["speakers"]}"#)
            _ = await sink.result(1, id: 5)
            func stage(_ uuids: String...) {
                link.push(
                    .event(
                        .stage(
                            uuids.enumerated().map {
                                InfinityStageEntry(participantUUID: $1, stageIndex: $0, vad: 100)
                            }
                        )
                    )
                )
            }
            func speakers() -> [[String]] {
                sink.messages(1).compactMap {
                    if case .ephemeral(let ev) = $0, case .speakers(let list) = ev.payload { list } else { nil }
                }
            }
            /// A numbered event after the stage reports, so the test knows the engine has read them all.
            var marks = 0
            func mark() async {
                marks += 1
                let presenter = "m\(marks)"
                link.push(.event(.presentationStart(InfinityPresenter(uuid: presenter, name: presenter))))
                await sink.waitFor(1) {
                    if case .event(let ev) = $0, case .presentation(let p) = ev.payload {
                        p.presenter?.uuid == presenter
                    } else {
                        false
                    }
                }
            }
            stage("a")
            stage("a", "b")
            stage("b")
            stage("b", "c")
            await mark()
            // The first went out at once; the rest wait for the gate (no time has passed).
            #expect(speakers() == [["a"]])
            await clock.advance(by: SpeakerGate.defaultInterval - .milliseconds(1))
            await mark()
            #expect(speakers() == [["a"]])
            await clock.advance(by: .milliseconds(1))
            _ = await sink.until { speakers().count == 2 ? true : nil }
            // Only the latest of the three waiting lists.
            #expect(speakers() == [["a"], ["b", "c"]])
            // A quiet gate sends the next list at once, and a repeat of the last list is not sent again.
            await clock.advance(by: .seconds(1))
            stage("b", "c")
            stage("c")
            await mark()
            #expect(speakers() == [["a"], ["b", "c"], ["c"]])
        }
    }
}

@Suite struct SpeakerGateTests {
    @Test func atMostOnePerIntervalAndTheLatestAlwaysGoesOut() {
        var gate = SpeakerGate(interval: .milliseconds(250))
        let t0 = Moment.zero
        #expect(gate.offer(["a"], now: t0) == .send(["a"]))
        #expect(gate.offer(["a"], now: t0 + .milliseconds(10)) == .none)
        #expect(gate.offer(["b"], now: t0 + .milliseconds(20)) == .arm(t0 + .milliseconds(250)))
        #expect(gate.offer(["c"], now: t0 + .milliseconds(30)) == .none)
        #expect(gate.timerFired(now: t0 + .milliseconds(250)) == .send(["c"]))
        #expect(gate.offer(["d"], now: t0 + .milliseconds(300)) == .arm(t0 + .milliseconds(500)))
        // Back to what already went out before the timer: nothing to send then.
        #expect(gate.offer(["c"], now: t0 + .milliseconds(310)) == .none)
        #expect(gate.timerFired(now: t0 + .milliseconds(500)) == .none)
        #expect(gate.offer(["e"], now: t0 + .seconds(2)) == .send(["e"]))
        #expect(gate.timerFired(now: t0 + .seconds(3)) == .none)
    }

    @Test func tenPerSecondBecomeAtMostFourAndEndOnTheLatest() {
        var gate = SpeakerGate()
        var sent: [(Moment, [String])] = []
        var armed: Moment?
        for tick in 0..<50 {
            let now = Moment.zero + .milliseconds(100 * tick)
            if let deadline = armed, deadline <= now {
                armed = nil
                if case .send(let list) = gate.timerFired(now: deadline) { sent.append((deadline, list)) }
            }
            switch gate.offer(["p\(tick)"], now: now) {
            case .send(let list): sent.append((now, list))
            case .arm(let deadline): armed = deadline
            case .none: break
            }
        }
        if let deadline = armed, case .send(let list) = gate.timerFired(now: deadline) { sent.append((deadline, list)) }
        #expect(sent.last?.1 == ["p49"])
        #expect(SpeakerGate.defaultInterval >= .milliseconds(250))
        for (index, entry) in sent.enumerated() where index >= 4 {
            #expect(entry.0 - sent[index - 4].0 >= .seconds(1))
        }
        #expect(sent.count <= 21)
    }
}
