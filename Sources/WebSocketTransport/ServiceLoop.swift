import CLibWebSockets
import Logging

/// All state of one server's lws service thread.
///
/// Confined to that thread (and, before the thread exists, to the thread that creates the context),
/// so it is deliberately not `Sendable`. lws callbacks reach it through the context user pointer; other
/// threads talk to it only through ``CommandQueue``.
final class ServiceLoop {
    /// Bytes of HTTP body written per writeable callback.
    static let httpChunkBytes = 16 * 1024
    /// Room for response headers.
    static let httpHeaderBytes = 8 * 1024
    /// Seconds a connection may take to accept its close (after `close`) before it is dropped.
    static let closeGraceSeconds: Int32 = 10

    let configuration: TransportConfiguration
    let originPolicy: OriginPolicy
    let logger: Logger
    let httpHandler: @Sendable (HTTPRequest) -> HTTPResponse
    let events: InboundQueue
    let counters: StatsCounters
    let commands: CommandQueue
    /// Fired once shutdown has begun and no connection is left.
    let drained: OneShotSignal
    /// Identity used to claim ``OutboundFrame``s.
    let serverKey: UInt
    let resources: ContextResources
    /// LWS_PRE bytes of headroom followed by room for headers or one body chunk.
    let scratch: UnsafeMutableRawPointer
    let scratchCapacity = max(ServiceLoop.httpChunkBytes, ServiceLoop.httpHeaderBytes)

    var context: OpaquePointer?
    var connections: [UInt64: Connection] = [:]
    var exchanges: [UInt64: HTTPExchange] = [:]
    var connectionsPerAddress: [String: Int] = [:]
    /// The bound port (known once the context exists), for the Host check.
    var listenPort = 0
    /// Open TCP connections that are not WebSocket connections, by peer address, and the peer of each by wsi.
    var httpConnectionsPerAddress: [String: Int] = [:]
    var httpConnectionPeers: [UInt: String] = [:]
    /// WebSocket connections not yet promoted, in total and by client address.
    var unauthenticatedCount = 0
    var unauthenticatedPerAddress: [String: Int] = [:]
    var draining = false
    /// Origin of the monotonic times given to the rate meters.
    let epoch = ContinuousClock.now
    private var stopRequested = false
    private var lastKey: UInt64 = 0
    private var batch: [Command] = []

    init(
        configuration: TransportConfiguration,
        originPolicy: OriginPolicy,
        logger: Logger,
        httpHandler: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
        events: InboundQueue,
        counters: StatsCounters,
        commands: CommandQueue,
        drained: OneShotSignal,
        serverKey: UInt
    ) {
        self.configuration = configuration
        self.originPolicy = originPolicy
        self.logger = logger
        self.httpHandler = httpHandler
        self.events = events
        self.counters = counters
        self.commands = commands
        self.drained = drained
        self.serverKey = serverKey
        resources = ContextResources(configuration: configuration)
        let size = pb_lws_pre() + scratchCapacity
        scratch = .allocate(byteCount: size, alignment: 16)
        scratch.bindMemory(to: UInt8.self, capacity: size)
    }

    deinit {
        scratch.deallocate()
    }

    /// Monotonic time since the loop was made, for the rate meters.
    var now: Duration { ContinuousClock.now - epoch }

    /// A fresh key for a connection's or an HTTP exchange's state (never 0).
    func nextKey() -> UInt64 {
        lastKey += 1
        return lastKey
    }

    /// Services the context until asked to stop, then destroys it and ends the event stream.
    func run() {
        guard let context else { return }
        libWebSocketsProcess.bindCurrentThread(to: serverKey)
        defer { libWebSocketsProcess.unbindCurrentThread() }
        drainCommands()
        while !stopRequested {
            if lws_service(context, 0) < 0 {
                logger.error("lws_service failed; transport stops")
                break
            }
            drainCommands()
        }
        commands.detach()
        // Connections still open are closed here; their CLOSED callbacks yield `.closed`.
        libWebSocketsProcess.serialized(for: serverKey) { lws_context_destroy(context) }
        self.context = nil
        for connection in connections.values.sorted(by: { $0.id < $1.id }) where !connection.isEcho {
            events.yield(.closed(connection.id))
        }
        connections.removeAll()
        exchanges.removeAll()
        counters.connections.store(0, ordering: .relaxed)
        counters.bytesQueued.store(0, ordering: .relaxed)
        events.finish()
    }

    /// Applies every command queued by other threads.
    func drainCommands() {
        commands.take(into: &batch)
        guard !batch.isEmpty else { return }
        for command in batch {
            switch command {
            case .send(let frame, let id):
                if let connection = connections[id.rawValue] {
                    enqueue(frame, to: connection)
                } else {
                    counters.framesDropped.add(1)
                }
            case .sendMany(let frame, let ids):
                var dropped = 0
                for id in ids {
                    if let connection = connections[id.rawValue] {
                        enqueue(frame, to: connection)
                    } else {
                        dropped += 1
                    }
                }
                if dropped > 0 { counters.framesDropped.add(dropped) }
            case .close(let id, let code, let reason):
                if let connection = connections[id.rawValue], connection.pendingClose == nil {
                    beginClose(connection, code: code, reason: reason, graceSeconds: Self.closeGraceSeconds)
                }
            case .promote(let id):
                promote(id)
            case .resumeReads(let ids):
                for id in ids {
                    guard let connection = connections[id.rawValue] else { continue }
                    connection.pausedForBacklog = false
                    updateReading(connection)
                }
            case .beginShutdown:
                beginShutdown()
            case .stop:
                stopRequested = true
            }
        }
        batch.removeAll(keepingCapacity: true)
    }

    private func beginShutdown() {
        draining = true
        for connection in connections.values where connection.pendingClose == nil {
            beginClose(
                connection,
                code: CloseCode.goingAway,
                reason: "server shutdown",
                graceSeconds: configuration.slowConsumerGraceSeconds
            )
        }
        if connections.isEmpty { drained.fire() }
    }
}
