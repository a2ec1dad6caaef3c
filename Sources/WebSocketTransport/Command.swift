/// Work handed from any thread to the service thread.
enum Command: Sendable {
    /// Queue a frame for one connection.
    case send(OutboundFrame, ConnectionID)
    /// Queue one frame for many connections (one hand-off, one shared buffer).
    case sendMany(OutboundFrame, [ConnectionID])
    /// Close a connection after its queued frames.
    case close(ConnectionID, code: UInt16, reason: String)
    /// The core authenticated this connection: lift its pre-auth limits.
    case promote(ConnectionID)
    /// The core consumed enough of these connections' messages: resume their reads.
    case resumeReads([ConnectionID])
    /// Refuse new upgrades and close every connection with 1001 after its queued frames.
    case beginShutdown
    /// Leave the service loop and destroy the context.
    case stop
}
