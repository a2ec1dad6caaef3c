/// The live state of one room: conference flags, roster, tokens and open event streams.
///
/// Every mutation that others would see goes out to the open streams as an event. Streams to
/// close are parked in `finishing` and closed by the engine once its lock is released.
struct RoomState: Sendable {
    let config: SimulatedRoom
    var locked: Bool
    var guestsMuted = false
    var started: Bool
    var guestsCanUnmute = false
    private(set) var roster: [ParticipantRecord] = []
    var tokens: [String: TokenRecord] = [:]
    private(set) var streams: [Int: EventStreamRecord] = [:]
    private var nextEventID = 1
    var refreshCount = 0
    /// The most recent tokens issued in this room (at least the last `maxIssuedTokens`, at most twice that), for
    /// tests that check the client never leaks one. Bounded so that a long-running demo node (the embedded default of `serve`) keeps a flat
    /// memory curve: unbounded, 130,000 join/leave cycles grew it by about 25 MiB.
    var issuedTokens: [String] = []
    static let maxIssuedTokens = 10_000
    var wrongPINCounts: [String: Int] = [:]
    var refusingEventStreams = false
    /// One-time tokens handed out with `refer` events that point at this room, and how many were presented.
    var oneTimeTokens: Set<String> = []
    var oneTimeTokensUsed = 0
    /// The most recent chat messages passed on, oldest first (at most `ChatRecord.kept`).
    var chatLog: [ChatRecord] = []
    /// Streams to finish once the engine's lock is released.
    var finishing: [AsyncStream<String>.Continuation] = []
    /// The whole conference: layout, dial-outs, DTMF and transfers (see `RoomState+Conference.swift`).
    var stage = StageState()

    init(config: SimulatedRoom, wallClock: Double) {
        self.config = config
        self.locked = config.locked
        self.started =
            !config.guestsWaitForHost
            || (!config.hostStartsConference && config.initialParticipants.contains { $0.role == .host })
        for scripted in config.initialParticipants {
            var record = ParticipantRecord.scripted(scripted, localAlias: config.alias, now: wallClock)
            record.serviceType = desiredServiceType(for: record)
            roster.append(record)
        }
    }

    // MARK: Lookup

    func participant(_ uuid: String) -> ParticipantRecord? {
        roster.first { $0.uuid == uuid }
    }

    private func index(of uuid: String) -> Int? {
        roster.firstIndex { $0.uuid == uuid }
    }

    func conferenceStatus() -> JSONValue {
        .object([
            ("locked", .bool(locked)),
            ("guests_muted", .bool(guestsMuted)),
            ("all_muted", .bool(false)),
            ("started", .bool(started)),
            ("presentation_allowed", .bool(true)),
            ("direct_media", .bool(false)),
            ("live_captions_available", .bool(false)),
            ("breakout_rooms", .bool(false)),
            ("guests_can_unmute", .bool(guestsCanUnmute)),
            ("classification", .object([("levels", .object([])), ("current", .null)])),
        ])
    }

    func liveTokenCount(now: ContinuousClock.Instant) -> Int {
        tokens.values.filter { $0.expiresAt > now }.count
    }

    // MARK: Events

    private mutating func send(_ event: ServerEvent, toStream id: Int, now: ContinuousClock.Instant) {
        guard var stream = streams[id], !stream.stalled else { return }
        stream.continuation.yield(event.frame(id: nextEventID))
        nextEventID += 1
        stream.lastWrite = now
        streams[id] = stream
    }

    /// Sends `event` to every open stream except those of `excluded`.
    mutating func broadcast(_ event: ServerEvent, except excluded: String? = nil, now: ContinuousClock.Instant) {
        for id in streams.keys.sorted() where streams[id]?.participantUUID != excluded {
            send(event, toStream: id, now: now)
        }
    }

    /// Sends `event` to the open streams of one participant only.
    mutating func send(_ event: ServerEvent, toParticipant uuid: String, now: ContinuousClock.Instant) {
        for id in streamIDs(of: uuid) { send(event, toStream: id, now: now) }
    }

    /// True when the participant has an open event stream (an API client such as the bridge).
    func hasStream(_ uuid: String) -> Bool { !streamIDs(of: uuid).isEmpty }

    private func streamIDs(of uuid: String) -> [Int] {
        streams.filter { $0.value.participantUUID == uuid }.keys.sorted()
    }

    // MARK: Streams

    /// Registers a stream and writes the sync burst and the conference state to it.
    mutating func openStream(
        id: Int,
        participantUUID: String,
        continuation: AsyncStream<String>.Continuation,
        now: ContinuousClock.Instant
    ) {
        streams[id] = EventStreamRecord(participantUUID: participantUUID, continuation: continuation, lastWrite: now)
        send(ServerEvent(name: "participant_sync_begin", data: .null), toStream: id, now: now)
        for record in roster {
            send(ServerEvent(name: "participant_create", data: record.json), toStream: id, now: now)
        }
        send(ServerEvent(name: "participant_sync_end", data: .null), toStream: id, now: now)
        send(ServerEvent(name: "conference_update", data: conferenceStatus()), toStream: id, now: now)
    }

