import BridgeProtocol

/// Someone waiting for a request's result: a client and the id of its request.
public struct ReplyTarget: Sendable, Hashable {
    public var client: ClientID
    public var id: RequestID

    /// - Parameters:
    ///   - client: the front end that sent the request.
    ///   - id: the request's id, echoed in the result.
    public init(client: ClientID, id: RequestID) {
        self.client = client
        self.id = id
    }
}

/// A session's life as a pure state machine: (phase, input, requester) → (phase, effects, replies). No I/O.
///
/// The machine decides the whole outcome of an input, including who hears about it: the request that caused
/// it, and the request still waiting on the node (a `join` or a `pin` whose token request is in flight). The
/// engine only carries out the effects and sends the replies the transition names.
public struct SessionMachine: Sendable, Equatable {
    /// Where the session is; finer than the wire's `SessionState`.
    public enum Phase: Sendable, Equatable {
        /// Made, not yet started (the engine starts a session in the same step that creates it).
        case created
        /// The first token request is in flight; `sentPIN` when `join` carried a PIN.
        case connecting(sentPIN: Bool)
        /// A PIN sent with `join` was wrong; a request without PIN is asking which PINs exist.
        case probingChallenge
        /// Waiting for a PIN from a client.
        case awaitingPIN(PINRequirement)
        /// A PIN attempt is in flight.
        case submittingPIN(PINRequirement)
        case connected(Role)
        case disconnected(DisconnectReason)
        case failed(ErrorBody)
        /// Waiting at a way in (Virtual Reception, IdP choice, SSO) for a client's answer, or (`submitting`) for
        /// the node's answer to it.
        case wayIn(WayInStep, submitting: Bool)
    }

    /// What the session learns or is asked.
    public enum Input: Sendable, Equatable {
        /// `join`, with the PIN it carried.
        case start(pin: String?)
        /// The node granted a token with this role.
        case granted(Role)
        /// The node asked for a PIN.
        case challenge(PINRequirement)
        /// The node refused the PIN.
        case invalidPIN
        /// The token request failed.
        case failure(ErrorBody)
        /// A client sent `pin` ("" = no PIN).
        case pinSubmitted(String)
        /// A client sent `leave`.
        case leave
        /// The held connection ended upstream.
        case upstreamEnded(DisconnectReason, message: String?)
        /// The role changed upstream (refresh or promotion).
        case roleChanged(Role)
        /// The session waited too long for a PIN (or for the node's answer to one).
        case expired
        /// The bridge is shutting down.
        case shutdown
        /// A way in: the node's challenge or refusal, a client's answer, or a `refer` (SessionMachine+WaysIn).
        case wayIn(WayInInput)
    }

    /// The value of the `pin` header of a token request.
    public enum PINValue: Sendable, Equatable {
        /// Header `pin: none` (a guest without PIN).
        case none
        /// Header `pin: <digits>`.
        case digits(String)
    }

    /// Work the session's owner must do, in order.
    public enum Effect: Sendable, Equatable {
        /// Ask the node for a token; nil = no `pin` header.
        case requestToken(pin: PINValue?)
        /// Keep the granted token alive and open its event stream.
        case openConnection
        /// Release the held token upstream (and stop its tasks); replies marked `afterRelease` wait for it.
        case releaseConnection
        /// A token was granted after the session ended: release it at once.
        case releaseLateGrant
        /// Stop the held connection's tasks; the node already ended it.
        case closeConnection
        /// Tell subscribers.
        case emit(StateChange)
        /// Keep a client's way-in answer for this and later token requests of the session.
        case remember(WayInAnswer)
        /// Stop sending the conference extension given with `join` (the Virtual Reception did not know it).
        case forgetExtension
        /// The node moved the session (`refer`): from now on it is about `alias`, joined with the one-time `token`;
        /// the old room's roster and state are dropped and every way-in answer is forgotten.
        case transfer(alias: String, token: String)
    }

    /// How the request that caused the transition should be answered.
    public enum Verdict: Sendable, Equatable {
        case accepted
        case rejected(ErrorBody)
    }

    /// What a reply carries.
    public enum ReplyOutcome: Sendable, Equatable {
        /// The session's snapshot, taken once the transition's effects are done.
        case snapshot
        /// An empty success (`leave`).
        case empty
        case failure(ErrorBody)
    }

    /// One result to send.
    public struct Reply: Sendable, Equatable {
        public var to: ReplyTarget
        public var outcome: ReplyOutcome
        /// Sent once the node has released the token (`leave` answers after the node let go).
        public var afterRelease: Bool

        /// - Parameters:
        ///   - to: the request to answer.
        ///   - outcome: what it hears.
        ///   - afterRelease: hold the reply until the node has released the session's token.
        public init(to: ReplyTarget, outcome: ReplyOutcome, afterRelease: Bool = false) {
            self.to = to
            self.outcome = outcome
            self.afterRelease = afterRelease
        }
    }

