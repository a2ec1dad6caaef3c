/// Constants of the pexbridge wire protocol.
public enum ProtocolInfo {
    /// The protocol version announced in `hello`.
    public static let version = 1
    /// The optional WebSocket subprotocol name, echoed when a client offers it.
    public static let subprotocol = "pexbridge.v1"
    /// The bridge's release version, shown in `hello.server` and `--version`.
    public static let bridgeVersion = "0.1.0"
}
