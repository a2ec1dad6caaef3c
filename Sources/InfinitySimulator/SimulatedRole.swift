/// The role a participant holds in a simulated room.
public enum SimulatedRole: String, Sendable, Hashable, CaseIterable {
    /// A host: `"HOST"` in token answers, `"chair"` in participant objects.
    case host
    /// A guest: `"GUEST"` in token answers, `"guest"` in participant objects.
    case guest

    /// The spelling used by `request_token` and `refresh_token`.
    var tokenRole: String {
        switch self {
        case .host: "HOST"
        case .guest: "GUEST"
        }
    }

    /// The spelling used by participant objects.
    var participantRole: String {
        switch self {
        case .host: "chair"
        case .guest: "guest"
        }
    }
}
