import BridgeClient
import BridgeProtocol
import Foundation
import InfinityClient
import InfinitySimulator
import Testing

/// Every way in over the real transport against the simulator: Virtual Reception, identity providers and SSO,
/// transfers by the node, disconnect reasons, and node discovery by DNS (a responder on loopback).
@Suite("Every way in over real sockets", .timeLimit(.minutes(2)))
struct WaysInIntegrationTests {
    static let idp = SimulatedIdentityProvider(uuid: "9d1c3b2a-0000-4000-8000-00000000c0de", name: "Test IdP")

    static var rooms: [SimulatedRoom] {
        var reception = SimulatedRoom(alias: "t.reception", name: "Reception")
        reception.receptionKind = "standard"
        var sso = SimulatedRoom(alias: "t.sso", name: "Sign-in")
        sso.identityProviders = [idp]
        return [reception, sso]
    }

    static func start(_ configure: (inout TestBridge.Configuration) -> Void = { _ in }) async throws -> TestBridge {
        try await TestBridge.start {
            $0.simulator.rooms += rooms
            configure(&$0)
        }
    }

    @Test func virtualReceptionWithAWrongThenARightExtension() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.reception")
        #expect(s.state == .extensionRequired)
        #expect(s.extension == ExtensionRequirement(kind: .standard))
        let wrong = try await client.failure(.wayIn(session: s.id, .conferenceExtension("t.nowhere")))
        #expect(wrong.code == .extensionNotFound)
        let ok = try await client.session(.wayIn(session: s.id, .conferenceExtension("t.open")))
        #expect(ok.state == .connected)
        #expect(ok.alias == "t.reception")
        _ = try await me(client, ok)
        await client.close()
        await bridge.stop()
    }

    @Test func extensionUpFrontThenThePINOfTheTarget() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.session(
            .join(JoinParameters(node: "simulator", alias: "t.reception", displayName: "Bot", extension: "t.pin"))
        )
        #expect(s.state == .pinRequired)
        let ok = try await client.session(.pin(session: s.id, pin: TestPINs.guest))
        #expect(ok.state == .connected && ok.role == .guest)
        await client.close()
        await bridge.stop()
    }

    @Test func identityProviderThenSignInThenConnected() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.sso")
        #expect(s.state == .idpRequired)
        #expect(s.idps == [IdPInfo(uuid: Self.idp.uuid, name: Self.idp.name)])
        let unknown = try await client.failure(.wayIn(session: s.id, .idp("not-offered")))
        #expect(unknown.code == .invalidValue)
        let redirect = try await client.session(.wayIn(session: s.id, .idp(Self.idp.uuid)))
        #expect(redirect.state == .ssoRequired)
        let sso = try #require(redirect.sso)
        #expect(sso.redirectURL.hasPrefix(bridge.simulator.baseURL + "/sso/signin?idp="))
        let bogus = "forged-sso-token-5a6b7c8d9e"
        let refused = try await client.failure(.wayIn(session: s.id, .ssoToken(bogus)))
        #expect(refused.code == .ssoFailed)
        let listed = try await client.request(.list)
        guard case .success(.sessions(let sessions, _)) = listed else {
            Issue.record("no list: \(listed)")
            return
        }
        #expect(sessions.first?.state == .ssoRequired)
        let token = bridge.simulator.mintSSOToken(idp: Self.idp.uuid, user: "ann")
        let ok = try await client.session(.wayIn(session: s.id, .ssoToken(token)))
        #expect(ok.state == .connected)
        let metrics = try await httpGet(port: bridge.port, path: "/metrics")
        #expect(metrics.status == 200)
        await client.close()
        await bridge.stop()
        for text in client.connection.receivedFrames + bridge.logs.all + [metrics.body] {
            #expect(!text.contains(token) && !text.contains(bogus), "an SSO token leaked: \(text.prefix(200))")
        }
    }

    @Test func answersInTheWrongStateAreRefused() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let open = try await client.join("t.open")
        for request: Request in [
            .wayIn(session: open.id, .conferenceExtension("t.pin")), .wayIn(session: open.id, .idp(Self.idp.uuid)),
            .wayIn(session: open.id, .ssoToken("x")),
        ] {
            #expect(try await client.failure(request).code == .invalidState)
        }
        let reception = try await client.join("t.reception")
        #expect(try await client.failure(.wayIn(session: reception.id, .ssoToken("x"))).code == .invalidState)
        #expect(try await client.failure(.pin(session: reception.id, pin: "1")).code == .invalidState)
        let noDomain = try await client.failure(.join(JoinParameters(node: nil, alias: "t.open", displayName: "B")))
        #expect(noDomain.code == .badRequest)
        await client.close()
        await bridge.stop()
    }

    /// The own participant's uuid, once the roster has it.
    func me(_ client: TestClient, _ s: SessionSnapshot) async throws -> String {
        if let mine = s.participants.first(where: { $0.isSelf }) { return mine.uuid }
        let m = try await client.waitFor {
            if case .event(let e) = $0, e.session == s.id, case .participantJoined(let p) = e.payload {
                p.isSelf
            } else {
                false
            }
        }
        guard case .event(let e) = m, case .participantJoined(let p) = e.payload else { throw CancellationError() }
        return p.uuid
    }

    @Test func referToAnOpenRoom() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.pin", pin: TestPINs.host)
        let oneTime = try bridge.simulator.refer(alias: "t.pin", uuid: try await me(client, s), to: "t.open")
        let m = try await client.waitFor {
            if case .event(let e) = $0, e.session == s.id, case .state(let c) = e.payload {
                c.reason == .transferred
            } else {
                false
            }
        }
        guard case .event(let e) = m, case .state(let moved) = e.payload else { throw CancellationError() }
        #expect(moved.state == .connecting)
        #expect(moved.alias == "t.open")
        let movedAt = e.seq
        try await client.waitFor {
            if case .event(let later) = $0, later.session == s.id, later.seq > movedAt,
                case .state(let c) = later.payload
            {
                c.state == .connected
            } else {
                false
            }
        }
        #expect(await eventually { bridge.simulator.liveTokenCount(alias: "t.pin") == 0 })
        #expect(bridge.simulator.oneTimeTokensUsed(alias: "t.open") == 1)
        let listed = try await client.request(.list)
        guard case .success(.sessions(let sessions, _)) = listed, let now = sessions.first else {
            Issue.record("no list: \(listed)")
            return
        }
        #expect(now.id == s.id && now.alias == "t.open" && now.state == .connected)
        let metrics = try await httpGet(port: bridge.port, path: "/metrics")
        #expect(metrics.status == 200)
        await client.close()
        await bridge.stop()
        for text in client.connection.receivedFrames + bridge.logs.all + [metrics.body] {
            #expect(!text.contains(oneTime), "a refer token leaked: \(text.prefix(200))")
        }
    }

    @Test func referToAPINRoomAsksItsPIN() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        try bridge.simulator.refer(alias: "t.open", uuid: try await me(client, s), to: "t.pin")
        let asked = try await client.waitForState(s.id, .pinRequired)
        #expect(asked.pin == PINRequirement(host: true, guest: true))
        let ok = try await client.session(.pin(session: s.id, pin: TestPINs.guest))
        #expect(ok.state == .connected && ok.alias == "t.pin" && ok.role == .guest)
        await client.close()
        await bridge.stop()
    }

    @Test func referToARoomThatRefusesEndsInError() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        try bridge.simulator.refer(alias: "t.open", uuid: try await me(client, s), to: "t.gone")
        let failed = try await client.waitForState(s.id, .error)
        #expect(failed.error?.code == .conferenceNotFound)
        #expect(failed.error?.message.contains("Neither conference nor gateway found") == true)
        await client.close()
        await bridge.stop()
    }

    @Test func theNodesDisconnectReasonReachesClientsAsOneLine() async throws {
        let bridge = try await Self.start()
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        let reason = "Removed by\nthe host\u{1B}[31m " + String(repeating: "z", count: 400)
        try bridge.simulator.disconnectParticipant(alias: "t.open", uuid: try await me(client, s), reason: reason)
        let ended = try await client.waitForState(s.id, .disconnected)
        #expect(ended.reason == .remoteDisconnect)
        let message = try #require(ended.message)
        #expect(message.hasPrefix("Removed by the host [31m zzz"))
        #expect(message.count <= 200)
        #expect(!message.contains("\n") && !message.contains("\u{1B}"))
        await client.close()
        await bridge.stop()
    }
}

