/// Thrown by `withTimeout` when the time runs out first.
struct TimeoutReached: Error {}

/// Runs `operation`, cancelling it and throwing `TimeoutReached` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(
    _ timeout: Duration,
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await steppedSleep(for: timeout)
            throw TimeoutReached()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
