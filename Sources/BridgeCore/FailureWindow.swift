/// Counts failures per key in a sliding window, and says when a key must wait. Time is an input.
///
/// With a `maxLockout`, lockouts escalate: the first time a key reaches the limit it waits until its oldest
/// counted failure ages out (as without escalation); each further time within `maxLockout` of the last, it waits
/// twice as long as the time before (2 × `window`, 4 × `window`, ...), up to `maxLockout`.
public struct FailureWindow: Sendable {
    private struct Lockout: Sendable {
        var strikes = 0
        var until = Moment.zero
        var last = Moment.zero
    }

    /// Failures allowed per key within `window` before the key is held back.
    public let limit: Int
    public let window: Duration
    /// The longest escalated lockout; nil = no escalation.
    public let maxLockout: Duration?
    private var failures: [String: [Moment]] = [:]
    private var lockouts: [String: Lockout] = [:]
    /// Keys whose failures have all aged out are dropped once per window, not on every failure, so a flood of
    /// distinct keys costs one sweep per window rather than one per failure.
    private var nextPrune: Moment?

    /// - Parameters:
    ///   - limit: failures per key within `window` before the key is held back (at least 1).
    ///   - window: how long a failure counts.
    ///   - maxLockout: when set, repeated lockouts double up to this long.
    public init(limit: Int, window: Duration, maxLockout: Duration? = nil) {
        self.limit = max(1, limit)
        self.window = window
        self.maxLockout = maxLockout
    }

    /// Records a failure for `key` at `now`.
    public mutating func record(_ key: String, now: Moment) {
        pruneIfDue(now: now)
        var list = failures[key, default: []]
        list.removeAll { now - $0 >= window }
        list.append(now)
        if list.count > limit { list.removeFirst(list.count - limit) }
        failures[key] = list
        if list.count >= limit, let maxLockout { strike(key, now: now, maxLockout: maxLockout) }
    }

    private mutating func strike(_ key: String, now: Moment, maxLockout: Duration) {
        var lockout = lockouts[key] ?? Lockout()
        if lockout.strikes > 0, now - lockout.last > maxLockout { lockout = Lockout() }
        lockout.strikes += 1
        lockout.last = now
        if lockout.strikes >= 2 {
            // window × 2^(strikes − 1), capped.
            var wait = window
            for _ in 1..<lockout.strikes where wait < maxLockout { wait = wait * 2 }
            lockout.until = max(lockout.until, now + min(wait, maxLockout))
        }
        lockouts[key] = lockout
    }

    /// How many times `key` reached the limit (escalation only).
    public func strikes(_ key: String) -> Int { lockouts[key]?.strikes ?? 0 }

    /// Clears `key` (after a success).
    public mutating func reset(_ key: String) {
        failures[key] = nil
        lockouts[key] = nil
    }

    /// How long `key` must wait before its next attempt; nil when it may go ahead.
    /// - Parameters:
    ///   - key: what is counted (an address, a conference, ...).
    ///   - pending: attempts whose outcome is not known yet; they count as failures.
    ///   - now: the current moment.
    public func holdBack(_ key: String, pending: Int = 0, now: Moment) -> Duration? {
        if let until = lockouts[key]?.until, until > now { return until - now }
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
        if let maxLockout {
            lockouts = lockouts.filter { _, lockout in now - lockout.last <= maxLockout || lockout.until > now }
        }
    }
}
