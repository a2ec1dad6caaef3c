/// The longest single sleep ``steppedSleep(until:on:)`` takes on the standard library's clocks.
let steppedSleepStep = Duration.seconds(1)

/// Sleeps until `deadline` on `clock`, throwing `CancellationError` when the task is cancelled.
///
/// On the standard library's own clocks (`ContinuousClock`, `SuspendingClock`) the sleep is taken in steps of at
/// most one second. A cancelled sleep on those clocks keeps its memory (the timer, its task and continuation:
/// about 0.7 KiB) until its original deadline (swiftlang/swift#60441), so a bridge that cancels long timers at a
/// high rate (refresh and idle timers of sessions that join and leave, request timeouts) would hold that memory
/// for as long as the timers were long: measured, churning sessions grew the heap by about 1 KiB per cycle until
/// the 120 s idle timers ran out. With steps, a cancelled timer holds it for at most one step. Other clocks (a test
/// clock) are slept on directly: their sleeps end when cancelled.
///
/// - Parameters:
///   - deadline: When to return.
///   - clock: The clock the deadline is on.
/// - Throws: `CancellationError` when the task is cancelled first.
public func steppedSleep<C: Clock>(until deadline: C.Instant, on clock: C) async throws where C.Duration == Duration {
    guard clock is ContinuousClock || clock is SuspendingClock else {
        // A deadline already reached returns at once: a test clock may otherwise wait for its next advance when
        // the deadline equals its current time (the timer was armed just after the clock got there).
        try Task.checkCancellation()
        guard clock.now < deadline else { return }
        try await clock.sleep(until: deadline, tolerance: nil)
        return
    }
    while true {
        try Task.checkCancellation()
        let now = clock.now
        guard now < deadline else { return }
        let step = now.advanced(by: steppedSleepStep)
        try await clock.sleep(until: step < deadline ? step : deadline, tolerance: nil)
    }
}

/// Sleeps for `duration` on the continuous clock, in steps (see ``steppedSleep(until:on:)``).
///
/// - Parameter duration: How long to sleep.
/// - Throws: `CancellationError` when the task is cancelled first.
public func steppedSleep(for duration: Duration) async throws {
    let clock = ContinuousClock()
    try await steppedSleep(until: clock.now.advanced(by: duration), on: clock)
}
