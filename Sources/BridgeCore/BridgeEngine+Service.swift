import BridgeProtocol
import Logging
import ServiceLifecycle

/// The engine's child work as the actor sees it: a stream of jobs that `run()` turns into child tasks of one
/// task group, and a count of the upstream work still running. Timers are jobs too, but not counted: when the
/// counted work is done at shutdown, the group is cancelled and the timers with it.
struct WorkQueue: Sendable {
    typealias Job = @Sendable () async -> Void

    enum Phase: Sendable {
        /// `run()` has not started; jobs wait in the stream.
        case idle
        case running
        /// Shutting down: sessions were ended; waiting for their releases and other upstream work.
        case draining
        case stopped
    }

    let jobs: AsyncStream<Job>
    let input: AsyncStream<Job>.Continuation
    /// Graceful-shutdown requests, from a handler that cannot reach the actor synchronously.
    let stopRequests: AsyncStream<Void>
    let stopInput: AsyncStream<Void>.Continuation
    var phase = Phase.idle
    /// Counted jobs (upstream work) not yet ended.
    var outstanding = 0
    /// Callers of `shutdown()` waiting for `run()` to return.
    var waiters: [CheckedContinuation<Void, Never>] = []

    init() {
        (jobs, input) = AsyncStream.makeStream(of: Job.self)
        (stopRequests, stopInput) = AsyncStream.makeStream(of: Void.self)
    }

    /// True once shutdown has begun: no new sessions.
    var isStopping: Bool {
        switch phase {
        case .idle, .running: false
        case .draining, .stopped: true
        }
    }
}

extension BridgeEngine: Service {
    /// Runs every session's upstream work (token requests, held links, controls, releases) and the engine's timers
    /// as child tasks, until a graceful shutdown (or `shutdown()`) has ended every session and that work is done,
    /// bounded by `configuration.shutdownTimeout` on the injected clock. Cancellation stops at once.
    public func run() async {
        guard case .idle = work.phase else {
            if case .stopped = work.phase { return }
            preconditionFailure("BridgeEngine.run() was called twice")
        }
        work.phase = .running
        let jobs = work.jobs
        let stopRequests = work.stopRequests
        let stopInput = work.stopInput
        let timeout = configuration.shutdownTimeout
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.runPINTicker() }
                group.addTask {
                    for await _ in stopRequests {
                        await self.beginShutdown(timeout: timeout)
                        return
                    }
                }
                for await job in jobs { group.addTask(operation: job) }
                // Only timers are left (or upstream work past the shutdown timeout): stop them.
                group.cancelAll()
            }
        } onGracefulShutdown: {
            stopInput.yield()
        }
        stopped()
    }

    /// Ends every session (releasing what is held upstream), tells subscribers `bridge_shutdown`, and returns once
    /// `run()` has finished the remaining upstream work, or `timeout` has passed on the injected clock.
    /// When `run()` never started, nothing can be held upstream: sessions are ended and it returns at once.
    /// - Parameter timeout: the longest wait for upstream releases.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        switch work.phase {
        case .idle:
            work.phase = .stopped
            for record in liveSessions() { apply(.shutdown, to: record) }
            work.input.finish()
        case .running:
            beginShutdown(timeout: timeout)
            await untilStopped()
        case .draining:
            await untilStopped()
        case .stopped:
            return
        }
    }

    func beginShutdown(timeout: Duration) {
        guard case .running = work.phase else { return }
        work.phase = .draining
        let live = liveSessions()
        logger.info("shutting down", metadata: ["sessions": "\(live.count)"])
        for record in live where !handOver(record) { apply(.shutdown, to: record) }
        if work.outstanding == 0 {
            work.input.finish()
        } else {
            schedule(at: now + timeout) { engine in await engine.shutdownTimedOut() }
        }
    }

    private func shutdownTimedOut() {
        guard case .draining = work.phase else { return }
        logger.warning("shutdown timed out waiting for upstream", metadata: ["tasks": "\(work.outstanding)"])
        work.input.finish()
    }

    private func untilStopped() async {
        if case .stopped = work.phase { return }
        await withCheckedContinuation { work.waiters.append($0) }
    }

    private func stopped() {
        work.phase = .stopped
        work.input.finish()
        work.stopInput.finish()
        let waiters = work.waiters
        work.waiters = []
        for waiter in waiters { waiter.resume() }
    }

    // MARK: starting work

    /// Starts upstream work as a child task of `run()`; it is counted until it ends.
    func spawn(_ body: @escaping @Sendable () async -> Void) {
        work.outstanding += 1
        let result = work.input.yield {
            await body()
            await self.workEnded()
        }
        if case .terminated = result {
            work.outstanding -= 1
            logger.warning("upstream work dropped: the engine has stopped")
        }
    }

    private func workEnded() {
        work.outstanding -= 1
        if case .draining = work.phase, work.outstanding == 0 { work.input.finish() }
    }

    /// Runs `action` at `deadline` on the injected clock, unless the engine stops first.
    func schedule(at deadline: Moment, _ action: @escaping @Sendable (BridgeEngine) async -> Void) {
        let sleep = clock.sleepUntil
        work.input.yield {
            do {
                try await sleep(deadline)
            } catch {
                return
            }
            await action(self)
        }
    }
}
