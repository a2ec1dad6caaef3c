import Locking
import Logging
@_exported import TestSupport
import Testing

@testable import WebSocketTransport

/// Thrown when a bounded wait runs out.
/// Collects a server's events so tests can wait for them.
final class EventLog: Sendable {
    private let events = Mutex<[TransportEvent]>([])
    private let ended = Mutex(false)

    init(_ stream: TransportEvents) {
        Task { [self] in
            for await event in stream {
                events.withLock { $0.append(event) }
            }
            ended.withLock { $0 = true }
        }
    }

    var all: [TransportEvent] { events.withLock { $0 } }
    var hasEnded: Bool { ended.withLock { $0 } }

    /// Waits for the first event `extract` accepts.
    func first<T>(
        _ what: String,
        timeout: Duration = .seconds(10),
        _ extract: (TransportEvent) -> T?
    ) async throws -> T {
        var found: T?
        try await waitUntil(what, timeout: timeout) {
            found = all.lazy.compactMap(extract).first
            return found != nil
        }
        return found!
    }

    /// Waits for the `.opened` event number `index` (0-based, in arrival order).
    func opened(_ index: Int = 0, timeout: Duration = .seconds(10)) async throws -> (ConnectionID, ConnectionInfo) {
        var found: (ConnectionID, ConnectionInfo)?
        try await waitUntil("opened #\(index)", timeout: timeout) {
            let opened = all.compactMap { event -> (ConnectionID, ConnectionInfo)? in
                if case .opened(let id, let info) = event { return (id, info) }
                return nil
            }
            found = opened.count > index ? opened[index] : nil
            return found != nil
        }
        return found!
    }

    /// Waits for the first text message of `id`.
    func text(from id: ConnectionID, timeout: Duration = .seconds(10)) async throws -> String {
        try await first("text from \(id)", timeout: timeout) { event in
            if case .text(id, let bytes) = event { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
    }

    /// Waits for `.closed(id)`.
    func closed(_ id: ConnectionID, timeout: Duration = .seconds(10)) async throws {
        _ = try await first("closed \(id)", timeout: timeout) { event -> Bool? in
            if case .closed(id) = event { return true }
            return nil
        }
    }

    /// How many events of `id` match `predicate`.
    func count(_ predicate: (TransportEvent) -> Bool) -> Int {
        all.filter(predicate).count
    }
}

/// A started server with its event log; shut down with ``stop()``.
struct TestServer {
    let server: WebSocketServer
    let port: Int
    let log: EventLog

    /// Starts a server on 127.0.0.1, port 0, connections promoted at open, with `configure` applied.
    static func start(
        _ configure: (inout TransportConfiguration) -> Void = { _ in },
        httpHandler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = { _ in .notFound }
    ) throws -> TestServer {
        var configuration = TransportConfiguration(port: 0)
        configuration.promoteOnOpen = true  // pre-auth limits are tested on their own (EdgeTests)
        configure(&configuration)
        let server = WebSocketServer(configuration: configuration, logger: testLogger, httpHandler: httpHandler)
        let log = EventLog(server.events)
        let port = try server.start()
        return TestServer(server: server, port: port, log: log)
    }

    func stop() async {
        await server.shutdown()
    }

    /// Connects a raw client and completes the upgrade on `path`; its reads give up after `receiveTimeoutSeconds`
    /// of silence.
    func rawWebSocket(
        path: String = "/ws",
        receiveBuffer: Int32? = nil,
        receiveTimeoutSeconds: Int = 10
    ) async throws -> RawClient {
        let port = self.port
        return try await background {
            let client = try RawClient(port: port, receiveBuffer: receiveBuffer, timeout: receiveTimeoutSeconds)
            let head = try client.upgrade(path: path, port: port)
            guard head.status == 101 else { throw RawClientError.malformed("upgrade answered \(head.status)") }
            return client
        }
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "WebSocketTransportTests")
    logger.logLevel = .warning
    return logger
}()

/// Runs `operation` in its own task and waits at most `timeout` for it, so a client that never
/// finishes fails the test instead of hanging it (the task is cancelled and left behind).
func withDeadline<T: Sendable>(
    _ what: String,
    timeout: Duration = .seconds(15),
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Locked<Result<T, any Error>?>(nil)
    let task = Task {
        do {
            let value = try await operation()
            outcome.mutate { $0 = .success(value) }
        } catch {
            outcome.mutate { $0 = .failure(error) }
        }
    }
    do {
        try await waitUntil(what, timeout: timeout) { outcome.value != nil }
    } catch {
        task.cancel()
        throw error
    }
    return try outcome.value!.get()
}