    /// Forgets a stream whose response has ended.
    mutating func streamEnded(id: Int) {
        streams[id] = nil
    }

    /// Closes the streams of one participant, after a `disconnect` event when `reason` is given.
    mutating func closeStreams(of uuid: String, reason: String?, now: ContinuousClock.Instant) {
        for id in streamIDs(of: uuid) {
            if let reason {
                send(
                    ServerEvent(name: "disconnect", data: .object([("reason", .string(reason))])),
                    toStream: id,
                    now: now
                )
            }
            if let stream = streams.removeValue(forKey: id) {
                finishing.append(stream.continuation)
            }
        }
    }

    /// Closes every open stream without an event; participants and tokens stay.
    mutating func dropAllStreams() {
        for id in streams.keys.sorted() {
            if let stream = streams.removeValue(forKey: id) {
                finishing.append(stream.continuation)
            }
        }
    }

    /// Keeps every open stream open but writes nothing more to it; streams opened later behave normally.
    mutating func stallAllStreams() {
        for id in streams.keys { streams[id]?.stalled = true }
    }

    /// Writes a comment line to every stream idle for `interval`.
    mutating func keepalive(now: ContinuousClock.Instant, interval: Duration) {
        for id in streams.keys.sorted() {
            guard var stream = streams[id], !stream.stalled, now - stream.lastWrite >= interval else { continue }
            stream.continuation.yield(ServerEvent.keepaliveFrame)
            stream.lastWrite = now
            streams[id] = stream
        }
    }

    // MARK: Roster

    private func desiredServiceType(for record: ParticipantRecord) -> String {
        let waitingForHost = record.role == .guest && config.guestsWaitForHost && !started
        return record.awaitingAdmission || waitingForHost ? "waiting_room" : "conference"
    }

    /// Adds a participant, holding it in the waiting room when the room is locked (unless it
    /// entered the host PIN) or when guests wait for a host; a host's arrival starts the conference (unless the
    /// room leaves that to `start_conference`).
    @discardableResult
    mutating func join(_ newcomer: ParticipantRecord, now: ContinuousClock.Instant) -> ParticipantRecord {
        var record = newcomer
        let enteredHostPIN = record.role == .host && config.hostPIN != nil
        record.awaitingAdmission = locked && !enteredHostPIN
        if record.role == .guest && guestsMuted {
            record.isMuted = true
        }
        record.serviceType = desiredServiceType(for: record)
        roster.append(record)
        broadcast(ServerEvent(name: "participant_create", data: record.json), now: now)
        if record.role == .host && !record.awaitingAdmission && !started && !config.hostStartsConference {
            startConference(now: now)
        }
        return participant(record.uuid) ?? record
    }

    /// Marks the conference started and lets waiting guests in.
    mutating func startConference(now: ContinuousClock.Instant) {
        started = true
        broadcast(ServerEvent(name: "conference_update", data: conferenceStatus()), now: now)
        refreshServiceTypes(now: now)
    }

    private mutating func refreshServiceTypes(now: ContinuousClock.Instant) {
        for index in roster.indices {
            let wanted = desiredServiceType(for: roster[index])
            if roster[index].serviceType != wanted {
                roster[index].serviceType = wanted
                broadcast(ServerEvent(name: "participant_update", data: roster[index].json), now: now)
            }
        }
    }

    /// Changes a participant and announces the full object; false when there is no such participant.
    @discardableResult
    mutating func update(
        _ uuid: String,
        now: ContinuousClock.Instant,
        _ change: (inout ParticipantRecord) -> Void
    ) -> Bool {
        guard let index = index(of: uuid) else { return false }
        change(&roster[index])
        broadcast(ServerEvent(name: "participant_update", data: roster[index].json), now: now)
        return true
    }

    /// Removes a participant and its tokens, ends its streams (after a `disconnect` event when a
    /// reason is given) and tells the others; false when there is no such participant.
    @discardableResult
    mutating func remove(_ uuid: String, reason: String?, now: ContinuousClock.Instant) -> Bool {
        guard let index = index(of: uuid) else { return false }
        let record = roster.remove(at: index)
        tokens = tokens.filter { $0.value.participantUUID != uuid }
        closeStreams(of: uuid, reason: reason, now: now)
        broadcast(ServerEvent(name: "participant_delete", data: .object([("uuid", .string(uuid))])), now: now)
        if record.isPresenting {
            broadcast(ServerEvent(name: "presentation_stop", data: .object([])), now: now)
        }
        return true
    }

