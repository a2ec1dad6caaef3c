import BridgeProtocol

/// A session's life as a pure state machine: (phase, input) → (phase, effects, verdict). No I/O.
public struct SessionMachine: Sendable, Equatable {
    /// Where the session is; finer than the wire's `SessionState`.
    public enum Phase: Sendable, Equatable {
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
        /// The bridge is shutting down.
        case shutdown
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
        /// Release the held token upstream (and stop its tasks).
        case releaseConnection
        /// A token was granted after the session ended: release it at once.
        case releaseLateGrant
        /// Stop the held connection's tasks; the node already ended it.
        case closeConnection
        /// Tell subscribers.
        case emit(StateChange)
    }

    /// How the request that caused the transition should be answered.
    public enum Verdict: Sendable, Equatable {
        case accepted
        case rejected(ErrorBody)
    }

    /// The result of one transition.
    public struct Transition: Sendable, Equatable {
        public var effects: [Effect]
        /// Nil while the request is still waiting on the node.
        public var verdict: Verdict?
    }

    public private(set) var phase: Phase
    public private(set) var wrongPINs: Int
    public let maxPINAttempts: Int

    public init(maxPINAttempts: Int = 5) {
        self.phase = .connecting(sentPIN: false)
        self.wrongPINs = 0
        self.maxPINAttempts = max(1, maxPINAttempts)
    }

    /// The wire state of the current phase.
    public var state: SessionState {
        switch phase {
        case .connecting, .probingChallenge: .connecting
        case .awaitingPIN(let p), .submittingPIN(let p): p.guest ? .pinRequired : .pinOptional
        case .connected: .connected
        case .disconnected: .disconnected
        case .failed: .error
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
        default: nil
        }
    }

    /// Wrong PINs left before the lockout.
    public var attemptsLeft: Int { max(0, maxPINAttempts - wrongPINs) }

    /// True once the session has ended.
    public var isFinal: Bool { state.isFinal }

