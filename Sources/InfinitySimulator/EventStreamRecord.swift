/// An open `events` response.
struct EventStreamRecord: Sendable {
    /// The participant whose token opened it.
    let participantUUID: String
    /// Where frames are written; finishing it ends the HTTP response.
    let continuation: AsyncStream<String>.Continuation
    /// When something was last written (for keepalives).
    var lastWrite: ContinuousClock.Instant
}
