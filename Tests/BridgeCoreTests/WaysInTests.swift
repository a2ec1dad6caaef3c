import BridgeProtocol
import Clocks
import InfinityClient
import Logging
import Testing

@testable import BridgeCore

/// Virtual Reception, identity providers, SSO and `refer` through the engine with a fake upstream: no sockets.
@Suite("Ways in (fake upstream, no sockets)", .timeLimit(.minutes(1)))
struct WaysInTests {
    static let okta = IdentityProvider(uuid: "idp-okta", name: "Okta")
    static let other = IdentityProvider(uuid: "idp-other", name: "Other")
    let upstream = FakeUpstream(rooms: [
        "reception": .init(hostPIN: nil, guestPIN: nil, reception: true),
        "open": .init(hostPIN: nil, guestPIN: nil),
        "pin": .init(hostPIN: "1234", guestPIN: "5678"),
        "sso": .init(hostPIN: nil, guestPIN: nil, idps: [okta, other], ssoToken: "sso-secret-9"),
    ])
    let sink = RecordingSink()
    let clock = TestClock<Duration>()

    func engine(_ configure: (inout BridgeConfiguration) -> Void = { _ in }) -> BridgeEngine {
        var configuration = BridgeConfiguration()
        configure(&configuration)
        return BridgeEngine(
            configuration: configuration,
            upstream: upstream,
            sink: sink,
            logger: Logger(label: "test"),
            clock: clock
        )
    }

    func request(_ e: BridgeEngine, id: Int, _ fields: String) async -> Result<ResultData, ErrorBody> {
        await send(e, 1, #"{"id":\#(id),\#(fields)}"#)
        return await sink.result(1, id: id)
    }

    func join(_ e: BridgeEngine, id: Int = 1, alias: String, extra: String = "") async throws -> SessionSnapshot {
        let r = await request(
            e,
            id: id,
            #""type":"join","node":"node.example.com","alias":"\#(alias)","display_name":"Bot"\#(extra)"#
        )
        guard case .success(.session(let s)) = r else { throw Failure("join: \(r)") }
        return s
    }

    /// The first session `list` shows.
    func listed(_ e: BridgeEngine, id: Int) async throws -> SessionSnapshot {
        let r = await request(e, id: id, #""type":"list""#)
        guard case .success(.sessions(let all, _)) = r, let first = all.first else { throw Failure("list: \(r)") }
        return first
    }

    func snapshot(_ r: Result<ResultData, ErrorBody>) throws -> SessionSnapshot {
        guard case .success(.session(let s)) = r else { throw Failure("expected a snapshot, got \(r)") }
        return s
    }

    func failure(_ r: Result<ResultData, ErrorBody>) throws -> ErrorBody {
        guard case .failure(let error) = r else { throw Failure("expected a failure, got \(r)") }
        return error
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test func virtualReceptionThenWrongThenRightExtension() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "reception")
            #expect(s.state == .extensionRequired)
            #expect(s.extension == ExtensionRequirement(kind: .standard))
            let wrong = try failure(
                await request(e, id: 2, #""type":"extension","session":"\#(s.id)","extension":"nope""#)
            )
            #expect(wrong.code == .extensionNotFound)
            let listed = try await listed(e, id: 90)
            #expect(listed.state == .extensionRequired)
            #expect(listed.error?.code == .extensionNotFound)
            let ok = try snapshot(
                await request(e, id: 3, #""type":"extension","session":"\#(s.id)","extension":"open""#)
            )
            #expect(ok.state == .connected)
            #expect(ok.alias == "reception")
            #expect(upstream.extras.map(\.conferenceExtension) == [nil, "nope", "open"])
        }
    }

    @Test func extensionThenThePINOfTheTarget() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "reception")
            let pin = try snapshot(
                await request(e, id: 2, #""type":"extension","session":"\#(s.id)","extension":"pin""#)
            )
            #expect(pin.state == .pinRequired)
            #expect(pin.extension == nil)
            let ok = try snapshot(await request(e, id: 3, #""type":"pin","session":"\#(s.id)","pin":"5678""#))
            #expect(ok.state == .connected && ok.role == .guest)
            // The PIN goes to the reception with the extension, as Pexip's clients send it.
            #expect(upstream.extras.last?.conferenceExtension == "pin")
        }
    }

    @Test func extensionUpFront() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "reception", extra: #","extension":"open""#)
            #expect(s.state == .connected)
            #expect(upstream.extras.map(\.conferenceExtension) == ["open"])
        }
    }

