import BridgeProtocol
import Clocks
import InfinityClient
import Logging
import Testing

@testable import BridgeCore

/// Security review findings 2, 8 and 9 as the engine sees them (the socket-level attacks are integration tests).
@Suite("Bridge engine hardening", .timeLimit(.minutes(1)))
struct EngineHardeningTests: EngineFixture {
    let upstream = FakeUpstream(rooms: [
        "open": .init(hostPIN: nil, guestPIN: nil),
        "pin": .init(hostPIN: "1234", guestPIN: "5678"),
    ])
    let sink = RecordingSink()
    let clock = TestClock<Duration>()

    @Test func aHostileNodesHugeNameAndChatAreCutBeforeTheyArePublished() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, joinFrame(id: 1, alias: "open"))
            let s = try #require(session(await sink.result(1, id: 1)))
            let link = try #require(upstream.links.first)
            let huge = String(repeating: "N", count: 1 << 20)
            link.push(.event(.participantCreate(.fake("a", name: huge))))
            link.push(.event(.messageReceived(InfinityChatMessage(origin: huge, senderUUID: "a", payload: huge))))
            let chat = await sink.until {
                sink.events(1).lazy.compactMap { if case .message(let m) = $0.payload { m } else { nil } }.first
            }
            #expect(chat.text.utf8.count <= 4096)
            #expect(chat.from.displayName.utf8.count <= 256)
            let joined = sink.events(1).compactMap { if case .participantJoined(let p) = $0.payload { p } else { nil } }
            #expect(joined.map { $0.displayName.utf8.count <= 256 } == [true])
            // Every frame stays small, and `list` still works.
            #expect(sink.raw(1).allSatisfy { $0.count < 16 * 1024 })
            await send(e, 1, #"{"type":"list","id":2}"#)
            guard case .success(.sessions(let list, _)) = await sink.result(1, id: 2) else {
                Issue.record("list failed")
                return
            }
            #expect(list.map(\.id) == [s.id])
        }
    }

    @Test func aPINRefusalWordedOtherwiseCountsAsAWrongPIN() async throws {
        try await withEngine(engine { $0.conferencePINFailureLimit = 2 }) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, joinFrame(id: 1, alias: "pin"))
            let s = try #require(session(await sink.result(1, id: 1)))
            upstream.answerNext(.refused(status: 403, message: "Access denied"))
            await send(e, 1, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":"0000"}"#)
            guard case .failure(let first) = await sink.result(1, id: 2) else {
                Issue.record("a refused PIN was accepted")
                return
            }
            #expect(first.code == .invalidPIN)
            #expect(first.attemptsLeft == 4)
            await send(e, 1, #"{"type":"pin","id":3,"session":"\#(s.id)","pin":"0001"}"#)
            _ = await sink.result(1, id: 3)
            // Two refusals spent the conference's budget, whatever words the node used.
            let before = upstream.pinHeaders.count
            await send(e, 1, #"{"type":"pin","id":4,"session":"\#(s.id)","pin":"5678"}"#)
            guard case .failure(let held) = await sink.result(1, id: 4) else {
                Issue.record("the guard let a third PIN through")
                return
            }
            #expect(held.code == .rateLimited)
            #expect(upstream.pinHeaders.count == before)
            #expect(await e.statistics.pinFailures == 2)
        }
    }

    @Test func rotatingAddressesInsideOneIPv6Slash64DoesNotResetTheAuthBudget() async throws {
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "right-secret", role: .controller)]
                $0.authFailureLimit = 3
            }
        ) { e in
            for client in ClientID(1)...3 {
                await e.clientConnected(client, peer: "2001:db8:7:7::\(client)")
                await send(e, client, #"{"type":"auth","id":1,"token":"wrong"}"#)
                guard case .failure(let error) = await sink.result(client, id: 1) else {
                    Issue.record("a wrong token was accepted")
                    return
                }
                #expect(error.code == .unauthorized)
            }
            await e.clientConnected(4, peer: "2001:db8:7:7:ffff:1:2:3")
            await send(e, 4, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            guard case .failure(let held) = await sink.result(4, id: 1) else {
                Issue.record("a rotated address got a fresh budget")
                return
            }
            #expect(held.code == .rateLimited)
            await e.clientConnected(5, peer: "2001:db8:7:8::1")
            await send(e, 5, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            #expect(await sink.result(5, id: 1) == .success(.role(.controller)))
        }
    }

    @Test func aGlobalAuthBudgetHoldsBackEveryAddressThenLetsGoOnTheClock() async throws {
        let window = Duration.seconds(60)
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "right-secret", role: .controller)]
                $0.authFailureLimit = 100
                $0.authGlobalFailureLimit = 4
                $0.authFailureWindow = window
            }
        ) { e in
            for client in ClientID(1)...4 {
                await e.clientConnected(client, peer: "198.51.100.\(client)")
                await send(e, client, #"{"type":"auth","id":1,"token":"wrong"}"#)
                _ = await sink.result(client, id: 1)
            }
            await e.clientConnected(5, peer: "203.0.113.50")
            await send(e, 5, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            guard case .failure(let held) = await sink.result(5, id: 1) else {
                Issue.record("the global budget did not hold")
                return
            }
            #expect(held.code == .rateLimited)
            await clock.advance(by: window)
            await e.clientConnected(6, peer: "203.0.113.50")
            await send(e, 6, #"{"type":"auth","id":1,"token":"right-secret"}"#)
            #expect(await sink.result(6, id: 1) == .success(.role(.controller)))
        }
    }

    @Test func overLongFieldsAreRefusedNamingTheFieldAndNobodyElseIsTouched() async throws {
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await e.clientConnected(2, peer: "p")
            await send(e, 2, #"{"type":"subscribe","id":1}"#)
            _ = await sink.result(2, id: 1)
            let name = String(repeating: "x", count: 65_536)
            await send(e, 1, #"{"type":"join","id":1,"node":"n.example.com","alias":"open","display_name":"\#(name)"}"#)
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("a 64 KiB display name was accepted")
                return
            }
            #expect(error.code == .badRequest)
            #expect(error.message.contains("display_name"))
            #expect(!error.message.contains("xxxx"))
            #expect(await e.sessionCount == 0)
            #expect(sink.events(2).isEmpty)
            #expect(sink.closeCode(1) == nil && sink.closeCode(2) == nil)
        }
    }

    @Test func beforeAuthOnlySmallFramesAreDecoded() async throws {
        try await withEngine(
            engine {
                $0.authTokens = [AuthToken(secret: "right-secret", role: .controller)]
                $0.maxFrameBytesBeforeAuth = 256
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            let padding = String(repeating: " ", count: 300)
            await send(e, 1, #"{"type":"auth","id":1,"token":"right-secret"}"# + padding)
            guard case .error(let error) = sink.messages(1).last else {
                Issue.record("a large frame before auth was decoded: \(sink.messages(1))")
                return
            }
            #expect(error.code == .badRequest)
            await send(e, 1, #"{"type":"auth","id":2,"token":"right-secret"}"#)
            #expect(await sink.result(1, id: 2) == .success(.role(.controller)))
            await send(e, 1, #"{"type":"ping","id":3}"# + padding)
            #expect(await sink.result(1, id: 3) == .success(.empty))
        }
    }
}
