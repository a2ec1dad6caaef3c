import BridgeClient
import BridgeProtocol
import Foundation
import InfinitySimulator
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13 on PostgreSQL: two bridge processes on one store, the simulator in this test process (set up by
/// `StoreClusterTests.Cluster`).
@Suite("Instances on one PostgreSQL store", .postgres)
struct StoreInstancesTests {
    static func list(_ client: TestClient) async -> [SessionSnapshot] {
        guard case .success(.sessions(let all, _))? = try? await client.request(.list) else { return [] }
        return all
    }

    @Test func listOnEitherInstanceShowsEverySessionAndTheOtherTakesOverAfterSIGKILL() async throws {
        let cluster = try await StoreClusterTests.Cluster("instances")
        let simulator = cluster.simulator
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }

        let s = try await cluster.join(onA, "t.open", name: "Shared")
        // B lists A's session (as A last wrote it) without holding it.
        let seenOnB = await eventually(timeout: .seconds(20)) {
            await Self.list(onB).contains { $0.id == s && $0.state == .connected }
        }
        #expect(seenOnB, "\(b.stderr.suffix(2000))")
        #expect(!b.stderr.contains("session taken over"))
        #expect(await Self.list(onA).map(\.id) == [s])

        // A dies; once its lease lapses, B holds the session: same id, connected, no new participant.
        let stored = await eventually { a.stderr.contains("session token stored") }
        #expect(stored)
        kill(a.process.processIdentifier, SIGKILL)
        #expect(await a.waitForExit() == SIGKILL)
        await onA.close()
        let taken = await eventually(timeout: .seconds(30)) { b.stderr.contains("session taken over") }
        #expect(taken, "\(b.stderr.suffix(3000))")
        let result = try await onB.request(.subscribe(session: s, sinceSeq: nil))
        guard case .success(.sessions(let snapshots, _)) = result else {
            Issue.record("subscribe on B: \(result)")
            return
        }
        #expect(snapshots.first?.state == .connected)
        let calls = simulator.calls(alias: "t.open")
        #expect(calls.filter { $0.endpoint == "request_token" }.count == 1)
        #expect(!calls.contains { $0.endpoint == "release_token" })
        #expect(simulator.participants(alias: "t.open").filter { $0.displayName == "Shared" }.count == 1)

        await onB.close()
        b.stop()
        #expect(await b.waitForExit() == 0)
        await cluster.remove()
    }

    @Test func aRollingRestartKeepsTheSessionConnected() async throws {
        let cluster = try await StoreClusterTests.Cluster("rolling")
        let simulator = cluster.simulator
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }
        let s = try await cluster.join(onA, "t.open", name: "Rolling")
        // A dashboard on B watches throughout.
        guard case .success(.sessions(let watched, _)) = try await onB.request(.subscribe(session: s, sinceSeq: nil)),
            let firstSeq = watched.first?.seq
        else {
            Issue.record("subscribe on B")
            return
        }

        // Step 1: A stops (SIGTERM, handover); B holds the session, taken over at once (A announced the release).
        a.stop()
        #expect(await a.waitForExit() == 0)
        await onA.close()
        let onBNow = await eventually(timeout: .seconds(20)) { b.stderr.contains("session taken over") }
        #expect(onBNow, "\(b.stderr.suffix(3000))")
        // Step 2: A comes back; B stops; the new A holds the session. B's watcher resumes on the new A.
        let a2 = try cluster.serve("a")
        defer { a2.stop() }
        let onA2 = try await StoreRestartTests.connect(a2)
        b.stop()
        #expect(await b.waitForExit() == 0)
        let seenOnB = onB.events.filter { $0.session == s }
        await onB.close()
        let backOnA = await eventually(timeout: .seconds(20)) { a2.stderr.contains("session taken over") }
        #expect(backOnA, "\(a2.stderr.suffix(3000))")
        let lastSeen = seenOnB.last?.seq ?? firstSeq
        let result = try await onA2.request(.subscribe(session: s, sinceSeq: lastSeen))
        guard case .success(.sessions(let snapshots, let replayed)) = result else {
            Issue.record("subscribe on the new A: \(result)")
            return
        }
        #expect(replayed == true)
        #expect(snapshots.first?.state == .connected)
        #expect(snapshots.first?.id == s)
        let now = try #require(snapshots.first?.seq)
        if now > lastSeen {
            try await onA2.waitFor { if case .event(let e) = $0 { e.session == s && e.seq == now } else { false } }
        }
        // The watcher, resumed: both handovers, never a disconnection, and its seqs run on without a gap.
        let seen = seenOnB + onA2.events.filter { $0.session == s }
        let handovers = seen.filter { if case .upstream(let u) = $0.payload { u.status == .handover } else { false } }
        #expect(handovers.count == 2, "\(seen.map(\.payload.type))")
        let left = seen.filter { if case .state(let c) = $0.payload { c.state != .connected } else { false } }
        #expect(left.isEmpty, "\(left)")
        #expect(seen.map(\.seq) == Array((firstSeq + 1)..<(firstSeq + 1 + seen.count)))
        let calls = simulator.calls(alias: "t.open")
        #expect(calls.filter { $0.endpoint == "request_token" }.count == 1)
        #expect(!calls.contains { $0.endpoint == "release_token" })
        #expect(simulator.participants(alias: "t.open").filter { $0.displayName == "Rolling" }.count == 1)
        await onA2.close()
        a2.stop()
        #expect(await a2.waitForExit() == 0)
        await cluster.remove()
    }
}
