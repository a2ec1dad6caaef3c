import Foundation
import Logging
import TestSpawn
import TestSupport
import Testing

@testable import BridgeStore

/// The store contract: every test runs on SQLite (a temporary file) and on a real PostgreSQL the suite starts.
@Suite(.postgres, .serialized)
struct StoreContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        var testDescription: String { rawValue }
    }

    static let keyA = try! StoreKey(fileContents: Array(repeating: 0xA1, count: 32))
    static let keyB = try! StoreKey(fileContents: Array(repeating: 0xB2, count: 32))
    static let t0 = StoreTime(milliseconds: 1_800_000_000_000)
    static let logger = Logger(label: "store-test")

    /// A fresh, empty place of the given kind.
    static func place(_ kind: Kind) async throws -> StoreLocation {
        switch kind {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "pexbridge-store-\(UUID().uuidString).sqlite"
            ).path
            return .sqlite(path: path)
        case .postgres:
            let server = try PostgresServer.required()
            return try StoreLocation(parsing: server.url(database: try await server.createDatabase()))
        }
    }

    /// Removes a SQLite place's files (PostgreSQL's databases go with the server).
    static func cleanUp(_ location: StoreLocation) {
        guard case .sqlite(let path) = location else { return }
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    static func open(_ location: StoreLocation, key: StoreKey = keyA) async throws -> any SessionStore {
        try await openSessionStore(location, key: key, password: PostgresServer.current?.password, logger: logger)
    }

    /// A second, independent connection to the same place (on SQLite: both connections non-exclusive).
    static func pair(_ location: StoreLocation) async throws -> (any SessionStore, any SessionStore) {
        switch location {
        case .sqlite(let path):
            let one = try await SQLSessionStore.open(
                driver: try await SQLiteDriver.open(path: path, exclusive: false, logger: logger),
                key: keyA
            )
            let two = try await SQLSessionStore.open(
                driver: try await SQLiteDriver.open(path: path, exclusive: false, logger: logger),
                key: keyA
            )
            return (one, two)
        case .postgres:
            return (try await open(location), try await open(location))
        }
    }

    static func driver(_ location: StoreLocation) async throws -> any SQLDriver {
        switch location {
        case .sqlite(let path):
            return try await SQLiteDriver.open(path: path, exclusive: false, logger: logger)
        case .postgres(let user, let host, let port, let database):
            return try await PostgresDriver.open(
                host: host,
                port: port,
                user: user,
                password: PostgresServer.current?.password,
                database: database,
                logger: logger
            )
        }
    }

    @Test("migrations run once and again without change", arguments: Kind.allCases)
    func migrationsAreIdempotent(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let driver = try await Self.driver(location)
        let first = try await StoreSchema.migrate(driver)
        let second = try await StoreSchema.migrate(driver)
        let versions = try await driver.query("SELECT version FROM pexbridge_schema ORDER BY version", [])
        await driver.close()
        #expect(first == 0)
        #expect(second == StoreSchema.latest(driver.dialect))
        #expect(versions.map { $0.first?.integer } == (1...StoreSchema.latest(driver.dialect)).map { Int64($0) })

        let store = try await Self.open(location)
        let lease = try #require(try await store.acquire("s1", holder: "a", for: .seconds(10), now: Self.t0))
        try await store.saveSnapshot(Array("{}".utf8), seq: 3, lease: lease)
        await store.close()
        let again = try await Self.open(location)
        let loaded = try await again.load("s1")
        await again.close()
        #expect(loaded?.seq == 3)
        #expect(loaded?.snapshot == Array("{}".utf8))
    }

    @Test("a store opened with another key is refused at open", arguments: Kind.allCases)
    func wrongKeyIsRefused(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location, key: Self.keyA)
        await store.close()
        await #expect(throws: StoreError.wrongKey) {
            let other = try await Self.open(location, key: Self.keyB)
            await other.close()
        }
        let same = try await Self.open(location, key: Self.keyA)
        await same.close()
    }

    @Test("a holder whose epoch moved on can write nothing", arguments: Kind.allCases)
    func staleHolderIsFenced(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location)
        defer { Task { await store.close() } }
        let a = try #require(try await store.acquire("s", holder: "a", for: .seconds(10), now: Self.t0))
        #expect(a.epoch == 1)
        try await store.appendEvent(seq: 1, frame: [1], keeping: 10, lease: a)
        #expect(try await store.acquire("s", holder: "b", for: .seconds(10), now: Self.t0 + .seconds(5)) == nil)
        let b = try #require(try await store.acquire("s", holder: "b", for: .seconds(10), now: Self.t0 + .seconds(11)))
        #expect(b.epoch == 2)
        let fenced = StoreError.fenced(session: "s")
        await #expect(throws: fenced) { try await store.saveSnapshot([9], seq: 9, lease: a) }
        await #expect(throws: fenced) { try await store.appendEvent(seq: 2, frame: [9], keeping: 10, lease: a) }
        await #expect(throws: fenced) {
            try await store.appendEvents([StoredEvent(seq: 2, frame: [9])], keeping: 10, lease: a)
        }
        await #expect(throws: fenced) {
            try await store.saveToken(StoredToken(node: "n", alias: "x", token: "t", expires: Self.t0), lease: a)
        }
        await #expect(throws: fenced) { _ = try await store.renew(a, for: .seconds(10), now: Self.t0 + .seconds(12)) }
        await #expect(throws: fenced) { try await store.release(a) }
        await #expect(throws: fenced) { try await store.remove(a) }
        // The same epoch under another holder's name is no lease either.
        var impostor = b
        impostor.holder = "a"
        await #expect(throws: fenced) { try await store.saveSnapshot([9], seq: 9, lease: impostor) }

        try await store.appendEvent(seq: 2, frame: [2], keeping: 10, lease: b)
        try await store.saveSnapshot([7], seq: 2, lease: b)
        #expect(
            try await store.snapshots() == [
                StoredSnapshot(
                    lease: LeaseState(session: "s", holder: "b", epoch: 2, expires: b.expires),
                    seq: 2,
                    snapshot: [7]
                )
            ]
        )
        let loaded = try #require(try await store.load("s"))
        #expect(loaded.snapshot == [7])
        #expect(loaded.seq == 2)
        #expect(loaded.events == [StoredEvent(seq: 1, frame: [1]), StoredEvent(seq: 2, frame: [2])])
        #expect(loaded.lease == LeaseState(session: "s", holder: "b", epoch: 2, expires: b.expires))
    }

    @Test("a lease runs until its expiry, renewing moves it, releasing frees it", arguments: Kind.allCases)
    func leaseExpiry(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location)
        defer { Task { await store.close() } }
        let a = try #require(try await store.acquire("s", holder: "a", for: .seconds(10), now: Self.t0))
        #expect(a.expires == Self.t0 + .seconds(10))
        let justBefore = Self.t0 + .milliseconds(9_999)
        #expect(try await store.acquire("s", holder: "b", for: .seconds(10), now: justBefore) == nil)
        // Not even the holder re-acquires a running lease: it renews.
        #expect(try await store.acquire("s", holder: "a", for: .seconds(10), now: justBefore) == nil)
        let renewed = try await store.renew(a, for: .seconds(10), now: Self.t0 + .seconds(5))
        #expect(renewed.expires == Self.t0 + .seconds(15))
        #expect(renewed.epoch == a.epoch)
        #expect(try await store.acquire("s", holder: "b", for: .seconds(10), now: Self.t0 + .seconds(12)) == nil)
        let states = try await store.sessions()
        #expect(states == [LeaseState(session: "s", holder: "a", epoch: 1, expires: Self.t0 + .seconds(15))])
        #expect(states.first?.isFree(at: Self.t0 + .seconds(14)) == false)
        #expect(states.first?.isFree(at: Self.t0 + .seconds(15)) == true)
        let b = try #require(try await store.acquire("s", holder: "b", for: .seconds(10), now: Self.t0 + .seconds(15)))
        #expect(b.epoch == 2)
        try await store.release(b)
        let free = try await store.sessions()
        #expect(free.first?.holder == nil)
        #expect(free.first?.isFree(at: Self.t0) == true)
        let c = try #require(try await store.acquire("s", holder: "c", for: .seconds(10), now: Self.t0 + .seconds(16)))
        #expect(c.epoch == 3)
        try await store.remove(c)
        #expect(try await store.load("s") == nil)
        #expect(try await store.sessions().isEmpty)
    }

    @Test("the event log keeps the last N", arguments: Kind.allCases)
    func eventLogTrims(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location)
        defer { Task { await store.close() } }
        let a = try #require(try await store.acquire("s", holder: "a", for: .seconds(10), now: Self.t0))
        let other = try #require(try await store.acquire("t", holder: "a", for: .seconds(10), now: Self.t0))
        try await store.appendEvent(seq: 1, frame: [100], keeping: 3, lease: other)
        for seq in 1...10 {
            try await store.appendEvent(seq: seq, frame: [UInt8(seq)], keeping: 3, lease: a)
        }
        let loaded = try #require(try await store.load("s"))
        #expect(loaded.events == (8...10).map { StoredEvent(seq: $0, frame: [UInt8($0)]) })
        #expect(try await store.load("t")?.events == [StoredEvent(seq: 1, frame: [100])])
        try await store.appendEvents(
            (11...15).map { StoredEvent(seq: $0, frame: [UInt8($0)]) },
            keeping: 3,
            lease: a
        )
        #expect(try await store.load("s")?.events == (13...15).map { StoredEvent(seq: $0, frame: [UInt8($0)]) })
        try await store.appendEvents((16...420).map { StoredEvent(seq: $0, frame: [1]) }, keeping: 300, lease: a)
        #expect(try await store.load("s")?.events.map(\.seq) == Array(121...420))
        try await store.appendEvent(seq: 421, frame: [11], keeping: 0, lease: a)
        #expect(try await store.load("s")?.events == [])
    }

    @Test("the token is encrypted at rest and comes back", arguments: Kind.allCases)
    func tokenRoundTrip(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location)
        let a = try #require(try await store.acquire("s", holder: "a", for: .seconds(10), now: Self.t0))
        let secret = "node-token-\(UUID().uuidString)"
        let token = StoredToken(
            node: "simulator",
            alias: "meet",
            token: secret,
            expires: Self.t0 + .seconds(120),
            details: Array("{\"participant_uuid\":\"p\"}".utf8)
        )
        try await store.saveToken(token, lease: a)
        #expect(try await store.load("s")?.token == token)
        #expect(!"\(token)".contains(secret))
        await store.close()

        let driver = try await Self.driver(location)
        let raw = try await driver.query("SELECT token_cipher FROM pexbridge_sessions WHERE id = 's'", [])
        await driver.close()
        let cipher = try #require(raw.first?.first?.blob)
        #expect(cipher.count > secret.utf8.count)
        #expect(!String(decoding: cipher, as: UTF8.self).contains(secret))
        #expect(cipher.firstRange(of: Array(secret.utf8)) == nil)
    }

    @Test("two connections acquiring at once: one winner per session", arguments: Kind.allCases)
    func concurrentAcquire(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let (one, two) = try await Self.pair(location)
        let sessions = (0..<20).map { "s\($0)" }
        let winners = try await withThrowingTaskGroup(of: (String, String?).self) { group in
            for session in sessions {
                for (name, store) in [("one", one), ("two", two)] {
                    group.addTask {
                        let lease = try await store.acquire(session, holder: name, for: .seconds(10), now: Self.t0)
                        return (session, lease == nil ? nil : name)
                    }
                }
            }
            var won: [String: [String]] = [:]
            for try await (session, winner) in group {
                won[session, default: []] += winner.map { [$0] } ?? []
            }
            return won
        }
        await one.close()
        await two.close()
        for session in sessions {
            #expect(winners[session]?.count == 1, "\(session): \(winners[session] ?? [])")
        }
    }

    @Test(
        "many leases renew in one call; a fenced one is left out; lease(of:) and events(after:)",
        arguments: Kind.allCases
    )
    func batchRenewAndLookups(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let store = try await Self.open(location)
        defer { Task { await store.close() } }
        var leases: [Lease] = []
        for n in 0..<250 {
            leases.append(try #require(try await store.acquire("s\(n)", holder: "a", for: .seconds(10), now: Self.t0)))
        }
        // s7 is taken by b after its lease lapsed: a's renewal leaves it out.
        _ = try #require(try await store.acquire("s7", holder: "b", for: .seconds(10), now: Self.t0 + .seconds(11)))
        let renewed = try await store.renew(leases, for: .seconds(10), now: Self.t0 + .seconds(12))
        #expect(renewed.count == 249)
        #expect(!renewed.contains { $0.session == "s7" })
        #expect(renewed.allSatisfy { $0.expires == Self.t0 + .seconds(22) && $0.holder == "a" })
        #expect(try await store.lease(of: "s7")?.holder == "b")
        #expect(try await store.lease(of: "s8")?.expires == Self.t0 + .seconds(22))
        #expect(try await store.lease(of: "nothing") == nil)

        let lease = renewed[0]
        try await store.appendEvents((1...6).map { StoredEvent(seq: $0, frame: [UInt8($0)]) }, keeping: 4, lease: lease)
        #expect(try await store.events(of: lease.session, after: 3).map(\.seq) == [4, 5, 6])
        #expect(try await store.events(of: lease.session, after: 0).map(\.seq) == [3, 4, 5, 6])
        #expect(try await store.events(of: lease.session, after: 6).isEmpty)
        try await store.ping()
    }

    @Test("the bus: sealed messages to one instance or all, large ones through the table, strangers ignored")
    func bus() async throws {
        let location = try await Self.place(.postgres)
        let password = PostgresServer.current?.password
        let a = try await openSessionStore(
            location,
            key: Self.keyA,
            password: password,
            instance: "a",
            logger: Self.logger
        )
        let b = try await openSessionStore(
            location,
            key: Self.keyA,
            password: password,
            instance: "b",
            logger: Self.logger
        )
        let stranger = try await openSessionStore(location, key: Self.keyA, password: password, logger: Self.logger)
        #expect(stranger.bus == nil, "no instance name, no bus")
        let busA = try #require(a.bus)
        let busB = try #require(b.bus)
        var fromB = busB.deliveries.makeAsyncIterator()
        var fromA = busA.deliveries.makeAsyncIterator()
        #expect(await fromB.next() == .listening)
        #expect(await fromA.next() == .listening)

        try await busA.post(Array("to b".utf8), to: "b")
        try await busA.post(Array("to c".utf8), to: "c")
        let large = [UInt8](repeating: 0x41, count: 20_000)
        try await busA.post(large, to: nil)
        #expect(await fromB.next() == .message(from: "a", body: Array("to b".utf8)))
        #expect(await fromB.next() == .message(from: "a", body: large), "a large message comes whole, in order")
        // A's own broadcast reaches A too; what was for b or c does not.
        #expect(await fromA.next() == .message(from: "a", body: large))

        // What is on the wire is sealed: a notification in the clear, or sealed with another key, is dropped.
        let driver = try await Self.driver(location)
        _ = try await driver.query("SELECT pg_notify('pexbridge_bus', $1)", [.text("plain text")])
        let other = try Self.keyB.seal(Array("\n\nforged".utf8), context: "pexbridge_bus")
        _ = try await driver.query(
            "SELECT pg_notify('pexbridge_bus', $1)",
            [.text(Data(other).base64EncodedString())]
        )
        try await busA.post(Array("after".utf8), to: "b")
        #expect(await fromB.next() == .message(from: "a", body: Array("after".utf8)))
        await driver.close()
        for store in [a, b, stranger] { await store.close() }
    }

    @Test("a SQLite file another process holds is a clear error")
    func sqliteLockedByAnotherProcess() async throws {
        let location = try await Self.place(.sqlite)
        defer { Self.cleanUp(location) }
        guard case .sqlite(let path) = location else { throw PostgresServer.Failed(description: "not sqlite") }
        let first = try await Self.open(location)
        await first.close()

        let input = Pipe()
        let output = Pipe()
        let script = """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute('PRAGMA locking_mode=EXCLUSIVE')
            c.execute('BEGIN EXCLUSIVE')
            print('locked', flush=True)
            sys.stdin.read()
            """
        let holder = try Spawned(
            executable: "/usr/bin/env",
            arguments: ["python3", "-c", script, path],
            environment: ProcessInfo.processInfo.environment,
            stdin: input.fileHandleForReading.fileDescriptor,
            stdout: output.fileHandleForWriting.fileDescriptor
        )
        try input.fileHandleForReading.close()
        try output.fileHandleForWriting.close()
        let said = try await offThePool { output.fileHandleForReading.availableData }
        #expect(String(decoding: said, as: UTF8.self).hasPrefix("locked"))

        await #expect(throws: StoreError.locked(path: path)) {
            let store = try await Self.open(location)
            await store.close()
        }
        #expect("\(StoreError.locked(path: path))".contains("another process"))
        try input.fileHandleForWriting.close()
        try await offThePool { holder.waitUntilExit() }
        let store = try await Self.open(location)
        await store.close()
    }

    @Test(
        "store URLs",
        arguments: [
            ("sqlite:/var/lib/pexbridge/store.db", StoreLocation.sqlite(path: "/var/lib/pexbridge/store.db")),
            (
                "postgres://bridge@db.example:6543/pex",
                .postgres(
                    user: "bridge",
                    host: "db.example",
                    port: 6543,
                    database: "pex"
                )
            ),
            ("postgresql://bridge@[::1]/pex", .postgres(user: "bridge", host: "::1", port: 5432, database: "pex")),
        ]
    )
    func storeURLs(text: String, expected: StoreLocation) throws {
        #expect(try StoreLocation(parsing: text) == expected)
    }

    @Test(
        "bad store URLs and keys say what is wrong",
        arguments: [
            "sqlite:", "mysql://a@b/c", "postgres://b:5432/c", "postgres://u:secret@b/c", "postgres://u@b:99999/c",
        ]
    )
    func badURLs(text: String) {
        #expect(throws: StoreError.self) { try StoreLocation(parsing: text) }
        do {
            _ = try StoreLocation(parsing: text)
        } catch {
            #expect(!"\(error)".contains("secret"))
        }
    }

    @Test("key files: 32 raw bytes or base64 of them")
    func keyFiles() throws {
        let raw = (0..<32).map { UInt8($0) }
        _ = try StoreKey(fileContents: raw)
        _ = try StoreKey(fileContents: Array((Data(raw).base64EncodedString() + "\n").utf8))
        #expect(throws: StoreError.self) { try StoreKey(fileContents: Array(raw.prefix(16))) }
        #expect(throws: StoreError.self) { try StoreKey(fileContents: Array("not a key".utf8)) }
    }
}

