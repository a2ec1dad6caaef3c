import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// PostgreSQL through postgres-nio's `PostgresClient` (a pool that reconnects), run by a task the driver owns.
final class PostgresDriver: SQLDriver {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger: Logger
    let where_: String
    let dialect = SQLDialect.postgres
    /// How to open a connection of one's own (the bus listens on one).
    let connectionConfiguration: PostgresConnection.Configuration

    private init(
        client: PostgresClient,
        runner: Task<Void, Never>,
        logger: Logger,
        where_: String,
        connectionConfiguration: PostgresConnection.Configuration
    ) {
        self.client = client
        self.runner = runner
        self.logger = logger
        self.where_ = where_
        self.connectionConfiguration = connectionConfiguration
    }

    /// Connects once first, so that a wrong password or an unreachable server is a clear error at start-up
    /// rather than a pool retrying in the background.
    static func open(
        host: String,
        port: Int,
        user: String,
        password: String?,
        database: String,
        logger: Logger
    ) async throws -> PostgresDriver {
        let place = "\(host):\(port)/\(database)"
        var probe = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: .disable
        )
        do {
            let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: logger)
            try? await connection.close()
        } catch {
            throw StoreError.unavailable("PostgreSQL at \(place): \(reason(error))")
        }
        probe.options.connectTimeout = .seconds(5)
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: .disable
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        return PostgresDriver(
            client: client,
            runner: runner,
            logger: logger,
            where_: place,
            connectionConfiguration: probe
        )
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        do {
            return try await Self.collect(client.query(Self.query(sql, binds), logger: logger))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("PostgreSQL at \(where_): \(Self.reason(error))")
        }
    }

    func transaction(lockID: Int64, _ body: @Sendable (any SQLExecutor) async throws -> Void) async throws {
        let logger = logger
        do {
            try await client.withTransaction(logger: logger) { connection in
                let executor = ConnectionExecutor(connection: connection, logger: logger)
                _ = try await executor.query(
                    "SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l",
                    [.integer(lockID)]
                )
                try await body(executor)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable("PostgreSQL at \(where_): \(Self.reason(error))")
        }
    }

    func close() async {
        runner.cancel()
        await runner.value
    }

    static func query(_ sql: String, _ binds: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .integer(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .blob(let v): bindings.append(ByteBuffer(bytes: v))
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func collect(_ rows: PostgresRowSequence) async throws -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        for try await row in rows {
            var values: [SQLValue] = []
            for cell in row {
                values.append(try value(cell))
            }
            out.append(values)
        }
        return out
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8, .int4, .int2: return .integer(try cell.decode(Int64.self))
        case .bytea: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        default: return .text(try cell.decode(String.self))
        }
    }

    /// PostgreSQL's own message (`PSQLError` hides it from `description` on purpose, as it may quote data; ours
    /// never holds a secret in SQL text: every value is a bind).
    static func reason(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// Statements on one leased connection (inside a transaction).
private struct ConnectionExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        try await PostgresDriver.collect(connection.query(PostgresDriver.query(sql, binds), logger: logger))
    }
}
