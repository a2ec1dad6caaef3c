import Locking
import Logging
@_exported import TestSupport
import Testing

@testable import InfinityClient

/// Every log line a test's logger produced, rendered with its metadata.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    /// A logger at `.trace` writing into this capture.
    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label, factory: { label in CapturingLogHandler(label: label, capture: self) })
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(event.level) [\(label)] \(event.message) \(rendered)")
    }
}

/// A logger that captures into a throwaway store (so tests still exercise trace logging).
func testLogger() -> Logger { LogCapture().logger() }

@discardableResult
/// Runs `body` with a client, shutting it down afterwards.
func withClient<T>(
    _ configuration: InfinityClientConfiguration = .fastTests,
    logger: Logger = testLogger(),
    _ body: (InfinityClient) async throws -> T
) async throws -> T {
    let client = InfinityClient(configuration: configuration, logger: logger)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

@discardableResult
/// Runs `body` with a stub server, stopping it afterwards.
func withStub<T>(
    _ responder: @escaping StubServer.Responder,
    _ body: (StubServer) async throws -> T
) async throws -> T {
    let server = try await StubServer.start(responder: responder)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension InfinityClientConfiguration {
    /// Short retry backoffs, and timeouts far beyond any answer time of a loaded machine (even under
    /// ThreadSanitizer): a request that should succeed never races the clock. A test of a timeout sets its own,
    /// short one against a stub that never answers, so its outcome does not depend on the machine's speed either;
    /// a test that hangs is ended by its suite's time limit.
    static var fastTests: InfinityClientConfiguration {
        InfinityClientConfiguration(
            requestTimeout: .seconds(60),
            connectTimeout: .seconds(30),
            retriesForIdempotent: 2,
            retryBackoff: .milliseconds(20)
        )
    }
}

/// Reads a connection's updates in the background so tests can wait for them with a bound.
final class UpdateRecorder: Sendable {
    private final class Box: Sendable {
        let state = Mutex<(updates: [ConnectionUpdate], finished: Bool)>(([], false))
    }

    private let box = Box()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<ConnectionUpdate>) {
        let box = self.box
        task = Task {
            for await update in stream { box.state.withLock { $0.updates.append(update) } }
            box.state.withLock { $0.finished = true }
        }
    }

    deinit { task.cancel() }

    var updates: [ConnectionUpdate] { box.state.withLock { $0.updates } }
    var isFinished: Bool { box.state.withLock { $0.finished } }
    var events: [InfinityEvent] {
        updates.compactMap { if case .event(let event) = $0 { return event } else { return nil } }
    }

    /// Waits until `condition` holds for the updates so far, returning them.
    @discardableResult
    func wait(
        timeout: Duration = .seconds(10),
        _ what: String,
        until condition: @escaping ([ConnectionUpdate]) -> Bool
    ) async throws -> [ConnectionUpdate] {
        try await waitUntil("\(what); got \(updates)", timeout: timeout) { condition(self.updates) }
        return updates
    }

    /// Waits until the stream has finished, returning all updates.
    @discardableResult
    func waitForEnd(timeout: Duration = .seconds(10)) async throws -> [ConnectionUpdate] {
        try await waitUntil("the updates to finish; got \(updates)", timeout: timeout) { self.isFinished }
        return updates
    }
}

extension [ConnectionUpdate] {
    func count(where predicate: (ConnectionUpdate) -> Bool) -> Int { filter(predicate).count }
    var endReasons: [ConnectionEndReason] {
        compactMap { if case .ended(let reason) = $0 { return reason } else { return nil } }
    }
}

/// Suspends until the calling task is cancelled; no timer involved.
func waitUntilCancelled() async {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    await withTaskCancellationHandler {
        for await _ in stream {}
    } onCancel: {
        continuation.finish()
    }
}
