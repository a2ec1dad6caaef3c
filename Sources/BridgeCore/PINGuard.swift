/// The brute-force guard for conference PINs: wrong PINs for one conference, from any client and any session,
/// are throttled, and PINs still waiting for the node's answer count against the budget so that many PINs sent
/// at once through many sessions cannot all slip past before the first one fails. A value with no I/O.
struct PINGuard: Sendable {
    private var failures: FailureWindow
    /// PINs sent upstream and not yet answered, per key.
    private var inFlight: [String: Int] = [:]

    /// - Parameters:
    ///   - limit: wrong PINs per conference within `window` before PINs for it are throttled.
    ///   - window: how long a wrong PIN counts.
    init(limit: Int, window: Duration) {
        failures = FailureWindow(limit: limit, window: window)
    }

    /// The key is the alias alone (case-folded): a cluster's nodes, a node's other names and ports all reach the
    /// same room.
    static func key(alias: String) -> String {
        alias.lowercased()
    }

    /// How long PINs for this conference must wait; nil when one may be sent now.
    func holdBack(alias: String, now: Moment) -> Duration? {
        let key = Self.key(alias: alias)
        return failures.holdBack(key, pending: inFlight[key] ?? 0, now: now)
    }

    /// A PIN for this conference went upstream.
    mutating func sent(alias: String) {
        inFlight[Self.key(alias: alias), default: 0] += 1
    }

    /// The node answered a PIN for this conference (whatever it said).
    mutating func answered(alias: String) {
        let key = Self.key(alias: alias)
        let left = (inFlight[key] ?? 1) - 1
        inFlight[key] = left > 0 ? left : nil
    }

    /// The node refused a PIN for this conference.
    mutating func failed(alias: String, now: Moment) {
        failures.record(Self.key(alias: alias), now: now)
    }

    /// PINs in flight for this conference.
    func pending(alias: String) -> Int { inFlight[Self.key(alias: alias)] ?? 0 }
}
