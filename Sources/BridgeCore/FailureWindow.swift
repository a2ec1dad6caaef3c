/// Counts failures per key in a sliding window, and says when a key must wait. Time is an input.
public struct FailureWindow: Sendable {
    /// Failures allowed per key within `window` before the key is held back.
    public let limit: Int
    public let window: Duration
    private var failures: [String: [Moment]] = [:]
    /// Keys whose failures have all aged out are dropped once per window, not on every failure, so a flood of
    /// distinct keys costs one sweep per window rather than one per failure.
    private var nextPrune: Moment?

    /// - Parameters:
    ///   - limit: failures per key within `window` before the key is held back (at least 1).
    ///   - window: how long a failure counts.
    public init(limit: Int, window: Duration) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Records a failure for `key` at `now`.
    public mutating func record(_ key: String, now: Moment) {
        pruneIfDue(now: now)
        var list = failures[key, default: []]
        list.removeAll { now - $0 >= window }
        list.append(now)
        if list.count > limit { list.removeFirst(list.count - limit) }
        failures[key] = list
    }

    /// Clears `key` (after a success).
    public mutating func reset(_ key: String) {
        failures[key] = nil
    }

    /// How long `key` must wait before its next attempt; nil when it may go ahead.
    /// - Parameters:
    ///   - key: what is counted (an address, a conference, ...).
    ///   - pending: attempts whose outcome is not known yet; they count as failures.
    ///   - now: the current moment.
    public func holdBack(_ key: String, pending: Int = 0, now: Moment) -> Duration? {
        let recent = (failures[key] ?? []).filter { now - $0 < window }
        guard recent.count + pending >= limit else { return nil }
        // Held back by attempts still in flight: they are answered within a request timeout.
        guard let oldest = recent.first, recent.count >= limit else { return .seconds(1) }
        return window - (now - oldest)
    }

    /// Failures of `key` still inside the window at `now`.
    public func count(_ key: String, now: Moment) -> Int {
        (failures[key] ?? []).count { now - $0 < window }
    }

    /// Keys remembered (for tests and metrics: it stays bounded by what failed within about two windows).
    public var keyCount: Int { failures.count }

    private mutating func pruneIfDue(now: Moment) {
        guard let due = nextPrune else {
            nextPrune = now + window
            return
        }
        guard now >= due else { return }
        nextPrune = now + window
        let window = self.window
        failures = failures.compactMapValues { list in
            let kept = list.filter { now - $0 < window }
            return kept.isEmpty ? nil : kept
        }
    }
}
