import BridgeClient
import BridgeProtocol
import Foundation
import InfinitySimulator
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: a bridge with a store outlives its process. The simulator runs in this test process, so it survives
/// the bridge's restart and its side can be checked: one `request_token`, the participant never leaves.
@Suite("A bridge that outlives its process")
struct StoreRestartTests {
    /// A temporary directory with a store key and room for a SQLite file, removed at the end.
    struct Place {
        let directory: URL
        var key: String { directory.appendingPathComponent("store.key").path }
        var database: String { directory.appendingPathComponent("sessions.sqlite").path }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("pexbridge-store-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            var key = [UInt8](repeating: 0, count: 32)
            for i in key.indices { key[i] = UInt8.random(in: 0...255) }
            try Data(key).write(to: URL(fileURLWithPath: self.key))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func serve(_ place: Place, instance: String = "a", extra: [String] = []) throws -> ChildProcess {
        try ChildProcess(
            arguments: [
                "serve", "--listen", "127.0.0.1:0", "--allow-insecure-nodes", "--log-level", "info",
                "--store", "sqlite:\(place.database)", "--store-key-file", place.key, "--instance", instance,
            ] + extra
        )
    }

    static func connect(_ child: ChildProcess) async throws -> TestClient {
        let listening = try await child.line(startingWith: "listening on ")
        let address = listening.dropFirst("listening on ".count)
        return TestClient(try await BridgeConnection.connect(url: "ws://\(address)/ws", recordFrames: true))
    }

    static func startSimulator() async throws -> InfinitySimulator {
        let simulator = InfinitySimulator(
            configuration: SimulatorConfiguration(rooms: TestBridge.rooms),
            logger: Logger(label: "simulator")
        )
        _ = try await simulator.start()
        return simulator
    }

    @Test func aSessionOutlivesARestartOnTheSameSQLiteFile() async throws {
        let place = try Place()
        defer { place.remove() }
        let simulator = try await Self.startSimulator()
        let first = try Self.serve(place)
        defer { first.stop() }
        let client = try await Self.connect(first)
        let joined = try await client.session(
            .join(JoinParameters(node: simulator.baseURL, alias: "t.open", displayName: "Kept", pin: nil))
        )
        let s = joined.id
        #expect(joined.state == .connected)
        _ = try simulator.addParticipant(alias: "t.open", displayName: "Before", role: .guest, muted: false)
        try await client.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload {
                p.displayName == "Before"
            } else {
                false
            }
        }

        // SIGTERM: the session is handed over, not ended.
        first.stop()
        try await client.waitFor {
            if case .event(let e) = $0, e.session == s, case .upstream(let u) = e.payload {
                u.status == .handover
            } else {
                false
            }
        }
        #expect(await first.waitForExit() == 0, "\(first.stderr.suffix(2000))")
        let lastSeen = try #require(client.events.filter { $0.session == s }.last?.seq)
        #expect(
            !client.events.contains {
                if case .state(let c) = $0.payload { c.state == .disconnected } else { false }
            },
            "no disconnected state on handover"
        )
        await client.close()
        #expect(simulator.participants(alias: "t.open").contains { $0.displayName == "Kept" })
        _ = try simulator.addParticipant(alias: "t.open", displayName: "While away", role: .guest, muted: false)

        // The next start on the same file takes it over.
        let second = try Self.serve(place)
        defer { second.stop() }
        let back = try await Self.connect(second)
        // `list` shows stored sessions before they are held again: wait for the takeover itself.
        let taken = await eventually(timeout: .seconds(20)) { second.stderr.contains("session taken over") }
        #expect(taken, "\(second.stderr.suffix(3000))")
        guard case .success(.sessions(let all, _)) = try await back.request(.list) else {
            Issue.record("list failed")
            return
        }
        #expect(all.contains { $0.id == s && $0.state == .connected })
        let result = try await back.request(.subscribe(session: s, sinceSeq: lastSeen))
        guard case .success(.sessions(let snapshots, _)) = result, let snapshot = snapshots.first else {
            Issue.record("subscribe: \(result)")
            return
        }
        #expect(snapshot.id == s)
        #expect(snapshot.state == .connected)
        #expect(snapshot.seq >= lastSeen)
        // The node's roster comes back through the resumed event stream, numbered after what the client saw.
        try await back.waitFor {
            if case .event(let e) = $0, e.session == s, case .participantJoined(let p) = e.payload {
                p.displayName == "While away"
            } else {
                false
            }
        }
        let resumed = back.events.filter { $0.session == s }
        #expect(resumed.first?.seq == lastSeen + 1, "\(resumed.map(\.seq))")
        #expect(resumed.map(\.seq) == Array((lastSeen + 1)..<(lastSeen + 1 + resumed.count)))

