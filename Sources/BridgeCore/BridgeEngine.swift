import BridgeProtocol
import CoreMetrics
import InfinityClient
import Logging

/// The bridge's core: front-end clients, conference sessions, subscriptions and fan-out.
///
/// The actor composes small values that decide (each unit-tested without I/O) and carries out what they decide:
/// - `ClientTable`: roles, request budgets, auth deadlines, closing;
/// - `SubscriptionIndex`: who hears which session, and the fan-out recipient cache;
/// - `PINGuard` and an auth `FailureWindow`: brute-force budgets;
/// - `SessionMachine` (one per `SessionRecord`): a session's life, including who gets each reply.
///
/// Where a request goes is in one place: `BridgeEngine+Router.swift`. Upstream work (token requests, held links,
/// controls, releases) and timers run as child tasks of `run()` (`BridgeEngine+Service.swift`): the engine is a
/// `Service`, and `run()` must be running for any session to reach the node. Time comes from the injected clock.
public actor BridgeEngine {
    let configuration: BridgeConfiguration
    let upstream: any Upstream
    let sink: any ClientSink
    let logger: Logger
    let clock: EngineClock
    let metrics: EngineMetrics
    var clients: ClientTable
    var subscriptions = SubscriptionIndex()
    var sessions: [String: SessionRecord] = [:]
    var sessionLimits = SessionLimits()
    var nextSessionOrdinal: UInt64 = 0
    var pinGuard: PINGuard
    /// Failed `auth` per address (IPv6 by /64), and from all addresses together.
    var authFailures: FailureWindow
    var authGlobalFailures: FailureWindow
    var embeddedNode: NodeAddress?
    var counters = EngineCounters()
    /// Upstream work and timers, handed to `run()`'s task group.
    var work: WorkQueue
    /// Sessions' PIN-state deadlines, and the signal that wakes their ticker when the first one arrives.
    var pinDeadlines = DeadlineQueue<String>()
    let pinWake = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    /// Where sessions are kept to outlive the process (`serve --store`); nil without a store.
    var store: EngineStore?
    /// What `/healthz` says of the store (nothing without one).
    public nonisolated let storeHealth: StoreHealthBoard

    /// - Parameters:
    ///   - configuration: limits, tokens and timeouts.
    ///   - upstream: the conference nodes (a fake in tests).
    ///   - sink: where frames for clients go (the WebSocket transport).
    ///   - logger: the engine's logger; it never receives a secret.
    ///   - clock: the time source of every deadline, window and budget; tests pass a `TestClock`.
    ///   - metricsFactory: where counters and gauges are made; tests pass a `TestMetrics`.
    ///   - storeHealth: where the store's health is posted for `/healthz` (used once a store is attached).
    public init(
        configuration: BridgeConfiguration,
        upstream: any Upstream,
        sink: any ClientSink,
        logger: Logger,
        clock: any Clock<Duration> = ContinuousClock(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        storeHealth: StoreHealthBoard = StoreHealthBoard()
    ) {
        self.storeHealth = storeHealth
        self.configuration = configuration
        self.upstream = upstream
        self.sink = sink
        self.logger = logger
        self.clock = EngineClock(clock)
        self.metrics = EngineMetrics(factory: metricsFactory)
        self.embeddedNode = configuration.embeddedNode
        self.clients = ClientTable(requestRate: configuration.requestRate, requestBurst: configuration.requestBurst)
        self.authFailures = FailureWindow(
            limit: configuration.authFailureLimit,
            window: configuration.authFailureWindow,
            maxLockout: configuration.maxAuthLockout
        )
        self.authGlobalFailures = FailureWindow(
            limit: configuration.authGlobalFailureLimit,
            window: configuration.authFailureWindow,
            maxLockout: configuration.maxAuthLockout
        )
        self.pinGuard = PINGuard(configuration: configuration)
        self.work = WorkQueue()
    }

    /// The current moment on the injected clock.
    var now: Moment { clock.now() }

    // MARK: clients

    /// A front end connected: greet it, and give it `authTimeout` to authenticate when auth is required.
    /// - Parameters:
    ///   - client: the transport's connection id.
    ///   - peer: the peer's address (for auth backoff and logs).
    public func clientConnected(_ client: ClientID, peer: String) {
        let timeout = configuration.authRequired ? configuration.authTimeout : nil
        clients.connect(client, peer: peer, authTimeout: timeout, now: now)
        counters.clientsConnected += 1
        metrics.client(from: nil, to: clients[client]?.role?.rawValue ?? "unauthenticated")
        logger.debug("client connected", metadata: ["client": "\(client)", "peer": "\(LogText.clean(peer))"])
        send(.hello(Hello(server: configuration.serverName, authRequired: configuration.authRequired)), to: client)
        if let deadline = clients[client]?.authDeadline {
            schedule(at: deadline) { engine in await engine.authDeadlineCheck(client) }
        }
    }

    func authDeadlineCheck(_ client: ClientID) {
        guard clients.authDeadlinePassed(client, now: now), let entry = clients[client] else { return }
        clients.markClosing(client)
        logger.notice(
            "client did not authenticate in time",
            metadata: ["client": "\(client)", "peer": "\(LogText.clean(entry.peer))"]
        )
        send(.error(ErrorBody(.unauthorized, "no auth within the time allowed")), to: client)
        sink.close(client, code: 1008, reason: "authentication timeout")
    }

    /// A front end went away; its sessions live on.
    /// - Parameter client: the transport's connection id.
    public func clientDisconnected(_ client: ClientID) {
        let role = clients[client]?.role?.rawValue ?? "unauthenticated"
        guard clients.disconnect(client) else { return }
        metrics.client(from: role, to: nil)
        subscriptions.removeClient(client)
        logger.debug("client disconnected", metadata: ["client": "\(client)"])
    }

    // MARK: sending

    func send(_ message: ServerMessage, to client: ClientID) {
        sink.send(WireJSON.encode(message), to: [client])
    }

    func reply(_ target: ReplyTarget, _ outcome: Result<ResultData, ErrorBody>) {
        if case .failure(let error) = outcome {
            counters.requestFailures[error.code, default: 0] += 1
            metrics.requestFailures[error.code]?.increment()
        }
        if store != nil, replyToProxy(target, outcome) { return }
        guard clients[target.client] != nil else { return }
        send(.result(id: target.id, outcome), to: target.client)
    }

    /// Numbers, encodes once, remembers and fans out one event of a session.
    func publish(_ payload: EventPayload, in record: SessionRecord) {
        record.seq += 1
        let frame = WireJSON.encode(.event(SessionEvent(session: record.id, seq: record.seq, payload: payload)))
        record.remember(seq: record.seq, frame: frame, depth: configuration.replayDepth)
        let to = subscriptions.recipients(of: record.id)
        counters.eventsPublished += 1
        counters.eventDeliveries += to.count
        metrics.eventsPublished.increment()
        metrics.eventDeliveries.increment(by: to.count)
        if !to.isEmpty { sink.send(frame, to: to) }
        if store != nil { storeEvent(seq: record.seq, frame: frame, of: record.id) }
    }

    // MARK: introspection

    /// Live sessions (not yet final).
    public var sessionCount: Int { sessions.count }

    /// Upstream work still running (token requests, held links, controls, releases); timers are not counted.
    public var runningTaskCount: Int { work.outstanding }

    /// Connected front ends.
    public var clientCount: Int { clients.count }

    /// Counters for the `/metrics` page's poller; the same figures also go out through swift-metrics.
    public var statistics: EngineCounters {
        var c = counters
        for record in sessions.values { c.sessionsByState[record.machine.state, default: 0] += 1 }
        c.clientsByRole = clients.countsByRole
        return c
    }

    /// Sets the embedded simulator's address once it is listening.
    /// - Parameter node: the simulator's address, always allowed as node `simulator`.
    public func setEmbeddedNode(_ node: NodeAddress?) {
        embeddedNode = node
    }
}

/// Counters the engine keeps for metrics.
public struct EngineCounters: Sendable {
    public var clientsConnected = 0
    public var authFailures = 0
    public var eventsPublished = 0
    public var eventDeliveries = 0
    /// Ephemeral events (`speakers`, `captions`) sent, counted per recipient.
    public var ephemeralDeliveries = 0
    public var pinFailures = 0
    public var rateLimited = 0
    public var requestFailures: [ErrorCode: Int] = [:]
    public var sessionsByState: [SessionState: Int] = [:]
    public var clientsByRole: [String: Int] = [:]
}
