/// Service-thread state of one open WebSocket connection.
final class Connection {
    /// How a connection is being closed.
    struct PendingClose {
        let code: UInt16
        let reason: [UInt8]
    }

    let id: ConnectionID
    /// The lws connection; valid until its CLOSED callback.
    let wsi: OpaquePointer
    let peerAddress: String
    /// Connected to the test echo endpoint: no events, bigger limits.
    let isEcho: Bool
    /// Largest incoming message: small until the core promotes the connection after its `auth`.
    var maxMessageBytes: Int
    let outboxLimitBytes: Int
    /// Authenticated (or exempt): pre-auth limits no longer apply.
    var promoted: Bool

    var outbox = Outbox()
    /// Set once a close is decided; the close frame follows the queued frames.
    var pendingClose: PendingClose?

    /// The message being reassembled.
    var incoming: [UInt8] = []
    var incomingSize = 0
    var incomingIsBinary = false

    /// Reads are paused because the core has not yet consumed enough of this connection's messages.
    var pausedForBacklog = false
    /// Reads are paused until the rate meter has a token again (an lws timer ends the pause).
    var pausedForRate = false
    /// Whether lws currently reads this connection (the last value given to `lws_rx_flow_control`).
    var reading = true
    /// Charged per incoming message; nil for the echo endpoint or without a rate limit.
    var rateMeter: MessageRateMeter?

    init(
        id: ConnectionID,
        wsi: OpaquePointer,
        peerAddress: String,
        isEcho: Bool,
        maxMessageBytes: Int,
        outboxLimitBytes: Int,
        promoted: Bool
    ) {
        self.promoted = promoted
        self.id = id
        self.wsi = wsi
        self.peerAddress = peerAddress
        self.isEcho = isEcho
        self.maxMessageBytes = maxMessageBytes
        self.outboxLimitBytes = outboxLimitBytes
    }
}
