/// A token bucket: `rate` requests per second on average, bursts up to `burst`.
public struct TokenBucket: Sendable, Equatable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    public init(rate: Double, burst: Double, now: ContinuousClock.Instant = .now) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.last = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: ContinuousClock.Instant = .now) -> Bool {
        let elapsed = now - last
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(burst, tokens + max(0, seconds) * rate)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// Counts failures per key in a sliding window, and says when a key must wait.
public struct FailureWindow: Sendable {
    /// Failures allowed per key within `window` before the key is held back.
    public let limit: Int
    public let window: Duration
    private var failures: [String: [ContinuousClock.Instant]] = [:]

    public init(limit: Int, window: Duration) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Records a failure for `key`.
    public mutating func record(_ key: String, now: ContinuousClock.Instant = .now) {
        var list = failures[key, default: []].filter { now - $0 < window }
        list.append(now)
        failures[key] = list
        if failures.count > 10_000 { prune(now: now) }
    }

    /// Clears `key` (after a success).
    public mutating func reset(_ key: String) {
        failures[key] = nil
    }

    /// How long `key` must wait before its next attempt; nil when it may go ahead.
    /// `pending` attempts whose outcome is not known yet count as failures.
    public func holdBack(_ key: String, pending: Int = 0, now: ContinuousClock.Instant = .now) -> Duration? {
        let recent = (failures[key] ?? []).filter { now - $0 < window }
        guard recent.count + pending >= limit else { return nil }
        // Held back by attempts still in flight: they are answered within a request timeout.
        guard let oldest = recent.first, recent.count >= limit else { return .seconds(1) }
        return window - (now - oldest)
    }

    private mutating func prune(now: ContinuousClock.Instant) {
        failures = failures.compactMapValues { list in
            let kept = list.filter { now - $0 < window }
            return kept.isEmpty ? nil : kept
        }
    }
}
