/// Every decision an `InfinityConnection` makes, as a value: inputs in, actions out.
///
/// The machine never reads a clock, never sleeps and never does I/O. Instants are `Duration` offsets from the
/// connection's origin (its actor reads the injected clock and passes "now" in with every input), timers are
/// actions (`schedule(_:at:)`) whose firing comes back as an input, and jitter comes from the injected random
/// source. That makes every timing rule testable without a clock and without a node.
/// Modelled on async-http-client's `HTTPConnectionPool.StateMachine` (timers are actions).
struct ConnectionStateMachine<Random: RandomNumberGenerator & Sendable>: Sendable {
    /// The timers the machine arms; at most one of each kind is armed at a time.
    enum Timer: Sendable, Hashable, CaseIterable {
        /// The next token refresh (scheduled cadence, or the retry after a failed refresh).
        case refresh
        /// Reopening a lost event stream.
        case reconnect
        /// Checking whether the open event stream has been silent for too long.
        case idleWatchdog
        /// The end of the wait for `release_token`.
        case releaseDeadline
    }

    /// The work the machine's owner runs on its behalf.
    enum Work: Sendable, Hashable, CaseIterable {
        /// A timer (sleeping on the clock until its deadline).
        case timer(Timer)
        /// The `refresh_token` call.
        case refreshRequest
        /// The event stream reader.
        case stream
        /// The `release_token` call.
        case releaseRequest

        static var allCases: [Work] { Timer.allCases.map(Work.timer) + [.refreshRequest, .stream, .releaseRequest] }
    }

    /// What the owner must do, in order.
    enum Action: Sendable, Equatable {
        /// Report an update to the consumer.
        case emit(ConnectionUpdate)
        /// Arm `timer` for `deadline` (replacing an armed one); its firing comes back as `timerFired`.
        case schedule(Timer, at: Duration)
        /// Stop `work` (a timer, a call, the stream); whatever it reports afterwards is ignored.
        case stop(Work)
        /// Send `refresh_token` with the machine's `token`; the answer comes back as `refreshSucceeded` or
        /// `refreshFailed`.
        case refreshNow
        /// Open event stream number `generation` with the machine's `token`; it reports `streamOpened`,
        /// `streamEvent` and `streamEnded` with that number.
        case openStream(generation: Int)
        /// Send `release_token` with the machine's `token`; the outcome comes back as `releaseFinished`.
        case releaseToken
        /// The connection is over: report `.ended(reason)` and end every piece of work.
        case finish(ConnectionEndReason)
    }

    private enum RefreshState: Sendable, Equatable {
        /// The next refresh is due at the `refresh` timer.
        case scheduled
        /// A `refresh_token` call is in flight.
        case inFlight(attempt: Int, startedAt: Duration)
        /// Refresh attempt `failures` failed; the next attempt is due at the `refresh` timer.
        case retrying(failures: Int)
    }

    private enum StreamState: Sendable, Equatable {
        /// Stream `generation` is being opened (no answer yet).
        case opening(generation: Int)
        /// Stream `generation` is open; `synced` once it delivered a whole roster; `syncing` counts the events
        /// since a `participant_sync_begin` that has not ended yet (nil outside a sync).
        case open(generation: Int, synced: Bool, syncing: Int?)
        /// Waiting for the `reconnect` timer.
        case waiting
    }

    private struct Running: Sendable {
        var refresh: RefreshState
        var stream: StreamState
        var tokenExpiry: Duration
        /// Reconnect attempts since the stream was last healthy.
        var reconnectAttempt = 0
        /// When the stream was last healthy (a whole roster sync); giving up is measured from here.
        var lostSince: Duration
    }

    private enum State: Sendable {
        case idle
        case running(Running)
        /// Waiting for `release_token` (bounded by the `releaseDeadline` timer); then ends with `reason`.
        case releasing(reason: ConnectionEndReason)
        case ended(ConnectionEndReason)
    }

