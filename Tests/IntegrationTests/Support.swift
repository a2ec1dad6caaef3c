import BridgeClient
import BridgeCore
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Logging
import Synchronization
import Testing

/// Every log line a bridge wrote, formatted with its metadata, for secret checks.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "pexbridge.test") { label in CapturingLogHandler(label: label, capture: self) }
        logger.logLevel = level
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        let merged = metadata.merging(explicit ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(level) \(label): \(message) \(rendered)")
    }
}

/// PINs used by the integration rooms: long and distinctive, so a leak cannot hide in other text.
enum TestPINs {
    static let host = "918273"
    static let guest = "564738"
    static let optionalHost = "736251"
    static let wrong = "000999"
}

/// A bridge with its embedded simulator on port 0, and helpers to talk to it.
struct TestBridge {
    let bridge: PexBridge
    let port: Int
    let logs: LogCapture

    var simulator: InfinitySimulator { bridge.simulator! }
    var url: String { "ws://127.0.0.1:\(port)/ws" }

    static let rooms: [SimulatedRoom] = [
        SimulatedRoom(alias: "t.open", name: "Open"),
        SimulatedRoom(alias: "t.pin", name: "PIN", hostPIN: TestPINs.host, guestPIN: TestPINs.guest),
        SimulatedRoom(alias: "t.hostpin", name: "Host PIN only", hostPIN: TestPINs.optionalHost),
        SimulatedRoom(alias: "t.waiting", name: "Waiting", hostPIN: TestPINs.host, guestsWaitForHost: true),
        SimulatedRoom(alias: "t.locked", name: "Locked", locked: true),
    ]

    static func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestBridge {
        let logs = LogCapture()
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.simulate = true
        configuration.simulator = SimulatorConfiguration(rooms: rooms)
        configuration.simulator.demoActivity = false
        configure(&configuration)
        let bridge = try PexBridge(configuration: configuration, logger: logs.logger())
        let port = try await bridge.start()
        return TestBridge(bridge: bridge, port: port, logs: logs)
    }

    func client(token: String? = nil) async throws -> TestClient {
        TestClient(try await BridgeConnection.connect(url: url, token: token, recordFrames: true))
    }

    func stop() async {
        await bridge.shutdown()
    }
}

/// A WebSocket client that remembers everything it received.
final class TestClient: Sendable {
    final class Received: Sendable {
        let messages = Mutex<[ServerMessage]>([])
    }

    let connection: BridgeConnection
    private let received = Received()
    private let pump: Task<Void, Never>

    init(_ connection: BridgeConnection) {
        self.connection = connection
        let received = self.received
        pump = Task {
            for await incoming in connection.incoming {
                if case .message(let m) = incoming { received.messages.withLock { $0.append(m) } }
            }
        }
    }

    var messages: [ServerMessage] { received.messages.withLock { $0 } }

    var events: [SessionEvent] { messages.compactMap { if case .event(let e) = $0 { e } else { nil } } }

    func request(_ request: Request) async throws -> Result<ResultData, ErrorBody> {
        try await connection.request(request, timeout: .seconds(20))
    }

    /// The snapshot of a successful join/pin, or a recorded issue.
    func session(_ request: Request) async throws -> SessionSnapshot {
        let result = try await self.request(request)
        guard case .success(.session(let snapshot)) = result else {
            Issue.record("expected a session, got \(result)")
            throw CancellationError()
        }
        return snapshot
    }

    func failure(_ request: Request) async throws -> ErrorBody {
        let result = try await self.request(request)
        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            throw CancellationError()
        }
        return error
    }

    func join(_ alias: String, pin: String? = nil, name: String = "Bridge bot") async throws -> SessionSnapshot {
        try await session(.join(JoinParameters(node: "simulator", alias: alias, displayName: name, pin: pin)))
    }

    /// Waits (bounded) for a message that matches.
    @discardableResult
    func waitFor(timeout: Duration = .seconds(15), _ match: @escaping (ServerMessage) -> Bool) async throws -> ServerMessage {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let m = messages.first(where: match) { return m }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for a message; got \(messages.map(\.type.rawValue))")
        throw CancellationError()
    }

    /// Waits for a state event of `session` reaching `state`.
    @discardableResult
    func waitForState(_ session: String, _ state: SessionState, timeout: Duration = .seconds(15)) async throws -> StateChange {
        let m = try await waitFor(timeout: timeout) {
            if case .event(let e) = $0, e.session == session, case .state(let c) = e.payload { c.state == state } else { false }
        }
        guard case .event(let e) = m, case .state(let change) = e.payload else { throw CancellationError() }
        return change
    }

    func close() async {
        await connection.close()
        pump.cancel()
    }
}

/// Polls `condition` until true or the timeout passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
