/// An identity provider of the simulator: its sign-in page (`/sso/signin`) mints the tokens its rooms accept.
public struct SimulatedIdentityProvider: Sendable, Equatable {
    /// Sent by clients as `chosen_idp`.
    public var uuid: String
    /// The name people see.
    public var name: String

    /// - Parameters:
    ///   - uuid: The provider's uuid (`chosen_idp`).
    ///   - name: The name people see.
    public init(uuid: String, name: String) {
        self.uuid = uuid
        self.name = name
    }
}

/// A token minted by the sign-in page: which provider signed whom in, and until when it is accepted.
struct SSOGrant: Sendable {
    var idp: String
    var user: String
    var expiresAt: ContinuousClock.Instant
}
