/// What is known about a WebSocket connection when it opens.
public struct ConnectionInfo: Sendable, Equatable {
    /// Peer IP address (IPv4-mapped IPv6 addresses are shown as IPv4).
    public var peerAddress: String
    /// The Origin header of the upgrade request, if any.
    public var origin: String?
    /// The negotiated subprotocol; nil when the client offered none.
    public var subprotocol: String?

    /// Creates connection details.
    public init(peerAddress: String, origin: String?, subprotocol: String?) {
        self.peerAddress = peerAddress
        self.origin = origin
        self.subprotocol = subprotocol
    }
}