    @Test func unknownExtensionUpFrontAsksAgainWithTheError() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "reception", extra: #","extension":"nope""#)
            #expect(s.state == .extensionRequired)
            #expect(s.error?.code == .extensionNotFound)
            #expect(upstream.extras.map(\.conferenceExtension) == ["nope", nil])
        }
    }

    @Test func wrongExtensionsCountTowardThePINGuard() async throws {
        try await withEngine(engine { $0.conferencePINFailureLimit = 2 }) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "reception")
            for id in 2...3 {
                let r = try failure(
                    await request(e, id: id, #""type":"extension","session":"\#(s.id)","extension":"x\#(id)""#)
                )
                #expect(r.code == .extensionNotFound)
            }
            let held = try failure(
                await request(e, id: 4, #""type":"extension","session":"\#(s.id)","extension":"open""#)
            )
            #expect(held.code == .rateLimited)
            #expect(upstream.extras.count == 3)
        }
    }

    @Test func identityProviderThenSSOThenConnected() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "sso")
            #expect(s.state == .idpRequired)
            #expect(s.idps == [IdPInfo(uuid: "idp-okta", name: "Okta"), IdPInfo(uuid: "idp-other", name: "Other")])
            let unknown = try failure(await request(e, id: 2, #""type":"idp","session":"\#(s.id)","idp":"idp-evil""#))
            #expect(unknown.code == .invalidValue)
            #expect(upstream.extras.count == 1)
            let redirect = try snapshot(await request(e, id: 3, #""type":"idp","session":"\#(s.id)","idp":"idp-okta""#))
            #expect(redirect.state == .ssoRequired)
            #expect(
                redirect.sso
                    == SSORedirect(
                        redirectURL: "https://idp.example/signin",
                        idp: IdPInfo(uuid: "idp-okta", name: "Okta")
                    )
            )
            let bad = try failure(
                await request(e, id: 4, #""type":"sso_token","session":"\#(s.id)","token":"sso-wrong-1""#)
            )
            #expect(bad.code == .ssoFailed)
            #expect(try await listed(e, id: 91).state == .ssoRequired)
            let ok = try snapshot(
                await request(e, id: 5, #""type":"sso_token","session":"\#(s.id)","token":"sso-secret-9""#)
            )
            #expect(ok.state == .connected)
            #expect(upstream.extras.last?.chosenIdP == "idp-okta")
            // The SSO tokens never reach a frame.
            for frame in sink.raw(1) {
                let text = String(decoding: frame, as: UTF8.self)
                #expect(!text.contains("sso-secret-9") && !text.contains("sso-wrong-1"))
            }
        }
    }

    @Test func answersInTheWrongStateAreInvalidState() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let open = try await join(e, alias: "open")
            for (id, fields) in [
                (2, #""type":"extension","session":"\#(open.id)","extension":"x""#),
                (3, #""type":"idp","session":"\#(open.id)","idp":"idp-okta""#),
                (4, #""type":"sso_token","session":"\#(open.id)","token":"t""#),
            ] {
                #expect(try failure(await request(e, id: id, fields)).code == .invalidState)
            }
            let sso = try await join(e, id: 5, alias: "sso")
            #expect(
                try failure(await request(e, id: 6, #""type":"extension","session":"\#(sso.id)","extension":"x""#)).code
                    == .invalidState
            )
            #expect(
                try failure(await request(e, id: 7, #""type":"sso_token","session":"\#(sso.id)","token":"t""#)).code
                    == .invalidState
            )
            #expect(
                try failure(await request(e, id: 8, #""type":"pin","session":"\#(sso.id)","pin":"1""#)).code
                    == .invalidState
            )
            #expect(
                try failure(await request(e, id: 9, #""type":"idp","session":"s-none","idp":"x""#)).code
                    == .unknownSession
            )
        }
    }

    @Test func referMovesTheSessionToAPINRoom() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let s = try await join(e, alias: "open")
            let link = try #require(upstream.links.first)
            link.push(.event(.refer(ReferTarget(alias: "pin", token: "one-time-secret-7"))))
            await sink.waitFor(1) {
                if case .event(let ev) = $0, case .state(let c) = ev.payload { c.state == .pinRequired } else { false }
            }
            let states = sink.events(1).compactMap { ev -> StateChange? in
                if case .state(let c) = ev.payload { c } else { nil }
            }
            let transferred = try #require(states.first { $0.reason == .transferred })
            #expect(transferred.state == .connecting)
            #expect(transferred.alias == "pin")
            #expect(link.released == 1)
            #expect(upstream.aliases == ["open", "pin"])
            #expect(upstream.extras.last?.oneTimeToken == "one-time-secret-7")
            let listed = try await listed(e, id: 90)
            #expect(listed.id == s.id && listed.alias == "pin" && listed.state == .pinRequired)
            _ = try snapshot(await request(e, id: 2, #""type":"pin","session":"\#(s.id)","pin":"1234""#))
            // The one-time token is good for one request only.
            #expect(upstream.extras.last?.oneTimeToken == nil)
            for frame in sink.raw(1) {
                #expect(!String(decoding: frame, as: UTF8.self).contains("one-time-secret-7"))
            }
        }
    }

    @Test func referToARoomThatRefusesEndsInError() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            _ = try await join(e, alias: "open")
            upstream.links.first?.push(.event(.refer(ReferTarget(alias: "gone", token: "t"))))
            let m = await sink.waitFor(1) {
                if case .event(let ev) = $0, case .state(let c) = ev.payload { c.state == .error } else { false }
            }
            guard case .event(let ev) = m, case .state(let change) = ev.payload else {
                Issue.record("unexpected message \(m)")
                return
            }
            #expect(change.error?.code == .conferenceNotFound)
            #expect(change.error?.message.contains("Neither conference nor gateway found") == true)
            #expect(await e.sessionCount == 0)
        }
    }

    @Test func disconnectReasonIsOneCleanLine() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            _ = try await join(e, alias: "open")
            let long = "Ended\nby\u{7}the\thost " + String(repeating: "x", count: 300)
            upstream.links.first?.push(.ended(.remoteDisconnect(long)))
            let m = await sink.waitFor(1) {
                if case .event(let ev) = $0, case .state(let c) = ev.payload { c.state == .disconnected } else { false }
            }
            guard case .event(let ev) = m, case .state(let change) = ev.payload, let message = change.message else {
                Issue.record("unexpected message \(m)")
                return
            }
            #expect(change.reason == .remoteDisconnect)
            #expect(message.count == 200)
            #expect(message.hasPrefix("Ended by the host xx"))
            #expect(!message.unicodeScalars.contains { $0.properties.generalCategory == .control })
        }
    }

    @Test func joinWithoutNodeNeedsADomain() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            let r = try failure(await request(e, id: 1, #""type":"join","alias":"meet.alice","display_name":"Bot""#))
            #expect(r.code == .badRequest)
        }
    }
}
