import BridgeProtocol
import Clocks
import InfinityClient
import Logging
import Testing

@testable import BridgeCore

/// The engine with a fake upstream, a recording sink and a test clock: no sockets, no sleeps. A test that waits
/// for something that never comes is ended by the time limit.
@Suite("Bridge engine (fake upstream, no sockets)", .timeLimit(.minutes(1)))
struct EngineTests: EngineFixture {
    let upstream = FakeUpstream(rooms: [
        "open": .init(hostPIN: nil, guestPIN: nil),
        "pin": .init(hostPIN: "1234", guestPIN: "5678"),
        "hostpin": .init(hostPIN: "4321", guestPIN: nil),
    ])
    let sink = RecordingSink()
    let clock = TestClock<Duration>()

    func join(
        _ e: BridgeEngine,
        _ client: ClientID,
        id: Int,
        alias: String,
        pin: String? = nil
    ) async
        -> Result<ResultData, ErrorBody>
    {
        let pinField = pin.map { #","pin":"\#($0)""# } ?? ""
        let fields = #""node":"node.example.com","alias":"\#(alias)","display_name":"Bot"\#(pinField)"#
        await send(e, client, #"{"type":"join","id":\#(id),\#(fields)}"#)
        return await sink.result(client, id: id)
    }

    @Test func helloGreetsEveryClient() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "127.0.0.1")
            #expect(
                sink.messages(1).first
                    == .hello(
                        Hello(
                            server: "pexbridge \(ProtocolInfo.bridgeVersion)",
                            authRequired: false
                        )
                    )
            )
        }
    }

    @Test func openRoomConnectsAndEventsAreNumbered() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            #expect(s.state == .connected)
            #expect(s.role == .host)
            let events = sink.events(1)
            #expect(events.map(\.seq) == [1, 2])
            #expect(s.seq == 2)
            guard case .state(let c) = events[0].payload else {
                Issue.record("the first event is not a state event: \(events[0].payload)")
                return
            }
            #expect(c.state == .connecting && c.alias == "open")
        }
    }

    @Test func pinFlowWithWrongThenRightPIN() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "pin")))
            #expect(s.state == .pinRequired)
            #expect(s.pin == PINRequirement(host: true, guest: true))
            await send(e, 1, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":"0000"}"#)
            guard case .failure(let wrong) = await sink.result(1, id: 2) else {
                Issue.record("accepted")
                return
            }
            #expect(wrong.code == .invalidPIN)
            #expect(wrong.attemptsLeft == 4)
            await send(e, 1, #"{"type":"pin","id":3,"session":"\#(s.id)","pin":"5678"}"#)
            let ok = try #require(session(await sink.result(1, id: 3)))
            #expect(ok.state == .connected)
            #expect(ok.role == .guest)
            #expect(upstream.pinHeaders == [nil, "0000", "5678"])
        }
    }

    @Test func optionalPINWithEmptyStringSendsNone() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "hostpin")))
            #expect(s.state == .pinOptional)
            await send(e, 1, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":""}"#)
            #expect(session(await sink.result(1, id: 2))?.role == .guest)
            #expect(upstream.pinHeaders == [nil, "none"])
        }
    }

    @Test func wrongPINInJoinLeavesTheSessionInItsPINStateWithTheError() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "pin", pin: "1111")))
            #expect(s.state == .pinRequired)
            #expect(s.error?.code == .invalidPIN)
            #expect(s.pinAttemptsLeft == 4)
        }
    }

    @Test func fiveWrongPINsEndTheSession() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "pin")))
            for i in 2...6 {
                await send(e, 1, #"{"type":"pin","id":\#(i),"session":"\#(s.id)","pin":"9"}"#)
                _ = await sink.result(1, id: i)
            }
            guard case .failure(let error) = await sink.result(1, id: 6) else {
                Issue.record("accepted")
                return
            }
            #expect(error.code == .tooManyPINAttempts)
            #expect(await e.sessionCount == 0)
        }
    }

    @Test func unknownConferenceFails() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            guard case .failure(let error) = await join(e, 1, id: 1, alias: "nope") else {
                Issue.record("ok")
                return
            }
            #expect(error.code == .conferenceNotFound)
            #expect(await e.sessionCount == 0)
        }
    }

    @Test func unreachableNodeFails() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            upstream.failNext(.unreachable("connection refused"))
            guard case .failure(let error) = await join(e, 1, id: 1, alias: "open") else {
                Issue.record("ok")
                return
            }
            #expect(error.code == .nodeUnreachable)
        }
    }

    static let plainHTTPJoin =
        #"{"type":"join","id":1,"node":"http://node.example.com","alias":"open","display_name":"B"}"#

    @Test func plainHTTPNodesAreRefusedUnlessAllowed() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, Self.plainHTTPJoin)
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("ok")
                return
            }
            #expect(error.code == .insecureNode)
        }
        try await withEngine(engine { $0.allowInsecureNodes = true }) { allowed in
            await allowed.clientConnected(2, peer: "p")
            await send(allowed, 2, Self.plainHTTPJoin)
            #expect(session(await sink.result(2, id: 1))?.state == .connected)
        }
    }

    @Test func leaveReleasesUpstreamBeforeTheResult() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let link = try #require(upstream.links.first)
            let release = Gate()
            link.holdReleases(at: release)
            await send(e, 1, #"{"type":"leave","id":2,"session":"\#(s.id)"}"#)
            // The node is releasing and has not answered: no result yet.
            await release.arrivals(1)
            #expect(sink.resultNow(1, id: 2) == nil)
            #expect(link.released == 0)
            release.open()
            #expect(await sink.result(1, id: 2) == .success(.empty))
            #expect(link.released == 1)
            #expect(await e.sessionCount == 0)
            let last = try #require(sink.events(1).last)
            #expect(
                last.payload
                    == .state(
                        StateChange(
                            state: .disconnected,
                            reason: .left,
                            capabilities: Capabilities.none
                        )
                    )
            )
        }
    }

    @Test func twoSubscribersSeeIdenticalEventFrames() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1}"#)
            _ = await sink.result(2, id: 1)
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let link = try #require(upstream.links.first)
            link.push(.event(.participantSyncBegin))
            link.push(.event(.participantCreate(InfinityParticipant.fake("a", name: "Alice"))))
            link.push(.event(.participantSyncEnd))
            link.push(.event(.participantUpdate(InfinityParticipant.fake("a", name: "Alice", muted: true))))
            _ = await sink.waitFor(2) { if case .event(let ev) = $0 { ev.seq == 4 } else { false } }
            let one = sink.raw(1).filter { (try? WireJSON.decodeServerMessage($0))?.type.isEvent == true }
            let two = sink.raw(2).filter { (try? WireJSON.decodeServerMessage($0))?.type.isEvent == true }
            #expect(one == two)
            #expect(sink.events(2).map(\.seq) == [1, 2, 3, 4])
            #expect(sink.events(2).allSatisfy { $0.session == s.id })
        }
    }

    @Test func sessionsOutliveTheClientThatCreatedThem() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            _ = await join(e, 1, id: 1, alias: "open")
            await e.clientDisconnected(1)
            #expect(await e.sessionCount == 1)
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"list","id":1}"#)
            guard case .success(.sessions(let list, _)) = await sink.result(2, id: 1) else {
                Issue.record("no list")
                return
            }
            #expect(list.map(\.state) == [.connected])
        }
    }

    @Test(arguments: [
        (#"not json"#, "bad_request"),
        (#"[1,2]"#, "bad_request"),
        (#"{"id":1}"#, "bad_request"),
        (#"{"type":"ping"}"#, "bad_request"),
        (#"{"type":"ping","id":true}"#, "bad_request"),
        (#"{"type":5,"id":1}"#, "bad_request"),
    ])
    func unreadableFramesGetAnErrorMessage(frame: String, code: String) async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, frame)
            let m = await sink.waitFor(1) { $0.type == .error }
            guard case .error(let error) = m else {
                Issue.record("unexpected message")
                return
            }
            #expect(error.code.rawValue == code)
            await send(e, 1, #"{"type":"ping","id":9}"#)
            #expect(await sink.result(1, id: 9) == .success(.empty))
        }
    }

    @Test(arguments: [
        (#"{"type":"fly","id":1}"#, "unknown_type"),
        (#"{"type":"join","id":1,"node":"n"}"#, "bad_request"),
        (#"{"type":"join","id":1,"node":"n","alias":3,"display_name":"x"}"#, "bad_request"),
        (#"{"type":"pin","id":1,"session":"s"}"#, "bad_request"),
        (#"{"type":"pin","id":1,"session":"nope","pin":"1"}"#, "unknown_session"),
        (#"{"type":"leave","id":1,"session":"nope"}"#, "unknown_session"),
        (#"{"type":"lock","id":1,"session":"nope"}"#, "unknown_session"),
        (#"{"type":"join","id":1,"node":"::bad::","alias":"a","display_name":"x"}"#, "bad_request"),
    ])
    func badRequestsGetACodedResult(frame: String, code: String) async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, frame)
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("accepted")
                return
            }
            #expect(error.code.rawValue == code)
        }
    }

    @Test func binaryFramesAreRefused() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await e.receiveBinary(1)
            #expect(
                sink.messages(1).last
                    == .error(
                        ErrorBody(
                            .unsupportedFrame,
                            "binary frames are not supported; send JSON in text frames"
                        )
                    )
            )
        }
    }

    @Test func authIsRequiredWhenTokensAreConfigured() async throws {
        try await withEngine(
            engine {
                $0.authTokens = [
                    AuthToken(secret: "ctl-secret", role: .controller),
                    AuthToken(secret: "obs-secret", role: .observer),
                ]
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            #expect(
                sink.messages(1).first
                    == .hello(
                        Hello(
                            server: "pexbridge \(ProtocolInfo.bridgeVersion)",
                            authRequired: true
                        )
                    )
            )
            await send(e, 1, #"{"type":"list","id":1}"#)
            guard case .failure(let e1) = await sink.result(1, id: 1) else {
                Issue.record("ok")
                return
            }
            #expect(e1.code == .unauthorized)
            await send(e, 1, #"{"type":"auth","id":2,"token":"obs-secret"}"#)
            #expect(await sink.result(1, id: 2) == .success(.role(.observer)))
            await send(e, 1, #"{"type":"join","id":3,"node":"n.example.com","alias":"open","display_name":"x"}"#)
            guard case .failure(let e3) = await sink.result(1, id: 3) else {
                Issue.record("ok")
                return
            }
            #expect(e3.code == .forbidden)
            await send(e, 1, #"{"type":"subscribe","id":4}"#)
            #expect(await sink.result(1, id: 4) == .success(.sessions([])))
        }
    }

    @Test func failedAuthClosesTheConnection() async throws {
        let delay = Duration.milliseconds(300)
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "s3cret", role: .controller)]
                $0.authFailureCloseDelay = delay
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, #"{"type":"auth","id":1,"token":"wrong"}"#)
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("ok")
                return
            }
            #expect(error.code == .unauthorized)
            // Not closed before the delay; ignored meanwhile.
            await clock.advance(by: delay - .milliseconds(1))
            #expect(sink.closeCode(1) == nil)
            await send(e, 1, #"{"type":"ping","id":2}"#)
            #expect(sink.resultNow(1, id: 2) == nil)
            await clock.advance(by: .milliseconds(1))
            #expect(await sink.waitForClose(1) == 1008)
        }
    }

    @Test func aConnectionThatNeverAuthenticatesIsClosed() async throws {
        let timeout = Duration.seconds(10)
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "s3cret-token", role: .observer)]
                $0.authTimeout = timeout
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"auth","id":1,"token":"s3cret-token"}"#)
            #expect(await sink.result(2, id: 1) == .success(.role(.observer)))
            await clock.advance(by: timeout - .milliseconds(1))
            await e.authDeadlineCheck(1)
            #expect(sink.closeCode(1) == nil)
            await clock.advance(by: .milliseconds(1))
            #expect(await sink.waitForClose(1) == 1008)
            // The same check, run for the client that authenticated, leaves it open.
            await e.authDeadlineCheck(2)
            #expect(sink.closeCode(2) == nil)
            #expect(sink.messages(1).contains(.error(ErrorBody(.unauthorized, "no auth within the time allowed"))))
        }
    }

    @Test func guestsCannotUseHostControls() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "hostpin")))
            await send(e, 1, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":""}"#)
            _ = await sink.result(1, id: 2)
            await send(e, 1, #"{"type":"lock","id":3,"session":"\#(s.id)"}"#)
            guard case .failure(let error) = await sink.result(1, id: 3) else {
                Issue.record("ok")
                return
            }
            #expect(error.code == .notHost)
            #expect(upstream.links.first?.commands == [])
        }
    }

    @Test func hostControlsReachTheNodeAndAnswerAfterIt() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let link = try #require(upstream.links.first)
            let node = Gate()
            link.holdCommands(at: node)
            await send(e, 1, #"{"type":"lock","id":2,"session":"\#(s.id)"}"#)
            // The command reached the node, which has not answered: no result yet.
            await node.arrivals(1)
            #expect(link.commands == ["lock"])
            #expect(sink.resultNow(1, id: 2) == nil)
            node.open()
            #expect(await sink.result(1, id: 2) == .success(.empty))
        }
    }

    @Test func aNodeThatSaysInvalidRoleIsAnsweredNotHost() async throws {
        // The bridge thought it was host (e.g. the node demoted it and no refresh has told it yet).
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let link = try #require(upstream.links.first)
            link.state.withLock { $0.failWith = .invalidRole }
            await send(e, 1, #"{"type":"lock","id":2,"session":"\#(s.id)"}"#)
            guard case .failure(let error) = await sink.result(1, id: 2) else {
                Issue.record("lock succeeded")
                return
            }
            #expect(error.code == .notHost)
            #expect(link.commands == ["lock"])
        }
    }

    @Test func remoteDisconnectEndsTheSession() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            upstream.links.first?.push(.ended(.remoteDisconnect("Disconnected by an administrator")))
            let m = await sink.waitFor(1) {
                if case .event(let ev) = $0, case .state(let c) = ev.payload { c.state == .disconnected } else { false }
            }
            guard case .event(let ev) = m, case .state(let change) = ev.payload else {
                Issue.record("unexpected message")
                return
            }
            #expect(change.reason == .remoteDisconnect)
            #expect(change.message == "Disconnected by an administrator")
            #expect(ev.session == s.id)
            #expect(await e.sessionCount == 0)
        }
    }

    @Test func shutdownReleasesEverySessionAndTellsSubscribers() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            _ = await join(e, 1, id: 1, alias: "open")
            _ = await join(e, 1, id: 2, alias: "pin")
            await e.shutdown()
            #expect(upstream.links.allSatisfy { $0.released == 1 })
            let reasons = sink.events(1).compactMap { if case .state(let c) = $0.payload { c.reason } else { nil } }
            #expect(reasons == [.bridgeShutdown, .bridgeShutdown])
            #expect(await e.sessionCount == 0)
            #expect(await e.runningTaskCount == 0)
        }
    }

    @Test func resumeReplaysMissedEvents() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let link = try #require(upstream.links.first)
            link.push(.event(.participantCreate(.fake("a", name: "A"))))
            link.push(.event(.participantCreate(.fake("b", name: "B"))))
            _ = await sink.waitFor(1) { if case .event(let ev) = $0 { ev.seq == 4 } else { false } }
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1,"session":"\#(s.id)","since_seq":2}"#)
            guard case .success(.sessions(_, let replayed)) = await sink.result(2, id: 1) else {
                Issue.record("subscribe failed")
                return
            }
            #expect(replayed == true)
            _ = await sink.waitFor(2) { if case .event(let ev) = $0 { ev.seq == 4 } else { false } }
            #expect(sink.events(2).map(\.seq) == [3, 4])
        }
    }

    @Test func resumingFromASeqTheSessionNeverReachedGetsAFreshSnapshot() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try #require(session(await join(e, 1, id: 1, alias: "open")))
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1,"session":"\#(s.id)","since_seq":99}"#)
            guard case .success(.sessions(let snapshots, let replayed)) = await sink.result(2, id: 1) else {
                Issue.record("subscribe failed")
                return
            }
            #expect(replayed == false)
            #expect(snapshots.map(\.id) == [s.id])
        }
    }

    @Test func aNodesWordsAreCutToOneShortLine() {
        let page = "<html>\n" + String(repeating: "x", count: 5000) + "\n</html>"
        let error = ErrorBody.upstream(.http(status: 502, message: page))
        #expect(error.message.count < 260)
        #expect(!error.message.contains("\n"))
        #expect(
            ErrorBody.upstream(.http(status: 503, message: "Out of resource")).message
                == "the conference node answered 503: Out of resource"
        )
    }

    @Test func anAuthTokenNeverPrintsItsSecret() {
        let token = AuthToken(secret: "hunter2-hunter2", role: .observer)
        var dumped = ""
        dump(token, to: &dumped)
        for text in [dumped, "\(token)", String(reflecting: token), "\([token])"] {
            #expect(!text.contains("hunter2"), "\(text)")
        }
    }

    @Test func tokensCompareEqualOnlyWhenEveryByteAndTheLengthMatch() {
        let secret = Array("correct horse".utf8)
        #expect(constantTimeEqual(secret, secret))
        #expect(!constantTimeEqual(secret, Array("correct horsf".utf8)))
        #expect(!constantTimeEqual(secret, Array("correct hors".utf8)))
        // A length that differs by a multiple of 256, padded with NUL bytes, is still a different token.
        #expect(!constantTimeEqual(secret, secret + [UInt8](repeating: 0, count: 256)))
        #expect(!constantTimeEqual([], [0]))
    }

    @Test func unsubscribingFromOneSessionWhileSubscribedToAllSilencesThatSessionOnly() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let a = try #require(session(await join(e, 1, id: 1, alias: "open")))
            let b = try #require(session(await join(e, 1, id: 2, alias: "open")))
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1}"#)
            _ = await sink.result(2, id: 1)
            await send(e, 2, #"{"type":"unsubscribe","id":2,"session":"\#(a.id)"}"#)
            #expect(await sink.result(2, id: 2) == .success(.empty))
            let links = upstream.links
            try #require(links.count == 2)
            links[0].push(.event(.participantCreate(.fake("x", name: "In A"))))
            links[1].push(.event(.participantCreate(.fake("y", name: "In B"))))
            _ = await sink.waitFor(2) { if case .event(let ev) = $0 { ev.session == b.id } else { false } }
            _ = await sink.waitFor(1) {
                if case .event(let ev) = $0 { ev.session == a.id && ev.seq >= 3 } else { false }
            }
            #expect(sink.events(2).allSatisfy { $0.session == b.id })
            // Subscribing to it again brings it back.
            await send(e, 2, #"{"type":"subscribe","id":3,"session":"\#(a.id)"}"#)
            _ = await sink.result(2, id: 3)
            links[0].push(.event(.participantCreate(.fake("z", name: "Again in A"))))
            _ = await sink.waitFor(2) { if case .event(let ev) = $0 { ev.session == a.id } else { false } }
        }
    }

    @Test func aFloodOfRequestsIsRateLimitedPerConnection() async throws {
        try await withEngine(
            engine {
                $0.requestRate = 1
                $0.requestBurst = 5
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            await e.clientConnected(2, peer: "p")
            for i in 1...20 { await send(e, 1, #"{"type":"ping","id":\#(i)}"#) }
            let results = sink.messages(1).compactMap { if case .result(_, let r) = $0 { r } else { nil } }
            #expect(results.count == 20)
            #expect(results.prefix(5).allSatisfy { $0 == .success(.empty) })
            #expect(
                results.suffix(15).allSatisfy {
                    if case .failure(let e) = $0 { e.code == .rateLimited } else { false }
                }
            )
            await send(e, 2, #"{"type":"ping","id":1}"#)
            #expect(await sink.result(2, id: 1) == .success(.empty))
        }
    }

    @Test func repeatedAuthFailuresFromOneAddressAreHeldBack() async throws {
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "right-secret", role: .controller)]
                $0.authFailureLimit = 3
                $0.authFailureCloseDelay = .milliseconds(1)
            }
        ) { e in
            for client in ClientID(1)...3 {
                await e.clientConnected(client, peer: "198.51.100.7")
                await send(e, client, #"{"type":"auth","id":1,"token":"wrong"}"#)
                guard case .failure(let error) = await sink.result(client, id: 1) else {
                    Issue.record("a wrong token was accepted")
                    return
                }
                #expect(error.code == .unauthorized)
            }
            await e.clientConnected(4, peer: "198.51.100.7")
            await send(e, 4, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            guard case .failure(let held) = await sink.result(4, id: 1) else {
                Issue.record("accepted")
                return
            }
            #expect(held.code == .rateLimited)
            await e.clientConnected(5, peer: "203.0.113.9")
            await send(e, 5, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            #expect(await sink.result(5, id: 1) == .success(.role(.controller)))
        }
    }

    @Test func wrongPINsForOneConferenceAreThrottledAcrossSessions() async throws {
        try await withEngine(
            engine {
                $0.conferencePINFailureLimit = 3
                $0.maxPINAttempts = 5
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            var id = 0
            func nextID() -> Int {
                id += 1
                return id
            }
            let first = try #require(session(await join(e, 1, id: nextID(), alias: "pin")))
            for _ in 0..<2 {
                let i = nextID()
                await send(e, 1, #"{"type":"pin","id":\#(i),"session":"\#(first.id)","pin":"9"}"#)
                _ = await sink.result(1, id: i)
            }
            let second = try #require(session(await join(e, 1, id: nextID(), alias: "pin")))
            var i = nextID()
            await send(e, 1, #"{"type":"pin","id":\#(i),"session":"\#(second.id)","pin":"8"}"#)
            _ = await sink.result(1, id: i)
            let headersBefore = upstream.pinHeaders.count
            i = nextID()
            await send(e, 1, #"{"type":"pin","id":\#(i),"session":"\#(second.id)","pin":"5678"}"#)
            guard case .failure(let error) = await sink.result(1, id: i) else {
                Issue.record("accepted")
                return
            }
            #expect(error.code == .rateLimited)
            #expect(upstream.pinHeaders.count == headersBefore)
            // Another conference is not affected.
            let other = try #require(session(await join(e, 1, id: nextID(), alias: "hostpin")))
            i = nextID()
            await send(e, 1, #"{"type":"pin","id":\#(i),"session":"\#(other.id)","pin":"4321"}"#)
            #expect(session(await sink.result(1, id: i))?.state == .connected)
        }
    }
}

extension InfinityParticipant {
    static func fake(_ uuid: String, name: String, muted: Bool = false) -> InfinityParticipant {
        InfinityParticipant(
            uuid: uuid,
            displayName: name,
            role: .guest,
            isMuted: muted,
            isPresenting: false,
            isSpotlight: false,
            serviceType: "conference",
            protocolName: "webrtc"
        )
    }
}
