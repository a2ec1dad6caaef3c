extension RequestCodec {
    /// Decodes `extension`, `idp` and `sso_token`.
    static func wayIn(_ type: RequestType, _ f: Fields) throws(FieldError) -> Request {
        let session = try f.string("session")
        switch type {
        case .extension: return .wayIn(session: session, .conferenceExtension(try f.nonEmptyString("extension")))
        case .idp: return .wayIn(session: session, .idp(try f.nonEmptyString("idp")))
        case .ssoToken:
            // The token is read with its own cap: `token` is capped for auth tokens, far below an IdP's token.
            var relaxed = f
            relaxed.tokenCap = maxSSOTokenBytes
            return .wayIn(session: session, .ssoToken(try relaxed.nonEmptyString("token")))
        default: preconditionFailure("\(type.rawValue) is not a way-in request")
        }
    }

    /// The members of a way-in answer, as a Swift client sends them.
    static func wayInFields(_ answer: WayInAnswer) -> [String: JSONValue] {
        switch answer {
        case .conferenceExtension(let target): ["extension": .string(target)]
        case .idp(let uuid): ["idp": .string(uuid)]
        case .ssoToken(let token): ["token": .string(token)]
        }
    }
}