    /// Applies one input.
    public mutating func handle(_ input: Input) -> Transition {
        switch (phase, input) {
        case (.connecting, .start(let pin)):
            let value = pin.map { $0.isEmpty ? PINValue.none : .digits($0) }
            phase = .connecting(sentPIN: value != nil)
            return Transition(effects: [.requestToken(pin: value)], verdict: nil)

        case (.connecting, .granted(let role)), (.probingChallenge, .granted(let role)),
            (.submittingPIN, .granted(let role)):
            phase = .connected(role)
            wrongPINs = 0
            return Transition(effects: [.openConnection, .emit(StateChange(state: .connected, role: role))], verdict: .accepted)

        case (.connecting(let sentPIN), .challenge(let requirement)):
            if sentPIN {
                // Swift's SDK reads a repeated challenge after a PIN as a wrong PIN; so does the bridge.
                return wrongPIN(in: requirement, answeringJoin: true)
            }
            phase = .awaitingPIN(requirement)
            return Transition(effects: [.emit(pinState(requirement))], verdict: .accepted)

        case (.connecting(sentPIN: true), .invalidPIN):
            phase = .probingChallenge
            return Transition(effects: [.requestToken(pin: nil)], verdict: nil)

        case (.probingChallenge, .challenge(let requirement)):
            return wrongPIN(in: requirement, answeringJoin: true)

        case (.connecting, .failure(let error)), (.probingChallenge, .failure(let error)):
            phase = .failed(error)
            return Transition(effects: [.emit(StateChange(state: .error, error: error))], verdict: .rejected(error))

        case (.connecting, .invalidPIN), (.probingChallenge, .invalidPIN):
            let error = ErrorBody(.upstreamError, "the node answered a request without PIN with \"Invalid PIN\"")
            phase = .failed(error)
            return Transition(effects: [.emit(StateChange(state: .error, error: error))], verdict: .rejected(error))

        case (.awaitingPIN(let requirement), .pinSubmitted(let pin)):
            if pin.isEmpty {
                guard !requirement.guest else {
                    return Transition(effects: [], verdict: .rejected(ErrorBody(
                        .pinRequired, "this conference needs a PIN; an empty PIN only works where guests may join without one")))
                }
                phase = .submittingPIN(requirement)
                return Transition(effects: [.requestToken(pin: PINValue.none)], verdict: nil)
            }
            phase = .submittingPIN(requirement)
            return Transition(effects: [.requestToken(pin: .digits(pin))], verdict: nil)

        case (.submittingPIN, .pinSubmitted):
            return Transition(effects: [], verdict: .rejected(ErrorBody(.invalidState, "a PIN attempt is already in progress")))

        case (.submittingPIN(let requirement), .invalidPIN), (.submittingPIN(let requirement), .challenge):
            return wrongPIN(in: requirement, answeringJoin: false)

        case (.submittingPIN(let requirement), .failure(let error)):
            if error.code == .conferenceNotFound {
                phase = .failed(error)
                return Transition(effects: [.emit(StateChange(state: .error, error: error))], verdict: .rejected(error))
            }
            // A transient upstream failure does not cost a PIN attempt; the user may try again.
            phase = .awaitingPIN(requirement)
            return Transition(effects: [], verdict: .rejected(error))

        case (_, .pinSubmitted):
            return Transition(effects: [], verdict: .rejected(ErrorBody(
                .invalidState, "a PIN is only accepted in pin_required or pin_optional (the session is \(state.rawValue))")))

        case (.connected, .leave):
            phase = .disconnected(.left)
            return Transition(
                effects: [.releaseConnection, .emit(StateChange(state: .disconnected, reason: .left))], verdict: .accepted)

        case (.connecting, .leave), (.probingChallenge, .leave), (.awaitingPIN, .leave), (.submittingPIN, .leave):
            phase = .disconnected(.left)
            return Transition(effects: [.emit(StateChange(state: .disconnected, reason: .left))], verdict: .accepted)

        case (.connected, .shutdown):
            phase = .disconnected(.bridgeShutdown)
            return Transition(
                effects: [.releaseConnection, .emit(StateChange(state: .disconnected, reason: .bridgeShutdown))],
                verdict: .accepted)

        case (.connecting, .shutdown), (.probingChallenge, .shutdown), (.awaitingPIN, .shutdown),
            (.submittingPIN, .shutdown):
            phase = .disconnected(.bridgeShutdown)
            return Transition(
                effects: [.emit(StateChange(state: .disconnected, reason: .bridgeShutdown))], verdict: .accepted)

        case (.connected, .upstreamEnded(let reason, let message)):
            phase = .disconnected(reason)
            return Transition(
                effects: [.closeConnection, .emit(StateChange(state: .disconnected, reason: reason, message: message))],
                verdict: .accepted)

        case (.connected(let old), .roleChanged(let role)) where old != role:
            phase = .connected(role)
            return Transition(effects: [.emit(StateChange(state: .connected, role: role))], verdict: .accepted)

        case (.disconnected, .granted), (.failed, .granted):
            // The session ended while its token request was in flight: give the token back.
            return Transition(effects: [.releaseLateGrant], verdict: nil)

        case (.disconnected, _), (.failed, _):
            return Transition(effects: [], verdict: .rejected(ErrorBody(.unknownSession, "the session has ended")))

        default:
            return Transition(effects: [], verdict: .rejected(ErrorBody(
                .invalidState, "not possible while the session is \(state.rawValue)")))
        }
    }

    private func pinState(_ requirement: PINRequirement, error: ErrorBody? = nil) -> StateChange {
        StateChange(
            state: requirement.guest ? .pinRequired : .pinOptional, pin: requirement, error: error,
            pinAttemptsLeft: attemptsLeft)
    }

    private mutating func wrongPIN(in requirement: PINRequirement, answeringJoin: Bool) -> Transition {
        wrongPINs += 1
        if wrongPINs >= maxPINAttempts {
            let error = ErrorBody(.tooManyPINAttempts, "\(wrongPINs) wrong PINs in a row; the session is closed")
            phase = .failed(error)
            return Transition(effects: [.emit(StateChange(state: .error, error: error))], verdict: .rejected(error))
        }
        phase = .awaitingPIN(requirement)
        let error = ErrorBody(.invalidPIN, "wrong PIN", attemptsLeft: attemptsLeft)
        // A wrong PIN given with `join` still joins: the session waits in its PIN state with the error set.
        return Transition(
            effects: [.emit(pinState(requirement, error: error))], verdict: answeringJoin ? .accepted : .rejected(error))
    }
}
