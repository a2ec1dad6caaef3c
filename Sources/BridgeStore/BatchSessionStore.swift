/// A store that takes many sessions over in a few statements: what a restart with a thousand sessions needs, where
/// one `acquire` and one `load` per session (three statements each) made the takeover a queue of round trips.
///
/// Same rules as ``SessionStore/acquire(_:holder:for:now:)`` and ``SessionStore/load(_:)``, for many sessions at
/// once; ``SQLSessionStore`` implements it, and the engine falls back to one session at a time for a store that
/// does not.
public protocol BatchSessionStore: SessionStore {
    /// Takes the lease of every listed session that exists and is free (released) or expired at `now`, raising
    /// each one's epoch by one, in one statement; sessions held by another live lease, or absent, are left out.
    /// - Parameters:
    ///   - sessions: the session ids.
    ///   - holder: this instance's name.
    ///   - duration: how long the leases last from `now` unless renewed.
    ///   - now: the current wall-clock time (shared by every instance on the store).
    /// - Returns: the new leases, in no particular order.
    func acquire(_ sessions: [String], holder: String, for duration: Duration, now: StoreTime) async throws -> [Lease]

    /// The listed sessions with their snapshots, kept events (oldest first) and decrypted tokens, as
    /// ``SessionStore/load(_:)`` gives one; absent sessions are left out.
    /// - Parameter sessions: the session ids.
    /// - Returns: the sessions found, in no particular order.
    func load(_ sessions: [String]) async throws -> [StoredSession]
}

extension SQLSessionStore: BatchSessionStore {
    /// At most this many sessions go in one statement (its `IN` list).
    static let batchLimit = 200

    func acquire(_ sessions: [String], holder: String, for duration: Duration, now: StoreTime) async throws -> [Lease] {
        let expires = now + duration
        var leases: [Lease] = []
        for chunk in Self.chunks(sessions) {
            let list = (0..<chunk.count).map { "$\($0 + 4)" }.joined(separator: ", ")
            let rows = try await driver.query(
                """
                UPDATE pexbridge_sessions SET holder = $1, epoch = epoch + 1, lease_expires = $2
                WHERE id IN (\(list)) AND (holder IS NULL OR lease_expires <= $3)
                RETURNING id, epoch
                """,
                [.text(holder), .integer(expires.milliseconds), .integer(now.milliseconds)] + chunk.map { .text($0) }
            )
            for row in rows {
                guard row.count == 2, let id = row[0].text, let epoch = row[1].integer else {
                    throw StoreError.corrupt("a lease row without id or epoch")
                }
                leases.append(Lease(session: id, holder: holder, epoch: epoch, expires: expires))
            }
        }
        return leases
    }

    func load(_ sessions: [String]) async throws -> [StoredSession] {
        var loaded: [StoredSession] = []
        for chunk in Self.chunks(sessions) {
            let list = (0..<chunk.count).map { "$\($0 + 1)" }.joined(separator: ", ")
            let binds: [SQLValue] = chunk.map { .text($0) }
            let rows = try await driver.query(
                """
                SELECT id, holder, epoch, lease_expires, seq, snapshot, token_node, token_alias, token_cipher,
                    token_expires, token_details
                FROM pexbridge_sessions WHERE id IN (\(list))
                """,
                binds
            )
            let eventRows = try await driver.query(
                "SELECT session, seq, frame FROM pexbridge_events WHERE session IN (\(list)) ORDER BY session, seq",
                binds
            )
            var events: [String: [StoredEvent]] = [:]
            for row in eventRows {
                guard row.count == 3, let session = row[0].text, let seq = row[1].integer, let frame = row[2].blob
                else { continue }
                events[session, default: []].append(StoredEvent(seq: Int(seq), frame: frame))
            }
            for row in rows {
                loaded.append(try session(from: row, events: events))
            }
        }
        return loaded
    }

    /// One row of the sessions table (the columns `load` selects) with its events, the token decrypted.
    private func session(from row: [SQLValue], events: [String: [StoredEvent]]) throws -> StoredSession {
        guard row.count == 11, let id = row[0].text, let epoch = row[2].integer, let leaseExpires = row[3].integer
        else {
            throw StoreError.corrupt("a session row without id, epoch or expiry")
        }
        var token: StoredToken?
        if let node = row[6].text, let alias = row[7].text, let cipher = row[8].blob, let expires = row[9].integer {
            guard let plain = key.open(cipher, context: id) else {
                throw StoreError.corrupt("session \(id): token does not decrypt")
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
            lease: LeaseState(
                session: id,
                holder: row[1].text,
                epoch: epoch,
                expires: StoreTime(milliseconds: leaseExpires)
            ),
            seq: Int(row[4].integer ?? 0),
            snapshot: row[5].blob,
            events: events[id] ?? [],
            token: token
        )
    }

    private static func chunks(_ ids: [String]) -> [ArraySlice<String>] {
        stride(from: 0, to: ids.count, by: batchLimit).map { ids[$0..<min($0 + batchLimit, ids.count)] }
    }
}
