/// Timing rules for an `InfinityConnection`.
public struct ConnectionPolicy: Sendable {
    /// Refresh the token every `expires × refreshFraction`.
    public var refreshFraction: Double = 1.0 / 3
    /// First delay between failed refresh attempts (doubling, with jitter) until the token expires.
    public var refreshRetryInitial: Duration = .milliseconds(200)
    /// Longest delay between failed refresh attempts.
    public var refreshRetryMax: Duration = .seconds(10)
    /// First delay before reopening a lost event stream (doubling, with jitter).
    public var reconnectInitial: Duration = .milliseconds(250)
    /// Longest delay before reopening a lost event stream.
    public var reconnectMax: Duration = .seconds(5)
    /// Random spread applied to every delay: ±jitter × delay.
    public var jitter: Double = 0.2
    /// With no event stream for this long the connection ends with `.upstreamLost`.
    public var giveUpAfter: Duration = .seconds(30)
    /// Longest time `release()` waits for `release_token`.
    public var releaseTimeout: Duration = .seconds(3)
    /// Most updates the consumer of `updates` may fall behind; past it the event stream is stopped and reopened
    /// later (with a full roster), so a node that floods events cannot grow the backlog without bound.
    public var maxPendingUpdates: Int = 10_000
    /// Most events a roster sync (`participant_sync_begin` ... `participant_sync_end`) may carry; past it the
    /// stream is reopened, so a sync that never ends cannot make consumers buffer without bound.
    public var maxRosterSyncEvents: Int = 20_000
    /// The range (seconds) a node-provided token lifetime (`expires`) is clamped to before it sets any timer: a
    /// hostile or broken node's `expires: 0` must not make the bridge refresh in a tight loop, nor a huge value
    /// stop refreshing. Tests against a simulator with shorter tokens lower the floor.
    public var tokenLifetimeRange: ClosedRange<Int> = 10...86_400

    /// The defaults above.
    public init() {}

    /// The defaults, with the given rules replaced (each default is the property's own initial value).
    public init(
        refreshFraction: Double = ConnectionPolicy().refreshFraction,
        refreshRetryInitial: Duration = ConnectionPolicy().refreshRetryInitial,
        refreshRetryMax: Duration = ConnectionPolicy().refreshRetryMax,
        reconnectInitial: Duration = ConnectionPolicy().reconnectInitial,
        reconnectMax: Duration = ConnectionPolicy().reconnectMax,
        jitter: Double = ConnectionPolicy().jitter,
        giveUpAfter: Duration = ConnectionPolicy().giveUpAfter,
        releaseTimeout: Duration = ConnectionPolicy().releaseTimeout,
        maxPendingUpdates: Int = ConnectionPolicy().maxPendingUpdates,
        maxRosterSyncEvents: Int = ConnectionPolicy().maxRosterSyncEvents,
        tokenLifetimeRange: ClosedRange<Int> = ConnectionPolicy().tokenLifetimeRange
    ) {
        self.refreshFraction = refreshFraction
        self.refreshRetryInitial = refreshRetryInitial
        self.refreshRetryMax = refreshRetryMax
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
        self.jitter = jitter
        self.giveUpAfter = giveUpAfter
        self.releaseTimeout = releaseTimeout
        self.maxPendingUpdates = maxPendingUpdates
        self.maxRosterSyncEvents = maxRosterSyncEvents
        self.tokenLifetimeRange = tokenLifetimeRange
    }
}
