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

    /// The range a node-provided token lifetime (`expires`, seconds) is clamped to before it sets any timer: a
    /// hostile or broken node's `expires: 0` must not make the bridge refresh in a tight loop, nor a huge value
    /// stop refreshing.
    public static let tokenLifetimeRange: ClosedRange<Int> = 10...86_400

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
        releaseTimeout: Duration = ConnectionPolicy().releaseTimeout
    ) {
        self.refreshFraction = refreshFraction
        self.refreshRetryInitial = refreshRetryInitial
        self.refreshRetryMax = refreshRetryMax
        self.reconnectInitial = reconnectInitial
        self.reconnectMax = reconnectMax
        self.jitter = jitter
        self.giveUpAfter = giveUpAfter
        self.releaseTimeout = releaseTimeout
    }
}
