#if canImport(Glibc)
import Glibc
#endif

/// Waiting in tests: for an event where one exists, by polling only where none does, always with a ceiling.
///
/// A ceiling is only there so a broken build fails instead of hanging; no test asserts how long anything took.

/// How much longer every ceiling is in this run: `PEXBRIDGE_TEST_PATIENCE` (a whole number, default 1).
/// `scripts/sanitize.sh` sets it, since ThreadSanitizer runs the code five to fifteen times slower. Ceilings only
/// end a broken test sooner; stretching them never makes a broken test pass.
public enum TestPatience {
    public static let factor: Int = {
        guard let text = getenv("PEXBRIDGE_TEST_PATIENCE").map({ String(cString: $0) }), let value = Int(text),
            value >= 1
        else { return 1 }
        return min(value, 20)
    }()

    /// `ceiling` stretched by ``factor``.
    public static func stretch(_ ceiling: Duration) -> Duration { ceiling * factor }
}

/// What a wait that reached its ceiling throws; Swift Testing records it with the test.
public struct TestTimeout: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The first element of `sequence` that matches, without polling.
///
/// - Parameters:
///   - what: Said in the failure.
///   - sequence: Where the events arrive (an `AsyncStream` fed by the code under test, a client's messages ...).
///   - timeout: The ceiling.
///   - match: Which element is wanted.
/// - Throws: ``TestTimeout`` at the ceiling or when the sequence ends first.
public func firstElement<S: AsyncSequence & Sendable>(
    _ what: String,
    of sequence: S,
    timeout: Duration = .seconds(30),
    where match: @escaping @Sendable (S.Element) -> Bool
) async throws -> S.Element where S.Element: Sendable {
    try await withThrowingTaskGroup(of: S.Element?.self) { group in
        group.addTask {
            for try await element in sequence where match(element) { return element }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: TestPatience.stretch(timeout))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let element = first else {
            throw TestTimeout("no \(what) within \(timeout)")
        }
        return element
    }
}

/// Polls `condition` until it holds or the ceiling passes, for states nothing announces (a counter on another
/// process, a figure on /metrics). Prefer ``firstElement(_:of:timeout:where:)`` where an event exists.
///
/// - Parameters:
///   - timeout: The ceiling.
///   - condition: Checked every 20 ms.
/// - Returns: Whether the condition held before the ceiling (use it in `#expect`).
public func eventually(
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A bounded wait of ``waitUntil(_:timeout:_:)`` or ``eventually(_:timeout:_:)`` ran out.
public struct TimedOut: Error, CustomStringConvertible {
    /// What was waited for.
    public let what: String
    public var description: String { "timed out waiting for \(what)" }

    /// - Parameter what: What was waited for, for the failure message.
    public init(what: String) { self.what = what }
}

/// Polls `condition` (every 10 ms) until it holds; throws ``TimedOut`` after `timeout`. For states nothing
/// announces (a counter of another part, a figure of a server); prefer waiting for an event where one exists.
///
/// - Parameters:
///   - what: What is waited for, for the failure message.
///   - timeout: The ceiling.
///   - condition: Checked until it holds.
/// - Throws: ``TimedOut``, or what `condition` throws.
public func waitUntil(
    _ what: String,
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws {
    _ = try await eventually(what, timeout: timeout) { try await condition() ? true : nil }
}

/// Polls `probe` (every 10 ms) until it returns a value; throws ``TimedOut`` after `timeout`.
///
/// - Parameters:
///   - what: What is waited for, for the failure message.
///   - timeout: The ceiling.
///   - probe: Returns the value once it is there.
/// - Returns: The first value `probe` returned.
/// - Throws: ``TimedOut``, or what `probe` throws.
public func eventually<T: Sendable>(
    _ what: String,
    timeout: Duration = .seconds(10),
    _ probe: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
    while true {
        if let value = try await probe() { return value }
        if ContinuousClock.now >= deadline { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(10))
    }
}
