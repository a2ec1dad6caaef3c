/// What happens on the WebSocket connections, in order per connection.
public enum TransportEvent: Sendable {
    /// A client completed the upgrade.
    case opened(ConnectionID, ConnectionInfo)
    /// One whole text message (reassembled from its fragments), valid UTF-8.
    case text(ConnectionID, [UInt8])
    /// A binary message arrived; its bytes are dropped.
    case binary(ConnectionID)
    /// The connection is gone; sent exactly once for every ``opened(_:_:)``.
    case closed(ConnectionID)
}
