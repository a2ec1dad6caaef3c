import BridgeProtocol
import BridgeStore
import Clocks
import Foundation
import InfinityClient
import Locking
import Logging
import MetricsTestKit
import Testing

@testable import BridgeCore

/// The engine with a store (issue 13): a real SQLite store in a temporary file, the fake upstream, a test clock
/// for the engine and an injected wall clock for leases and token expiry.
@Suite("Bridge engine with a store", .timeLimit(.minutes(1)))
struct EngineStoreTests {
    let upstream = FakeUpstream(rooms: ["open": .init(hostPIN: nil, guestPIN: nil)])
    let clock = TestClock<Duration>()
    let wall = WallClock()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("engine-store-\(UUID()).sqlite").path

    func openStore() async throws -> any SessionStore {
        try await openSessionStore(
            .sqlite(path: path),
            key: try StoreKey(fileContents: Array(repeating: 7, count: 32)),
            password: nil,
            logger: Logger(label: "store")
        )
    }

    func engine(
        _ sink: RecordingSink,
        store: any SessionStore,
        instance: String,
        metrics: TestMetrics = TestMetrics()
    ) async -> BridgeEngine {
        var configuration = BridgeConfiguration()
        configuration.allowInsecureNodes = false
        let engine = BridgeEngine(
            configuration: configuration,
            upstream: upstream,
            sink: sink,
            logger: Logger(label: "test"),
            clock: clock
        )
        let wall = wall
        await engine.attachStore(
            StoreSettings(store: store, instance: instance, now: { wall.now }),
            metricsFactory: metrics
        )
        return engine
    }