    /// Removes everyone (the `disconnect` conference control).
    mutating func removeEveryone(reason: String, now: ContinuousClock.Instant) {
        for uuid in roster.map(\.uuid) {
            remove(uuid, reason: reason, now: now)
        }
    }

    /// Lets one participant out of the waiting room; false when there is no such participant.
    mutating func admit(_ uuid: String, now: ContinuousClock.Instant) -> Bool {
        guard let index = index(of: uuid) else { return false }
        roster[index].awaitingAdmission = false
        refreshServiceTypes(now: now)
        return true
    }

    // MARK: Conference controls

    mutating func setLocked(_ value: Bool, now: ContinuousClock.Instant) {
        locked = value
        broadcast(ServerEvent(name: "conference_update", data: conferenceStatus()), now: now)
        if !value {
            for index in roster.indices {
                roster[index].awaitingAdmission = false
            }
            refreshServiceTypes(now: now)
        }
    }

    mutating func setGuestsMuted(_ value: Bool, now: ContinuousClock.Instant) {
        guestsMuted = value
        broadcast(ServerEvent(name: "conference_update", data: conferenceStatus()), now: now)
        for uuid in roster.filter({ $0.role == .guest && $0.isMuted != value }).map(\.uuid) {
            update(uuid, now: now) { $0.isMuted = value }
        }
    }

    mutating func setGuestsCanUnmute(_ value: Bool, now: ContinuousClock.Instant) {
        guestsCanUnmute = value
        broadcast(ServerEvent(name: "conference_update", data: conferenceStatus()), now: now)
    }

    /// Starts or stops a participant's presentation; false when there is no such participant.
    mutating func setPresenting(_ uuid: String, _ value: Bool, now: ContinuousClock.Instant) -> Bool {
        guard let record = participant(uuid) else { return false }
        if value {
            for other in roster where other.isPresenting && other.uuid != uuid {
                update(other.uuid, now: now) { $0.isPresenting = false }
            }
        }
        update(uuid, now: now) { $0.isPresenting = value }
        if value {
            let start: JSONValue = .object([
                ("presenter_name", .string(record.displayName)),
                ("presenter_uri", .string(record.displayName)),
                ("presenter_uuid", .string(uuid)),
            ])
            broadcast(ServerEvent(name: "presentation_start", data: start), now: now)
        } else if record.isPresenting {
            broadcast(ServerEvent(name: "presentation_stop", data: .object([])), now: now)
        }
        return true
    }

    /// Sends a chat line to everyone but its sender.
    mutating func chat(origin: String, senderUUID: String, type: String, payload: String, now: ContinuousClock.Instant)
    {
        let message: JSONValue = .object([
            ("origin", .string(origin)),
            ("uuid", .string(senderUUID)),
            ("type", .string(type)),
            ("payload", .string(payload)),
        ])
        broadcast(ServerEvent(name: "message_received", data: message), except: senderUUID, now: now)
        chatLog.append(ChatRecord(origin: origin, senderUUID: senderUUID, text: payload))
        if chatLog.count > ChatRecord.kept { chatLog.removeFirst(chatLog.count - ChatRecord.kept) }
    }

    // MARK: Tokens

    /// Issues a new token for `uuid`.
    mutating func issueToken(for uuid: String, now: ContinuousClock.Instant, lifetime: Duration) -> String {
        let token = TokenGenerator.token()
        tokens[token] = TokenRecord(participantUUID: uuid, expiresAt: now + lifetime)
        // Trimmed in batches (amortised O(1)): between `maxIssuedTokens` and twice that are kept.
        if issuedTokens.count >= 2 * Self.maxIssuedTokens {
            issuedTokens.removeFirst(issuedTokens.count - Self.maxIssuedTokens)
        }
        issuedTokens.append(token)
        return token
    }

    /// The participant a live token belongs to (expired tokens are processed first).
    mutating func authenticate(_ token: String?, now: ContinuousClock.Instant) -> ParticipantRecord? {
        expireDue(now: now)
        guard let token, let record = tokens[token] else { return nil }
        return participant(record.participantUUID)
    }

    /// Removes the participants whose token has run out, without a `disconnect` event.
    mutating func expireDue(now: ContinuousClock.Instant) {
        let due = tokens.filter { $0.value.expiresAt <= now }
        for (token, record) in due.sorted(by: { $0.key < $1.key }) {
            tokens[token] = nil
            remove(record.participantUUID, reason: nil, now: now)
        }
    }

    /// Invalidates every token now and removes their participants, without a `disconnect` event.
    mutating func expireAll(now: ContinuousClock.Instant) {
        let holders = Set(tokens.values.map(\.participantUUID))
        tokens = [:]
        for uuid in roster.map(\.uuid) where holders.contains(uuid) {
            remove(uuid, reason: nil, now: now)
        }
    }
}
