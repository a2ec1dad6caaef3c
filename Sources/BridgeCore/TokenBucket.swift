/// A token bucket: `rate` requests per second on average, bursts up to `burst`. Time is an input.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: Moment

    /// - Parameters:
    ///   - rate: tokens added per second.
    ///   - burst: the most tokens the bucket holds (at least 1); it starts full.
    ///   - now: the moment the bucket is made.
    public init(rate: Double, burst: Double, now: Moment) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.last = now
    }

    /// Takes one token if there is one.
    /// - Parameter now: the current moment; a moment earlier than the last one adds nothing.
    public mutating func take(now: Moment) -> Bool {
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(burst, tokens + max(0, seconds) * rate)
        last = max(last, now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
