import Foundation
import Hummingbird
import Locking
import Logging
import ServiceLifecycle

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
        case idle, starting
        case running(port: Int)
        case stopped
    }

    /// Background work the run owns: each job becomes a child task of the run's task group.
    typealias Job = @Sendable () async -> Void

    private struct Lifecycle {
        var phase: Phase = .idle
        /// The one task that owns the HTTP server and every background job (a task group); `stop()` ends it.
        var run: Task<Void, Never>?
        /// Feeds jobs into the run; finishing it ends the run.
        var jobs: AsyncStream<Job>.Continuation?
        /// Runs the HTTP server; its graceful shutdown lets open responses end before the listener closes.
        var server: ServiceGroup?
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
            lifecycle.jobs?.finish()
            lifecycle.run?.cancel()
        }
    }

    /// Binds the listener (port 0 picks a free one), serves in the background and returns the bound port.
    public func start() async throws -> Int {
        let (jobs, jobsContinuation) = AsyncStream<Job>.makeStream()
        try lifecycle.withLock { (lifecycle: inout Lifecycle) throws(SimulatorError) in
            guard case .idle = lifecycle.phase else { throw .alreadyStarted }
            lifecycle.phase = .starting
            lifecycle.jobs = jobsContinuation
        }
        let (started, startedContinuation) = AsyncStream<Result<Int, SimulatorError>>.makeStream()
        // The HTTP server's own log: `stop()` cancels it, which it reports as an error; keep only critical lines.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let admin = configuration.adminAPI ? SimulatorAdmin(simulator: self) : nil
        let app = Application(
            responder: SimulatorResponder(engine: engine, admin: admin),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                startedContinuation.yield(.success(channel.localAddress?.port ?? 0))
            },
            logger: serverLogger
        )
        // The server runs in a group of its own (no signal handling) so that `stop()` can shut it down gracefully:
        // responses already being written (event streams that the engine has just finished) end cleanly instead of
        // being cut by a cancellation.
        let server = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], logger: serverLogger)
        )
        let run = Task {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    do {
                        try await server.run()
                    } catch {
                        startedContinuation.yield(.failure(.couldNotStart(String(describing: error))))
                    }
                    startedContinuation.finish()
                    // The listener is gone: nothing else should outlive it.
                    jobsContinuation.finish()
                }
                // Background jobs in a group of their own: when `stop()` finishes the job stream they are cancelled,
                // while the server (above) shuts down gracefully and ends its responses.
                await withDiscardingTaskGroup { background in
                    for await job in jobs {
                        background.addTask { await job() }
                    }
                    background.cancelAll()
                }
            }
        }
        lifecycle.withLock {
            $0.run = run
            $0.server = server
        }
        var iterator = started.makeAsyncIterator()
        let first = await iterator.next()
        guard case .success(let port)? = first else {
            jobsContinuation.finish()
            await run.value
            lifecycle.withLock { $0.phase = .stopped }
            if case .failure(let error)? = first { throw error }
            throw SimulatorError.couldNotStart("start was cancelled")
        }
        let stillStarting = lifecycle.withLock { lifecycle -> Bool in
            guard case .starting = lifecycle.phase else { return false }
            lifecycle.phase = .running(port: port)
            return true
        }
        guard stillStarting else {
            throw SimulatorError.couldNotStart("stopped while starting")
        }
        for job in backgroundJobs() { jobsContinuation.yield(job) }
        logger.info(
            "Infinity simulator listening",
            metadata: ["host": "\(configuration.host)", "port": "\(port)", "rooms": "\(configuration.rooms.count)"]
        )
        return port
    }

    /// Closes every event stream and the listener, and ends the background work.
    public func stop() async {
        let (run, jobs, server) = lifecycle.withLock { lifecycle in
            let taken = (lifecycle.run, lifecycle.jobs, lifecycle.server)
            lifecycle.phase = .stopped
            lifecycle.run = nil
            lifecycle.jobs = nil
            lifecycle.server = nil
            return taken
        }
        // Finish every event stream first, then let the server end its responses and close the listener.
        engine.shutdown()
        jobs?.finish()
        await server?.triggerGracefulShutdown()
        if let run {
            // Bounded: past the timeout (a response still being delayed or written), what is left is cancelled.
            // (Awaiting `run.value` is not cancellable, so the timeout cancels `run` itself.)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await run.value }
                group.addTask {
                    guard (try? await Task.sleep(for: Self.stopTimeout)) != nil else { return }
                    run.cancel()
                }
                await group.next()
                group.cancelAll()
            }
        }
        logger.info("Infinity simulator stopped")
    }

    /// Hands a task started while running to the run, so `stop()` ends it; cancels it when not running.
    func adoptBackgroundTask(_ task: Task<Void, Never>) {
        let jobs = lifecycle.withLock { lifecycle -> AsyncStream<Job>.Continuation? in
            guard case .running = lifecycle.phase else { return nil }
            return lifecycle.jobs
        }
        let job: Job = {
            await withTaskCancellationHandler {
                await task.value
            } onCancel: {
                task.cancel()
            }
        }
        guard let jobs, case .enqueued = jobs.yield(job) else {
            task.cancel()
            return
        }
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

    /// Housekeeping (token expiry, keepalives) and, when on, the demo rooms' scripted activity.
    private func backgroundJobs() -> [Job] {
        let engine = engine
        let tick = Self.housekeepingTick(for: configuration)
        var jobs: [Job] = [
            {
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
                jobs.append {
                    while !Task.isCancelled {
                        let jitter = Double.random(in: 0.6...1.4)
                        try? await Task.sleep(for: interval * jitter)
                        if Task.isCancelled { break }
                        engine.demoStep(alias: alias)
                    }
                }
            }
        }
        return jobs
    }

    private static func housekeepingTick(for configuration: SimulatorConfiguration) -> Duration {
        var tick = configuration.tokenExpiry / 4
        if let keepalive = configuration.keepaliveInterval {
            tick = min(tick, keepalive / 2)
        }
        return min(max(tick, .milliseconds(20)), .seconds(1))
    }
}
