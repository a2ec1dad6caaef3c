/// Where `participants/<uuid>/transfer` sends a participant. The PIN is a secret: it goes only into the request
/// body, and this value's descriptions and mirror never show it.
public struct ParticipantTransfer: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The alias of the conference to move the participant to.
    public var conferenceAlias: String
    /// The role the participant has there.
    public var role: InfinityRole
    /// The target conference's PIN, if it has one.
    public var pin: String?

    /// - Parameters:
    ///   - conferenceAlias: The alias of the conference to move the participant to.
    ///   - role: The role the participant has there (`host` or `guest`).
    ///   - pin: The target conference's PIN (a secret), if it has one.
    public init(conferenceAlias: String, role: InfinityRole, pin: String? = nil) {
        self.conferenceAlias = conferenceAlias
        self.role = role
        self.pin = pin
    }

    /// `{"conference_alias","role":"host"|"guest","pin"?}`.
    var body: [UInt8] {
        encodeJSON(Body(conferenceAlias: conferenceAlias, role: role.rawValue, pin: pin))
    }

    private struct Body: Encodable {
        var conferenceAlias: String
        var role: String
        var pin: String?

        enum CodingKeys: String, CodingKey {
            case conferenceAlias = "conference_alias"
            case role, pin
        }
    }

    public var description: String {
        "transfer(alias: \(conferenceAlias), role: \(role.rawValue), pin: \(pin == nil ? "none" : "<redacted>"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
