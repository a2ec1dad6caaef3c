import Foundation
import Hummingbird
import Logging
import Synchronization

/// An HTTP server that answers like a Pexip Infinity conference node's Client REST API v2
/// under `/api/client/v2/conferences/<alias>/...`, for tests and demos.
///
/// Start it with `start()`, point clients at `baseURL`, and always `stop()` it: that closes every
/// event stream and the listener.
public final class InfinitySimulator: Sendable {
    /// The configuration it was created with.
    public let configuration: SimulatorConfiguration
    let engine: SimulatorEngine
    private let logger: Logger
    private let lifecycle: Mutex<Lifecycle>

    private enum Phase {
        case idle, starting, running(port: Int), stopped
    }

    private struct Lifecycle {
        var phase: Phase = .idle
        var serverTask: Task<Void, Never>?
        var serverDone: AsyncStream<Void>?
        var backgroundTasks: [Task<Void, Never>] = []
    }

    /// How long `stop()` waits for the listener to close.
    static let stopTimeout: Duration = .seconds(5)

    /// Creates a simulator; nothing listens until `start()`.
    public init(
        configuration: SimulatorConfiguration,
        logger: Logger = Logger(label: "InfinitySimulator", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.logger = logger
        self.engine = SimulatorEngine(settings: configuration, logger: logger)
        self.lifecycle = Mutex(Lifecycle())
    }

    deinit {
        lifecycle.withLock { lifecycle in
            lifecycle.serverTask?.cancel()
            for task in lifecycle.backgroundTasks { task.cancel() }
        }
    }

    /// Binds the listener (port 0 picks a free one), serves in the background and returns the bound port.
    public func start() async throws -> Int {
        try lifecycle.withLock { (lifecycle: inout Lifecycle) throws(SimulatorError) in
            guard case .idle = lifecycle.phase else { throw .alreadyStarted }
            lifecycle.phase = .starting
        }
        let (started, startedContinuation) = AsyncStream<Result<Int, SimulatorError>>.makeStream()
        let (done, doneContinuation) = AsyncStream<Void>.makeStream()
        // The HTTP server's own log: `stop()` cancels it, which it reports as an error; keep only critical lines.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let app = Application(
            responder: SimulatorResponder(engine: engine, admin: configuration.adminAPI ? SimulatorAdmin(simulator: self) : nil),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                startedContinuation.yield(.success(channel.localAddress?.port ?? 0))
            },
            logger: serverLogger)
        let serverTask = Task {
            do {
                try await app.run()
            } catch {
                startedContinuation.yield(.failure(.couldNotStart(String(describing: error))))
            }
            startedContinuation.finish()
            doneContinuation.finish()
        }
        var iterator = started.makeAsyncIterator()
        let first = await iterator.next()
        guard case .success(let port)? = first else {
            serverTask.cancel()
            lifecycle.withLock { $0.phase = .stopped }
            if case .failure(let error)? = first { throw error }
            throw SimulatorError.couldNotStart("start was cancelled")
        }
        let tasks = startBackgroundTasks()
        let stillStarting = lifecycle.withLock { lifecycle -> Bool in
            guard case .starting = lifecycle.phase else { return false }
            lifecycle.phase = .running(port: port)
            lifecycle.serverTask = serverTask
            lifecycle.serverDone = done
            lifecycle.backgroundTasks = tasks
            return true
        }
        guard stillStarting else {
            for task in tasks { task.cancel() }
            serverTask.cancel()
            throw SimulatorError.couldNotStart("stopped while starting")
        }
        logger.info(
            "Infinity simulator listening",
            metadata: ["host": "\(configuration.host)", "port": "\(port)", "rooms": "\(configuration.rooms.count)"])
        return port
    }

    /// Closes every event stream and the listener, and ends the background tasks.
    public func stop() async {
        let (serverTask, done, tasks) = lifecycle.withLock { lifecycle in
            let taken = (lifecycle.serverTask, lifecycle.serverDone, lifecycle.backgroundTasks)
            lifecycle.phase = .stopped
            lifecycle.serverTask = nil
            lifecycle.serverDone = nil
            lifecycle.backgroundTasks = []
            return taken
        }
        for task in tasks { task.cancel() }
        engine.shutdown()
        serverTask?.cancel()
        if let done {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in done {}
                }
                group.addTask {
                    try? await Task.sleep(for: Self.stopTimeout)
                }
                await group.next()
                group.cancelAll()
            }
        }
        for task in tasks { await task.value }
        logger.info("Infinity simulator stopped")
    }

    /// Keeps a task started while running, so `stop()` ends it; cancels it when not running.
    func adoptBackgroundTask(_ task: Task<Void, Never>) {
        let adopted = lifecycle.withLock { lifecycle -> Bool in
            guard case .running = lifecycle.phase else { return false }
            lifecycle.backgroundTasks.removeAll { $0.isCancelled }
            lifecycle.backgroundTasks.append(task)
            return true
        }
        if !adopted { task.cancel() }
    }

    /// The bound port while running.
    public var port: Int? {
        lifecycle.withLock { lifecycle in
            if case .running(let port) = lifecycle.phase { return port }
            return nil
        }
    }

    /// "http://127.0.0.1:PORT" (the bound port once started).
    public var baseURL: String {
        var host = configuration.host
        if host.isEmpty || host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        if host.contains(":") { host = "[\(host)]" }
        return "http://\(host):\(port ?? configuration.port)"
    }

    /// "<baseURL>/api/client/v2/conferences/<alias>" with the alias percent-encoded.
    public func conferenceURL(alias: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        let encoded = alias.addingPercentEncoding(withAllowedCharacters: allowed) ?? alias
        return "\(baseURL)/api/client/v2/conferences/\(encoded)"
    }

    private func startBackgroundTasks() -> [Task<Void, Never>] {
        let engine = engine
        let tick = Self.housekeepingTick(for: configuration)
        var tasks: [Task<Void, Never>] = [
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    if Task.isCancelled { break }
                    engine.housekeeping()
                }
            }
        ]
        if configuration.demoActivity {
            let interval = max(configuration.demoActivityInterval, .milliseconds(50))
            for room in configuration.rooms {
                let alias = room.alias
                tasks.append(
                    Task {
                        while !Task.isCancelled {
                            let jitter = Double.random(in: 0.6...1.4)
                            try? await Task.sleep(for: interval * jitter)
                            if Task.isCancelled { break }
                            engine.demoStep(alias: alias)
                        }
                    })
            }
        }
        return tasks
    }

    private static func housekeepingTick(for configuration: SimulatorConfiguration) -> Duration {
        var tick = configuration.tokenExpiry / 4
        if let keepalive = configuration.keepaliveInterval {
            tick = min(tick, keepalive / 2)
        }
        return min(max(tick, .milliseconds(20)), .seconds(1))
    }
}
