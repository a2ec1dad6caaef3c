import Foundation

/// The ways in before a room's door (infinity-api.md §3) and `refer`.
extension EngineState {
    static let ssoFailed = "SSO Authentication Failed"
    /// How long a minted SSO token is accepted.
    static let ssoTokenLifetime: Duration = .seconds(300)
    /// Bound on the minted tokens kept.
    static let maxSSOTokens = 10_000

    /// A call to a Virtual Reception carrying a token issued by another room is that room's call: a participant
    /// who came in through a reception keeps using the reception's alias, as Pexip's clients do.
    func routedByToken(_ call: InboundCall) -> InboundCall {
        guard let token = call.token, let room = rooms[Self.key(call.alias)], room.config.receptionKind != nil,
            room.tokens[token] == nil,
            let holder = rooms.values.first(where: { $0.tokens[token] != nil })
        else { return call }
        return call.retargeted(to: holder.config.alias)
    }

    /// `request_token` with the room's ways in: the reception's extension, the IdP choice, the SSO token; a
    /// `refer` one-time token is taken; then the PIN flow.
    mutating func requestTokenThroughWaysIn(_ call: InboundCall, at moment: Moment) -> APIAnswer {
        let body = JSONDecoder.decodeIfValid(TokenRequestBody.self, from: call.body)
        guard let room = rooms[Self.key(call.alias)], let body else { return requestToken(call, at: moment) }
        if let kind = room.config.receptionKind {
            let target = (body.conference_extension ?? "").trimmingCharacters(in: .whitespaces)
            guard !target.isEmpty else {
                return Self.receptionChallenge(kind: kind, legacy: room.config.receptionLegacyForm)
            }
            guard let destination = rooms[Self.key(target)], destination.config.receptionKind == nil else {
                return .failed(404, Self.notFound)
            }
            return requestTokenThroughWaysIn(call.retargeted(to: destination.config.alias), at: moment)
        }
        if !room.config.identityProviders.isEmpty {
            guard let chosen = Self.given(body.chosen_idp) else {
                return Self.challenge([
                    (
                        "idp",
                        .array(
                            room.config.identityProviders.map {
                                .object([("name", .string($0.name)), ("uuid", .string($0.uuid)), ("img", .string(""))])
                            }
                        )
                    )
                ])
            }
            guard let idp = room.config.identityProviders.first(where: { $0.uuid == chosen }) else {
                return .failed(403, Self.ssoFailed)
            }
            guard let token = Self.given(body.sso_token) else {
                return Self.challenge([
                    ("redirect_url", .string(Self.signInURL(call: call, idp: idp))),
                    ("redirect_idp", .object([("name", .string(idp.name)), ("uuid", .string(idp.uuid))])),
                ])
            }
            guard let grant = ssoTokens[token], grant.idp == idp.uuid, grant.expiresAt > moment.now else {
                return .failed(403, Self.ssoFailed)
            }
        }
        if let oneTime = Self.given(body.token), rooms[Self.key(call.alias)]?.oneTimeTokens.remove(oneTime) != nil {
            rooms[Self.key(call.alias)]?.oneTimeTokensUsed += 1
        }
        return requestToken(call, at: moment)
    }

    /// Mints a token for `user` at `idp`.
    mutating func mintSSOToken(idp: String, user: String, now: ContinuousClock.Instant) -> String {
        if ssoTokens.count >= Self.maxSSOTokens {
            ssoTokens = ssoTokens.filter { $0.value.expiresAt > now }
            if ssoTokens.count >= Self.maxSSOTokens { ssoTokens.removeAll() }
        }
        let token = TokenGenerator.token()
        ssoTokens[token] = SSOGrant(idp: idp, user: user, expiresAt: now + Self.ssoTokenLifetime)
        return token
    }

    /// The provider with `uuid` in any room, if one exists.
    func identityProvider(_ uuid: String) -> SimulatedIdentityProvider? {
        for room in rooms.values {
            if let idp = room.config.identityProviders.first(where: { $0.uuid == uuid }) { return idp }
        }
        return nil
    }

    /// A value clients send, unless absent, empty or the literal "none" of Pexip's clients.
    private static func given(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value != "none" else { return nil }
        return value
    }

    /// A 403 `status:"success"` challenge with these result members and the version.
    private static func challenge(_ members: [(String, JSONValue)]) -> APIAnswer {
        .json(
            status: 403,
            body: .object([("status", .string("success")), ("result", .object(members + [("version", version)]))])
        )
    }

    private static func receptionChallenge(kind: String, legacy: Bool) -> APIAnswer {
        legacy
            ? challenge([("conference_extension", .string(kind))])
            : challenge([("conference_extension", .string("required")), ("conference_extension_type", .string(kind))])
    }

    /// The sign-in page on this simulator, as the caller reaches it.
    private static func signInURL(call: InboundCall, idp: SimulatedIdentityProvider) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        let host = call.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        return "http://\(host)\(SignInPage.prefix)signin?idp=\(encoded(idp.uuid))&conference=\(encoded(call.alias))"
    }
}

extension RoomState {
    /// Sends `refer` to a participant's streams with a one-time token for `target` (registered by the caller).
    mutating func refer(_ uuid: String, to target: String, token: String, now: ContinuousClock.Instant) -> Bool {
        guard participant(uuid) != nil else { return false }
        send(
            ServerEvent(name: "refer", data: .object([("alias", .string(target)), ("token", .string(token))])),
            toParticipant: uuid,
            now: now
        )
        return true
    }
}

extension InboundCall {
    /// The same call, addressed to another room.
    func retargeted(to alias: String) -> InboundCall {
        InboundCall(
            method: method,
            alias: alias,
            target: target,
            token: token,
            pin: pin,
            body: body,
            userAgent: userAgent,
            host: host
        )
    }
}
