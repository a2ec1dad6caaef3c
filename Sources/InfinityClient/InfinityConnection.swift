import Locking
import Logging

/// A held participant: refreshes its token and keeps its event stream open, reporting typed updates.
///
/// Every decision (when to refresh, retry, reconnect, give up, reopen a silent stream, release) is made by
/// `ConnectionStateMachine`; this actor only feeds it inputs stamped with the injected clock and runs the work
/// its actions ask for as children of one task group in `run()`.
public actor InfinityConnection {
    /// The node this participant is on.
    public nonisolated let node: NodeAddress
    /// The conference alias.
    public nonisolated let alias: String
    /// This participant's uuid in the roster.
    public nonisolated let participantUUID: String
    /// Every update, in order; `.ended` is always the last one.
    public nonisolated let updates: AsyncStream<ConnectionUpdate>

    typealias Machine = ConnectionStateMachine<SystemRandomNumberGenerator>
    /// Room in `updates` beyond `maxPendingUpdates` for what follows an overrun: a stuck consumer sees at most one
    /// reconnect cycle (a health update, the stream's first event) per backoff step until the give-up window
    /// ends the connection, far fewer than this.
    static let updateReserve = 256
    typealias Work = Machine.Work

    /// What the run loop does next: start or stop a child, or end.
    private enum Job: Sendable {
        case start(Work, @Sendable () async -> Void)
        case stop(Work)
        /// The consumer of `updates` went away: close.
        case consumerGone
        case end
    }

    private let client: InfinityClient
    private let refreshPermit: (@Sendable () async -> Bool)?
    private let tokenRefreshed: (@Sendable (HeldToken) async -> Void)?
    private let policy: ConnectionPolicy
    private let logger: Logger
    private let time: TimeSource
    private let continuation: AsyncStream<ConnectionUpdate>.Continuation
    private let jobs: AsyncStream<Job>
    private let jobsContinuation: AsyncStream<Job>.Continuation
    /// When the current event stream last delivered bytes (an offset on `time`), for the idle watchdog.
    private let lastActivity = StreamActivityMark()

    private var machine: Machine
    /// Set once something (`run()`, `start()` or `release()`) runs the loop; it runs once.
    private var runClaimed = false
    private var runFinished = false
    private var runWaiters: [CheckedContinuation<Void, Never>] = []
    /// How to stop each running child early; children are owned by `run()`'s task group.
    private var stoppers: [Work: ChildStopper] = [:]
    private var liveChildren = 0
    /// Set when an event left less than the reserve free in `updates`: the stream is stopped after the current
    /// actions.
    private var overrun = false
    /// The last reason the event stream was lost, for the reconnect log line.
    private var lastStreamFailure: InfinityError?

    /// Wraps a granted token; nothing happens until `run()` (or `start()`).
    ///
    /// - Parameters:
    ///   - client: The client that sends the calls.
    ///   - node: The participant's node.
    ///   - alias: The conference alias.
    ///   - grant: The token granted by `request_token`.
    ///   - policy: Refresh, reconnect and release timing.
    ///   - logger: Where the connection logs (node-provided strings are escaped; tokens never appear).
    ///   - clock: The clock every timer sleeps on (a test clock in tests).
    ///   - refreshPermit: Asked before every token refresh; false skips it as a failed attempt (retried with
    ///     backoff until the token expires). A bridge with a store passes its lease check here, so a holder that
    ///     lost its lease never refreshes.
    ///   - tokenRefreshed: Told each new token as soon as the node issued it (the node invalidates the old one at
    ///     once), before the connection uses it: a bridge with a store records it there, so another process that
    ///     takes the participant over holds the token the node accepts.
    public init(
        client: InfinityClient,
        node: NodeAddress,
        alias: String,
        grant: TokenGrant,
        policy: ConnectionPolicy = .init(),
        logger: Logger,
        clock: any Clock<Duration> = ContinuousClock(),
        refreshPermit: (@Sendable () async -> Bool)? = nil,
        tokenRefreshed: (@Sendable (HeldToken) async -> Void)? = nil
    ) {
        self.refreshPermit = refreshPermit
        self.tokenRefreshed = tokenRefreshed
        self.client = client
        self.node = node
        self.alias = alias
        self.participantUUID = grant.participantUUID
        self.policy = policy
        var logger = logger
        logger[metadataKey: "infinity.node"] = "\(node)"
        logger[metadataKey: "infinity.alias"] = "\(alias.escapedForLog())"
        logger[metadataKey: "infinity.participant"] = "\(grant.participantUUID.escapedForLog())"
        self.logger = logger
        self.time = TimeSource(clock)
        self.machine = Machine(
            grant: grant,
            policy: policy,
            idleTimeout: client.configuration.eventStreamIdleTimeout,
            random: SystemRandomNumberGenerator()
        )
        // Bounded: past `maxPendingUpdates` the stream is stopped (see `emit`); the reserve above it keeps room for
        // the health updates and the final `.ended` that follow, so `.ended` is never dropped.
        (self.updates, self.continuation) = AsyncStream.makeStream(
            of: ConnectionUpdate.self,
            bufferingPolicy: .bufferingOldest(max(1, policy.maxPendingUpdates) + Self.updateReserve)
        )
        (self.jobs, self.jobsContinuation) = AsyncStream.makeStream(of: Job.self)
        let jobsContinuation = self.jobsContinuation
        continuation.onTermination = { termination in
            guard case .cancelled = termination else { return }
            jobsContinuation.yield(.consumerGone)
        }
    }

    /// The participant's current role.
    public var role: InfinityRole { machine.role }

    /// Whether the refresh and event-stream work is running.
    public var isRunning: Bool { machine.isRunning }

    /// How many children (timers, calls, the stream reader) are running now.
    public var activeTaskCount: Int { liveChildren }

    /// Runs the connection until it has ended (after `.ended` was yielded): refreshes the token, follows the
    /// event stream, reconnects, and finally releases or closes. All work runs as children of this call; cancelling
    /// it closes the connection (without releasing the token). Runs once; a second call returns at once.
    /// The token in use now (it changes with each refresh) and how long it stays valid, while running: what a
    /// bridge with a store keeps so that another process can hold the participant with the same token.
    public func heldToken() -> HeldToken? {
        guard let expiry = machine.runningTokenExpiry else { return nil }
        return HeldToken(token: machine.token, validFor: expiry - time.now())
    }

    public func run() async {
        guard !runClaimed else { return }
        runClaimed = true
        await runLoop()
    }

    /// Runs `run()` in a task of its own (once), for callers that do not own a task group for their connections.
    public func start() {
        guard !runClaimed else { return }
        runClaimed = true
        // Unstructured on purpose: this is the fire-and-forget entry point of callers that do not run `run()` in a
        // task group of their own. The task ends with the connection (release, close, or any end), never later.
        Task { await self.runLoop() }
    }

    /// Sends a conference-level control call with the current token.
    public func perform(_ command: ConferenceCommand) async throws(InfinityError) {
        guard machine.acceptsCalls else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        try await withCurrentToken { token throws(InfinityError) in
            try await client.perform(command, node: node, alias: alias, token: token)
        }
    }

    /// Sends a participant-level control call with the current token.
    public func perform(_ command: ParticipantCommand, participant: String) async throws(InfinityError) {
        guard machine.acceptsCalls else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        try await withCurrentToken { token throws(InfinityError) in
            try await client.perform(command, participant: participant, node: node, alias: alias, token: token)
        }
    }

    /// Runs a call with the token held now. A refresh that completes while the call is in flight replaces the token
    /// on the node, which may then answer the call "Invalid token": the call is repeated once with the new token.
    private func withCurrentToken<T: Sendable>(
        _ call: (String) async throws(InfinityError) -> T
    ) async throws(InfinityError) -> T {
        let used = machine.token
        do {
            return try await call(used)
        } catch .invalidToken where machine.token != used && machine.isRunning {
            logger.debug("infinity call crossed a token refresh; repeating it with the new token")
            return try await call(machine.token)
        }
    }

    /// The layouts the conference offers, fetched with the current token.
    public func availableLayouts() async throws(InfinityError) -> [String] {
        guard machine.acceptsCalls else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        return try await withCurrentToken { token throws(InfinityError) in
            try await client.availableLayouts(node: node, alias: alias, token: token)
        }
    }

    /// Calls a new participant out with the current token; returns the new participants' uuids.
    public func dial(_ request: DialRequest) async throws(InfinityError) -> [String] {
        guard machine.acceptsCalls else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        // A call refused as "Invalid token" dialled nobody, so repeating it with the refreshed token is safe.
        return try await withCurrentToken { token throws(InfinityError) in
            try await client.dial(request, node: node, alias: alias, token: token)
        }
    }

    /// The roster, fetched with the current token.
    public func participants() async throws(InfinityError) -> [InfinityParticipant] {
        guard machine.acceptsCalls else { throw .connectionClosed }
        return try await client.participants(node: node, alias: alias, token: machine.token)
    }

    /// Conference-wide state, fetched with the current token.
    public func conferenceStatus() async throws(InfinityError) -> InfinityConferenceStatus {
        guard machine.acceptsCalls else { throw .connectionClosed }
        return try await client.conferenceStatus(node: node, alias: alias, token: machine.token)
    }

    /// Stops refreshing and listening, releases the token (bounded by `policy.releaseTimeout` on the clock) and
    /// ends with `.released`; returns when the connection's work has finished. Without a running `run()` it runs
    /// the release itself.
    public func release() async {
        apply(machine.releaseRequested(at: time.now()))
        if runClaimed {
            await waitForTasksToFinish()
        } else {
            runClaimed = true
            await runLoop()
        }
    }

    /// Stops both loops without releasing the token and ends with `.closed` (`run()` returns soon after).
    public func close() {
        apply(machine.closeRequested())
    }

    /// Waits until `run()` has returned (every child finished); returns at once when nothing runs the connection.
    public func waitForTasksToFinish() async {
        guard runClaimed, !runFinished else { return }
        await withCheckedContinuation { runWaiters.append($0) }
    }

    /// When `timer` fires (an offset from the clock's reading when the connection was made), if it is armed;
    /// tests advance a test clock to it.
    func deadline(of timer: Machine.Timer) -> Duration? { machine.deadline(of: timer) }

    // MARK: Run loop

    private func runLoop() async {
        apply(machine.start(at: time.now()))
        await withTaskGroup(of: Void.self) { group in
            jobLoop: for await job in jobs {
                switch job {
                case .start(let work, let body):
                    stoppers.removeValue(forKey: work)?.stop()
                    let stopper = ChildStopper()
                    stoppers[work] = stopper
                    liveChildren += 1
                    group.addTask {
                        await stopper.run(body)
                        await self.childFinished()
                    }
                case .stop(let work):
                    stoppers.removeValue(forKey: work)?.stop()
                case .consumerGone:
                    apply(machine.closeRequested())
                case .end:
                    break jobLoop
                }
            }
            // Ended, or the task running the loop was cancelled: stop whatever still runs.
            group.cancelAll()
        }
        stoppers.removeAll()
        if !machine.hasEnded { apply(machine.closeRequested()) }
        runFinished = true
        for waiter in runWaiters { waiter.resume() }
        runWaiters.removeAll()
    }

    private func childFinished() {
        liveChildren -= 1
    }

    /// Carries out the machine's actions in order (and then the consumer overrun they caused, if any).
    private func apply(_ actions: [Machine.Action]) {
        execute(actions)
        while overrun {
            overrun = false
            execute(machine.consumerOverrun(at: time.now()))
        }
    }

    private func execute(_ actions: [Machine.Action]) {
        for action in actions {
            switch action {
            case .emit(let update):
                report(update)
                switch continuation.yield(update) {
                case .enqueued(let remaining):
                    guard case .event = update, remaining < Self.updateReserve else { break }
                    logger.warning(
                        "infinity updates not consumed; pausing the event stream",
                        metadata: ["infinity.pending": "\(policy.maxPendingUpdates)"]
                    )
                    overrun = true
                case .dropped(let dropped):
                    logger.error(
                        "infinity update dropped",
                        metadata: ["infinity.update": "\("\(dropped)".escapedForLog())"]
                    )
                case .terminated:
                    break
                @unknown default:
                    break
                }
            case .schedule(let timer, let deadline):
                let time = self.time
                spawn(.timer(timer)) {
                    do {
                        try await time.sleep(deadline)
                    } catch {
                        return
                    }
                    await self.timerFired(timer)
                }
            case .stop(let work):
                jobsContinuation.yield(.stop(work))
            case .refreshNow:
                let (client, node, alias, token) = (self.client, self.node, self.alias, machine.token)
                let (permit, refreshed) = (refreshPermit, tokenRefreshed)
                spawn(.refreshRequest) {
                    if let permit, await !permit() {
                        await self.refreshFinished(.failure(.unreachable("the refresh was not permitted (lease)")))
                        return
                    }
                    do throws(InfinityError) {
                        let refresh = try await client.refreshToken(node: node, alias: alias, token: token)
                        await refreshed?(HeldToken(token: refresh.token, validFor: .seconds(refresh.expires)))
                        await self.refreshFinished(.success(refresh))
                    } catch {
                        await self.refreshFinished(.failure(error))
                    }
                }
            case .openStream(let generation):
                openStream(generation: generation)
            case .releaseToken:
                let (client, node, alias, token) = (self.client, self.node, self.alias, machine.token)
                let (timeout, logger) = (policy.releaseTimeout, self.logger)
                spawn(.releaseRequest) {
                    do throws(InfinityError) {
                        try await client.releaseToken(node: node, alias: alias, token: token, timeout: timeout)
                        logger.debug("infinity release_token answered")
                    } catch {
                        logger.info(
                            "infinity release_token failed",
                            metadata: ["infinity.error": "\(error.logDescription)"]
                        )
                    }
                    await self.releaseFinished()
                }
            case .finish(let reason):
                logger.info("infinity connection ended", metadata: ["infinity.reason": "\(reason.logDescription)"])
                continuation.yield(.ended(reason))
                continuation.finish()
                jobsContinuation.yield(.end)
                jobsContinuation.finish()
            }
        }
    }

    private func spawn(_ work: Work, _ body: @escaping @Sendable () async -> Void) {
        jobsContinuation.yield(.start(work, body))
    }

    /// Logs what an update means for operators.
    private func report(_ update: ConnectionUpdate) {
        switch update {
        case .health(.reconnecting(let attempt, let delay)):
            logger.info(
                "infinity event stream lost; reconnecting",
                metadata: [
                    "infinity.attempt": "\(attempt)", "infinity.delay": "\(delay)",
                    "infinity.error": "\(lastStreamFailure?.logDescription ?? "closed by node")",
                ]
            )
        case .health(.tokenRefreshFailed(let attempt)):
            logger.warning("infinity token refresh failed", metadata: ["infinity.attempt": "\(attempt)"])
        case .health(.ok), .event, .roleChanged, .ended:
            break
        }
    }

    // MARK: Inputs from children

    private func timerFired(_ timer: Machine.Timer) {
        let now = time.now()
        apply(machine.timerFired(timer, lastActivity: lastActivity.value, at: now))
    }

    private func refreshFinished(_ result: Result<TokenRefresh, InfinityError>) {
        let now = time.now()
        switch result {
        case .success(let refresh):
            logger.debug("infinity token refreshed", metadata: ["infinity.expires": "\(refresh.expires)"])
            apply(machine.refreshSucceeded(refresh, at: now))
        case .failure(let error):
            logger.debug(
                "infinity token refresh attempt failed",
                metadata: ["infinity.error": "\(error.logDescription)"]
            )
            apply(machine.refreshFailed(error, at: now))
        }
    }

    private func releaseFinished() {
        apply(machine.releaseFinished())
    }

    private func openStream(generation: Int) {
        let (client, node, alias, token, time) = (self.client, self.node, self.alias, machine.token, self.time)
        let activity = lastActivity
        spawn(.stream) {
            var failure: InfinityError?
            do throws(InfinityError) {
                try await client.streamEvents(
                    node: node,
                    alias: alias,
                    token: token,
                    idleTimeout: nil,
                    onActivity: { activity.value = time.now() },
                    onOpen: { await self.streamOpened(generation: generation) },
                    onEvent: { event in await self.streamEvent(event, generation: generation) }
                )
            } catch {
                failure = error
            }
            await self.streamEnded(generation: generation, failure: failure)
        }
    }

    private func streamOpened(generation: Int) {
        let now = time.now()
        lastActivity.value = now
        apply(machine.streamOpened(generation: generation, at: now))
    }

    private func streamEvent(_ event: InfinityEvent, generation: Int) -> EventDisposition {
        let actions = machine.streamEvent(event, generation: generation, at: time.now())
        if actions.first == .stop(.stream) {
            logger.warning(
                "infinity roster sync did not end; reopening the event stream",
                metadata: ["infinity.limit": "\(policy.maxRosterSyncEvents)"]
            )
        }
        apply(actions)
        return machine.isReading(generation: generation) ? .proceed : .stop
    }

    private func streamEnded(generation: Int, failure: InfinityError?) {
        if machine.isReading(generation: generation) { lastStreamFailure = failure }
        apply(machine.streamEnded(generation: generation, failure: failure, at: time.now()))
    }
}