/// `join` without `node`: DNS SRV on a responder on loopback, the node behind TLS with a private CA.
@Suite("Node discovery over real sockets", .timeLimit(.minutes(2)))
struct DiscoveryIntegrationTests {
    /// A standalone simulator behind one or two TLS front doors, a DNS responder, and a bridge that asks it.
    func withDiscovery(
        fallbackToDoor: Bool = false,
        _ body: (TestBridge, DNSResponder, [TLSFrontDoor]) async throws -> Void
    ) async throws {
        let ca = try await PrivateCA.make()
        defer { ca.remove() }
        // Nodes know their conferences by full alias too.
        var simulatorConfiguration = SimulatorConfiguration(rooms: [SimulatedRoom(alias: "t.open@127.0.0.1")])
        simulatorConfiguration.demoActivity = false
        let simulator = InfinitySimulator(configuration: simulatorConfiguration)
        let port = try await simulator.start()
        let doors = [
            try await TLSFrontDoor(
                certificatePath: ca.serverCertificatePath,
                keyPath: ca.serverKeyPath,
                upstreamPort: port
            ),
            try await TLSFrontDoor(
                certificatePath: ca.serverCertificatePath,
                keyPath: ca.serverKeyPath,
                upstreamPort: port
            ),
        ]
        let dns = try await DNSResponder()
        let bridge = try await TestBridge.start {
            $0.embedsSimulator = false
            $0.infinity.trustRootsPEMFile = ca.caCertificatePath
            $0.infinity.dnsServer = dns.address
            $0.infinity.connectTimeout = .seconds(2)
            if fallbackToDoor { $0.infinity.discoveryFallbackPort = doors[0].port }
            $0.allowedNodes = ["127.0.0.1"]
        }
        do {
            try await body(bridge, dns, doors)
        } catch {
            Issue.record(error)
        }
        await bridge.stop()
        await dns.stop()
        for door in doors { await door.stop() }
        await simulator.stop()
    }

