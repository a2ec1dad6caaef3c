/// A bounded wait ran out.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `probe` until it returns a value or `timeout` passes.
func eventually<T: Sendable>(
    _ what: String,
    timeout: Duration = .seconds(5),
    _ probe: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        if ContinuousClock.now >= deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func waitUntil(_ what: String, timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    _ = try await eventually(what, timeout: timeout) { try await condition() ? true : nil }
}
