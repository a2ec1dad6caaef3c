/// Test hooks that change a room as if something happened on the node.
extension InfinitySimulator {
    /// Adds a scripted participant (others get `participant_create`) and returns its UUID.
    @discardableResult
    public func addParticipant(
        alias: String,
        displayName: String,
        role: SimulatedRole = .guest,
        muted: Bool = false,
        protocolName: String = "webrtc"
    ) throws(SimulatorError) -> String {
        let scripted = ScriptedParticipant(
            displayName: displayName,
            role: role,
            protocolName: protocolName,
            isMuted: muted
        )
        return try engine.mutateRoom(alias) { room, now in
            let record = ParticipantRecord.scripted(
                scripted,
                localAlias: room.config.alias,
                now: TokenGenerator.wallClock()
            )
            return room.join(record, now: now).uuid
        }
    }

    /// Removes a participant (others get `participant_delete`; its own stream just ends).
    public func removeParticipant(alias: String, uuid: String) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in room.remove(uuid, reason: nil, now: now) }
    }

    /// Mutes or unmutes a participant (`participant_update`).
    public func setMuted(alias: String, uuid: String, _ muted: Bool) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in room.update(uuid, now: now) { $0.isMuted = muted } }
    }

    /// Starts or stops a participant's presentation (`participant_update` and `presentation_start`/`_stop`).
    public func setPresenting(alias: String, uuid: String, _ presenting: Bool) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in room.setPresenting(uuid, presenting, now: now) }
    }

    /// A roster participant says something (`message_received` to everyone else).
    public func sendChat(alias: String, fromUUID uuid: String, text: String) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in
            guard let sender = room.participant(uuid) else { return false }
            room.chat(origin: sender.displayName, senderUUID: uuid, type: "text/plain", payload: text, now: now)
            return true
        }
    }

    /// Someone not in the roster says something (`message_received` to everyone, with a fresh UUID).
    public func sendChat(alias: String, fromDisplayName origin: String, text: String) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, now in
            room.chat(origin: origin, senderUUID: TokenGenerator.uuid(), type: "text/plain", payload: text, now: now)
        }
    }

    /// Locks or unlocks the room (`conference_update`; unlocking lets the waiting room in).
    public func setLocked(alias: String, _ locked: Bool) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, now in room.setLocked(locked, now: now) }
    }

    /// Lets one participant out of the waiting room, as a host's `participants/<uuid>/unlock` would.
    public func admit(alias: String, uuid: String) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in room.admit(uuid, now: now) }
    }

    /// Pushes a `refresh_token` event (data null) to every open stream of the room.
    public func requestRefresh(alias: String) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, now in
            room.broadcast(ServerEvent(name: "refresh_token", data: .null), now: now)
        }
    }

    /// Runs `change` on the room; throws when it reports that the participant does not exist.
    func onParticipant(
        _ alias: String,
        _ uuid: String,
        _ change: (inout RoomState, ContinuousClock.Instant) -> Bool
    ) throws(SimulatorError) {
        let found = try engine.mutateRoom(alias) { room, now in
            room.participant(uuid) == nil ? false : change(&room, now)
        }
        guard found else { throw .unknownParticipant(uuid) }
    }
}
