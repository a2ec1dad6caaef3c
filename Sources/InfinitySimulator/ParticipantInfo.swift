/// A roster entry as the simulator sees it.
public struct ParticipantInfo: Sendable, Hashable {
    /// Participant UUID.
    public var uuid: String
    /// Display name.
    public var displayName: String
    /// Host or guest.
    public var role: SimulatedRole
    /// Administratively muted.
    public var isMuted: Bool
    /// Presenting.
    public var isPresenting: Bool
    /// "conference" or "waiting_room".
    public var serviceType: String
    /// Joined through the REST API (`protocol` "api", no media): a client such as the bridge.
    public var isAPI: Bool
    /// Value of the `protocol` field.
    public var protocolName: String
}
