import Locking
import Logging
import NIOCore
import SQLiteNIO

/// SQLite through sqlite-nio (which builds its own SQLite, so no system library is needed).
///
/// One connection per store. With `exclusive` (what `serve` uses) the connection takes SQLite's exclusive lock at
/// open and keeps it: SQLite is the one-process store, and a second process on the same file gets
/// ``StoreError/locked(path:)`` at start-up instead of two bridges holding the same sessions. Tests open
/// non-exclusive connections to race two of them on one file.
final class SQLiteDriver: SQLDriver {
    let connection: SQLiteConnection
    let path: String
    let dialect = SQLDialect.sqlite

    private init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// - Parameters:
    ///   - path: the database file (created when missing).
    ///   - exclusive: hold the file's lock for the connection's life.
    ///   - logger: sqlite-nio's logger.
    static func open(path: String, exclusive: Bool, logger: Logger) async throws -> SQLiteDriver {
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw StoreError.unavailable("cannot open \(path): \(Self.reason(error))")
        }
        let driver = SQLiteDriver(connection: connection, path: path)
        do {
            if exclusive {
                _ = try await driver.query("PRAGMA busy_timeout = 0", [])
                _ = try await driver.query("PRAGMA locking_mode = EXCLUSIVE", [])
                // Takes the lock now (a write lock is kept in exclusive mode), so a held file fails here.
                _ = try await driver.query("BEGIN EXCLUSIVE", [])
                _ = try await driver.query("COMMIT", [])
            } else {
                _ = try await driver.query("PRAGMA busy_timeout = 10000", [])
            }
            _ = try await driver.query("PRAGMA journal_mode = WAL", [])
            _ = try await driver.query("PRAGMA synchronous = NORMAL", [])
        } catch {
            // `query` already said what went wrong (`locked` for a file another process holds).
            try? await connection.close()
            throw error
        }
        return driver
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        // Rows are collected under a lock rather than by sqlite-nio's row-array wrapper, which appends to an
        // unsynchronised variable on its thread pool and reads it after the await: correct, but ThreadSanitizer
        // cannot see the continuation's ordering when it was resumed before the await (swiftlang/swift#57803).
        let rows = Mutex<[[SQLValue]]>([])
        do {
            try await connection.query(Self.numbered(sql), binds.map(Self.data)) { row in
                let values = row.columns.map { Self.value($0.data) }
                rows.withLock { $0.append(values) }
            }
        } catch let error as SQLiteError where Self.isBusy(error) {
            throw StoreError.locked(path: path)
        } catch {
            throw StoreError.unavailable("\(path): \(Self.reason(error))")
        }
        return rows.withLock { $0 }
    }

    func transaction(lockID: Int64, _ body: @Sendable (any SQLExecutor) async throws -> Void) async throws {
        _ = try await query("BEGIN IMMEDIATE", [])
        do {
            try await body(self)
            _ = try await query("COMMIT", [])
        } catch {
            _ = try? await query("ROLLBACK", [])
            throw error
        }
    }

    func close() async {
        try? await connection.close()
    }

    /// `$1` → `?1`: SQLite's numbered parameters, which, like PostgreSQL's, may repeat.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for c in sql {
            if c.isNumber, previous == "$" {
                out.removeLast()
                out.append("?")
            }
            out.append(c)
            previous = c
        }
        return out
    }

    private static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .integer(let v): .integer(SQLiteInt64(v))
        case .text(let v): .text(v)
        case .blob(let v): .blob(ByteBuffer(bytes: v))
        case .null: .null
        }
    }

    private static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let v): .integer(Int64(v))
        case .float(let v): .integer(Int64(v))
        case .text(let v): .text(v)
        case .blob(let v): .blob(Array(v.readableBytesView))
        case .null: .null
        }
    }

    private static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .locked, .busyTimeout, .busyInRecovery, .busyInSnapshot: true
        default: false
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as? SQLiteError)?.message ?? "\(error)"
    }
}
