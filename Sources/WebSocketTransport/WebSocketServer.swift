import CLibWebSockets
import Locking
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// WebSocket and HTTP server on one port, run by libwebsockets on one service thread.
///
/// Every method may be called from any thread. Events are yielded from the service thread, in order
/// per connection. Frames and closes are handed to that thread through a locked queue.
public final class WebSocketServer: Sendable {
    /// Connection events; finishes after ``shutdown()``. Bounded: a connection whose messages are not consumed
    /// stops being read (see ``TransportConfiguration/perConnectionBacklog``); consuming returns the credit.
    public let events: TransportEvents

    private enum Lifecycle {
        case idle
        case running(ServiceThread)
        case stopping
        case stopped
    }

    private let configuration: TransportConfiguration
    private let logger: Logger
    private let httpHandler: @Sendable (HTTPRequest) -> HTTPResponse
    private let inbound: InboundQueue
    private let commands: CommandQueue
    private let counters = StatsCounters()
    private let drained = OneShotSignal()
    private let finished = OneShotSignal()
    private let lifecycle = Mutex(Lifecycle.idle)

    /// How long ``shutdown()`` waits for queued frames and close handshakes.
    static let shutdownFlushTime: Duration = .seconds(2)

    /// Creates a stopped server; `httpHandler` answers plain HTTP requests on the service thread and must be fast.
    public init(
        configuration: TransportConfiguration,
        logger: Logger,
        httpHandler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) {
        self.configuration = configuration
        self.logger = logger
        self.httpHandler = httpHandler
        let commands = CommandQueue()
        self.commands = commands
        inbound = InboundQueue(
            perConnection: configuration.perConnectionBacklog,
            overall: configuration.totalBacklog
        ) { ids in
            commands.push(.resumeReads(ids))
        }
        events = TransportEvents(queue: inbound)
    }

    deinit {
        // Not shut down: stop the loop without the graceful flush and let its thread end on its own.
        lifecycle.withLock { state in
            switch state {
            case .running(let thread):
                commands.push(.stop)  // the loop finishes the events when it ends
                thread.detach()
            case .idle:
                inbound.finish()  // never started: a consumer must not wait forever
            case .stopping, .stopped:
                break
            }
        }
    }

    /// Identity of this server when claiming frames and routing lws logs.
    private var serverKey: UInt { UInt(bitPattern: ObjectIdentifier(commands)) }

    /// Binds, starts the service thread and returns the bound port.
    public func start() throws(TransportError) -> Int {
        try lifecycle.withLock { state throws(TransportError) -> Int in
            guard case .idle = state else { throw .alreadyStarted }
            let (port, thread) = try launch()
            state = .running(thread)
            return port
        }
    }

    private func launch() throws(TransportError) -> (Int, ServiceThread) {
        try configuration.validate()
        let originPolicy = try OriginPolicy(
            allowed: configuration.allowedOrigins,
            loopbackListener: configuration.isLoopback
        )
        if let tls = configuration.tls {
            for path in [tls.certificatePath, tls.privateKeyPath] where !Self.isReadableFile(path) {
                throw .tlsFileUnreadable(path: path)
            }
        }
        let loop = ServiceLoop(
            configuration: configuration,
            originPolicy: originPolicy,
            logger: logger,
            httpHandler: httpHandler,
            events: inbound,
            counters: counters,
            commands: commands,
            drained: drained,
            serverKey: serverKey
        )
        var info = loop.resources.creationInfo(
            configuration: configuration,
            user: Unmanaged.passUnretained(loop).toOpaque()
        )
        libWebSocketsProcess.register(server: serverKey, logger: logger)
        var created: OpaquePointer?
        libWebSocketsProcess.serialized(for: serverKey) { created = lws_create_context(&info) }
        guard let context = created else {
            libWebSocketsProcess.unregister(server: serverKey)
            throw startFailure()
        }
        let port = Int(lws_get_vhost_listen_port(lws_get_vhost_by_name(context, "default")))
        loop.context = context
        loop.listenPort = port
        commands.attach(ContextHandle(pointer: context))
        let thread: ServiceThread
        do {
            thread = try ServiceThread { [finished, serverKey] in
                loop.run()
                libWebSocketsProcess.unregister(server: serverKey)
                finished.fire()
            }
        } catch {
            commands.detach()
            libWebSocketsProcess.serialized(for: serverKey) { lws_context_destroy(context) }
            libWebSocketsProcess.unregister(server: serverKey)
            throw error
        }
        logger.info(
            "transport listening",
            metadata: [
                "host": "\(configuration.host)", "port": "\(port)", "tls": "\(configuration.tls != nil)",
            ]
        )
        return (port, thread)
    }

    private func startFailure() -> TransportError {
        if let errno = BindProbe.failure(host: configuration.host, port: configuration.port) {
            return .bindFailed(host: configuration.host, port: configuration.port, errno: errno)
        }
        return configuration.tls == nil ? .contextCreationFailed : .tlsSetupFailed
    }

    private static func isReadableFile(_ path: String) -> Bool {
        guard let file = fopen(path, "r") else { return false }
        defer { fclose(file) }
        var byte: UInt8 = 0
        return fread(&byte, 1, 1, file) == 1
    }

    /// Queues a frame for one connection; dropped if the connection is gone or closing.
    public func send(_ frame: OutboundFrame, to id: ConnectionID) {
        if !commands.push(.send(frame.owned(by: serverKey), id)) {
            counters.framesDropped.add(1)
        }
    }

    /// Queues one frame for many connections in a single hand-off; the bytes are shared, not copied.
    public func send(_ frame: OutboundFrame, to ids: [ConnectionID]) {
        guard !ids.isEmpty else { return }
        if !commands.push(.sendMany(frame.owned(by: serverKey), ids)) {
            counters.framesDropped.add(ids.count)
        }
    }

    /// Lifts the pre-auth limits of a connection (message size, the unauthenticated connection caps); the core
    /// calls it after a good `auth`. Not needed with ``TransportConfiguration/promoteOnOpen``.
    /// - Parameter id: the connection that authenticated.
    public func promote(_ id: ConnectionID) {
        commands.push(.promote(id))
    }

    /// Closes a connection with `code` and `reason` (at most 123 bytes) after the frames already queued for it.
    public func close(_ id: ConnectionID, code: UInt16, reason: String) {
        commands.push(.close(id, code: code, reason: reason))
    }

    /// Flushes queued frames (at most ~2 s), closes every connection with 1001, stops the service
    /// thread and destroys the context. Idempotent; concurrent callers all return once it is done.
    public func shutdown() async {
        let thread = lifecycle.withLock { state -> ServiceThread? in
            switch state {
            case .running(let thread):
                state = .stopping
                return thread
            case .idle:
                state = .stopped
                inbound.finish()
                finished.fire()
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let thread else {
            await finished.wait()
            return
        }
        commands.push(.beginShutdown)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [drained] in
                try? await Task.sleep(for: Self.shutdownFlushTime)
                drained.fire()
            }
            await drained.wait()
            group.cancelAll()
        }
        commands.push(.stop)
        await finished.wait()
        thread.join()
        lifecycle.withLock { $0 = .stopped }
        logger.info("transport stopped")
    }

    /// Current counters.
    public func stats() -> TransportStats {
        counters.snapshot(backlog: inbound.backlog)
    }
}
