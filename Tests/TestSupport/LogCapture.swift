import Locking
import Logging

/// Every log line a bridge wrote, formatted with its metadata, for secret checks.
public final class LogCapture: Sendable {
    private struct State {
        var lines: [String] = []
        /// Who waits in ``line(containing:timeout:)``: each gets every line written after it started waiting.
        var watchers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var all: [String] { state.withLock { $0.lines } }

    public func append(_ line: String) {
        let watchers = state.withLock { state in
            state.lines.append(line)
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield(line) }
    }

    /// The first line that contains `text`, already written or the moment it is written (an event, not a poll:
    /// for a test that must act at once on what the code under test logs).
    ///
    /// - Parameters:
    ///   - text: What the line contains.
    ///   - timeout: The ceiling (stretched by ``TestPatience``).
    /// - Returns: The line.
    /// - Throws: ``TestTimeout`` at the ceiling.
    public func line(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let id = state.withLock { state in
            for line in state.lines where line.contains(text) { continuation.yield(line) }
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            return id
        }
        defer {
            _ = state.withLock { $0.watchers.removeValue(forKey: id) }
            continuation.finish()
        }
        return try await firstElement("a log line with \"\(text)\"", of: stream, timeout: timeout) {
            $0.contains(text)
        }
    }

    /// A logger writing into this capture.
    ///
    /// - Parameter level: The lowest level kept.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "pexbridge.test") { label in CapturingLogHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }
}

/// Renders each line with its metadata into a ``LogCapture``.
public struct CapturingLogHandler: LogHandler {
    public let label: String
    public let capture: LogCapture
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(label: String, capture: LogCapture) {
        self.label = label
        self.capture = capture
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(event.level) \(label): \(event.message) \(rendered)")
    }
}
