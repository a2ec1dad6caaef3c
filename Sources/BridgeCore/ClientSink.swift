/// A front-end connection's id, as the transport numbers them.
public typealias ClientID = UInt64

/// Where the core's frames go: the WebSocket transport, or a recorder in tests.
public protocol ClientSink: Sendable {
    /// Sends one encoded text frame to every listed client (encoded once, shared).
    func send(_ frame: [UInt8], to clients: [ClientID])
    /// Closes a client after the frames already sent to it.
    func close(_ client: ClientID, code: UInt16, reason: String)
    /// The client authenticated: lift the limits the transport keeps for connections that have not (a small
    /// message size, a separate connection cap).
    func promote(_ client: ClientID)
}

extension ClientSink {
    /// Sinks without pre-auth limits (test recorders) have nothing to lift.
    public func promote(_ client: ClientID) {}
}
