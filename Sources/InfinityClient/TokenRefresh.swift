/// A successful `refresh_token` answer. The token is redacted whenever the value is printed.
public struct TokenRefresh: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The new token (secret); it replaces the old one.
    public var token: String
    /// Its lifetime in seconds.
    public var expires: Int
    /// The role, when the node reports it (it may have changed).
    public var role: InfinityRole?

    public init(token: String, expires: Int, role: InfinityRole? = nil) {
        self.token = token
        self.expires = expires
        self.role = role
    }

    init?(result: JSONValue) {
        guard let token = result["token"]?.stringValue, !token.isEmpty else { return nil }
        self.token = token
        self.expires = result["expires"]?.intValue ?? TokenGrant.defaultLifetime
        self.role = result["role"]?.stringValue.flatMap(InfinityRole.init(wire:))
    }

    public var description: String {
        "TokenRefresh(token: <redacted>, expires: \(expires), role: \(role.map { "\($0)" } ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["token": "<redacted>", "expires": expires, "role": role as Any], displayStyle: .struct)
    }
}
