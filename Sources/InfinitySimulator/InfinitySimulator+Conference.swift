import Foundation

/// Test hooks for the whole conference: what the room holds, and things that happen on the node.
extension InfinitySimulator {
    /// The DTMF digits the room was asked to send, oldest first.
    public func dtmfReceived(alias: String) -> [DTMFRecord] {
        engine.readRoom(alias) { room, _ in room.stage.dtmf } ?? []
    }

    /// The room's dial-outs, oldest first.
    public func dials(alias: String) -> [DialRecord] {
        engine.readRoom(alias) { room, _ in room.stage.dials } ?? []
    }

    /// The transfers out of the room, oldest first (whether a PIN came along, never the PIN).
    public func transfers(alias: String) -> [TransferRecord] {
        engine.readRoom(alias) { room, _ in room.stage.transfers } ?? []
    }

    /// The room's layout; nil for an unknown room.
    public func layout(alias: String) -> LayoutInfo? {
        engine.readRoom(alias) { room, _ in room.layoutInfo }
    }

    /// The layouts every room offers.
    public static var availableLayouts: [String] { StageState.layouts }

    /// Raises or lowers a participant's hand (`participant_update` with `buzz_time`).
    /// - Parameters:
    ///   - alias: The room.
    ///   - uuid: The participant.
    ///   - raised: Up (buzz_time = now) or down (0).
    public func setHandRaised(alias: String, uuid: String, _ raised: Bool) throws(SimulatorError) {
        let now = TokenGenerator.wallClock()
        try onParticipant(alias, uuid) { room, instant in
            room.update(uuid, now: instant) { $0.buzzTime = raised ? now : 0 }
        }
    }

    /// Sends a `stage` event: `speaking` (uuids, loudest first) with vad 100, then others on stage with vad 0.
    /// - Parameters:
    ///   - alias: The room.
    ///   - speaking: Who speaks, loudest first (any strings; they need not be in the roster).
    public func emitStage(alias: String, speaking: [String]) throws(SimulatorError) {
        try engine.mutateRoom(alias) { room, now in room.emitStage(speaking: speaking, now: now) }
    }

    /// Sends a `live_captions` event to the participants that asked for captions.
    /// - Parameters:
    ///   - alias: The room.
    ///   - text: The caption.
    ///   - final: False while the words may still change.
    public func sendCaption(alias: String, text: String, final: Bool = true) throws(SimulatorError) {
        let wallClock = TokenGenerator.wallClock()
        try engine.mutateRoom(alias) { room, now in room.emitCaption(text, final: final, now: now, wallClock: wallClock)
        }
    }

    /// Makes a room emit `stage` `perSecond` times a second for `duration`, the speaker rotating through the
    /// roster's non-API participants (benchmarks and tests; off unless asked). Returns at once.
    ///
    /// With `stamped`, the one speaker of each report is `t_send_ns=<wall-clock ns>-<round>` instead (not a
    /// roster uuid): every report differs, and a client can measure how long the report took to reach it.
    /// - Parameters:
    ///   - alias: The room.
    ///   - perSecond: Reports per second (0.1 to 1,000).
    ///   - duration: How long to keep sending.
    ///   - stamped: Name each report's speaker after its sending time instead of a roster participant.
    public func startStageEmitter(alias: String, perSecond: Double, duration: Duration, stamped: Bool = false) {
        let interval = Duration.seconds(1 / max(0.1, min(perSecond, 1000)))
        let rounds = Int((duration / interval).rounded(.up))
        let task = Task { [self] in
            for round in 0..<max(1, rounds) {
                guard !Task.isCancelled else { return }
                let speaking: [String]
                if stamped {
                    var now = timespec()
                    clock_gettime(CLOCK_REALTIME, &now)
                    speaking = ["t_send_ns=\(Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))-\(round)"]
                } else {
                    let others = participants(alias: alias).filter { !$0.isAPI }.map(\.uuid)
                    speaking = others.isEmpty ? [] : [others[round % others.count]]
                }
                try? emitStage(alias: alias, speaking: speaking)
                try? await Task.sleep(for: interval)
            }
        }
        adoptBackgroundTask(task)
    }
}
