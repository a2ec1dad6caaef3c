/// Exponential backoff with a cap and random jitter.
struct Backoff: Sendable {
    var initial: Duration
    var maximum: Duration
    var jitter: Double

    /// The delay before retry number `attempt` (1-based).
    func delay(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let base = min(initial.seconds * Double(sign: .plus, exponent: exponent, significand: 1), maximum.seconds)
        let spread = max(0, min(jitter, 1))
        let factor = spread > 0 ? Double.random(in: (1 - spread)...(1 + spread)) : 1
        return .nanoseconds(Int64(max(0, base * factor) * 1e9))
    }
}
