extension InfinityClient {
    /// Asks for a participant token; `pin` nil sends no `pin` header, `.none` sends `pin: none`.
    ///
    /// - Parameters:
    ///   - node: The conference node.
    ///   - alias: The conference (or Virtual Reception) alias.
    ///   - displayName: The participant's name.
    ///   - pin: The `pin` header, if any.
    ///   - extras: Answers to the node's other challenges and a `refer` one-time token.
    public func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?,
        extras: TokenRequestExtras = .init()
    ) async throws(InfinityError) -> TokenRequestOutcome {
        if let pin, !pin.isSendable { return .invalidPIN }
        let call = Call(
            method: .POST,
            node: node,
            alias: alias,
            path: "request_token",
            endpoint: "request_token",
            token: nil,
            pin: pin?.headerValue,
            body: encodeJSON(RequestTokenBody(displayName: displayName, extras: extras)),
            idempotent: true,
            timeout: nil
        )
        let response = try await send(call)
        let outcome = Self.refine(try Self.tokenOutcome(response), extras: extras)
        logger.debug(
            "infinity request_token outcome",
            metadata: [
                "infinity.node": "\(node)", "infinity.alias": "\(alias)", "infinity.outcome": "\(outcome.logName)",
            ]
        )
        return outcome
    }

    /// Refreshes a token; the answer's token replaces the old one.
    public func refreshToken(
        node: NodeAddress,
        alias: String,
        token: String
    ) async throws(InfinityError) -> TokenRefresh {
        let response = try await send(
            Call(
                method: .POST,
                node: node,
                alias: alias,
                path: "refresh_token",
                endpoint: "refresh_token",
                token: token,
                pin: nil,
                body: nil,
                idempotent: true,
                timeout: nil
            )
        )
        let result = try Self.result(of: response, endpoint: "refresh_token")
        guard let refresh = TokenRefresh(result: result) else {
            throw .badResponse("refresh_token: result has no token")
        }
        return refresh
    }

    /// Releases a token, which disconnects its participant.
    public func releaseToken(node: NodeAddress, alias: String, token: String) async throws(InfinityError) {
        try await releaseToken(node: node, alias: alias, token: token, timeout: nil)
    }

    func releaseToken(node: NodeAddress, alias: String, token: String, timeout: Duration?) async throws(InfinityError) {
        let response = try await send(
            Call(
                method: .POST,
                node: node,
                alias: alias,
                path: "release_token",
                endpoint: "release_token",
                token: token,
                pin: nil,
                body: nil,
                idempotent: true,
                timeout: timeout
            )
        )
        _ = try Self.result(of: response, endpoint: "release_token")
    }

    /// Interprets a `request_token` answer (status and result type together, §8).
    static func tokenOutcome(_ response: RawResponse) throws(InfinityError) -> TokenRequestOutcome {
        let status = response.status
        guard let envelope = Envelope.decode(response.body) else {
            switch status {
            case 500..<600: return .serverError(status: status, message: response.reason)
            case 404: throw .badResponse("HTTP 404 without an Infinity JSON envelope (is this a conference node?)")
            case 400..<500: return .refused(status: status, message: response.reason)
            default: throw .badResponse("request_token: HTTP \(status) without an Infinity JSON envelope")
            }
        }
        let result = envelope.result
        let message = envelope.message ?? response.reason

        if status == 200 {
            guard let grant = TokenGrant(result: result) else {
                throw .badResponse("request_token: result has no token or participant_uuid")
            }
            return .granted(grant)
        }
        if status == 403 || status == 415, result.objectValue != nil {
            if let pin = result["pin"], let guestPIN = result["guest_pin"] {
                return .pinChallenge(
                    hostPINRequired: pin.stringValue?.lowercased() == "required",
                    guestPINRequired: guestPIN.stringValue?.lowercased() == "required"
                )
            }
            if status == 403 {
                if let challenge = wayInChallenge(result) { return challenge }
                if result["redirect_idp"] != nil { return .unsupportedChallenge(kind: "sso_redirect") }
                return .unsupportedChallenge(kind: "unknown")
            }
        }
        if status == 403, message.trimmingWhitespace().lowercased() == "invalid pin" { return .invalidPIN }
        switch status {
        case 404: return .conferenceNotFound(message: message)
        case 400..<500: return .refused(status: status, message: message)
        case 500..<600: return .serverError(status: status, message: message)
        default: throw .badResponse("request_token: unexpected HTTP \(status)")
        }
    }
}

extension TokenRequestOutcome {
    /// A secret-free name for logs.
    var logName: String {
        switch self {
        case .granted: "granted"
        case .pinChallenge(let host, let guest): "pin_challenge(host:\(host),guest:\(guest))"
        case .invalidPIN: "invalid_pin"
        case .conferenceNotFound: "conference_not_found"
        case .unsupportedChallenge(let kind): "unsupported_challenge(\(kind))"
        case .refused(let status, _): "refused(\(status))"
        case .serverError(let status, _): "server_error(\(status))"
        case .extensionRequired(let kind): "extension_required(\(kind))"
        case .identityProviders(let list): "idp_choice(\(list.count))"
        case .ssoRedirect: "sso_redirect"
        case .extensionNotFound: "extension_not_found"
        case .ssoFailed: "sso_failed"
        }
    }
}
