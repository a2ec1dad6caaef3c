/// A pair of message counts that bound a backlog, as NIOAsyncSequenceProducer's `HighLowWatermark`.
///
/// Reads pause once the backlog reaches ``high`` and resume once the consumer has drained it to ``low``
/// or below; the gap keeps a busy connection from toggling its socket's read interest on every message.
public struct InboundWatermarks: Sendable, Equatable {
    /// At or below this many unconsumed messages, paused reads resume.
    public var low: Int
    /// At this many unconsumed messages, reads pause.
    public var high: Int

    /// Creates a pair of watermarks.
    /// - Parameters:
    ///   - low: backlog at or below which paused reads resume (at least 0, below `high`).
    ///   - high: backlog at which reads pause (at least 1).
    public init(low: Int, high: Int) {
        self.low = low
        self.high = high
    }

    /// Whether the pair can work: `0 <= low < high`.
    var isValid: Bool { low >= 0 && low < high }
}

/// A per-connection message-rate limit: a token bucket of ``burst`` tokens refilled at ``perSecond``.
public struct MessageRateLimit: Sendable, Equatable {
    /// Messages per second a connection may send on average.
    public var perSecond: Double
    /// Messages a connection may send at once after being quiet.
    public var burst: Int
    /// A connection that stays over the rate (every message waits for a token) this long is closed with 1008;
    /// nil keeps such a connection open, only slowed.
    public var closeAfter: Duration?

    /// Creates a rate limit.
    /// - Parameters:
    ///   - perSecond: average messages per second (positive).
    ///   - burst: bucket size (at least 1).
    ///   - closeAfter: how long a connection may keep exceeding the rate before it is closed; nil never closes.
    public init(perSecond: Double, burst: Int, closeAfter: Duration?) {
        self.perSecond = perSecond
        self.burst = burst
        self.closeAfter = closeAfter
    }
}
