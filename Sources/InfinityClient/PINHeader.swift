/// The `pin` header of a `request_token` call.
public enum PINHeader: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `pin: none`: join without a PIN where the PIN is optional for guests.
    case none
    /// `pin: <digits>`; surrounding whitespace is trimmed and a blank PIN is sent as `none`.
    case pin(String)

    /// The header value that goes on the wire.
    var headerValue: String {
        switch self {
        case .none: return "none"
        case .pin(let raw):
            let trimmed = raw.trimmingWhitespace()
            return trimmed.isEmpty ? "none" : trimmed
        }
    }

    /// Whether the value can be sent as an HTTP header (printable ASCII only).
    var isSendable: Bool {
        headerValue.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .pin: "pin(<redacted>)"
        }
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .enum) }
}
