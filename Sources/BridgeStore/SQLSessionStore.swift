/// ``SessionStore`` over SQL, shared by SQLite and PostgreSQL.
///
/// Each lease decision and each fenced write is ONE statement whose `WHERE` carries the lease check, so no
/// transaction spans a network round trip: `acquire` is an upsert that only updates a free or expired row, and a
/// write only touches rows whose epoch and holder still match (an event append inserts through a `SELECT` that
/// checks the lease, row-locked on PostgreSQL). A statement that changed nothing is ``StoreError/fenced(session:)``.
final class SQLSessionStore: SessionStore {
    let driver: any SQLDriver
    let key: StoreKey
    let bus: (any StoreBus)?

    private init(driver: any SQLDriver, key: StoreKey, bus: (any StoreBus)?) {
        self.driver = driver
        self.key = key
        self.bus = bus
    }

    /// Migrates the schema and checks the key.
    /// - Parameters:
    ///   - driver: the database.
    ///   - key: the store key.
    ///   - bus: how instances on this store talk (PostgreSQL), nil for one process.
    static func open(driver: any SQLDriver, key: StoreKey, bus: (any StoreBus)? = nil) async throws -> SQLSessionStore {
        do {
            try await StoreSchema.migrate(driver)
            let store = SQLSessionStore(driver: driver, key: key, bus: bus)
            try await store.checkKey()
            return store
        } catch {
            await driver.close()
            throw error
        }
    }

    /// Writes the key check on first use; afterwards, refuses a key that does not open it.
    private func checkKey() async throws {
        let sealed = try key.seal(StoreKey.checkText, context: StoreKey.checkContext)
        _ = try await driver.query(
            "INSERT INTO pexbridge_meta (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING",
            [.blob(sealed)]
        )
        let rows = try await driver.query("SELECT value FROM pexbridge_meta WHERE name = 'key_check'", [])
        guard let stored = rows.first?.first?.blob else { throw StoreError.corrupt("no key check row") }
        guard key.open(stored, context: StoreKey.checkContext) == StoreKey.checkText else {
            throw StoreError.wrongKey
        }
    }

    func acquire(_ session: String, holder: String, for duration: Duration, now: StoreTime) async throws -> Lease? {
        let expires = now + duration
        let rows = try await driver.query(
            """
            INSERT INTO pexbridge_sessions (id, holder, epoch, lease_expires) VALUES ($1, $2, 1, $3)
            ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, epoch = pexbridge_sessions.epoch + 1,
                lease_expires = excluded.lease_expires
            WHERE pexbridge_sessions.holder IS NULL OR pexbridge_sessions.lease_expires <= $4
            RETURNING epoch
            """,
            [.text(session), .text(holder), .integer(expires.milliseconds), .integer(now.milliseconds)]
        )
        guard let epoch = rows.first?.first?.integer else { return nil }
        return Lease(session: session, holder: holder, epoch: epoch, expires: expires)
    }

    func renew(_ lease: Lease, for duration: Duration, now: StoreTime) async throws -> Lease {
        let expires = now + duration
        try await fenced(
            lease,
            "UPDATE pexbridge_sessions SET lease_expires = $4 WHERE id = $1 AND epoch = $2 AND holder = $3 RETURNING 1",
            [.integer(expires.milliseconds)]
        )
        var renewed = lease
        renewed.expires = expires
        return renewed
    }

    func release(_ lease: Lease) async throws {
        try await fenced(
            lease,
            """
            UPDATE pexbridge_sessions SET holder = NULL, lease_expires = 0
            WHERE id = $1 AND epoch = $2 AND holder = $3 RETURNING 1
            """,
            []
        )
    }

    func saveSnapshot(_ snapshot: [UInt8], seq: Int, lease: Lease) async throws {
        try await fenced(
            lease,
            """
            UPDATE pexbridge_sessions SET snapshot = $4, seq = $5
            WHERE id = $1 AND epoch = $2 AND holder = $3 RETURNING 1
            """,
            [.blob(snapshot), .integer(Int64(seq))]
        )
    }