    /// The result of one transition.
    public struct Transition: Sendable, Equatable {
        public var effects: [Effect]
        /// How the input's own request (or the one waiting on the node) fares; nil while still waiting.
        public var verdict: Verdict?
        /// Who hears what, decided by the machine.
        public var replies: [Reply]

        /// - Parameters:
        ///   - effects: work to do, in order.
        ///   - verdict: how the request fares; nil while it waits on the node.
        ///   - replies: who hears what.
        public init(effects: [Effect], verdict: Verdict?, replies: [Reply] = []) {
            self.effects = effects
            self.verdict = verdict
            self.replies = replies
        }
    }

    public internal(set) var phase: Phase
    public internal(set) var wrongPINs: Int
    public let maxPINAttempts: Int
    /// The request waiting for the node's answer to a token request (a `join` or a `pin`).
    public private(set) var waiting: ReplyTarget?
    /// The Virtual Reception did not know the extension given with `join`; shown once the reception asks again.
    var missedExtension: ErrorBody?

    /// - Parameter maxPINAttempts: wrong PINs in a row before the session is closed (at least 1).
    public init(maxPINAttempts: Int = 5) {
        self.phase = .created
        self.wrongPINs = 0
        self.maxPINAttempts = max(1, maxPINAttempts)
    }

    /// A session taken over from a store: connected with `role`, its token held by the caller.
    /// - Parameters:
    ///   - role: the role it had when its previous holder handed it over.
    ///   - maxPINAttempts: as ``init(maxPINAttempts:)``.
    public init(resumedAs role: Role, maxPINAttempts: Int = 5) {
        self.init(maxPINAttempts: maxPINAttempts)
        self.phase = .connected(role)
    }

    /// The wire state of the current phase.
    public var state: SessionState {
        switch phase {
        case .created, .connecting, .probingChallenge: .connecting
        case .awaitingPIN(let p), .submittingPIN(let p): p.guest ? .pinRequired : .pinOptional
        case .connected: .connected
        case .disconnected: .disconnected
        case .failed: .error
        case .wayIn(let step, _): step.state
        }
    }

    /// The role once connected.
    public var role: Role? {
        if case .connected(let role) = phase { return role }
        return nil
    }

    /// The PIN requirement while in a PIN state.
    public var pinRequirement: PINRequirement? {
        switch phase {
        case .awaitingPIN(let p), .submittingPIN(let p): p
        case .created, .connecting, .probingChallenge, .connected, .disconnected, .failed, .wayIn: nil
        }
    }

    /// Wrong PINs left before the lockout.
    public var attemptsLeft: Int { max(0, maxPINAttempts - wrongPINs) }

    /// True once the session has ended.
    public var isFinal: Bool { state.isFinal }

    /// Applies one input and says who must hear what.
    /// - Parameters:
    ///   - input: what happened.
    ///   - requester: the request that caused it (`join`, `pin`, `leave`); nil for the node's answers, the
    ///     held connection's news, expiry and shutdown.
    public mutating func handle(_ input: Input, from requester: ReplyTarget? = nil) -> Transition {
        var transition = decide(input)
        transition.replies = route(transition, of: input, from: requester)
        return transition
    }

    // MARK: what happens

