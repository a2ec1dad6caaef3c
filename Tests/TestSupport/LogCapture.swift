import Locking
import Logging

/// Every log line a bridge wrote, formatted with its metadata, for secret checks.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var all: [String] { lines.withLock { $0 } }

    public func append(_ line: String) { lines.withLock { $0.append(line) } }

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
