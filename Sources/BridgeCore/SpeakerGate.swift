/// Coalesces a session's `stage` reports into `speakers` events: at most one per `interval` (4 per second by
/// default), and the latest list always goes out (a trailing send when the timer fires). A value with no I/O:
/// time comes in as `now`, and the timer it asks for is armed by the owner on the injected clock.
public struct SpeakerGate: Sendable, Equatable {
    /// What the owner must do.
    public enum Action: Sendable, Equatable {
        /// Nothing (a repeat of what was sent, or a timer is already armed for it).
        case none
        /// Send this list now.
        case send([String])
        /// Arm the timer for this moment and call `timerFired(now:)` then.
        case arm(Moment)
    }

    /// At most 4 per second with a margin: exactly 250 ms apart, a little network jitter puts a fifth event into
    /// some one-second window at the client; 260 ms apart, it takes 40 ms of jitter to do that.
    public static let defaultInterval = Duration.milliseconds(260)

    public let interval: Duration
    /// When the last list went out.
    public private(set) var lastSent: Moment?
    /// The last list that went out.
    public private(set) var lastList: [String]?
    /// A newer list waiting for the timer.
    public private(set) var pending: [String]?
    /// The armed timer's deadline.
    public private(set) var armed: Moment?

    /// - Parameter interval: the least time between two sends.
    public init(interval: Duration = SpeakerGate.defaultInterval) {
        self.interval = interval
    }

    /// The node reported who speaks now.
    /// - Parameters:
    ///   - list: the speakers' uuids, loudest first.
    ///   - now: the current moment on the engine's clock.
    public mutating func offer(_ list: [String], now: Moment) -> Action {
        if armed != nil {
            // The timer sends whatever is latest then; nothing if the latest is what already went out.
            pending = list == lastList ? nil : list
            return .none
        }
        guard list != lastList else { return .none }
        if let last = lastSent, now - last < interval {
            pending = list
            armed = last + interval
            return .arm(last + interval)
        }
        lastSent = now
        lastList = list
        return .send(list)
    }

    /// The armed timer fired.
    /// - Parameter now: the current moment on the engine's clock.
    public mutating func timerFired(now: Moment) -> Action {
        guard armed != nil else { return .none }
        armed = nil
        guard let list = pending else { return .none }
        pending = nil
        lastSent = now
        lastList = list
        return .send(list)
    }
}
