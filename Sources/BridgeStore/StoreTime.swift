#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Wall-clock time in milliseconds since 1970, as leases are kept: instances on different machines compare
/// expiries, so a monotonic clock of one process will not do. Tests pass their own values.
public struct StoreTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The system's real-time clock.
    public static func now() -> StoreTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return StoreTime(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    public static func < (lhs: StoreTime, rhs: StoreTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public static func + (lhs: StoreTime, rhs: Duration) -> StoreTime {
        StoreTime(milliseconds: lhs.milliseconds + rhs.storeMilliseconds)
    }

    public static func - (lhs: StoreTime, rhs: Duration) -> StoreTime {
        StoreTime(milliseconds: lhs.milliseconds - rhs.storeMilliseconds)
    }

    public var description: String { "\(milliseconds) ms" }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var storeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
