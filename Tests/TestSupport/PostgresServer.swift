import Foundation
import TestSpawn
import Testing

/// A real PostgreSQL for tests, from Debian's packages: `initdb` into a temporary directory, `pg_ctl start` on a
/// free loopback port with its socket in that directory, a password for user `pexbridge`, and removal at the end.
///
/// `initdb` refuses to run as root, so as root the server runs as the `postgres` user the package creates
/// (`runuser -u postgres --`), in a directory owned by it. Use ``PostgresServer/suite`` on a suite to share one
/// server among its tests (``PostgresServer/current``), or ``start()``/``stop()`` directly.
public final class PostgresServer: Sendable {
    public let directory: String
    public let port: Int
    public let user = "pexbridge"
    /// The password of ``user``; tests put it in `PEXBRIDGE_STORE_PASSWORD`.
    public let password: String
    private let binaries: String

    public struct Failed: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    private init(directory: String, port: Int, password: String, binaries: String) {
        self.directory = directory
        self.port = port
        self.password = password
        self.binaries = binaries
    }

    /// The server a ``suite`` trait started for the running suite.
    @TaskLocal public static var current: PostgresServer?

    /// The running suite's server; records why there is none.
    public static func required() throws -> PostgresServer {
        guard let current else { throw Failed(description: "no PostgreSQL: put .postgres on the suite") }
        return current
    }

    /// `postgres://pexbridge@127.0.0.1:PORT/DATABASE`.
    /// - Parameter database: the database name.
    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Initialises and starts a server.
    public static func start() async throws -> PostgresServer {
        try await offThePool { try startBlocking() }
    }

    private static func startBlocking() throws -> PostgresServer {
        guard let binaries = findBinaries() else {
            throw Failed(description: "PostgreSQL server binaries not found (apt-get install postgresql)")
        }
        var template = Array("/tmp/pexbridge-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Failed(description: "mkdtemp failed") }
        let directory = String(cString: made)
        let password = UUID().uuidString
        let asRoot = getuid() == 0
        if asRoot {
            guard let entry = getpwnam("postgres") else {
                throw Failed(description: "no postgres user (apt-get install postgresql creates it)")
            }
            chown(directory, entry.pointee.pw_uid, entry.pointee.pw_gid)
        }
        let passwordFile = directory + "/password"
        guard FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8)) else {
            throw Failed(description: "cannot write \(passwordFile)")
        }
        if asRoot, let entry = getpwnam("postgres") {
            chown(passwordFile, entry.pointee.pw_uid, entry.pointee.pw_gid)
        }
        chmod(passwordFile, 0o600)
        try run(
            asRoot,
            binaries + "/initdb",
            [
                "-D", directory + "/data", "-U", "pexbridge", "--pwfile=" + passwordFile,
                "--auth=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C",
            ]
        )
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            do {
                try run(
                    asRoot,
                    binaries + "/pg_ctl",
                    [
                        "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
                        "-o",
                        "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off "
                            + "-c full_page_writes=off -c max_connections=300",
                        "start",
                    ]
                )
                return PostgresServer(directory: directory, port: port, password: password, binaries: binaries)
            } catch {
                lastError = error
            }
        }
        throw lastError ?? Failed(description: "PostgreSQL did not start")
    }

    /// Creates an empty database and returns its name.
    /// - Parameter prefix: the name's start (a random suffix makes it unique).
    public func createDatabase(prefix: String = "t") async throws -> String {
        let name = prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs one SQL command as ``user`` in database `postgres`.
    /// - Parameter sql: the command.
    public func psql(_ sql: String) async throws {
        let binaries = binaries
        let port = port
        let password = password
        try await offThePool {
            var environment = ProcessInfo.processInfo.environment
            environment["PGPASSWORD"] = password
            try Self.spawn(
                binaries + "/psql",
                [
                    "-h", "127.0.0.1", "-p", "\(port)", "-U", "pexbridge", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                    "-q", "-c", sql,
                ],
                environment: environment
            )
        }
    }

    /// Pauses the whole server (SIGSTOP to the postmaster and every backend): connections stay open, nothing
    /// answers, no new connection is accepted, as with a server frozen or a network black hole.
    public func pause() throws {
        for pid in try processes().reversed() { kill(pid, SIGSTOP) }
    }

    /// Resumes what ``pause()`` stopped.
    public func resume() throws {
        for pid in try processes() { kill(pid, SIGCONT) }
    }

    /// The postmaster (first) and its children, from `postmaster.pid` and `/proc`.
    private func processes() throws -> [pid_t] {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let postmaster = pid_t(first)
        else { throw Failed(description: "no postmaster.pid") }
        var found = [postmaster]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // "pid (comm) state ppid ...": the fields after the command name's closing parenthesis.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == postmaster { found.append(pid) }
        }
        return found
    }

    /// Stops the server at once and removes its directory (a paused one is resumed first, so that it can stop).
    public func stop() async {
        try? resume()
        let binaries = binaries
        let directory = directory
        _ = try? await offThePool {
            try Self.run(getuid() == 0, binaries + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "stop"])
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The newest installed server's `bin` directory.
    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().reversed().map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    private static func run(_ asRoot: Bool, _ executable: String, _ arguments: [String]) throws {
        if asRoot {
            try spawn("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        } else {
            try spawn(executable, arguments)
        }
    }

    /// Runs a command to its end; throws with its output when it fails.
    private static func spawn(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let pipe = Pipe()
        let process = try Spawned(
            executable: executable,
            arguments: arguments,
            environment: environment,
            stdout: pipe.fileHandleForWriting.fileDescriptor,
            stderr: pipe.fileHandleForWriting.fileDescriptor
        )
        try pipe.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let name = (executable as NSString).lastPathComponent
            throw Failed(
                description: "\(name) failed (\(process.terminationStatus)): \(String(decoding: output, as: UTF8.self))"
            )
        }
    }

    /// A loopback port nothing listens on now.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(description: "socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard bound else { throw Failed(description: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Starts one PostgreSQL around a whole suite and stops it after (``PostgresServer/current`` inside).
public struct PostgresSuiteTrait: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        if PostgresServer.current != nil {
            try await function()
            return
        }
        let server = try await PostgresServer.start()
        do {
            try await PostgresServer.$current.withValue(server) { try await function() }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

extension Trait where Self == PostgresSuiteTrait {
    /// A real PostgreSQL for the suite's tests (``PostgresServer/current``), stopped when the suite ends.
    public static var postgres: Self { PostgresSuiteTrait() }
}
