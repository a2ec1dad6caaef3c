import Logging

/// A held participant: refreshes its token and keeps its event stream open, reporting typed updates.
public actor InfinityConnection {
    private enum Phase {
        case idle
        case running
        case releasing
        case finished
    }

    /// The node this participant is on.
    public nonisolated let node: NodeAddress
    /// The conference alias.
    public nonisolated let alias: String
    /// This participant's uuid in the roster.
    public nonisolated let participantUUID: String
    /// Every update, in order; `.ended` is always the last one.
    public nonisolated let updates: AsyncStream<ConnectionUpdate>

    private let client: InfinityClient
    private let policy: ConnectionPolicy
    private let logger: Logger
    private let continuation: AsyncStream<ConnectionUpdate>.Continuation

    private var token: String
    private var expires: Int
    private var currentRole: InfinityRole
    private var tokenExpiry: ContinuousClock.Instant
    /// True from a failed refresh until the next successful one.
    private var refreshFailing = false
    private var phase: Phase = .idle
    private var tasks: [Int: Task<Void, Never>] = [:]
    private var nextTaskID = 0
    private var refreshTaskID: Int?
    private var refreshInFlight = false
    /// Set when the current event stream delivered a whole roster sync: only such a stream counts as healthy and
    /// resets the reconnect backoff (a node that accepts the stream and closes it at once still runs out of time).
    private var streamSynced = false

    /// Wraps a granted token; nothing happens until `start()`.
    public init(
        client: InfinityClient, node: NodeAddress, alias: String, grant: TokenGrant, policy: ConnectionPolicy = .init(),
        logger: Logger
    ) {
        self.client = client
        self.node = node
        self.alias = alias
        self.participantUUID = grant.participantUUID
        self.policy = policy
        var logger = logger
        logger[metadataKey: "infinity.node"] = "\(node)"
        logger[metadataKey: "infinity.alias"] = "\(alias)"
        logger[metadataKey: "infinity.participant"] = "\(grant.participantUUID)"
        self.logger = logger
        self.token = grant.token
        self.expires = grant.expires
        self.currentRole = grant.role
        self.tokenExpiry = .now + .seconds(grant.expires)
        (self.updates, self.continuation) = AsyncStream.makeStream(of: ConnectionUpdate.self)
    }

    /// The participant's current role.
    public var role: InfinityRole { currentRole }

    /// Whether the refresh and event-stream loops are running.
    public var isRunning: Bool { phase == .running }

    /// How many tasks this connection has started that have not finished yet.
    public var activeTaskCount: Int { tasks.count }

    /// Starts the refresh loop and the event-stream loop (once).
    public func start() {
        guard phase == .idle else { return }
        phase = .running
        tokenExpiry = .now + .seconds(expires)
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination, let self else { return }
            Task { await self.close() }
        }
        startRefreshLoop(after: refreshInterval)
        spawn { connection in await connection.streamLoop() }
    }

    /// Sends a conference-level control call with the current token.
    public func perform(_ command: ConferenceCommand) async throws(InfinityError) {
        guard phase == .running || phase == .idle else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        try await withCurrentToken { token throws(InfinityError) in
            try await client.perform(command, node: node, alias: alias, token: token)
        }
    }

    /// Sends a participant-level control call with the current token.
    public func perform(_ command: ParticipantCommand, participant: String) async throws(InfinityError) {
        guard phase == .running || phase == .idle else { throw .connectionClosed }
        let (client, node, alias) = (self.client, self.node, self.alias)
        try await withCurrentToken { token throws(InfinityError) in
            try await client.perform(command, participant: participant, node: node, alias: alias, token: token)
        }
    }

    /// Runs a call with the token held now. A refresh that completes while the call is in flight replaces the token
    /// on the node, which may then answer the call "Invalid token": the call is repeated once with the new token.
    private func withCurrentToken(
        _ call: (String) async throws(InfinityError) -> Void
    ) async throws(InfinityError) {
        let used = token
        do {
            try await call(used)
        } catch .invalidToken where token != used && phase == .running {
            logger.debug("infinity call crossed a token refresh; repeating it with the new token")
            try await call(token)
        }
    }

    /// The roster, fetched with the current token.
    public func participants() async throws(InfinityError) -> [InfinityParticipant] {
        guard phase == .running || phase == .idle else { throw .connectionClosed }
        return try await client.participants(node: node, alias: alias, token: token)
    }

    /// Conference-wide state, fetched with the current token.
    public func conferenceStatus() async throws(InfinityError) -> InfinityConferenceStatus {
        guard phase == .running || phase == .idle else { throw .connectionClosed }
        return try await client.conferenceStatus(node: node, alias: alias, token: token)
    }

    /// Stops both loops, releases the token (bounded by `policy.releaseTimeout`) and ends with `.released`.
    public func release() async {
        guard phase == .idle || phase == .running else { return }
        phase = .releasing
        await stopTasks()
        await releaseToken()
        phase = .finished
        continuation.yield(.ended(.released))
        continuation.finish()
    }

    /// Stops both loops without releasing the token and ends with `.closed`.
    public func close() {
        finish(.closed)
    }

    /// Waits until every task this connection started has finished (call after `close()` or an end).
    public func waitForTasksToFinish() async {
        while let task = tasks.values.first {
            await task.value
        }
    }

    // MARK: Tasks

    @discardableResult
    private func spawn(_ operation: @escaping @Sendable (isolated InfinityConnection) async -> Void) -> Int {
        let id = nextTaskID
        nextTaskID += 1
        tasks[id] = Task {
            await operation(self)
            self.tasks[id] = nil
        }
        return id
    }

    private func stopTasks() async {
        let running = Array(tasks.values)
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    private func finish(_ reason: ConnectionEndReason) {
        guard phase == .idle || phase == .running else { return }
        phase = .finished
        for task in tasks.values { task.cancel() }
        logger.info("infinity connection ended", metadata: ["infinity.reason": "\(reason)"])
        continuation.yield(.ended(reason))
        continuation.finish()
    }

    private func emit(_ update: ConnectionUpdate) {
        guard phase == .running else { return }
        continuation.yield(update)
    }

    // MARK: Token refresh

    private var refreshInterval: Duration {
        max(.milliseconds(100), .seconds(Double(expires) * policy.refreshFraction))
    }

    private func startRefreshLoop(after delay: Duration) {
        if let refreshTaskID { tasks[refreshTaskID]?.cancel() }
        refreshTaskID = spawn { connection in await connection.refreshLoop(firstDelay: delay) }
    }

    private func refreshNow() {
        guard phase == .running, !refreshInFlight else { return }
        logger.debug("infinity node asked for a token refresh")
        startRefreshLoop(after: .zero)
    }

    private func refreshLoop(firstDelay: Duration) async {
        var delay = firstDelay
        while true {
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            guard phase == .running, !Task.isCancelled else { return }
            guard await refreshUntilExpiry() else { return }
            delay = refreshInterval
        }
    }

    /// Refreshes, retrying with backoff until the token expires; false when the connection ended or stopped.
    private func refreshUntilExpiry() async -> Bool {
        refreshInFlight = true
        defer { refreshInFlight = false }
        let backoff = Backoff(initial: policy.refreshRetryInitial, maximum: policy.refreshRetryMax, jitter: policy.jitter)
        var attempt = 0
        while true {
            attempt += 1
            let started = ContinuousClock.now
            do {
                let refresh = try await client.refreshToken(node: node, alias: alias, token: token)
                guard phase == .running, !Task.isCancelled else { return false }
                apply(refresh, issuedAt: started)
                refreshFailing = false
                return true
            } catch {
                guard phase == .running, !Task.isCancelled, error != .cancelled else { return false }
                switch error {
                case .invalidToken:
                    finish(invalidTokenReason())
                    return false
                case .notFound(let message):
                    finish(.remoteDisconnect(message))
                    return false
                default:
                    break
                }
                logger.warning(
                    "infinity token refresh failed",
                    metadata: ["infinity.attempt": "\(attempt)", "infinity.error": "\(error)"])
                refreshFailing = true
                emit(.health(.tokenRefreshFailed(attempt: attempt)))
                let now = ContinuousClock.now
                guard now < tokenExpiry else {
                    finish(.tokenExpired)
                    return false
                }
                do {
                    try await Task.sleep(for: min(backoff.delay(attempt: attempt), tokenExpiry - now))
                } catch {
                    return false
                }
                guard phase == .running else { return false }
                if ContinuousClock.now >= tokenExpiry {
                    finish(.tokenExpired)
                    return false
                }
            }
        }
    }

    /// Why the node stopped accepting the token: it expired (refreshes were failing or its time is up),
    /// or the node ended it.
    private func invalidTokenReason() -> ConnectionEndReason {
        refreshFailing || ContinuousClock.now >= tokenExpiry ? .tokenExpired : .remoteDisconnect("Invalid token")
    }

    private func apply(_ refresh: TokenRefresh, issuedAt: ContinuousClock.Instant) {
        token = refresh.token
        expires = refresh.expires
        tokenExpiry = issuedAt + .seconds(refresh.expires)
        logger.debug("infinity token refreshed", metadata: ["infinity.expires": "\(refresh.expires)"])
        if let role = refresh.role { updateRole(role) }
    }

    private func updateRole(_ role: InfinityRole) {
        guard role != currentRole else { return }
        currentRole = role
        emit(.roleChanged(role))
    }

    // MARK: Event stream

    private func streamLoop() async {
        let backoff = Backoff(initial: policy.reconnectInitial, maximum: policy.reconnectMax, jitter: policy.jitter)
        var attempt = 0
        var lostSince = ContinuousClock.now
        while phase == .running, !Task.isCancelled {
            streamSynced = false
            var failure: InfinityError?
            do {
                try await client.streamEvents(
                    node: node, alias: alias, token: token,
                    onOpen: { await self.streamDidOpen() },
                    onEvent: { event in await self.handle(event) })
            } catch {
                failure = error
            }
            guard phase == .running, !Task.isCancelled else { return }
            switch failure {
            case .invalidToken?:
                finish(invalidTokenReason())
                return
            case .notFound(let message)?:
                finish(.remoteDisconnect(message))
                return
            case .cancelled?:
                return
            default:
                break
            }
            if streamSynced {
                attempt = 0
                lostSince = .now
            }
            attempt += 1
            let remaining = lostSince + policy.giveUpAfter - .now
            guard remaining > .zero else {
                logger.warning("infinity event stream could not be reopened; giving up")
                await releaseAbandonedToken()
                finish(.upstreamLost)
                return
            }
            let delay = min(backoff.delay(attempt: attempt), remaining)
            logger.info(
                "infinity event stream lost; reconnecting",
                metadata: [
                    "infinity.attempt": "\(attempt)", "infinity.delay": "\(delay)",
                    "infinity.error": "\(failure.map { "\($0)" } ?? "closed by node")",
                ])
            emit(.health(.reconnecting(attempt: attempt, delay: delay)))
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }

    /// Giving up on a participant whose token may still be valid: release it (best effort, bounded), so the node
    /// does not keep a ghost participant in its roster until the token expires.
    private func releaseAbandonedToken() async {
        if let refreshTaskID { tasks[refreshTaskID]?.cancel() }
        await releaseToken()
    }

    /// `release_token` with the current token, bounded by `policy.releaseTimeout`; failures are only logged.
    private func releaseToken() async {
        let (client, node, alias, token) = (self.client, self.node, self.alias, self.token)
        let timeout = policy.releaseTimeout
        do {
            try await withTimeout(timeout) {
                try await client.releaseToken(node: node, alias: alias, token: token, timeout: timeout)
            }
            logger.debug("infinity release_token answered")
        } catch {
            logger.info("infinity release_token failed", metadata: ["infinity.error": "\(InfinityClient.map(error))"])
        }
    }

    private func streamDidOpen() {
        emit(.health(.ok))
    }

    private func handle(_ event: InfinityEvent) -> EventDisposition {
        guard phase == .running else { return .stop }
        emit(.event(event))
        switch event {
        case .participantSyncEnd:
            streamSynced = true
        case .refreshToken:
            refreshNow()
        case .disconnect(let reason):
            finish(.remoteDisconnect(reason))
            return .stop
        case .participantCreate(let participant), .participantUpdate(let participant):
            if participant.uuid == participantUUID { updateRole(participant.role) }
        default:
            break
        }
        return .proceed
    }
}