    /// The token in use (secret: never log it).
    private(set) var token: String
    /// The participant's role.
    private(set) var role: InfinityRole
    /// This participant's uuid (to spot its own roster entry).
    let participantUUID: String
    let policy: ConnectionPolicy
    /// Reopen a stream that delivered nothing for this long; nil never.
    let idleTimeout: Duration?
    private var expires: Int
    private var state: State = .idle
    private var generation = 0
    private var random: Random
    /// The deadline of every armed timer; a firing of a timer that is not armed (stopped or replaced) is ignored.
    private var deadlines: [Timer: Duration] = [:]

    /// - Parameters:
    ///   - grant: The granted token, its lifetime and the participant.
    ///   - policy: The timing rules.
    ///   - idleTimeout: How long an open stream may be silent before it is reopened; nil waits forever.
    ///   - random: The source of jitter (seeded or fixed in tests).
    init(grant: TokenGrant, policy: ConnectionPolicy, idleTimeout: Duration?, random: Random) {
        self.token = grant.token
        self.role = grant.role
        self.expires = grant.expires
        self.participantUUID = grant.participantUUID
        self.policy = policy
        self.idleTimeout = idleTimeout
        self.random = random
    }

    /// When the token in use stops being valid (on the owner's clock), while running; nil otherwise.
    var runningTokenExpiry: Duration? {
        if case .running(let running) = state { return running.tokenExpiry }
        return nil
    }

    /// Whether control calls may use the token (before the start and while running).
    var acceptsCalls: Bool {
        switch state {
        case .idle, .running: true
        case .releasing, .ended: false
        }
    }

    /// Whether the refresh and event-stream work is running.
    var isRunning: Bool {
        switch state {
        case .running: true
        case .idle, .releasing, .ended: false
        }
    }

    /// Whether the connection is over (`.finish` was returned).
    var hasEnded: Bool {
        switch state {
        case .ended: true
        case .idle, .running, .releasing: false
        }
    }

    /// When `timer` fires, if it is armed.
    func deadline(of timer: Timer) -> Duration? { deadlines[timer] }

    /// Whether stream `generation` is the one the machine is reading (opening or open).
    func isReading(generation: Int) -> Bool {
        guard case .running(let running) = state else { return false }
        switch running.stream {
        case .opening(let current), .open(let current, _, _): return current == generation
        case .waiting: return false
        }
    }

    /// The delay between refreshes: `expires × refreshFraction`, with the lifetime clamped to
    /// `ConnectionPolicy.tokenLifetimeRange` so a node's `expires: 0` cannot make the bridge refresh in a loop.
    var refreshInterval: Duration {
        let lifetime = clampedLifetime(expires)
        return .nanoseconds(Int64((Double(lifetime) * policy.refreshFraction * 1e9).rounded()))
    }

    /// A node-provided lifetime in seconds, clamped to `policy.tokenLifetimeRange`.
    private func clampedLifetime(_ seconds: Int) -> Int {
        min(max(seconds, policy.tokenLifetimeRange.lowerBound), policy.tokenLifetimeRange.upperBound)
    }

    // MARK: Inputs

    /// The owner started running the connection at `now`: refresh is scheduled and the stream opened.
    mutating func start(at now: Duration) -> [Action] {
        switch state {
        case .idle:
            generation += 1
            state = .running(
                Running(
                    refresh: .scheduled,
                    stream: .opening(generation: generation),
                    tokenExpiry: now + .seconds(clampedLifetime(expires)),
                    lostSince: now
                )
            )
            return [arm(.refresh, at: now + refreshInterval), .openStream(generation: generation)]
        case .running, .releasing, .ended:
            return []
        }
    }