/// The injected clock, seen as `Duration` offsets from the moment the connection was made (what the machine uses).
struct TimeSource: Sendable {
    /// Now, as an offset from the origin.
    let now: @Sendable () -> Duration
    /// Sleeps until the given offset from the origin (at once when it has passed).
    let sleep: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        self.now = { origin.duration(to: clock.now) }
        self.sleep = { deadline in try await steppedSleep(until: origin.advanced(by: deadline), on: clock) }
    }
}

/// The instant the current event stream last delivered bytes; written by the reader, read by the watchdog.
final class StreamActivityMark: Sendable {
    private let mark = Mutex(Duration.zero)

    var value: Duration {
        get { mark.withLock { $0 } }
        set { mark.withLock { $0 = newValue } }
    }
}

/// Ends one child of a task group early: the child runs its work next to a waiter for `stop()`, and whichever
/// finishes first cancels the other.
final class ChildStopper: Sendable {
    private let signal: AsyncStream<Never>
    private let continuation: AsyncStream<Never>.Continuation

    init() {
        (signal, continuation) = AsyncStream.makeStream(of: Never.self)
    }

    /// Asks the child to stop (its work is cancelled).
    func stop() {
        continuation.finish()
    }

    /// Runs `body` until it returns or `stop()` is called.
    func run(_ body: @escaping @Sendable () async -> Void) async {
        let signal = self.signal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            group.addTask {
                for await _ in signal {}
            }
            await group.next()
            group.cancelAll()
        }
    }
}
