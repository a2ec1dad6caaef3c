/// A value crossing the store's SQL layer, the few types the schema uses.
enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    var integer: Int64? {
        if case .integer(let v) = self { return v }
        return nil
    }

    var text: String? {
        if case .text(let v) = self { return v }
        return nil
    }

    var blob: [UInt8]? {
        if case .blob(let v) = self { return v }
        return nil
    }
}

/// The SQL both engines share; each driver spells the few differences.
enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The binary column type.
    var blob: String {
        switch self {
        case .sqlite: "BLOB"
        case .postgres: "BYTEA"
        }
    }

    /// An auto-numbered primary key column.
    var serialKey: String {
        switch self {
        case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .postgres: "BIGSERIAL PRIMARY KEY"
        }
    }

    /// Row lock taken by a fenced write's lease check: on PostgreSQL `FOR SHARE` makes the check wait for (and
    /// then see) a concurrent `acquire`; SQLite has one writer at a time, so nothing is needed.
    var shareLock: String {
        switch self {
        case .sqlite: ""
        case .postgres: "FOR SHARE"
        }
    }
}

/// Runs statements; SQL uses `$1`, `$2` ... placeholders on both engines.
protocol SQLExecutor: Sendable {
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]]
}

/// One engine: statements, a transaction for migrations, closing.
protocol SQLDriver: SQLExecutor {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction; on PostgreSQL `lockID` is also taken as a transaction advisory lock so that
    /// instances starting together migrate one at a time.
    func transaction(lockID: Int64, _ body: @Sendable (any SQLExecutor) async throws -> Void) async throws
    func close() async
}
