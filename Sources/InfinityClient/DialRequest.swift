/// A `dial` call: the conference calls a new participant out (a SIP endpoint, an RTMP stream, ...).
public struct DialRequest: Sendable, Equatable {
    /// The protocol the node dials with.
    public enum CallProtocol: String, Sendable, CaseIterable {
        case sip, h323, rtmp, mssip, auto
    }

    /// The address to call (a SIP URI, an RTMP URL, ...).
    public var destination: String
    public var callProtocol: CallProtocol
    /// The role the new participant has.
    public var role: InfinityRole
    /// The name the new participant has in the roster.
    public var displayName: String?
    /// True for a streaming or recording participant (RTMP).
    public var streaming: Bool?

    /// - Parameters:
    ///   - destination: The address to call.
    ///   - callProtocol: `sip`, `h323`, `rtmp`, `mssip` or `auto`.
    ///   - role: The role the new participant has.
    ///   - displayName: The name the new participant has in the roster.
    ///   - streaming: True for a streaming or recording participant.
    public init(
        destination: String,
        callProtocol: CallProtocol,
        role: InfinityRole,
        displayName: String? = nil,
        streaming: Bool? = nil
    ) {
        self.destination = destination
        self.callProtocol = callProtocol
        self.role = role
        self.displayName = displayName
        self.streaming = streaming
    }

    /// `{destination, protocol, role: "HOST"|"GUEST", remote_display_name?, streaming?: "yes"|"no"}`.
    var body: [UInt8] {
        encodeJSON(
            Body(
                destination: destination,
                callProtocol: callProtocol.rawValue,
                role: role == .host ? "HOST" : "GUEST",
                remoteDisplayName: displayName,
                streaming: streaming.map { $0 ? "yes" : "no" }
            )
        )
    }

    private struct Body: Encodable {
        var destination: String
        var callProtocol: String
        var role: String
        var remoteDisplayName: String?
        var streaming: String?

        enum CodingKeys: String, CodingKey {
            case destination, role, streaming
            case callProtocol = "protocol"
            case remoteDisplayName = "remote_display_name"
        }
    }
}
