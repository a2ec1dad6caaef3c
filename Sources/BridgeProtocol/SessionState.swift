/// Where a conference session is in its life.
public enum SessionState: String, Codable, Sendable, CaseIterable {
    case connecting
    case pinRequired = "pin_required"
    case pinOptional = "pin_optional"
    case connected
    case disconnected
    case error
    /// A Virtual Reception asks for the target conference (`extension` request).
    case extensionRequired = "extension_required"
    /// The conference asks which identity provider to sign in with (`idp` request).
    case idpRequired = "idp_required"
    /// The conference asks for a sign-in at its identity provider (`sso_token` request).
    case ssoRequired = "sso_required"

    /// `disconnected` and `error` are final: the session is gone from `list` afterwards.
    public var isFinal: Bool { self == .disconnected || self == .error }
}

/// The bridge's role in a conference.
public enum Role: String, Codable, Sendable, CaseIterable {
    case host
    case guest
}

/// Which PINs the conference asked for: `host` (a host PIN exists), `guest` (guests need one too).
public struct PINRequirement: Codable, Sendable, Equatable {
    public var host: Bool
    public var guest: Bool

    /// - Parameters:
    ///   - host: The node asks for a host PIN.
    ///   - guest: The node asks for a guest PIN too (false: guests may join without one).
    public init(host: Bool, guest: Bool) {
        self.host = host
        self.guest = guest
    }
}

/// Why a session ended in `disconnected`.
public enum DisconnectReason: String, Codable, Sendable, CaseIterable {
    /// A client sent `leave`.
    case left
    /// The node ended the participant; its words are in `message`.
    case remoteDisconnect = "remote_disconnect"
    /// The bridge is shutting down.
    case bridgeShutdown = "bridge_shutdown"
    /// The event stream could not be re-established within the bound.
    case upstreamLost = "upstream_lost"
    /// The node's token expired because it could not be refreshed.
    case tokenExpired = "token_expired"
    /// On `connecting`, not on `disconnected`: the node moved the session to another conference (`refer`); the
    /// event carries the new `alias`.
    case transferred
}
