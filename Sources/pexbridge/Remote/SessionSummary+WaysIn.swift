import BridgeProtocol

extension SessionSummary {
    /// Where a session waiting at a way in stands, and which subcommand answers it.
    static func wayInSentence(_ s: SessionSnapshot, place: String) -> String {
        var text = "\(s.id): \(s.state.rawValue): \(place) "
        switch s.state {
        case .extensionRequired:
            let kind = s.extension?.kind.rawValue ?? "standard"
            text += "is a Virtual Reception (\(kind)); send the conference with: pexbridge extension \(s.id) TARGET"
        case .idpRequired:
            let names = (s.idps ?? []).map { "\($0.name) (\($0.uuid))" }.joined(separator: ", ")
            text += "asks for an identity provider: \(names); choose with: pexbridge idp \(s.id) UUID"
        case .ssoRequired:
            let url = s.sso?.redirectURL ?? "?"
            text += "asks for a sign-in at \(url); then: pexbridge sso-token \(s.id) (the token is read from stdin)"
        case .connecting, .pinRequired, .pinOptional, .connected, .disconnected, .error:
            break
        }
        if let error = s.error { text += "; last try: \(error.code.rawValue)" }
        return text
    }
}
