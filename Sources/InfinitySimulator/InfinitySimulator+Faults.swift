/// Test hooks that make the node misbehave.
extension InfinitySimulator {
    /// Closes every open event stream of the room without an event; tokens stay valid, so clients reconnect.
    public func dropEventStreams(alias: String) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, _ in room.dropAllStreams() }
    }

    /// Every open event stream of the room stays open but goes silent (no events, no keepalives), as a half-open
    /// connection would; streams opened afterwards are normal.
    public func stallEventStreams(alias: String) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, _ in room.stallAllStreams() }
    }

    /// Forgets every failure and delay injected with `failNext` and `delayNext` that has not happened yet.
    public func clearFaults() {
        engine.mutate { state, _ in state.faults.clear() }
    }

    /// The next `count` calls to `endpoint` (as in `RecordedCall.endpoint`: "events", "request_token",
    /// "lock", "participants/mute" ...) answer `status` with `{"status":"failed","result":"<reason phrase>"}`.
    /// `alias` nil matches every room. Status is clamped to 100...599, count to 10,000.
    public func failNext(endpoint: String, status: Int, count: Int = 1, alias: String? = nil) {
        engine.mutate { state, _ in
            state.faults.addFailure(endpoint: endpoint, alias: alias, status: status, count: count)
        }
    }

    /// The next `count` calls to `endpoint` wait `delay` (at most 60 s) before being answered.
    public func delayNext(endpoint: String, by delay: Duration, count: Int = 1, alias: String? = nil) {
        engine.mutate { state, _ in
            state.faults.addDelay(endpoint: endpoint, alias: alias, delay: delay, count: count)
        }
    }

    /// Invalidates every token of the room now: their participants leave (others get
    /// `participant_delete`) and their streams end without a `disconnect` event.
    public func expireTokens(alias: String) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, now in room.expireAll(now: now) }
    }

    /// Sends the participant `disconnect` `{"reason":…}`, closes its streams and invalidates its token;
    /// others get `participant_delete`.
    public func disconnectParticipant(
        alias: String,
        uuid: String,
        reason: String = "Disconnected by an administrator"
    ) throws(SimulatorError) {
        try onParticipant(alias, uuid) { room, now in room.remove(uuid, reason: reason, now: now) }
    }

    /// While on, `events` in the room answers 503 `{"status":"failed","result":"Service Unavailable"}`.
    public func refuseEventStreams(alias: String, _ on: Bool) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, _ in room.refusingEventStreams = on }
    }
}
