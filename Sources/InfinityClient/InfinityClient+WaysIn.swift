/// An identity provider a conference offers for sign-in (from the `idp` list or `redirect_idp`).
public struct IdentityProvider: Sendable, Equatable, Hashable {
    /// The provider's uuid, sent back as `chosen_idp`.
    public var uuid: String
    /// The name people see.
    public var name: String

    /// - Parameters:
    ///   - uuid: The provider's uuid, sent back as `chosen_idp`.
    ///   - name: The name people see.
    public init(uuid: String, name: String) {
        self.uuid = uuid
        self.name = name
    }

    /// Reads `{"uuid","name"}`; nil without a uuid.
    init?(json: JSONValue) {
        guard let uuid = json["uuid"]?.stringValue, !uuid.isEmpty else { return nil }
        self.init(uuid: uuid, name: json["name"]?.stringValue ?? uuid)
    }
}

/// What a `request_token` call carries besides the display name and the PIN: the answers to the node's other
/// challenges (infinity-api.md §1, §3) and a `refer` event's one-time token. The SSO token and the one-time token
/// are secrets: the value prints with them redacted.
public struct TokenRequestExtras: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The target conference behind a Virtual Reception (`conference_extension`).
    public var conferenceExtension: String?
    /// The chosen identity provider's uuid (`chosen_idp`; `"none"` when nil).
    public var chosenIdP: String?
    /// The token the identity provider handed back (`sso_token`; `"none"` when nil). A secret.
    public var ssoToken: String?
    /// A one-time token from a `refer` event (body `token`). A secret.
    public var oneTimeToken: String?

    /// - Parameters:
    ///   - conferenceExtension: The target conference behind a Virtual Reception.
    ///   - chosenIdP: The chosen identity provider's uuid.
    ///   - ssoToken: The identity provider's token (a secret).
    ///   - oneTimeToken: A `refer` event's one-time token (a secret).
    public init(
        conferenceExtension: String? = nil,
        chosenIdP: String? = nil,
        ssoToken: String? = nil,
        oneTimeToken: String? = nil
    ) {
        self.conferenceExtension = conferenceExtension
        self.chosenIdP = chosenIdP
        self.ssoToken = ssoToken
        self.oneTimeToken = oneTimeToken
    }

    public var description: String {
        "TokenRequestExtras(conferenceExtension: \(conferenceExtension.map { "\"\($0)\"" } ?? "nil"), "
            + "chosenIdP: \(chosenIdP ?? "nil"), ssoToken: \(ssoToken == nil ? "nil" : "<redacted>"), "
            + "oneTimeToken: \(oneTimeToken == nil ? "nil" : "<redacted>"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "conferenceExtension": conferenceExtension as Any, "chosenIdP": chosenIdP as Any,
                "hasSSOToken": ssoToken != nil, "hasOneTimeToken": oneTimeToken != nil,
            ]
        )
    }
}

/// A `refer` event: the node moves the participant to `alias`, to be joined with the one-time `token` (a secret,
/// redacted whenever the value is printed).
public struct ReferTarget: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The conference to join next.
    public var alias: String
    /// The one-time token for that join (a secret).
    public var token: String

    /// - Parameters:
    ///   - alias: The conference to join next.
    ///   - token: The one-time token for that join (a secret).
    public init(alias: String, token: String) {
        self.alias = alias
        self.token = token
    }

    public var description: String { "ReferTarget(alias: \(alias.escapedForLog()), token: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["alias": alias, "token": "<redacted>"]) }

    /// Reads `{"alias","token"}`; nil without an alias (a refer without a token is followed without one).
    init?(json: JSONValue) {
        guard let alias = json["alias"]?.stringValue, !alias.isEmpty else { return nil }
        self.init(alias: alias, token: json["token"]?.stringValue ?? "")
    }
}

extension InfinityClient {
    /// The challenges of infinity-api.md §3 in a 403 `status:"success"` object result, or nil for another shape.
    /// - Parameter result: The envelope's `result` object.
    static func wayInChallenge(_ result: JSONValue) -> TokenRequestOutcome? {
        if let list = result["idp"]?.arrayValue {
            return .identityProviders(list.compactMap(IdentityProvider.init(json:)))
        }
        if let url = result["redirect_url"]?.stringValue {
            let idp =
                result["redirect_idp"].flatMap(IdentityProvider.init(json:)) ?? IdentityProvider(uuid: "", name: "")
            return .ssoRedirect(url: url, idp: idp)
        }
        if let marker = result["conference_extension"]?.stringValue?.lowercased() {
            // The schema's form: "required" with the kind in `conference_extension_type`; the older form (Swift's
            // test) puts the kind in `conference_extension` itself.
            let kind = marker == "required" ? result["conference_extension_type"]?.stringValue?.lowercased() : marker
            return .extensionRequired(kind: kind == "mssip" ? "mssip" : "standard")
        }
        return nil
    }

    /// Reads an answer in the light of what the request carried: a 404 after a conference extension means that
    /// the Virtual Reception does not know the target (PexRTC: "Conference extension not found"), and the node's
    /// "SSO Authentication Failed" refuses the sign-in token.
    static func refine(_ outcome: TokenRequestOutcome, extras: TokenRequestExtras) -> TokenRequestOutcome {
        switch outcome {
        case .conferenceNotFound(let message) where extras.conferenceExtension != nil:
            return .extensionNotFound(message: message)
        case .refused(_, let message) where message.lowercased().contains("sso authentication failed"):
            return .ssoFailed(message: message)
        case .serverError(_, let message) where message.lowercased().contains("sso authentication failed"):
            return .ssoFailed(message: message)
        default:
            return outcome
        }
    }
}
