/// The ephemeral events a client may ask for with `subscribe`'s `include`: they carry no `seq`, are never
/// replayed, and go only to the clients that asked.
public enum EphemeralKind: String, Sendable, CaseIterable, Codable, Hashable {
    case speakers
    case captions
}

/// Fields of a `set_layout` request: at least one is set.
public struct LayoutChange: Sendable, Equatable {
    public var layout: String?
    public var hostLayout: String?
    public var guestLayout: String?
    /// Show participants' names over their video.
    public var overlayText: Bool?

    /// - Parameters:
    ///   - layout: The layout for everyone.
    ///   - hostLayout: The layout hosts see.
    ///   - guestLayout: The layout guests see.
    ///   - overlayText: Show participants' names over their video.
    public init(layout: String? = nil, hostLayout: String? = nil, guestLayout: String? = nil, overlayText: Bool? = nil)
    {
        self.layout = layout
        self.hostLayout = hostLayout
        self.guestLayout = guestLayout
        self.overlayText = overlayText
    }
}

/// The protocol a `dial` calls out with.
public enum DialProtocol: String, Sendable, CaseIterable, Codable {
    case sip, h323, rtmp, mssip, auto
}

/// Fields of a `dial` request.
public struct DialParameters: Sendable, Equatable {
    public var destination: String
    public var callProtocol: DialProtocol
    public var role: Role
    public var displayName: String?
    public var streaming: Bool?

    /// - Parameters:
    ///   - destination: What to call: a SIP URI, an H.323 address, an RTMP URL, ...
    ///   - callProtocol: `sip`, `h323`, `rtmp`, `mssip` or `auto`.
    ///   - role: The new participant's role.
    ///   - displayName: The new participant's name in the roster.
    ///   - streaming: True for a streaming or recording participant.
    public init(
        destination: String,
        callProtocol: DialProtocol,
        role: Role,
        displayName: String? = nil,
        streaming: Bool? = nil
    ) {
        self.destination = destination
        self.callProtocol = callProtocol
        self.role = role
        self.displayName = displayName
        self.streaming = streaming
    }
}

/// Fields of a `transfer` request. The PIN is a secret: descriptions and mirrors of this value never show it.
public struct TransferParameters: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var participant: String
    /// The alias of the conference to move the participant to.
    public var alias: String
    public var role: Role
    /// The target conference's PIN (a secret).
    public var pin: String?

    /// - Parameters:
    ///   - participant: The participant to move.
    ///   - alias: The alias of the conference to move them to.
    ///   - role: Their role there.
    ///   - pin: The target conference's PIN, if any (a secret; never echoed).
    public init(participant: String, alias: String, role: Role, pin: String? = nil) {
        self.participant = participant
        self.alias = alias
        self.role = role
        self.pin = pin
    }

    public var description: String {
        "transfer(participant: \(participant), role: \(role.rawValue), pin: \(pin == nil ? "none" : "<redacted>"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
