import BridgeClient
import BridgeCore
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Locking
import Logging
// The harness, `eventually`, `offThePool`, `LogCapture` and `TestCertificate` come from TestSupport; every file of
// this target uses them as if they were its own.
@_exported import TestSupport
import Testing

/// PINs used by the integration rooms: long and distinctive, so a leak cannot hide in other text.
enum TestPINs {
    static let host = "918273"
    static let guest = "564738"
    static let optionalHost = "736251"
    static let wrong = "000999"
}

/// A bridge with its embedded simulator on port 0, and helpers to talk to it: the suite's long-standing shape
/// over TestSupport's ``BridgeHarness``. New tests use ``withTestBridge(_:_:)``, which always stops the bridge;
/// `start()`/`stop()` keep the group running in a task of its own between the two calls.
struct TestBridge {
    typealias Configuration = BridgeHarness.Configuration

    let harness: BridgeHarness
    private let running: Task<Void, any Error>

    var bridge: PexBridge { harness.bridge }
    var port: Int { harness.port }
    var logs: LogCapture { harness.logs }
    var simulator: InfinitySimulator { harness.simulator! }
    var url: String { harness.url }

    static let rooms: [SimulatedRoom] = [
        SimulatedRoom(alias: "t.open", name: "Open"),
        SimulatedRoom(alias: "t.pin", name: "PIN", hostPIN: TestPINs.host, guestPIN: TestPINs.guest),
        SimulatedRoom(alias: "t.hostpin", name: "Host PIN only", hostPIN: TestPINs.optionalHost),
        SimulatedRoom(alias: "t.waiting", name: "Waiting", hostPIN: TestPINs.host, guestsWaitForHost: true),
        SimulatedRoom(alias: "t.locked", name: "Locked", locked: true),
    ]

    /// The suite's rooms, demo activity off, then `configure`.
    static func configuration(_ configure: (inout Configuration) -> Void) -> Configuration {
        var simulator = SimulatorConfiguration(rooms: rooms)
        simulator.demoActivity = false
        var configuration = Configuration(simulator: simulator)
        configure(&configuration)
        return configuration
    }

    static func start(_ configure: (inout Configuration) -> Void = { _ in }) async throws -> TestBridge {
        let harness = try await BridgeHarness.bind(configuration(configure))
        return TestBridge(harness: harness, running: Task { try await harness.run() })
    }

    func client(token: String? = nil) async throws -> TestClient {
        TestClient(try await BridgeConnection.connect(url: url, token: token, recordFrames: true))
    }

    /// Shuts down gracefully and returns once everything has stopped.
    func stop() async {
        await harness.shutDown()
        do {
            try await running.value
        } catch {
            Issue.record("the bridge's services ended with \(error)")
        }
    }
}

/// Runs a bridge with the suite's rooms for the length of `body` and always stops it (TestSupport's `withBridge`).
func withTestBridge<T: Sendable>(
    _ configure: (inout TestBridge.Configuration) -> Void = { _ in },
    _ body: (BridgeHarness) async throws -> T
) async throws -> T {
    let configured = TestBridge.configuration(configure)
    return try await withBridge(configure: { $0 = configured }, body)
}

/// A WebSocket client that remembers everything it received.
final class TestClient: Sendable {
    /// What arrived, and who is waiting to hear that something did (so waits need no polling).
    final class Received: Sendable {
        private struct State {
            var messages: [ServerMessage] = []
            var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
            var nextWatcher = 0
        }

        private let state = Mutex(State())

        var messages: [ServerMessage] { state.withLock { $0.messages } }

        func append(_ message: ServerMessage) {
            let watchers = state.withLock { state in
                state.messages.append(message)
                return Array(state.watchers.values)
            }
            for watcher in watchers { watcher.yield() }
        }

        /// A stream that ticks after every arrival from now on, until ``unwatch(_:)``.
        func watch() -> (id: Int, changes: AsyncStream<Void>) {
            let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let id = state.withLock { state in
                state.nextWatcher += 1
                state.watchers[state.nextWatcher] = continuation
                return state.nextWatcher
            }
            return (id, changes)
        }

        func unwatch(_ id: Int) {
            state.withLock { $0.watchers.removeValue(forKey: id) }?.finish()
        }
    }

    let connection: BridgeConnection
    private let received = Received()
    private let pump: Task<Void, Never>

    init(_ connection: BridgeConnection) {
        self.connection = connection
        let received = self.received
        pump = Task {
            for await incoming in connection.incoming {
                if case .message(let m) = incoming { received.append(m) }
            }
        }
    }

    var messages: [ServerMessage] { received.messages }

    var events: [SessionEvent] { messages.compactMap { if case .event(let e) = $0 { e } else { nil } } }

    func request(_ request: Request) async throws -> Result<ResultData, ErrorBody> {
        // A ceiling only, stretched like the bridge's own deadlines (BridgeHarness), which it must outlast.
        try await connection.request(request, timeout: TestPatience.stretch(.seconds(20)))
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

    /// Waits for a message that matches: woken by each arrival, no polling; the timeout is only a ceiling.
    @discardableResult
    func waitFor(
        timeout: Duration = .seconds(15),
        _ match: @escaping (ServerMessage) -> Bool
    ) async throws -> ServerMessage {
        let received = self.received
        // Watch before the first look, so a message arriving in between still wakes the loop.
        let (id, changes) = received.watch()
        let found = await withTaskGroup(of: Void.self) { group -> ServerMessage? in
            group.addTask {
                try? await Task.sleep(for: TestPatience.stretch(timeout))
                received.unwatch(id)
            }
            defer { group.cancelAll() }
            if let m = received.messages.first(where: match) { return m }
            for await _ in changes {
                if let m = received.messages.first(where: match) { return m }
            }
            return nil
        }
        received.unwatch(id)
        guard let found else {
            Issue.record("timed out waiting for a message; got \(messages.map(\.type.rawValue))")
            throw CancellationError()
        }
        return found
    }

    /// Waits for a state event of `session` reaching `state`.
    @discardableResult
    func waitForState(
        _ session: String,
        _ state: SessionState,
        timeout: Duration = .seconds(15)
    ) async throws -> StateChange {
        let m = try await waitFor(timeout: timeout) {
            if case .event(let e) = $0, e.session == session, case .state(let c) = e.payload {
                c.state == state
            } else {
                false
            }
        }
        guard case .event(let e) = m, case .state(let change) = e.payload else { throw CancellationError() }
        return change
    }

    func close() async {
        await connection.close()
        pump.cancel()
    }
}
