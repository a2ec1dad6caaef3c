import BridgeServer
import InfinityClient
import InfinitySimulator
import Logging
import ServiceLifecycle

/// A bridge composed the way `pexbridge serve --simulate` composes it (embedded simulator, then the bridge's
/// services, in one `ServiceGroup`), bound to free ports, for tests. Prefer ``withBridge(configure:logs:_:)``,
/// which always stops what it started.
public final class BridgeHarness: Sendable {
    /// What to run: the bridge's settings and the embedded simulator's.
    ///
    /// Members of `ServerConfiguration` can be set directly (`$0.core.requestRate = 5`); `simulator` is the
    /// simulator's own configuration.
    @dynamicMemberLookup
    public struct Configuration: Sendable {
        public var bridge: ServerConfiguration
        public var simulator: SimulatorConfiguration
        /// Run the simulator as the bridge's embedded node `simulator` (as `serve --simulate` does).
        public var embedsSimulator: Bool

        /// - Parameters:
        ///   - bridge: The bridge's settings; the port is set to 0 (a free one).
        ///   - simulator: The embedded node's settings (demo rooms, no demo activity, when not given).
        ///   - embedsSimulator: Whether the simulator runs at all.
        public init(
            bridge: ServerConfiguration = ServerConfiguration(),
            simulator: SimulatorConfiguration = SimulatorConfiguration(rooms: InfinitySimulator.demoRooms),
            embedsSimulator: Bool = true
        ) {
            self.bridge = bridge
            self.bridge.port = 0
            self.simulator = simulator
            self.embedsSimulator = embedsSimulator
        }

        public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ServerConfiguration, Value>) -> Value {
            get { bridge[keyPath: keyPath] }
            set { bridge[keyPath: keyPath] = newValue }
        }
    }

    public let bridge: PexBridge
    /// The embedded simulator, when one runs.
    public let simulator: InfinitySimulator?
    public let port: Int
    public let logs: LogCapture
    private let group: ServiceGroup

    private init(
        bridge: PexBridge,
        simulator: InfinitySimulator?,
        port: Int,
        logs: LogCapture,
        group: ServiceGroup
    ) {
        self.bridge = bridge
        self.simulator = simulator
        self.port = port
        self.logs = logs
        self.group = group
    }

    /// Binds the simulator and the bridge; nothing is served until ``run()``. When a part cannot bind, what
    /// did is stopped before the error is thrown.
    ///
    /// - Parameters:
    ///   - configuration: What to run.
    ///   - logs: Where every part logs.
    public static func bind(
        _ configuration: Configuration,
        logs: LogCapture = LogCapture()
    ) async throws
        -> BridgeHarness
    {
        let logger = logs.logger()
        var settings = configuration.bridge
        // The bridge's own deadlines run on real time, which no test clock reaches: a sanitizer run, slower by the
        // run's patience (TestPatience), gets them stretched as much, so an answer that comes is never taken for a
        // timeout. A test whose outcome is one of them keeps its fault permanent, so stretching only lengthens it.
        settings.infinity.requestTimeout = TestPatience.stretch(settings.infinity.requestTimeout)
        settings.infinity.connectTimeout = TestPatience.stretch(settings.infinity.connectTimeout)
        settings.infinity.dnsTimeout = TestPatience.stretch(settings.infinity.dnsTimeout)
        settings.core.authTimeout = TestPatience.stretch(settings.core.authTimeout)
        // The bridge clamps a node's token lifetime to at least 10 s (a hostile node's `expires: 0`); tests that
        // shorten the simulator's tokens to watch refreshes lower that floor to match.
        let expiry = Int(configuration.simulator.tokenExpiry.components.seconds)
        if configuration.embedsSimulator, expiry < settings.connectionPolicy.tokenLifetimeRange.lowerBound {
            settings.connectionPolicy.tokenLifetimeRange =
                max(1, expiry)...settings.connectionPolicy.tokenLifetimeRange.upperBound
        }
        let simulator =
            configuration.embedsSimulator
            ? InfinitySimulator(configuration: configuration.simulator, logger: logger) : nil
        let bridge: PexBridge
        let port: Int
        do {
            if let simulator {
                _ = try await simulator.start()
                settings.embeddedNode = EmbeddedNode(
                    address: try NodeAddress(parsing: simulator.baseURL),
                    demoRooms: simulator.configuration.rooms.map(\.demoRoom)
                )
            }
            bridge = try PexBridge(configuration: settings, logger: logger)
            port = try await bridge.bind()
        } catch {
            await simulator?.stop()
            throw error
        }
        let services: [any Service] = (simulator.map { [$0] } ?? []) + bridge.services
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, logger: logger))
        return BridgeHarness(bridge: bridge, simulator: simulator, port: port, logs: logs, group: group)
    }

    /// Runs every part until ``shutDown()``; then the engine tells clients `bridge_shutdown` and releases its
    /// sessions, the transport closes, the simulator stops, in that order.
    public func run() async throws {
        try await group.run()
    }

    /// Starts the graceful shutdown; ``run()`` returns once it is done. Harmless when already shut down.
    public func shutDown() async {
        await group.triggerGracefulShutdown()
    }

    /// `ws://127.0.0.1:PORT/ws`.
    public var url: String { "ws://127.0.0.1:\(port)/ws" }
}

extension SimulatedRoom {
    /// The room as the bridge's page lists it (no PINs).
    public var demoRoom: EmbeddedNode.DemoRoom {
        EmbeddedNode.DemoRoom(
            alias: alias,
            name: name,
            access: hostPIN == nil ? .open : guestPIN == nil ? .pinOptional : .pinRequired
        )
    }
}

/// Runs a bridge (and its embedded simulator) for the length of `body`, and always stops it: the group runs in
/// a child task; when `body` returns or throws, graceful shutdown is triggered and awaited before this returns.
///
/// - Parameters:
///   - configure: Changes to the default configuration (demo rooms, port 0).
///   - logs: Where every part logs.
///   - body: The test, given the running bridge.
/// - Returns: What `body` returned.
public func withBridge<T: Sendable>(
    configure: (inout BridgeHarness.Configuration) -> Void = { _ in },
    logs: LogCapture = LogCapture(),
    _ body: (BridgeHarness) async throws -> T
) async throws -> T {
    var configuration = BridgeHarness.Configuration()
    configure(&configuration)
    let harness = try await BridgeHarness.bind(configuration, logs: logs)
    return try await withThrowingTaskGroup(of: Void.self, returning: T.self) { group in
        group.addTask { try await harness.run() }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(harness))
        } catch {
            outcome = .failure(error)
        }
        await harness.shutDown()
        try await group.waitForAll()
        return try outcome.get()
    }
}
