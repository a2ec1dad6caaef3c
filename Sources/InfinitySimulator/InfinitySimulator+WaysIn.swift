/// Test and demo hooks for the ways in and for `refer`.
extension InfinitySimulator {
    /// Moves a participant: sends it `refer` `{"alias": target, "token": <one-time token>}`; the target room
    /// counts the one-time token when a `request_token` presents it (`oneTimeTokensUsed`).
    ///
    /// - Parameters:
    ///   - alias: The participant's room.
    ///   - uuid: The participant.
    ///   - target: The alias to move it to (it need not exist: a target that refuses is a test case too).
    /// - Returns: The one-time token sent (a secret, for tests that check it never leaks).
    @discardableResult
    public func refer(alias: String, uuid: String, to target: String) throws(SimulatorError) -> String {
        let token = TokenGenerator.token()
        let sent: Bool = engine.mutate { state, now in
            guard state.rooms[EngineState.key(alias)] != nil else { return false }
            state.rooms[EngineState.key(target)]?.oneTimeTokens.insert(token)
            return state.rooms[EngineState.key(alias)]!.refer(uuid, to: target, token: token, now: now)
        }
        guard sent else {
            guard engine.readRoom(alias, { _, _ in true }) != nil else { throw .unknownRoom(alias) }
            throw .unknownParticipant(uuid)
        }
        return token
    }

    /// How many `refer` one-time tokens a `request_token` to `alias` presented.
    public func oneTimeTokensUsed(alias: String) -> Int {
        engine.readRoom(alias) { room, _ in room.oneTimeTokensUsed } ?? 0
    }

    /// Signs `user` in at the identity provider `idp` as its sign-in page would, and returns the SSO token.
    public func mintSSOToken(idp: String, user: String) -> String {
        engine.mutate { state, now in state.mintSSOToken(idp: idp, user: user, now: now) }
    }
}

extension InfinitySimulator {
    /// Demo rooms for the ways in: `meet.reception` (a Virtual Reception: enter `meet.open`, `meet.pin`, ...),
    /// `meet.sso` (behind two identity providers; the simulator's sign-in page takes any user name) and
    /// `meet.lobby` (moves everyone who joins to `meet.open` at the next demo step).
    public static let waysInDemoRooms: [SimulatedRoom] = {
        var reception = SimulatedRoom(alias: "meet.reception", name: "Virtual Reception")
        reception.receptionKind = "standard"
        var sso = SimulatedRoom(
            alias: "meet.sso",
            name: "Sign-in Room",
            initialParticipants: [
                ScriptedParticipant(displayName: "Hana Sato", role: .host, protocolName: "webrtc"),
                ScriptedParticipant(displayName: "Ivan Petrov", role: .guest, protocolName: "sip"),
            ]
        )
        sso.identityProviders = [
            SimulatedIdentityProvider(uuid: "5e3c0a1e-2b5f-4b0c-9d7e-1a2b3c4d5e6f", name: "Example Sign-In"),
            SimulatedIdentityProvider(uuid: "8a1f7c22-6d3e-4f0a-b5c9-2e4d6f8a0b1c", name: "Contoso SSO"),
        ]
        var lobby = SimulatedRoom(
            alias: "meet.lobby",
            name: "Lobby",
            initialParticipants: [ScriptedParticipant(displayName: "Lobby Host", role: .host, protocolName: "sip")]
        )
        lobby.referTo = "meet.open"
        return [reception, sso, lobby]
    }()
}

extension SimulatorEngine {
    /// In a room with `referTo`, moves every participant with an open event stream (the scripted ones stay).
    /// - Returns: true when the room moves people (its demo step is this).
    func demoRefer(alias: String) -> Bool {
        mutate { state, now in
            let key = EngineState.key(alias)
            guard let room = state.rooms[key], let target = room.config.referTo else { return false }
            let movers = Set(room.streams.values.map(\.participantUUID))
            for uuid in movers.sorted() where room.participant(uuid)?.isScripted == false {
                let token = TokenGenerator.token()
                state.rooms[EngineState.key(target)]?.oneTimeTokens.insert(token)
                _ = state.rooms[key]?.refer(uuid, to: target, token: token, now: now)
            }
            return true
        }
    }
}
