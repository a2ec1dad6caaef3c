/// The token bucket of one connection's incoming messages: a value, with time as an input.
///
/// The service thread charges one token per whole message (text or binary) before the message is queued for the
/// core. The bucket may go into debt by the message that emptied it (it has already been read); the answer then
/// says how long reads must pause until the debt is paid. A connection that keeps running into an empty bucket
/// for ``MessageRateLimit/closeAfter`` is to be closed.
struct MessageRateMeter {
    /// What to do after a message was charged.
    enum Decision: Equatable {
        /// Keep reading.
        case proceed
        /// Pause reads for this long, then resume.
        case pause(Duration)
        /// The connection has exceeded the rate for too long: close it.
        case close
    }

    let limit: MessageRateLimit
    private var tokens: Double
    private var updatedAt: Duration
    /// When the current unbroken stretch of over-rate messages began.
    private(set) var exceedingSince: Duration?

    /// A full bucket at `now` (any monotonic time origin, the same for every later call).
    init(limit: MessageRateLimit, now: Duration) {
        self.limit = limit
        tokens = Double(limit.burst)
        updatedAt = now
    }

    /// Charges one message at `now`.
    mutating func charge(now: Duration) -> Decision {
        refill(now: now)
        tokens -= 1
        guard tokens < 0 else {
            exceedingSince = nil
            return .proceed
        }
        let since = exceedingSince ?? now
        exceedingSince = since
        if let closeAfter = limit.closeAfter, now - since >= closeAfter {
            return .close
        }
        let seconds = -tokens / limit.perSecond
        return .pause(.nanoseconds(Int64((seconds * 1e9).rounded(.up))))
    }

    private mutating func refill(now: Duration) {
        let elapsed = now - updatedAt
        updatedAt = now
        guard elapsed > .zero else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(Double(limit.burst), tokens + seconds * limit.perSecond)
    }
}
