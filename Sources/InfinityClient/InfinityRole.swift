/// A participant's role: host ("HOST" in tokens, "chair" in participant objects) or guest.
public enum InfinityRole: String, Sendable, Codable, Hashable {
    case host
    case guest

    /// Reads "HOST"/"GUEST" (token responses) and "chair"/"guest" (participant objects), case-insensitively.
    public init?(wire: String) {
        switch wire.trimmingWhitespace().lowercased() {
        case "host", "chair": self = .host
        case "guest": self = .guest
        default: return nil
        }
    }
}