    /// A timer fired at `now`. A timer that is no longer armed, or fires before its deadline (a replaced one), is
    /// ignored; `lastActivity` is when the open stream last delivered bytes (for the idle watchdog).
    mutating func timerFired(_ timer: Timer, lastActivity: Duration? = nil, at now: Duration) -> [Action] {
        guard let deadline = deadlines[timer], now >= deadline else { return [] }
        deadlines[timer] = nil
        switch (state, timer) {
        case (.running(var running), .refresh):
            switch running.refresh {
            case .scheduled:
                running.refresh = .inFlight(attempt: 1, startedAt: now)
            case .retrying(let failures):
                guard now < running.tokenExpiry else {
                    return end(.tokenExpired)
                }
                running.refresh = .inFlight(attempt: failures + 1, startedAt: now)
            case .inFlight:
                return []
            }
            state = .running(running)
            return [.refreshNow]
        case (.running(var running), .reconnect):
            guard case .waiting = running.stream else { return [] }
            generation += 1
            running.stream = .opening(generation: generation)
            state = .running(running)
            return [.openStream(generation: generation)]
        case (.running(let running), .idleWatchdog):
            guard case .open = running.stream, let idleTimeout else { return [] }
            let since = lastActivity ?? .zero
            if now - since < idleTimeout {
                return [arm(.idleWatchdog, at: since + idleTimeout)]
            }
            // A silent stream is taken for a dead connection: stop it and reopen it like any lost stream.
            return [.stop(.stream)] + streamLost(failure: .timeout, at: now)
        case (.releasing(let reason), .releaseDeadline):
            return end(reason)
        case (.running, .releaseDeadline), (.releasing, .refresh), (.releasing, .reconnect),
            (.releasing, .idleWatchdog), (.idle, _), (.ended, _):
            return []
        }
    }

    /// `refresh_token` answered at `now` with a new token; its lifetime counts from when the call started.
    mutating func refreshSucceeded(_ refresh: TokenRefresh, at now: Duration) -> [Action] {
        guard case .running(var running) = state, case .inFlight(_, let startedAt) = running.refresh else {
            return []
        }
        token = refresh.token
        expires = refresh.expires
        running.tokenExpiry = startedAt + .seconds(clampedLifetime(refresh.expires))
        running.refresh = .scheduled
        state = .running(running)
        var actions: [Action] = [arm(.refresh, at: now + refreshInterval)]
        if let newRole = refresh.role { actions += changeRole(to: newRole) }
        return actions
    }

    /// `refresh_token` failed at `now`.
    mutating func refreshFailed(_ error: InfinityError, at now: Duration) -> [Action] {
        guard case .running(var running) = state, case .inFlight(let attempt, _) = running.refresh else {
            return []
        }
        switch error {
        case .invalidToken:
            return end(
                Self.refreshFailing(running.refresh) || now >= running.tokenExpiry
                    ? .tokenExpired : .remoteDisconnect("Invalid token")
            )
        case .notFound(let message):
            return end(.remoteDisconnect(message))
        case .cancelled:
            return []
        case .unreachable, .timeout, .invalidRole, .http, .badResponse, .connectionClosed, .invalidAlias,
            .nodeNotAllowed, .illegalValue:
            break
        }
        let failed = Action.emit(.health(.tokenRefreshFailed(attempt: attempt)))
        guard now < running.tokenExpiry else { return [failed] + end(.tokenExpired) }
        let backoff = Backoff(
            initial: policy.refreshRetryInitial,
            maximum: policy.refreshRetryMax,
            jitter: policy.jitter
        )
        let delay = min(backoff.delay(attempt: attempt, using: &random), running.tokenExpiry - now)
        running.refresh = .retrying(failures: attempt)
        state = .running(running)
        return [failed, arm(.refresh, at: now + delay)]
    }

    /// Stream `generation` answered 200 at `now`.
    mutating func streamOpened(generation opened: Int, at now: Duration) -> [Action] {
        guard case .running(var running) = state, case .opening(let current) = running.stream, current == opened
        else { return [] }
        running.stream = .open(generation: opened, synced: false, syncing: nil)
        state = .running(running)
        var actions: [Action] = [.emit(.health(.ok))]
        if let idleTimeout { actions.append(arm(.idleWatchdog, at: now + idleTimeout)) }
        return actions
    }

