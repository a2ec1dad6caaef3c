/// Exponential backoff with a cap and random jitter.
struct Backoff: Sendable {
    var initial: Duration
    var maximum: Duration
    /// Random spread applied to every delay: ±jitter × delay (clamped to 0...1).
    var jitter: Double

    /// The delay before retry number `attempt` (1-based), jittered with `random` (injected so tests can pin it).
    func delay(attempt: Int, using random: inout some RandomNumberGenerator) -> Duration {
        let exponent = min(max(attempt - 1, 0), 62)
        let base = min(initial.seconds * Double(sign: .plus, exponent: exponent, significand: 1), maximum.seconds)
        let spread = max(0, min(jitter, 1))
        let factor = spread > 0 ? Double.random(in: (1 - spread)...(1 + spread), using: &random) : 1
        return .nanoseconds(Int64((max(0, base * factor) * 1e9).rounded()))
    }
}
