import BridgeProtocol
import Testing

/// Security review findings 2, 9 and 15 over real sockets.
@Suite("Hostile input from clients and nodes")
struct HostileInputTests {
    /// Finding 9: a node that words its PIN refusal otherwise than "Invalid PIN" does not hand out free guesses.
    @Test func aPINRefusalInOtherWordsCountsAsAWrongPIN() async throws {
        let bridge = try await TestBridge.start { $0.simulator.wrongPINStyle = .refusal("Access denied") }
        let client = try await bridge.client()
        let s = try await client.join("t.pin")
        #expect(s.pinAttemptsLeft == 5)
        let refused = try await client.failure(.pin(session: s.id, pin: TestPINs.wrong))
        #expect(refused.code == .invalidPIN)
        #expect(refused.attemptsLeft == 4)
        #expect(!refused.message.contains(TestPINs.wrong))
        await client.close()
        await bridge.stop()
    }

    /// Finding 15: an alias made of dots would walk the node's path (`conferences/../request_token`).
    @Test func dotAliasesAreRefusedBeforeTheNodeIsCalled() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        for alias in ["..", "."] {
            let error = try await client.failure(
                .join(JoinParameters(node: "simulator", alias: alias, displayName: "x"))
            )
            #expect(error.code == .badRequest, "\(alias): \(error)")
        }
        #expect(bridge.simulator.calls(alias: "..").isEmpty)
        await client.close()
        await bridge.stop()
    }

    /// Finding 2: one huge name from the node reaches nobody whole: every client stays connected, `list` and
    /// subscribe-all still work, and the name arrives cut.
    @Test func aHugeNameFromTheNodeDisconnectsNobodyAndListStillWorks() async throws {
        let bridge = try await TestBridge.start()
        let joiner = try await bridge.client()
        let watcher = try await bridge.client()
        let s = try await joiner.join("t.open")
        _ = try await watcher.request(.subscribe(session: nil, sinceSeq: nil))
        // 64 KiB: well under the bridge's limit for one node event (a bigger event ends that stream, which the
        // bridge then reopens), so the name reaches the core, which cuts it before publishing.
        let huge = String(repeating: "N", count: 64 << 10)
        _ = try bridge.simulator.addParticipant(alias: "t.open", displayName: huge, role: .guest, muted: false)
        let joined = try await watcher.waitFor { m in
            if case .event(let e) = m, e.session == s.id, case .participantJoined(let p) = e.payload {
                p.displayName.hasPrefix("NNNN")
            } else {
                false
            }
        }
        guard case .event(let e) = joined, case .participantJoined(let p) = e.payload else {
            Issue.record("unexpected \(joined)")
            return
        }
        #expect(p.displayName.utf8.count <= 1024, "a node's name arrives cut")
        for client in [joiner, watcher] {
            guard case .success(.sessions(let live, _)) = try await client.request(.list) else {
                Issue.record("list failed")
                return
            }
            #expect(live.map(\.id) == [s.id])
        }
        #expect(!joiner.connection.isClosed && !watcher.connection.isClosed)
        await joiner.close()
        await watcher.close()
        await bridge.stop()
    }
}