    /// Stream `generation` delivered `event`.
    mutating func streamEvent(_ event: InfinityEvent, generation delivering: Int, at now: Duration) -> [Action] {
        guard case .running(var running) = state, case .open(let current, let synced, let syncing) = running.stream,
            current == delivering
        else { return [] }
        if let syncing, syncing >= policy.maxRosterSyncEvents, event != .participantSyncEnd {
            // A roster sync that never ends (a hostile or broken node) would make every consumer buffer without
            // bound: drop the event and reopen the stream, which starts a new sync; not a healthy stream.
            return [.stop(.stream)] + streamLost(failure: nil, at: now, healthy: false)
        }
        var actions: [Action] = [.emit(.event(event))]
        switch event {
        case .participantSyncBegin:
            running.stream = .open(generation: current, synced: synced, syncing: 0)
            state = .running(running)
            return actions
        case .participantSyncEnd:
            running.stream = .open(generation: current, synced: true, syncing: nil)
            state = .running(running)
            return actions
        case .refreshToken:
            guard case .inFlight = running.refresh else {
                actions.append(disarm(.refresh))
                let attempt: Int
                if case .retrying(let failures) = running.refresh { attempt = failures + 1 } else { attempt = 1 }
                running.refresh = .inFlight(attempt: attempt, startedAt: now)
                state = .running(running)
                actions.append(.refreshNow)
                return actions
            }
        case .disconnect(let reason):
            return actions + end(.remoteDisconnect(reason))
        case .participantCreate(let participant), .participantUpdate(let participant):
            if participant.uuid == participantUUID { actions += changeRole(to: participant.role) }
        case .participantDelete, .conferenceUpdate, .messageReceived, .stage, .presentationStart, .presentationStop,
            .layout, .liveCaptions, .other, .refer:
            break
        }
        if let syncing {
            running.stream = .open(generation: current, synced: synced, syncing: syncing + 1)
            state = .running(running)
        }
        return actions
    }

    /// Stream `generation` ended at `now`: closed by the node (`failure` nil) or failed.
    mutating func streamEnded(generation ended: Int, failure: InfinityError?, at now: Duration) -> [Action] {
        guard case .running(let running) = state else { return [] }
        switch running.stream {
        case .opening(let current), .open(let current, _, _):
            guard current == ended else { return [] }
        case .waiting:
            return []
        }
        return streamLost(failure: failure, at: now)
    }

    /// The consumer of the updates fell `ConnectionPolicy.maxPendingUpdates` behind at `now`: stop reading (an
    /// endless stream must not grow its backlog without bound) and reopen the stream later, which sends the whole
    /// roster again. Not a healthy stream, so a consumer that stays stuck runs into the give-up window.
    mutating func consumerOverrun(at now: Duration) -> [Action] {
        guard case .running(let running) = state else { return [] }
        switch running.stream {
        case .opening, .open:
            return [.stop(.stream)] + streamLost(failure: nil, at: now, healthy: false)
        case .waiting:
            return []
        }
    }

    /// `release()` was called at `now`: stop everything, send `release_token`, end with `.released`.
    mutating func releaseRequested(at now: Duration) -> [Action] {
        switch state {
        case .idle:
            return beginRelease(reason: .released, at: now)
        case .running:
            return stopAll() + beginRelease(reason: .released, at: now)
        case .releasing, .ended:
            return []
        }
    }

    /// `release_token` answered (or failed; either way the wait is over).
    mutating func releaseFinished() -> [Action] {
        switch state {
        case .releasing(let reason):
            return end(reason)
        case .idle, .running, .ended:
            return []
        }
    }

