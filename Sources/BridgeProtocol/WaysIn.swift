/// What a Virtual Reception asks for: the kind of target it takes (snapshot field `extension`).
public struct ExtensionRequirement: Codable, Sendable, Equatable {
    /// How the target is dialled, as the node reports it.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case standard
        case mssip
    }

    public var kind: Kind

    /// - Parameter kind: `standard` (a conference alias) or `mssip` (a Skype for Business / Lync conference id).
    public init(kind: Kind) {
        self.kind = kind
    }
}

/// An identity provider a conference offers (snapshot field `idps`, and `sso.idp`).
public struct IdPInfo: Codable, Sendable, Equatable, Hashable {
    /// Sent back in the `idp` request.
    public var uuid: String
    /// The name people see.
    public var name: String

    /// - Parameters:
    ///   - uuid: The provider's uuid, sent back in the `idp` request.
    ///   - name: The name people see.
    public init(uuid: String, name: String) {
        self.uuid = uuid
        self.name = name
    }
}

/// Where to sign in (snapshot field `sso`): open `redirect_url`, sign in, send the token back with `sso_token`.
public struct SSORedirect: Codable, Sendable, Equatable {
    /// The identity provider's sign-in page.
    public var redirectURL: String
    /// The provider that page belongs to.
    public var idp: IdPInfo

    /// - Parameters:
    ///   - redirectURL: The identity provider's sign-in page.
    ///   - idp: The provider that page belongs to.
    public init(redirectURL: String, idp: IdPInfo) {
        self.redirectURL = redirectURL
        self.idp = idp
    }

    enum CodingKeys: String, CodingKey {
        case redirectURL = "redirect_url"
        case idp
    }
}

/// A client's answer to one of the ways in that a conference puts before its door.
public enum WayInAnswer: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `extension`: the target conference behind a Virtual Reception.
    case conferenceExtension(String)
    /// `idp`: the uuid of the chosen identity provider.
    case idp(String)
    /// `sso_token`: the identity provider's token (a secret).
    case ssoToken(String)

    /// The request type that carries this answer.
    public var requestType: RequestType {
        switch self {
        case .conferenceExtension: .extension
        case .idp: .idp
        case .ssoToken: .ssoToken
        }
    }

    /// Never shows an SSO token.
    public var description: String {
        switch self {
        case .conferenceExtension(let target): "extension(\(target))"
        case .idp(let uuid): "idp(\(uuid))"
        case .ssoToken: "sso_token(<redacted>)"
        }
    }

    /// Never shows an SSO token.
    public var debugDescription: String { description }

    /// Never shows an SSO token.
    public var customMirror: Mirror { Mirror(self, children: ["answer": description]) }
}
