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
        let sleeper = Task { try await steppedSleep(until: clock.now.advanced(by: .seconds(40)), on: clock) }
        // One sleep to the deadline (a stepped sleep would need 40 advances of the test clock to wake).
        await clock.advance(by: .seconds(40))
        try await sleeper.value
    }
}
