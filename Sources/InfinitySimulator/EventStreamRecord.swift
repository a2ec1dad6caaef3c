/// An open `events` response.
struct EventStreamRecord: Sendable {
    /// The participant whose token opened it.
    let participantUUID: String
    /// Where frames are written; finishing it ends the HTTP response.
    let continuation: AsyncStream<String>.Continuation
    /// When something was last written (for keepalives).
    var lastWrite: ContinuousClock.Instant
    /// A stalled stream stays open and writes nothing, not even keepalives (a half-open connection, a proxy that
    /// stopped forwarding).
    var stalled = false
}