    private mutating func decide(_ input: Input) -> Transition {
        switch phase {
        case .created:
            switch input {
            case .start(let pin):
                let value = pin.map { $0.isEmpty ? PINValue.none : .digits($0) }
                phase = .connecting(sentPIN: value != nil)
                return Transition(effects: [.requestToken(pin: value)], verdict: nil)
            case .pinSubmitted: return pinOutsidePINState()
            case .leave: return end(.left, releasing: false)
            case .shutdown: return end(.bridgeShutdown, releasing: false)
            case .expired, .upstreamEnded, .roleChanged: return ignored()
            case .granted, .challenge, .invalidPIN, .failure:
                preconditionFailure("a session that was never started has no token request in flight")
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: false)
            }

        case .connecting(let sentPIN):
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted(let role): return connect(as: role)
            case .challenge(let requirement):
                // Swift's SDK reads a repeated challenge after a PIN as a wrong PIN; so does the bridge.
                if sentPIN { return wrongPIN(in: requirement, answeringJoin: true) }
                phase = .awaitingPIN(requirement)
                return Transition(effects: [.emit(pinState(requirement))], verdict: .accepted)
            case .invalidPIN:
                guard sentPIN else { return fail(invalidPINWithoutPIN) }
                phase = .probingChallenge
                return Transition(effects: [.requestToken(pin: nil)], verdict: nil)
            case .failure(let error): return fail(error)
            case .pinSubmitted: return pinOutsidePINState()
            case .leave: return end(.left, releasing: false)
            case .shutdown: return end(.bridgeShutdown, releasing: false)
            case .expired, .upstreamEnded, .roleChanged: return ignored()
            case .wayIn(.extensionNotFound(let error)) where missedExtension == nil:
                // The extension given with `join` is unknown, or the reception itself is: ask again without it.
                missedExtension = error
                phase = .connecting(sentPIN: false)
                return Transition(effects: [.forgetExtension, .requestToken(pin: nil)], verdict: nil)
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: true)
            }

        case .probingChallenge:
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted(let role): return connect(as: role)
            case .challenge(let requirement): return wrongPIN(in: requirement, answeringJoin: true)
            case .invalidPIN: return fail(invalidPINWithoutPIN)
            case .failure(let error): return fail(error)
            case .pinSubmitted: return pinOutsidePINState()
            case .leave: return end(.left, releasing: false)
            case .shutdown: return end(.bridgeShutdown, releasing: false)
            case .expired, .upstreamEnded, .roleChanged: return ignored()
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: true)
            }

        case .awaitingPIN(let requirement):
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted, .challenge, .invalidPIN, .failure:
                preconditionFailure("no token request is in flight while a session awaits a PIN")
            case .pinSubmitted(let pin):
                if pin.isEmpty {
                    guard !requirement.guest else {
                        return Transition(
                            effects: [],
                            verdict: .rejected(
                                ErrorBody(
                                    .pinRequired,
                                    "this conference needs a PIN; an empty PIN only works where guests may join without one"
                                )
                            )
                        )
                    }
                    phase = .submittingPIN(requirement)
                    return Transition(effects: [.requestToken(pin: PINValue.none)], verdict: nil)
                }
                phase = .submittingPIN(requirement)
                return Transition(effects: [.requestToken(pin: .digits(pin))], verdict: nil)
            case .leave: return end(.left, releasing: false)
            case .shutdown: return end(.bridgeShutdown, releasing: false)
            case .expired: return fail(expiredError)
            case .upstreamEnded, .roleChanged: return ignored()
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: false)
            }

        case .submittingPIN(let requirement):
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted(let role): return connect(as: role)
            case .invalidPIN, .challenge: return wrongPIN(in: requirement, answeringJoin: false)
            case .failure(let error):
                if error.code == .conferenceNotFound { return fail(error) }
                // A transient upstream failure does not cost a PIN attempt; the user may try again.
                phase = .awaitingPIN(requirement)
                return Transition(effects: [], verdict: .rejected(error))
            case .pinSubmitted:
                return Transition(
                    effects: [],
                    verdict: .rejected(
                        ErrorBody(
                            .invalidState,
                            "a PIN attempt is already in progress"
                        )
                    )
                )
            case .leave: return end(.left, releasing: false)
            case .shutdown: return end(.bridgeShutdown, releasing: false)
            case .expired: return fail(expiredError)
            case .upstreamEnded, .roleChanged: return ignored()
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: true)
            }

        case .connected(let current):
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted, .challenge, .invalidPIN, .failure:
                preconditionFailure("no token request is in flight once a session is connected")
            case .pinSubmitted: return pinOutsidePINState()
            case .leave: return end(.left, releasing: true)
            case .shutdown: return end(.bridgeShutdown, releasing: true)
            case .upstreamEnded(let reason, let message):
                phase = .disconnected(reason)
                return Transition(
                    effects: [
                        .closeConnection, .emit(StateChange(state: .disconnected, reason: reason, message: message)),
                    ],
                    verdict: .accepted
                )
            case .roleChanged(let role):
                guard role != current else { return ignored() }
                phase = .connected(role)
                return Transition(effects: [.emit(StateChange(state: .connected, role: role))], verdict: .accepted)
            case .expired: return ignored()
            case .wayIn(.referred(let alias, let token)): return transfer(to: alias, token: token)
            case .wayIn(let input): return wayInOutsideWayIn(input, tokenInFlight: false)
            }

        case .disconnected, .failed:
            switch input {
            case .start: preconditionFailure("a session is started once")
            case .granted:
                // The session ended while its token request was in flight: give the token back.
                return Transition(effects: [.releaseLateGrant], verdict: nil)
            case .challenge, .invalidPIN, .failure, .pinSubmitted, .leave, .upstreamEnded, .roleChanged, .expired,
                .shutdown, .wayIn:
                return Transition(effects: [], verdict: .rejected(ErrorBody(.unknownSession, "the session has ended")))
            }

        case .wayIn(let step, let submitting):
            return decideWayIn(input, at: step, submitting: submitting)
        }
    }

    private var invalidPINWithoutPIN: ErrorBody {
        ErrorBody(.upstreamError, "the node answered a request without PIN with \"Invalid PIN\"")
    }

    var expiredError: ErrorBody {
        ErrorBody(.sessionExpired, "the session waited too long for a PIN and was closed")
    }

    func ignored() -> Transition {
        Transition(effects: [], verdict: nil)
    }

    func pinOutsidePINState() -> Transition {
        Transition(
            effects: [],
            verdict: .rejected(
                ErrorBody(
                    .invalidState,
                    "a PIN is only accepted in pin_required or pin_optional (the session is \(state.rawValue))"
                )
            )
        )
    }

    mutating func connect(as role: Role) -> Transition {
        phase = .connected(role)
        wrongPINs = 0
        return Transition(
            effects: [.openConnection, .emit(StateChange(state: .connected, role: role))],
            verdict: .accepted
        )
    }

    mutating func fail(_ error: ErrorBody) -> Transition {
        phase = .failed(error)
        return Transition(effects: [.emit(StateChange(state: .error, error: error))], verdict: .rejected(error))
    }

    mutating func end(_ reason: DisconnectReason, releasing: Bool) -> Transition {
        phase = .disconnected(reason)
        let emit = Effect.emit(StateChange(state: .disconnected, reason: reason))
        return Transition(effects: releasing ? [.releaseConnection, emit] : [emit], verdict: .accepted)
    }

    func pinState(_ requirement: PINRequirement, error: ErrorBody? = nil) -> StateChange {
        StateChange(
            state: requirement.guest ? .pinRequired : .pinOptional,
            pin: requirement,
            error: error,
            pinAttemptsLeft: attemptsLeft
        )
    }

    private mutating func wrongPIN(in requirement: PINRequirement, answeringJoin: Bool) -> Transition {
        wrongPINs += 1
        if wrongPINs >= maxPINAttempts {
            return fail(ErrorBody(.tooManyPINAttempts, "\(wrongPINs) wrong PINs in a row; the session is closed"))
        }
        phase = .awaitingPIN(requirement)
        let error = ErrorBody(.invalidPIN, "wrong PIN", attemptsLeft: attemptsLeft)
        // A wrong PIN given with `join` still joins: the session waits in its PIN state with the error set.
        return Transition(
            effects: [.emit(pinState(requirement, error: error))],
            verdict: answeringJoin ? .accepted : .rejected(error)
        )
    }

    // MARK: who hears it

    /// Names the replies: the requester hears the verdict; the request waiting on the node hears it when this
    /// input is the node's answer, or hears why its session ended when a `leave`, expiry or shutdown overtook it.
    private mutating func route(_ transition: Transition, of input: Input, from requester: ReplyTarget?) -> [Reply] {
        let releasing = transition.effects.contains(.releaseConnection)
        let requestsToken = transition.effects.contains { if case .requestToken = $0 { true } else { false } }
        guard let verdict = transition.verdict else {
            // Still waiting on the node: the requester waits with it.
            if requestsToken, let requester { waiting = requester }
            return []
        }
        let outcome: ReplyOutcome =
            switch verdict {
            case .accepted:
                switch input {
                case .leave, .shutdown: .empty
                case .start, .granted, .challenge, .invalidPIN, .failure, .pinSubmitted, .upstreamEnded, .roleChanged,
                    .expired, .wayIn:
                    .snapshot
                }
            case .rejected(let error): .failure(error)
            }
        var replies: [Reply] = []
        if let requester {
            replies.append(Reply(to: requester, outcome: outcome, afterRelease: releasing))
            if isFinal, let pending = waiting {
                waiting = nil
                replies.append(Reply(to: pending, outcome: endedEarly(by: input), afterRelease: releasing))
            }
        } else if let pending = waiting, answersWaiting(input) || isFinal {
            waiting = nil
            let answer = answersWaiting(input) ? outcome : endedEarly(by: input)
            replies.append(Reply(to: pending, outcome: answer, afterRelease: releasing))
        }
        return replies
    }

    /// True for the node's answers to a token request.
    private func answersWaiting(_ input: Input) -> Bool {
        switch input {
        case .granted, .challenge, .invalidPIN, .failure: true
        case .start, .pinSubmitted, .leave, .upstreamEnded, .roleChanged, .expired, .shutdown: false
        case .wayIn(let input): input.answersTokenRequest
        }
    }

    private func endedEarly(by input: Input) -> ReplyOutcome {
        switch input {
        case .shutdown: .failure(ErrorBody(.shuttingDown, "the bridge shut down before the node answered"))
        case .expired: .failure(expiredError)
        case .start, .granted, .challenge, .invalidPIN, .failure, .pinSubmitted, .leave, .upstreamEnded, .roleChanged,
            .wayIn:
            .failure(ErrorBody(.invalidState, "the session ended before the node answered"))
        }
    }
}
