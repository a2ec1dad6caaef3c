import InfinityClient

/// A point in time on the engine's clock, counted from the moment the engine was made.
///
/// The engine's value types (client table, PIN guard, token buckets, failure windows) take a `Moment` as an
/// input instead of reading a clock, so a test can hand them any time it likes and a state machine never sleeps.
public struct Moment: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Time since the engine's clock was first read.
    public var sinceStart: Duration

    /// - Parameter sinceStart: time since the engine's clock was first read.
    public init(_ sinceStart: Duration) {
        self.sinceStart = sinceStart
    }

    /// The engine's first instant.
    public static let zero = Moment(.zero)

    public static func < (a: Moment, b: Moment) -> Bool { a.sinceStart < b.sinceStart }
    public static func + (a: Moment, b: Duration) -> Moment { Moment(a.sinceStart + b) }
    public static func - (a: Moment, b: Duration) -> Moment { Moment(a.sinceStart - b) }
    public static func - (a: Moment, b: Moment) -> Duration { a.sinceStart - b.sinceStart }

    public var description: String { "\(sinceStart)" }
}

/// The injected clock, opened once: `now()` and `sleep(until:)` in `Moment`s, so the engine stores no generic
/// parameter and tests can inject a `TestClock` through `any Clock<Duration>`.
struct EngineClock: Sendable {
    let now: @Sendable () -> Moment
    let sleepUntil: @Sendable (Moment) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        now = { Moment(start.duration(to: clock.now)) }
        // Stepped on the standard library's clocks: a cancelled long sleep there holds its memory until its
        // deadline (see InfinityClient.steppedSleep(until:on:)).
        sleepUntil = { deadline in
            try await steppedSleep(until: start.advanced(by: deadline.sinceStart), on: clock)
        }
    }
}