    /// Polls a condition nothing announces (the store's contents) every 10 ms, for at most 10 s.
    func poll(_ condition: () async -> Bool) async -> Bool {
        for _ in 0..<1000 {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    func removeFiles() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// Joins on a first engine, waits until the store has the session's token and snapshot, and hands it over.
    func joinAndHandOver(_ store: any SessionStore) async throws -> (session: String, seq: Int, token: String) {
        let sink = RecordingSink()
        let first = await engine(sink, store: store, instance: "a")
        return try await withEngine(first) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, #"{"type":"join","id":1,"node":"node.example.com","alias":"open","display_name":"Bot"}"#)
            guard case .success(.session(let s)) = await sink.result(1, id: 1) else {
                Issue.record("join failed")
                throw CancellationError()
            }
            let stored = await poll {
                guard let saved = try? await store.load(s.id) else { return false }
                return saved.token != nil && saved.snapshot != nil && saved.seq == s.seq
            }
            #expect(stored)
            await e.shutdown()
            let handover = sink.events(1).last
            guard case .upstream(let status)? = handover?.payload else {
                Issue.record("no handover event: \(String(describing: handover))")
                throw CancellationError()
            }
            #expect(status.status == .handover)
            #expect(upstream.links.first?.released == 0)
            #expect(upstream.links.first?.closed == 1)
            return (s.id, handover?.seq ?? 0, try #require(upstream.grants.first?.token))
        }
    }

    @Test func aHandedOverSessionIsTakenOverWithTheSameTokenAndSeq() async throws {
        defer { removeFiles() }
        let store = try await openStore()
        let (session, seq, token) = try await joinAndHandOver(store)
        let lease = try #require(try await store.sessions().first)
        #expect(lease.session == session)
        #expect(lease.holder == nil)

        wall.advance(by: .seconds(5))
        let sink = RecordingSink()
        let metrics = TestMetrics()
        let second = await engine(sink, store: store, instance: "b", metrics: metrics)
        await second.clientConnected(2, peer: "p")
        await send(second, 2, #"{"type":"subscribe","id":1}"#)
        try await withEngine(second) { e in
            let back = await poll { upstream.grants.count == 2 }
            #expect(back)
            #expect(upstream.grants.last?.token == token)
            #expect(upstream.pinHeaders.count == 1, "no second request_token")
            await send(e, 2, #"{"type":"subscribe","id":2,"session":"\#(session)","since_seq":\#(seq)}"#)
            guard case .success(.sessions(let snapshots, _)) = await sink.result(2, id: 2) else {
                Issue.record("subscribe failed")
                return
            }
            #expect(snapshots.first?.state == .connected)
            #expect(snapshots.first?.seq == seq)
            let lease = try? await store.sessions().first
            #expect(lease?.holder == "b")
            #expect(lease?.epoch == 2)
            #expect((try? metrics.expectCounter("pexbridge_store_takeovers_total"))?.totalValue == 1)
            #expect((try? metrics.expectMeter("pexbridge_store_leases"))?.lastValue == 1)
        }
        #expect((try? metrics.expectCounter("pexbridge_store_handovers_total"))?.totalValue == 1)
        await store.close()
    }

    @Test func aSessionWhoseTokenExpiredEndsWithUpstreamLost() async throws {
        defer { removeFiles() }
        let store = try await openStore()
        let (session, seq, _) = try await joinAndHandOver(store)

        // Past the token's lifetime (120 s from the grant).
        wall.advance(by: .seconds(121))
        let sink = RecordingSink()
        let second = await engine(sink, store: store, instance: "b")
        await second.clientConnected(2, peer: "p")
        await send(second, 2, #"{"type":"subscribe","id":1}"#)
        try await withEngine(second) { _ in
            let ended = await sink.waitFor(2) {
                if case .event(let e) = $0, e.session == session, case .state(let c) = e.payload {
                    c.state == .disconnected
                } else {
                    false
                }
            }
            guard case .event(let event) = ended, case .state(let change) = event.payload else {
                Issue.record("\(ended)")
                return
            }
            #expect(change.reason == .upstreamLost)
            #expect(event.seq == seq + 1)
            #expect(upstream.grants.count == 1, "the expired token is not used")
            let gone = await poll { (try? await store.sessions().isEmpty) == true }
            #expect(gone)
        }
        await store.close()
    }
}

/// The wall clock of leases and token expiries, moved by the test.
final class WallClock: Sendable {
    private let time = Mutex(StoreTime(milliseconds: 1_800_000_000_000))

    var now: StoreTime { time.withLock { $0 } }

    func advance(by duration: Duration) {
        time.withLock { $0 = $0 + duration }
    }
}

extension EngineStoreTests {
    static func statuses(_ events: [SessionEvent]) -> [UpstreamStatus.Status] {
        events.compactMap { event in
            if case .upstream(let status) = event.payload { status.status } else { nil }
        }
    }

    @Test func writesTheStoreRefusedAreKeptAndWrittenOnceItIsBack() async throws {
        defer { removeFiles() }
        let store = FlakyStore(try await openStore())
        let sink = RecordingSink()
        let e = await engine(sink, store: store, instance: "a")
        try await withEngine(e) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, #"{"type":"join","id":1,"node":"node.example.com","alias":"open","display_name":"Bot"}"#)
            guard case .success(.session(let s)) = await sink.result(1, id: 1) else {
                Issue.record("join failed")
                return
            }
            #expect(await poll { (try? await store.load(s.id))?.seq == s.seq })

            store.setFailing(true)
            let link = try #require(upstream.links.first)
            link.push(.health(.reconnecting(attempt: 1, delay: .seconds(1))))
            link.push(.health(.ok))
            // Fan-out does not wait for the store, and the session's clients are told it is away.
            _ = await sink.until { sink.events(1).count == s.seq + 2 ? true : nil }
            #expect(await poll { store.failures > 0 })
            _ = await sink.until { Self.statuses(sink.events(1)).contains(.storeUnavailable) ? true : nil }

            store.setFailing(false)
            let written = await poll {
                await clock.advance(by: BridgeEngine.storeRetryDelay)
                guard Self.statuses(sink.events(1)).contains(.storeRestored), let last = sink.events(1).last?.seq,
                    let saved = try? await store.load(s.id)
                else { return false }
                return saved.seq == last && saved.events.last?.seq == last
            }
            #expect(written)
            let last = try #require(sink.events(1).last?.seq)
            let events = try await store.load(s.id)?.events.map(\.seq) ?? []
            #expect(events == Array(1...last))
            #expect(
                Self.statuses(sink.events(1)) == [.reconnecting, .ok, .storeUnavailable, .storeRestored],
                "the upstream's own health, then the store's going and coming back, each once"
            )
        }
        await store.close()
    }
}

/// A store that refuses writes while told to (the store "away"), counting the refusals.
final class FlakyStore: SessionStore {
    let base: any SessionStore
    private let state = Mutex((failing: false, failures: 0))

    init(_ base: any SessionStore) {
        self.base = base
    }

    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }
    var failures: Int { state.withLock { $0.failures } }

    private func check() throws {
        try state.withLock { state in
            guard state.failing else { return }
            state.failures += 1
            throw StoreError.unavailable("the test stopped the store")
        }
    }

    func acquire(_ session: String, holder: String, for duration: Duration, now: StoreTime) async throws -> Lease? {
        try await base.acquire(session, holder: holder, for: duration, now: now)
    }
    func renew(_ lease: Lease, for duration: Duration, now: StoreTime) async throws -> Lease {
        try await base.renew(lease, for: duration, now: now)
    }
    func release(_ lease: Lease) async throws { try await base.release(lease) }
    func saveSnapshot(_ snapshot: [UInt8], seq: Int, lease: Lease) async throws {
        try check()
        try await base.saveSnapshot(snapshot, seq: seq, lease: lease)
    }
    func appendEvent(seq: Int, frame: [UInt8], keeping depth: Int, lease: Lease) async throws {
        try check()
        try await base.appendEvent(seq: seq, frame: frame, keeping: depth, lease: lease)
    }
    func appendEvents(_ events: [StoredEvent], keeping depth: Int, lease: Lease) async throws {
        try check()
        try await base.appendEvents(events, keeping: depth, lease: lease)
    }
    func saveToken(_ token: StoredToken, lease: Lease) async throws {
        try check()
        try await base.saveToken(token, lease: lease)
    }
    func remove(_ lease: Lease) async throws { try await base.remove(lease) }
    func sessions() async throws -> [LeaseState] { try await base.sessions() }
    func snapshots() async throws -> [StoredSnapshot] { try await base.snapshots() }
    func load(_ session: String) async throws -> StoredSession? { try await base.load(session) }
    func close() async { await base.close() }
}

extension EngineStoreTests {
    /// A holder paused past its lease (its ticker never ran: its clock stood still) finds, on its next write,
    /// that another instance holds the session: it drops the session without releasing the token, and the
    /// store keeps only the new holder's writes.
    @Test func aHolderWhoseLeaseLapsedIsFencedOffAndLetsGo() async throws {
        defer { removeFiles() }
        let store = try await openStore()
        let sinkA = RecordingSink()
        let a = await engine(sinkA, store: store, instance: "a")
        let sinkB = RecordingSink()
        let b = await engine(sinkB, store: store, instance: "b")
        try await withEngine(a) { a in
            await a.clientConnected(1, peer: "p")
            await send(a, 1, #"{"type":"join","id":1,"node":"node.example.com","alias":"open","display_name":"Bot"}"#)
            guard case .success(.session(let s)) = await sinkA.result(1, id: 1) else {
                Issue.record("join failed")
                return
            }
            #expect(await poll { (try? await store.load(s.id))?.token != nil })
            // A's lease lapses (A never renewed); B starts and takes the session over with the next epoch.
            wall.advance(by: .seconds(11))
            try await withEngine(b) { _ in
                #expect(await poll { upstream.grants.count == 2 })
                #expect(await poll { (try? await store.sessions().first?.holder) == "b" })
                let linkA = try #require(upstream.links.first)
                // A's next event is refused by the store: A lets the session go, without a release.
                linkA.push(.health(.ok))
                #expect(await poll { await a.sessionCount == 0 })
                #expect(await poll { linkA.closed == 1 })
                #expect(linkA.released == 0)
                let lease = try? await store.sessions().first
                #expect(lease?.holder == "b")
                #expect(lease?.epoch == 2)
                let stored = try await store.load(s.id)
                #expect(stored?.events.last?.seq == s.seq, "A's late event was not written")
                #expect(await b.sessionCount == 1)
            }
        }
        await store.close()
    }
}
