/// Thrown by `withTimeout` when the time runs out first.
struct TimeoutReached: Error {}

/// Runs `operation`, cancelling it and throwing `TimeoutReached` if it takes longer than `timeout` on `clock`.
func withTimeout<T: Sendable>(
    _ timeout: Duration,
    on clock: any Clock<Duration> = ContinuousClock(),
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await sleep(for: timeout, on: clock)
            throw TimeoutReached()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

/// `duration` on `clock` (opened from the existential), stepped on the standard library's clocks.
private func sleep<C: Clock>(for duration: Duration, on clock: C) async throws where C.Duration == Duration {
    try await steppedSleep(until: clock.now.advanced(by: duration), on: clock)
}