    /// `close()` was called (or the owner stopped running): end with `.closed` without releasing.
    /// A release already under way is left to finish (it ends the connection itself).
    mutating func closeRequested() -> [Action] {
        switch state {
        case .idle, .running:
            return end(.closed)
        case .releasing, .ended:
            return []
        }
    }

    // MARK: Transitions

    /// The current stream is gone (`failure` nil: closed by the node); `healthy: false` when it was stopped for
    /// misbehaving, which never resets the backoff.
    private mutating func streamLost(failure: InfinityError?, at now: Duration, healthy: Bool = true) -> [Action] {
        guard case .running(var running) = state else { return [] }
        var synced = false
        if case .open(_, let wasSynced, _) = running.stream { synced = wasSynced && healthy }
        switch failure {
        case .invalidToken?:
            return end(
                Self.refreshFailing(running.refresh) || now >= running.tokenExpiry
                    ? .tokenExpired : .remoteDisconnect("Invalid token")
            )
        case .notFound(let message)?:
            return end(.remoteDisconnect(message))
        case .cancelled?:
            return []
        case nil, .unreachable?, .timeout?, .invalidRole?, .http?, .badResponse?, .connectionClosed?, .invalidAlias?,
            .nodeNotAllowed?, .illegalValue?:
            break
        }
        if synced {
            // Only a stream that delivered a whole roster counts as healthy (a node that accepts the stream and
            // closes it at once still runs out of time).
            running.reconnectAttempt = 0
            running.lostSince = now
        }
        running.reconnectAttempt += 1
        running.stream = .waiting
        state = .running(running)
        var actions: [Action] = [disarm(.idleWatchdog)]
        let remaining = running.lostSince + policy.giveUpAfter - now
        guard remaining > .zero else {
            // Giving up on a participant whose token may still be valid: release it (bounded), so the node does
            // not keep a ghost participant in its roster until the token expires.
            actions += stopAll()
            return actions + beginRelease(reason: .upstreamLost, at: now)
        }
        let backoff = Backoff(initial: policy.reconnectInitial, maximum: policy.reconnectMax, jitter: policy.jitter)
        let delay = min(backoff.delay(attempt: running.reconnectAttempt, using: &random), remaining)
        actions.append(.emit(.health(.reconnecting(attempt: running.reconnectAttempt, delay: delay))))
        actions.append(arm(.reconnect, at: now + delay))
        return actions
    }

    /// True from a failed refresh until the next successful one.
    private static func refreshFailing(_ refresh: RefreshState) -> Bool {
        switch refresh {
        case .scheduled: false
        case .retrying: true
        case .inFlight(let attempt, _): attempt > 1
        }
    }

    private mutating func changeRole(to newRole: InfinityRole) -> [Action] {
        guard newRole != role else { return [] }
        role = newRole
        return [.emit(.roleChanged(newRole))]
    }

    /// Stops the refresh and stream work and their timers.
    private mutating func stopAll() -> [Action] {
        [disarm(.refresh), disarm(.reconnect), disarm(.idleWatchdog), .stop(.refreshRequest), .stop(.stream)]
    }

    private mutating func arm(_ timer: Timer, at deadline: Duration) -> Action {
        deadlines[timer] = deadline
        return .schedule(timer, at: deadline)
    }

    private mutating func disarm(_ timer: Timer) -> Action {
        deadlines[timer] = nil
        return .stop(.timer(timer))
    }

    private mutating func beginRelease(reason: ConnectionEndReason, at now: Duration) -> [Action] {
        state = .releasing(reason: reason)
        return [.releaseToken, arm(.releaseDeadline, at: now + policy.releaseTimeout)]
    }

    private mutating func end(_ reason: ConnectionEndReason) -> [Action] {
        switch state {
        case .idle, .running, .releasing:
            state = .ended(reason)
            return [.finish(reason)]
        case .ended:
            preconditionFailure("an ended connection cannot end again")
        }
    }
}