    func join(_ bridge: TestBridge, _ alias: String) async throws -> Result<ResultData, ErrorBody> {
        let client = try await bridge.client()
        defer { Task { await client.close() } }
        return try await client.request(.join(JoinParameters(node: nil, alias: alias, displayName: "Found")))
    }

    @Test func lowestPriorityFirst() async throws {
        try await withDiscovery { bridge, dns, doors in
            dns.set(
                "_pexapp._tcp.127.0.0.1",
                [
                    .init(priority: 20, weight: 10, port: UInt16(doors[1].port), target: "127.0.0.1"),
                    .init(priority: 10, weight: 10, port: UInt16(doors[0].port), target: "127.0.0.1"),
                ]
            )
            let r = try await join(bridge, "t.open@127.0.0.1")
            guard case .success(.session(let s)) = r else {
                Issue.record(
                    "join: \(r); log: \(bridge.logs.all.filter { $0.contains("discover") || $0.contains("infinity") }.suffix(8))"
                )
                return
            }
            #expect(s.state == .connected)
            #expect(s.node == "127.0.0.1:\(doors[0].port)")
            #expect(dns.questions == ["_pexapp._tcp.127.0.0.1"])
        }
    }

    @Test func aTargetThatDoesNotAnswerIsSkipped() async throws {
        // Refused for the whole test (a port closed after a bind could meanwhile serve another test).
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let dead = UInt16(refusing.port)
        try await withDiscovery { bridge, dns, doors in
            dns.set(
                "_pexapp._tcp.127.0.0.1",
                [
                    .init(priority: 5, weight: 0, port: dead, target: "127.0.0.1"),
                    .init(priority: 10, weight: 0, port: UInt16(doors[1].port), target: "127.0.0.1"),
                ]
            )
            let r = try await join(bridge, "t.open@127.0.0.1")
            guard case .success(.session(let s)) = r else {
                Issue.record(
                    "join: \(r); log: \(bridge.logs.all.filter { $0.contains("discover") || $0.contains("infinity") }.suffix(8))"
                )
                return
            }
            #expect(s.node == "127.0.0.1:\(doors[1].port)")
        }
    }

    @Test func withoutSRVTheDomainItself() async throws {
        try await withDiscovery(fallbackToDoor: true) { bridge, dns, doors in
            let r = try await join(bridge, "t.open@127.0.0.1")
            guard case .success(.session(let s)) = r else {
                Issue.record(
                    "join: \(r); log: \(bridge.logs.all.filter { $0.contains("discover") || $0.contains("infinity") }.suffix(8))"
                )
                return
            }
            #expect(s.state == .connected)
            #expect(s.node == "127.0.0.1:\(doors[0].port)")
            #expect(dns.questions == ["_pexapp._tcp.127.0.0.1"])
        }
    }

    @Test func recordsThatPointNowhereAreNodeUnreachable() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let dead = UInt16(refusing.port)
        try await withDiscovery { bridge, dns, _ in
            dns.set("_pexapp._tcp.127.0.0.1", [.init(priority: 1, weight: 0, port: dead, target: "127.0.0.1")])
            let r = try await join(bridge, "t.open@127.0.0.1")
            guard case .failure(let error) = r else {
                Issue.record("join succeeded: \(r)")
                return
            }
            #expect(error.code == .nodeUnreachable)
        }
    }
}
