import Locking

/// The store's schema, as numbered migrations run at start: a store records the highest version applied, and
/// each start applies those above it in one transaction (on PostgreSQL under an advisory lock, so instances
/// starting together do not race). Append new steps; never edit one that has shipped.
enum StoreSchema {
    /// Step `i` takes the schema from version `i` to `i + 1`.
    static func steps(_ dialect: SQLDialect) -> [[String]] {
        [
            [
                "CREATE TABLE pexbridge_meta (name TEXT PRIMARY KEY, value \(dialect.blob) NOT NULL)",
                """
                CREATE TABLE pexbridge_sessions (
                    id TEXT PRIMARY KEY,
                    holder TEXT,
                    epoch BIGINT NOT NULL,
                    lease_expires BIGINT NOT NULL,
                    seq BIGINT NOT NULL DEFAULT 0,
                    snapshot \(dialect.blob),
                    token_node TEXT,
                    token_alias TEXT,
                    token_cipher \(dialect.blob),
                    token_expires BIGINT,
                    token_details \(dialect.blob)
                )
                """,
                """
                CREATE TABLE pexbridge_events (
                    session TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    frame \(dialect.blob) NOT NULL,
                    PRIMARY KEY (session, seq)
                )
                """,
            ],
            // 2: messages between instances too large for a notification (PostgreSQL's NOTIFY payload is at most
            // 8000 bytes); each row is read by its recipients and deleted a minute later by its sender.
            [
                """
                CREATE TABLE pexbridge_mail (
                    id \(dialect.serialKey),
                    created BIGINT NOT NULL,
                    body \(dialect.blob) NOT NULL
                )
                """
            ],
        ]
    }

    /// The version this build knows.
    static func latest(_ dialect: SQLDialect) -> Int { steps(dialect).count }

    /// The advisory lock id migrations take on PostgreSQL ("pexb" in ASCII).
    static let lockID: Int64 = 0x7065_7862

    /// Brings the schema to ``latest(_:)``.
    /// - Returns: the version found before migrating (0 for a new store).
    @discardableResult
    static func migrate(_ driver: any SQLDriver) async throws -> Int {
        let steps = steps(driver.dialect)
        let found = FoundVersion()
        try await driver.transaction(lockID: lockID) { sql in
            _ = try await sql.query("CREATE TABLE IF NOT EXISTS pexbridge_schema (version BIGINT NOT NULL)", [])
            let rows = try await sql.query("SELECT MAX(version) FROM pexbridge_schema", [])
            let current = Int(rows.first?.first?.integer ?? 0)
            found.set(current)
            guard current <= steps.count else {
                throw StoreError.newerSchema(found: current, known: steps.count)
            }
            for version in current..<steps.count {
                for statement in steps[version] { _ = try await sql.query(statement, []) }
                _ = try await sql.query(
                    "INSERT INTO pexbridge_schema (version) VALUES ($1)",
                    [.integer(Int64(version + 1))]
                )
            }
        }
        return found.get()
    }
}

/// The version a migration found, out of its `@Sendable` transaction body.
private final class FoundVersion: Sendable {
    private let value = Mutex(0)
    func set(_ v: Int) { value.withLock { $0 = v } }
    func get() -> Int { value.withLock { $0 } }
}