    func appendEvent(seq: Int, frame: [UInt8], keeping depth: Int, lease: Lease) async throws {
        try await fenced(
            lease,
            """
            INSERT INTO pexbridge_events (session, seq, frame)
            SELECT $1, $4, $5 WHERE EXISTS (
                SELECT 1 FROM pexbridge_sessions
                WHERE id = $1 AND epoch = $2 AND holder = $3 \(driver.dialect.shareLock)
            )
            ON CONFLICT (session, seq) DO UPDATE SET frame = excluded.frame
            RETURNING 1
            """,
            [.integer(Int64(seq)), .blob(frame)]
        )
        _ = try await driver.query(
            "DELETE FROM pexbridge_events WHERE session = $1 AND seq <= $2",
            [.text(lease.session), .integer(Int64(seq - max(depth, 0)))]
        )
    }

    func appendEvents(_ events: [StoredEvent], keeping depth: Int, lease: Lease) async throws {
        guard let last = events.last else { return }
        // Only what survives the trim is written; rows of at most 200 events keep the statement small.
        let kept = events.filter { $0.seq > last.seq - max(depth, 0) }
        var start = kept.startIndex
        while start < kept.endIndex {
            let chunk = kept[start..<min(start + 200, kept.endIndex)]
            start = chunk.endIndex
            var rows: [String] = []
            var binds: [SQLValue] = []
            for event in chunk {
                rows.append("($\(4 + binds.count), $\(5 + binds.count))")
                binds += [.integer(Int64(event.seq)), .blob(event.frame)]
            }
            try await fenced(
                lease,
                """
                INSERT INTO pexbridge_events (session, seq, frame)
                SELECT $1, v.column1, v.column2 FROM (VALUES \(rows.joined(separator: ", "))) AS v
                WHERE EXISTS (
                    SELECT 1 FROM pexbridge_sessions
                    WHERE id = $1 AND epoch = $2 AND holder = $3 \(driver.dialect.shareLock)
                )
                ON CONFLICT (session, seq) DO UPDATE SET frame = excluded.frame
                RETURNING 1
                """,
                binds
            )
        }
        _ = try await driver.query(
            "DELETE FROM pexbridge_events WHERE session = $1 AND seq <= $2",
            [.text(lease.session), .integer(Int64(last.seq - max(depth, 0)))]
        )
    }

    func saveToken(_ token: StoredToken, lease: Lease) async throws {
        let sealed = try key.seal(Array(token.token.utf8), context: lease.session)
        try await fenced(
            lease,
            """
            UPDATE pexbridge_sessions SET token_node = $4, token_alias = $5, token_cipher = $6, token_expires = $7,
                token_details = $8
            WHERE id = $1 AND epoch = $2 AND holder = $3 RETURNING 1
            """,
            [
                .text(token.node), .text(token.alias), .blob(sealed), .integer(token.expires.milliseconds),
                .blob(token.details),
            ]
        )
    }

    func remove(_ lease: Lease) async throws {
        try await fenced(
            lease,
            "DELETE FROM pexbridge_sessions WHERE id = $1 AND epoch = $2 AND holder = $3 RETURNING 1",
            []
        )
        _ = try await driver.query("DELETE FROM pexbridge_events WHERE session = $1", [.text(lease.session)])
    }

    func sessions() async throws -> [LeaseState] {
        let rows = try await driver.query("SELECT id, holder, epoch, lease_expires FROM pexbridge_sessions", [])
        return try rows.map(Self.leaseState)
    }

    func snapshots() async throws -> [StoredSnapshot] {
        let rows = try await driver.query(
            "SELECT id, holder, epoch, lease_expires, seq, snapshot FROM pexbridge_sessions ORDER BY id",
            []
        )
        return try rows.map { row in
            StoredSnapshot(lease: try Self.leaseState(row), seq: Int(row[4].integer ?? 0), snapshot: row[5].blob)
        }
    }