extension StoreContractTests {
    @Test("many sessions are taken over and loaded in batches, by the same lease rules", arguments: Kind.allCases)
    func batchTakeover(kind: Kind) async throws {
        let location = try await Self.place(kind)
        defer { Self.cleanUp(location) }
        let opened = try await Self.open(location)
        defer { Task { await opened.close() } }
        let store = try #require(opened as? any BatchSessionStore)
        // 250 sessions (more than one statement's worth): a released, b expired, c held by a running lease.
        let ids = (0..<250).map { "s\($0)" }
        var first: [String: Lease] = [:]
        for (i, id) in ids.enumerated() {
            let lease = try #require(try await store.acquire(id, holder: "a", for: .seconds(10), now: Self.t0))
            try await store.saveSnapshot(Array("{\"n\":\(i)}".utf8), seq: i, lease: lease)
            try await store.appendEvents(
                [StoredEvent(seq: i, frame: [1, UInt8(i % 256)]), StoredEvent(seq: i + 1, frame: [2])],
                keeping: 10,
                lease: lease
            )
            let token = StoredToken(node: "n", alias: "room.\(i)", token: "secret-\(i)", expires: Self.t0, details: [7])
            try await store.saveToken(token, lease: lease)
            first[id] = lease
        }
        // Every third stays held: renewed past the takeover's `now`.
        let held = Set(ids.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))
        for id in held {
            _ = try await store.renew(try #require(first[id]), for: .seconds(60), now: Self.t0 + .seconds(5))
        }
        try await store.release(try #require(first["s1"]))
        let now = Self.t0 + .seconds(20)
        let leases = try await store.acquire(ids + ["absent"], holder: "b", for: .seconds(10), now: now)
        #expect(Set(leases.map(\.session)) == Set(ids).subtracting(held))
        #expect(leases.allSatisfy { $0.holder == "b" && $0.epoch == 2 && $0.expires == now + .seconds(10) })
        // Nothing is taken twice: the same call again finds every lease running.
        #expect(try await store.acquire(ids, holder: "c", for: .seconds(10), now: now).isEmpty)

        let loaded = try await store.load(ids + ["absent"])
        #expect(loaded.count == ids.count)
        for session in loaded {
            #expect(session == (try await store.load(session.lease.session)))
        }
        let s2 = try #require(loaded.first { $0.lease.session == "s2" })
        #expect(s2.lease == LeaseState(session: "s2", holder: "b", epoch: 2, expires: now + .seconds(10)))
        #expect(s2.snapshot == Array("{\"n\":2}".utf8))
        #expect(s2.events == [StoredEvent(seq: 2, frame: [1, 2]), StoredEvent(seq: 3, frame: [2])])
        #expect(s2.token == StoredToken(node: "n", alias: "room.2", token: "secret-2", expires: Self.t0, details: [7]))
        // The new holder's leases fence the old one's writes, as a single acquire's do.
        await #expect(throws: StoreError.fenced(session: "s2")) {
            try await store.saveSnapshot([9], seq: 9, lease: try #require(first["s2"]))
        }
        #expect(try await store.load([String]()).isEmpty)
        #expect(try await store.acquire([String](), holder: "b", for: .seconds(10), now: now).isEmpty)
    }
}
