import Logging

/// Where a store is: `sqlite:PATH` or `postgres://USER@HOST:PORT/DB` (`--store`).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(user: String, host: String, port: Int, database: String)

    /// - Parameter text: the `--store` value.
    /// - Throws: ``StoreError/badLocation(_:)`` naming what is wrong (the text holds no secret: passwords come
    ///   from `PEXBRIDGE_STORE_PASSWORD`, and a URL with one is refused).
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw StoreError.badLocation("sqlite: needs a file path (sqlite:PATH)") }
            self = .sqlite(path: path)
            return
        }
        let scheme = ["postgres://", "postgresql://"].first { text.hasPrefix($0) }
        guard let scheme else {
            throw StoreError.badLocation("expected sqlite:PATH or postgres://USER@HOST:PORT/DB")
        }
        let rest = text.dropFirst(scheme.count)
        guard let at = rest.firstIndex(of: "@") else {
            throw StoreError.badLocation("postgres URL needs a user (postgres://USER@HOST:PORT/DB)")
        }
        let user = String(rest[..<at])
        guard !user.isEmpty, !user.contains(":") else {
            throw StoreError.badLocation("put the password in PEXBRIDGE_STORE_PASSWORD, not in the URL")
        }
        let afterUser = rest[rest.index(after: at)...]
        guard let slash = afterUser.firstIndex(of: "/") else {
            throw StoreError.badLocation("postgres URL needs a database (postgres://USER@HOST:PORT/DB)")
        }
        let database = String(afterUser[afterUser.index(after: slash)...])
        let hostPort = afterUser[..<slash]
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw StoreError.badLocation("postgres URL has a bad port")
            }
            port = p
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !database.isEmpty, !database.contains("/") else {
            throw StoreError.badLocation("expected postgres://USER@HOST:PORT/DB")
        }
        self = .postgres(user: user, host: host, port: port, database: database)
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let user, let host, let port, let database):
            "postgres://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
        }
    }
}

/// Opens the store at `location`, runs its schema migrations and checks the key.
/// - Parameters:
///   - location: where.
///   - key: the token key (`--store-key-file`).
///   - password: PostgreSQL's password (`PEXBRIDGE_STORE_PASSWORD`); unused for SQLite.
///   - instance: this process's instance name: on PostgreSQL the store then listens for the other instances'
///     messages (``SessionStore/bus``); nil opens it without (tools, tests of the store alone).
///   - logger: for the store's own messages (never a secret).
/// - Returns: the open store.
/// - Throws: ``StoreError`` with a message fit for an operator.
public func openSessionStore(
    _ location: StoreLocation,
    key: StoreKey,
    password: String?,
    instance: String? = nil,
    logger: Logger
) async throws -> any SessionStore {
    switch location {
    case .sqlite(let path):
        let driver = try await SQLiteDriver.open(path: path, exclusive: true, logger: logger)
        return try await SQLSessionStore.open(driver: driver, key: key)
    case .postgres(let user, let host, let port, let database):
        let driver = try await PostgresDriver.open(
            host: host,
            port: port,
            user: user,
            password: password,
            database: database,
            logger: logger
        )
        let bus = instance.map { name in
            PostgresBus(
                instance: name,
                key: key,
                driver: driver,
                configuration: driver.connectionConfiguration,
                logger: logger
            )
        }
        return try await SQLSessionStore.open(driver: driver, key: key, bus: bus)
    }
}