    func load(_ session: String) async throws -> StoredSession? {
        let rows = try await driver.query(
            """
            SELECT id, holder, epoch, lease_expires, seq, snapshot, token_node, token_alias, token_cipher,
                token_expires, token_details
            FROM pexbridge_sessions WHERE id = $1
            """,
            [.text(session)]
        )
        guard let row = rows.first, row.count == 11 else { return nil }
        let events = try await driver.query(
            "SELECT seq, frame FROM pexbridge_events WHERE session = $1 ORDER BY seq",
            [.text(session)]
        )
        var token: StoredToken?
        if let node = row[6].text, let alias = row[7].text, let cipher = row[8].blob, let expires = row[9].integer {
            guard let plain = key.open(cipher, context: session) else {
                throw StoreError.corrupt("session \(session): token does not decrypt")
            }
            token = StoredToken(
                node: node,
                alias: alias,
                token: String(decoding: plain, as: UTF8.self),
                expires: StoreTime(milliseconds: expires),
                details: row[10].blob ?? []
            )
        }
        return StoredSession(
            lease: try Self.leaseState(row),
            seq: Int(row[4].integer ?? 0),
            snapshot: row[5].blob,
            events: events.compactMap { event in
                guard let seq = event.first?.integer, let frame = event.last?.blob else { return nil }
                return StoredEvent(seq: Int(seq), frame: frame)
            },
            token: token
        )
    }

    func close() async {
        await bus?.close()
        await driver.close()
    }

    func lease(of session: String) async throws -> LeaseState? {
        let rows = try await driver.query(
            "SELECT id, holder, epoch, lease_expires FROM pexbridge_sessions WHERE id = $1",
            [.text(session)]
        )
        return try rows.first.map(Self.leaseState)
    }

    func renew(_ leases: [Lease], for duration: Duration, now: StoreTime) async throws -> [Lease] {
        let expires = now + duration
        var renewed: [Lease] = []
        var start = leases.startIndex
        // One statement per 200 leases: each row is matched on its id, epoch and holder, so a fenced lease is
        // simply not in the answer.
        while start < leases.endIndex {
            let chunk = leases[start..<min(start + 200, leases.endIndex)]
            start = chunk.endIndex
            var binds: [SQLValue] = [.integer(expires.milliseconds)]
            var matches: [String] = []
            for lease in chunk {
                let n = binds.count
                matches.append("(id = $\(n + 1) AND epoch = $\(n + 2) AND holder = $\(n + 3))")
                binds += [.text(lease.session), .integer(lease.epoch), .text(lease.holder)]
            }
            let rows = try await driver.query(
                """
                UPDATE pexbridge_sessions SET lease_expires = $1
                WHERE \(matches.joined(separator: " OR "))
                RETURNING id, epoch
                """,
                binds
            )
            var done: Set<String> = []
            for row in rows { if let id = row.first?.text { done.insert(id) } }
            for lease in chunk where done.contains(lease.session) {
                var next = lease
                next.expires = expires
                renewed.append(next)
            }
        }
        return renewed
    }

    func events(of session: String, after seq: Int) async throws -> [StoredEvent] {
        let rows = try await driver.query(
            "SELECT seq, frame FROM pexbridge_events WHERE session = $1 AND seq > $2 ORDER BY seq",
            [.text(session), .integer(Int64(seq))]
        )
        return rows.compactMap { row in
            guard let seq = row.first?.integer, let frame = row.last?.blob else { return nil }
            return StoredEvent(seq: Int(seq), frame: frame)
        }
    }

    func ping() async throws {
        _ = try await driver.query("SELECT 1", [])
    }

    /// Runs a write whose first three binds are the lease's session, epoch and holder, and which returns a row
    /// when it changed one; no row means the lease moved on.
    private func fenced(_ lease: Lease, _ sql: String, _ more: [SQLValue]) async throws {
        let rows = try await driver.query(
            sql,
            [.text(lease.session), .integer(lease.epoch), .text(lease.holder)] + more
        )
        if rows.isEmpty { throw StoreError.fenced(session: lease.session) }
    }

    private static func leaseState(_ row: [SQLValue]) throws -> LeaseState {
        guard row.count >= 4, let id = row[0].text, let epoch = row[2].integer, let expires = row[3].integer else {
            throw StoreError.corrupt("a session row without id, epoch or expiry")
        }
        return LeaseState(session: id, holder: row[1].text, epoch: epoch, expires: StoreTime(milliseconds: expires))
    }
}
