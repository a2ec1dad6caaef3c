import Locking
import Logging

/// The simulator's state behind one lock, and the operations on it.
///
/// Event streams are written (yielded) under the lock, but only ever finished after it is
/// released, because finishing runs the stream's termination handler, which takes the lock.
final class SimulatorEngine: Sendable {
    let settings: SimulatorConfiguration
    let logger: Logger
    private let state: Mutex<EngineState>
    /// The configured time source (the continuous clock unless a test moves it).
    private var clock: SimulatorTime { settings.time }

    init(settings: SimulatorConfiguration, logger: Logger) {
        self.settings = settings
        self.logger = logger
        self.state = Mutex(EngineState(settings: settings, wallClock: TokenGenerator.wallClock()))
    }

    /// Runs `body` under the lock, then finishes the streams it closed.
    func mutate<R: Sendable>(_ body: (inout EngineState, ContinuousClock.Instant) -> R) -> R {
        let now = clock.now
        let (result, finishing) = state.withLock { state in
            let result = body(&state, now)
            return (result, state.drainFinishing())
        }
        for continuation in finishing {
            continuation.finish()
        }
        return result
    }

    /// Runs `body` on one room under the lock.
    func mutateRoom<R: Sendable>(
        _ alias: String,
        _ body: (inout RoomState, ContinuousClock.Instant) -> R
    ) throws(SimulatorError) -> R {
        let key = EngineState.key(alias)
        let result: R? = mutate { state, now in
            guard state.rooms[key] != nil else { return nil }
            return body(&state.rooms[key]!, now)
        }
        guard let result else { throw .unknownRoom(alias) }
        return result
    }

    /// Reads one room; nil when unknown.
    func readRoom<R: Sendable>(_ alias: String, _ body: (RoomState, ContinuousClock.Instant) -> R) -> R? {
        let now = clock.now
        return state.withLock { state in state.room(alias).map { body($0, now) } }
    }

    /// Reads the whole state.
    func read<R: Sendable>(_ body: (EngineState) -> R) -> R {
        state.withLock { state in body(state) }
    }

    /// Answers one call and records it.
    func answer(_ call: InboundCall) -> APIAnswer {
        let answer = mutate { state, now in
            let moment = EngineState.Moment(now: now, wallClock: TokenGenerator.wallClock()) {
                [weak self] alias, id in self?.streamEnded(alias: alias, id: id)
            }
            let answer = state.answer(call, at: moment)
            state.record(
                RecordedCall(
                    method: call.method,
                    endpoint: call.endpoint,
                    alias: call.alias,
                    targetUUID: call.targetUUID,
                    pinHeader: call.pin,
                    hadToken: call.token != nil,
                    status: answer.status
                )
            )
            return answer
        }
        logger.debug(
            "answered",
            metadata: [
                "method": "\(call.method)", "alias": "\(call.alias)", "endpoint": "\(call.endpoint)",
                "status": "\(answer.status)",
            ]
        )
        return answer
    }

    /// The injected delay for the next call to `endpoint`, if any.
    func takeDelay(endpoint: String, alias: String) -> Duration? {
        mutate { state, _ in state.faults.takeDelay(endpoint: endpoint, alias: alias) }
    }

    private func streamEnded(alias: String, id: Int) {
        mutate { state, _ in
            state.rooms[EngineState.key(alias)]?.streamEnded(id: id)
        }
    }

    /// Expires due tokens and writes keepalives; run periodically.
    func housekeeping() {
        let keepalive = settings.keepaliveInterval
        mutate { state, now in
            for key in state.rooms.keys {
                state.rooms[key]?.expireDue(now: now)
                if let keepalive {
                    state.rooms[key]?.keepalive(now: now, interval: keepalive)
                }
            }
        }
    }

    /// Refuses every further call and closes every stream.
    func shutdown() {
        mutate { state, _ in
            state.stopped = true
            for key in state.rooms.keys {
                state.rooms[key]?.dropAllStreams()
            }
        }
    }
}

extension SimulatorEngine {
    /// One demo action in one room.
    func demoStep(alias: String) {
        if demoRefer(alias: alias) { return }
        _ = try? mutateRoom(alias) { room, now in
            var generator = SimulatorRandom()
            room.demoStep(now: now, wallClock: TokenGenerator.wallClock(), using: &generator)
        }
    }
}
