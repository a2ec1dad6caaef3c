/// A conference PIN as the user gave it; its text never prints. Empty means "no PIN".
struct SecretPIN: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The digits sent in `pin` (`""` = no PIN).
    let value: String

    init(_ value: String) {
        self.value = value
    }

    var description: String { value.isEmpty ? "SecretPIN(none)" : "SecretPIN(<redacted>)" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
