import Dispatch

/// Runs blocking work (sockets, child processes) on a dispatch thread, so it never holds one of the
/// few threads of Swift's cooperative pool that every other test needs.
///
/// - Parameter body: The blocking work.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