        // The node saw one participant throughout: one request_token, no release, no second "Kept".
        let calls = simulator.calls(alias: "t.open")
        #expect(calls.filter { $0.endpoint == "request_token" }.count == 1)
        #expect(!calls.contains { $0.endpoint == "release_token" })
        #expect(simulator.participants(alias: "t.open").filter { $0.displayName == "Kept" }.count == 1)
        #expect(first.stderr.contains("session handed over"))
        #expect(second.stderr.contains("session taken over"))
        for child in [first, second] {
            #expect(!child.stderr.contains("store: "), "store trouble: \(child.stderr.suffix(2000))")
        }

        await back.close()
        second.stop()
        #expect(await second.waitForExit() == 0)
        await simulator.stop()
    }

    @Test func onExitReleaseEndsSessionsAsWithoutAStore() async throws {
        let place = try Place()
        defer { place.remove() }
        let simulator = try await Self.startSimulator()
        let first = try Self.serve(place, extra: ["--on-exit", "release"])
        defer { first.stop() }
        let client = try await Self.connect(first)
        let joined = try await client.session(
            .join(JoinParameters(node: simulator.baseURL, alias: "t.open", displayName: "Released", pin: nil))
        )
        first.stop()
        let change = try await client.waitForState(joined.id, .disconnected)
        #expect(change.reason == .bridgeShutdown)
        #expect(await first.waitForExit() == 0)
        await client.close()
        #expect(simulator.calls(alias: "t.open").contains { $0.endpoint == "release_token" })

        let second = try Self.serve(place)
        defer { second.stop() }
        let back = try await Self.connect(second)
        guard case .success(.sessions(let all, _)) = try await back.request(.list) else {
            Issue.record("list failed")
            return
        }
        #expect(all.isEmpty)
        await back.close()
        second.stop()
        _ = await second.waitForExit()
        await simulator.stop()
    }

    @Test func aSecondProcessOnTheSameSQLiteFileIsRefusedClearly() async throws {
        let place = try Place()
        defer { place.remove() }
        let first = try Self.serve(place)
        defer { first.stop() }
        _ = try await first.line(startingWith: "listening on ")
        let second = try Self.serve(place, instance: "b")
        defer { second.stop() }
        #expect(await second.waitForExit() == 2)
        #expect(second.stderr.contains("locked by another process"), "\(second.stderr)")
        first.stop()
        #expect(await first.waitForExit() == 0)
    }

    @Test func aWrongStoreKeyIsAClearStartUpError() async throws {
        let place = try Place()
        defer { place.remove() }
        let first = try Self.serve(place)
        defer { first.stop() }
        _ = try await first.line(startingWith: "listening on ")
        first.stop()
        #expect(await first.waitForExit() == 0)
        try Data((0..<32).map { UInt8($0) }).write(to: URL(fileURLWithPath: place.key))
        let second = try Self.serve(place)
        defer { second.stop() }
        #expect(await second.waitForExit() == 2)
        #expect(second.stderr.contains("store key does not match"), "\(second.stderr)")
    }
}

extension StoreRestartTests {
    @Test func afterSIGKILLTheNextStartTakesTheSessionOverOnceItsLeaseLapses() async throws {
        let place = try Place()
        defer { place.remove() }
        let simulator = try await Self.startSimulator()
        let lease = ["--lease-seconds", "2", "--log-level", "debug"]
        let first = try Self.serve(place, extra: lease)
        defer { first.stop() }
        let client = try await Self.connect(first)
        let joined = try await client.session(
            .join(JoinParameters(node: simulator.baseURL, alias: "t.open", displayName: "Survivor", pin: nil))
        )
        let s = joined.id
        let stored = await eventually { first.stderr.contains("session token stored") && first.stderr.contains(s) }
        #expect(stored)
        kill(first.process.processIdentifier, SIGKILL)
        #expect(await first.waitForExit() == SIGKILL)
        await client.close()

        let second = try Self.serve(place, extra: lease)
        defer { second.stop() }
        let back = try await Self.connect(second)
        let taken = await eventually(timeout: .seconds(30)) { second.stderr.contains("session taken over") }
        #expect(taken, "\(second.stderr.suffix(3000))")
        let result = try await back.request(.subscribe(session: s, sinceSeq: nil))
        guard case .success(.sessions(let snapshots, _)) = result else {
            Issue.record("subscribe: \(result)")
            return
        }
        #expect(snapshots.first?.state == .connected)
        let calls = simulator.calls(alias: "t.open")
        #expect(calls.filter { $0.endpoint == "request_token" }.count == 1)
        #expect(!calls.contains { $0.endpoint == "release_token" })
        #expect(simulator.participants(alias: "t.open").filter { $0.displayName == "Survivor" }.count == 1)
        await back.close()
        second.stop()
        #expect(await second.waitForExit() == 0)
        await simulator.stop()
    }
}
