import Locking

/// Where the simulator reads "now" for token expiry, keepalives and idle streams: the continuous clock plus an
/// offset that a test moves forward by hand. Tests of expiry and refresh then advance time instead of sleeping
/// through it, and a token's fate no longer depends on how busy the machine is.
///
/// Only the simulator's decisions see the offset; its background housekeeping still runs on real time (it reads
/// this time when it runs), and so does everything outside the simulator.
public final class SimulatorTime: Sendable {
    private let offset = Mutex<Duration>(.zero)

    /// A time source with no offset (the continuous clock).
    public init() {}

    /// The simulator's present moment.
    public var now: ContinuousClock.Instant { ContinuousClock.now + offset.withLock { $0 } }

    /// Moves the simulator's time forward.
    /// - Parameter duration: how far; must not be negative (time never goes back).
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "simulator time never goes back")
        offset.withLock { $0 += duration }
    }
}
