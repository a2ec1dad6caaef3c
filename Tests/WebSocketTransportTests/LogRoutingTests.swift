import Logging
import Synchronization
import Testing
import WebSocketTransport

/// A log handler that keeps every message, for checking where lws's lines go.
struct CapturingLogHandler: LogHandler {
    let lines: Locked<[String]>
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.mutate { $0.append(event.message.description) }
    }
}

@Suite struct LogRoutingTests {
    /// lws 4.1's log emitter gets no context; lines are routed by the thread that emits them (the server's own
    /// service thread), so a line caused on one server reaches that server's logger, not the one started last.
    @Test func anLwsLineReachesTheLoggerOfItsOwnServer() async throws {
        let firstLines = Locked<[String]>([])
        let secondLines = Locked<[String]>([])
        let first = WebSocketServer(
            configuration: .init(port: 0),
            logger: Logger(label: "first") { _ in CapturingLogHandler(lines: firstLines) },
            httpHandler: { _ in .notFound }
        )
        let second = WebSocketServer(
            configuration: .init(port: 0),
            logger: Logger(label: "second") { _ in CapturingLogHandler(lines: secondLines) },
            httpHandler: { _ in .notFound }
        )
        let firstPort = try first.start()
        _ = try second.start()  // started last: the old routing sent every line here
        let port = firstPort
        try await background {
            let client = try RawClient(port: port)
            guard try client.upgrade(port: port).status == 101 else { throw RawClientError.malformed("no upgrade") }
            // A ping announcing a 16-bit length: lws warns "Control frame ... illegal" and drops the connection.
            try client.send([0x89, 0x80 | 126, 0, 200, 1, 2, 3, 4])
            _ = try client.waitForPeerClose()
        }
        try await waitUntil("the first server logged the lws warning") {
            firstLines.value.contains { $0.hasPrefix("libwebsockets:") && $0.contains("ontrol frame") }
        }
        #expect(!secondLines.value.contains { $0.hasPrefix("libwebsockets:") })
        await first.shutdown()
        await second.shutdown()
    }
}
