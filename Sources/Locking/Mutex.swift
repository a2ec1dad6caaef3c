import NIOConcurrencyHelpers

/// A value behind a lock, with the standard library's `Synchronization.Mutex` API (`init(_:)`, `withLock(_:)`).
///
/// Why not `Synchronization.Mutex` itself: on Linux it locks with atomics and a futex inside the standard library,
/// which is not instrumented, so ThreadSanitizer cannot see the happens-before edge the lock creates and reports
/// every access it guards as a data race. This one is SwiftNIO's `NIOLockedValueBox`, a `pthread_mutex_t` that
/// ThreadSanitizer intercepts, so `scripts/sanitize.sh thread` runs with no suppressions and a report is a real
/// race. The price is one allocation per lock (the box is a class), paid once when its owner is made.
public struct Mutex<Value: Sendable>: Sendable {
    private let box: NIOLockedValueBox<Value>

    /// - Parameter initialValue: the value the lock guards.
    public init(_ initialValue: Value) {
        box = NIOLockedValueBox(initialValue)
    }

    /// Runs `body` with exclusive access to the value.
    /// - Parameter body: reads or changes the value; it must not lock this mutex again.
    /// - Returns: what `body` returns.
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = box.withLockedValue { value in
            do throws(Failure) {
                return .success(try body(&value))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
