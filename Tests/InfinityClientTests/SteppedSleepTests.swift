import Clocks
import InfinityClient
import Testing

@Suite struct SteppedSleepTests {
    @Test func aDeadlineInThePastReturnsAtOnce() async throws {
        let clock = ContinuousClock()
        try await steppedSleep(until: clock.now.advanced(by: .seconds(-5)), on: clock)
    }

    @Test func cancellingALongSleepEndsIt() async {
        let clock = ContinuousClock()
        let sleeper = Task { try await steppedSleep(until: clock.now.advanced(by: .seconds(3600)), on: clock) }
        sleeper.cancel()
        let result = await sleeper.result
        guard case .failure(let error) = result, error is CancellationError else {
            Issue.record("expected CancellationError, got \(result)")
            return
        }
    }

    @Test func aTestClockIsSleptOnDirectlyAndWakesWhenAdvanced() async throws {
        let clock = TestClock()
        // The deadline is read before the task starts: read inside it, a task that starts after the advance
        // below would sleep 40 s past it and never wake (this hung about one full run in ten).
        let deadline = clock.now.advanced(by: .seconds(40))
        let sleeper = Task { try await steppedSleep(until: deadline, on: clock) }
        // One sleep to the deadline, and strictly past it: a sleep armed just after the clock reached its deadline
        // exactly would wait for another advance.
        await clock.advance(by: .seconds(40) + .nanoseconds(1))
        try await sleeper.value
    }
}
