/// WebSocket close codes the transport sends on its own.
public enum CloseCode {
    /// Normal closure.
    public static let normal: UInt16 = 1000
    /// Server shutting down.
    public static let goingAway: UInt16 = 1001
    /// Text message that is not valid UTF-8 (sent by libwebsockets).
    public static let invalidPayload: UInt16 = 1007
    /// Policy violation; the transport uses it for slow consumers.
    public static let policyViolation: UInt16 = 1008
    /// Message over ``TransportConfiguration/maxMessageBytes``.
    public static let messageTooBig: UInt16 = 1009
}
