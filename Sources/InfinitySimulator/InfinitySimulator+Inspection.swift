/// Test hooks that read what the simulator saw and holds.
extension InfinitySimulator {
    /// Every call answered so far (the most recent 20,000), oldest first.
    public func calls() -> [RecordedCall] {
        engine.read { $0.calls }
    }

    /// The calls answered for one room, oldest first.
    public func calls(alias: String) -> [RecordedCall] {
        let key = EngineState.key(alias)
        return calls().filter { EngineState.key($0.alias) == key }
    }

    /// The `pin` header of every `request_token` call to the room, in order (nil: no header).
    public func pinHeadersReceived(alias: String) -> [String?] {
        calls(alias: alias).filter { $0.endpoint == "request_token" }.map(\.pinHeader)
    }

    /// Every token the room has ever issued, live or not (tests search the client's output for them).
    public func issuedTokens(alias: String) -> [String] {
        engine.readRoom(alias) { room, _ in room.issuedTokens } ?? []
    }

    /// Every token any room has ever issued.
    public func issuedTokens() -> [String] {
        configuration.rooms.flatMap { issuedTokens(alias: $0.alias) }
    }

    /// The room's roster in joining order (empty for an unknown room).
    public func participants(alias: String) -> [ParticipantInfo] {
        engine.readRoom(alias) { room, _ in room.roster.map(\.info) } ?? []
    }

    /// Tokens of the room that are still valid.
    public func liveTokenCount(alias: String) -> Int {
        engine.readRoom(alias) { room, now in room.liveTokenCount(now: now) } ?? 0
    }

    /// Event streams of the room currently open.
    public func openEventStreams(alias: String) -> Int {
        engine.readRoom(alias) { room, _ in room.streams.count } ?? 0
    }

    /// Successful `refresh_token` calls in the room.
    public func refreshCount(alias: String) -> Int {
        engine.readRoom(alias) { room, _ in room.refreshCount } ?? 0
    }

    /// The chat messages the room passed on, oldest first (the most recent 1,000); empty for an unknown room.
    public func chatMessages(alias: String) -> [ChatRecord] {
        engine.readRoom(alias) { room, _ in room.chatLog } ?? []
    }

    /// The room's conference flags; nil for an unknown room.
    public func conference(alias: String) -> ConferenceInfo? {
        engine.readRoom(alias) { room, _ in
            ConferenceInfo(locked: room.locked, guestsMuted: room.guestsMuted, started: room.started)
        }
    }
}
