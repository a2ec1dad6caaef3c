import BridgeProtocol

/// A way in that a conference puts before its door (contract Part 2, "Every way in").
public enum WayInStep: Sendable, Equatable {
    /// A Virtual Reception asks for the target conference.
    case conferenceExtension(ExtensionRequirement.Kind)
    /// The conference asks which identity provider to sign in with.
    case idp([IdPInfo])
    /// The conference asks for a sign-in at an identity provider.
    case sso(SSORedirect)

    /// The wire state of this step.
    public var state: SessionState {
        switch self {
        case .conferenceExtension: .extensionRequired
        case .idp: .idpRequired
        case .sso: .ssoRequired
        }
    }

    /// The request that answers this step.
    var answerType: RequestType {
        switch self {
        case .conferenceExtension: .extension
        case .idp: .idp
        case .sso: .ssoToken
        }
    }
}

/// What the machine learns about the ways in.
public enum WayInInput: Sendable, Equatable {
    /// The node's answer to a token request: this way in must be passed first.
    case challenge(WayInStep)
    /// The node's answer to a token request carrying a conference extension: the reception does not know it.
    case extensionNotFound(ErrorBody)
    /// The node's answer to a token request carrying an SSO token: the sign-in was refused.
    case ssoFailed(ErrorBody)
    /// A client's `extension`, `idp` or `sso_token`.
    case answer(WayInAnswer)
    /// The node moves the connected participant to `alias` (`refer`), to be joined with the one-time `token`.
    case referred(alias: String, token: String)

    /// True for the node's answers to a token request.
    var answersTokenRequest: Bool {
        switch self {
        case .challenge, .extensionNotFound, .ssoFailed: true
        case .answer, .referred: false
        }
    }
}

extension SessionMachine {
    /// The way in the session waits at (or is passing), if any.
    public var wayInStep: WayInStep? {
        switch phase {
        case .wayIn(let step, _): step
        case .created, .connecting, .probingChallenge, .awaitingPIN, .submittingPIN, .connected, .disconnected,
            .failed:
            nil
        }
    }

    /// True while a conference extension is in flight (its refusal counts toward the brute-force guard).
    public var isSubmittingExtension: Bool {
        if case .wayIn(.conferenceExtension, submitting: true) = phase { return true }
        return false
    }

    /// A way-in input in a phase that is not at a way in. `tokenInFlight`: the phase waits for the node's answer
    /// to a token request, so the node's challenges and refusals are possible.
    mutating func wayInOutsideWayIn(_ input: WayInInput, tokenInFlight: Bool) -> Transition {
        switch input {
        case .challenge(let step):
            guard tokenInFlight else { preconditionFailure("no token request is in flight in this phase") }
            return enterWayIn(step)
        case .extensionNotFound(let error), .ssoFailed(let error):
            guard tokenInFlight else { preconditionFailure("no token request is in flight in this phase") }
            return fail(error)
        case .answer(let answer):
            return Transition(effects: [], verdict: .rejected(outOfPlace(answer)))
        case .referred:
            return ignored()
        }
    }

    /// Inputs while the session is at a way in.
    mutating func decideWayIn(_ input: Input, at step: WayInStep, submitting: Bool) -> Transition {
        switch input {
        case .start: preconditionFailure("a session is started once")
        case .granted(let role):
            guard submitting else { preconditionFailure("no token request is in flight at a way in") }
            return connect(as: role)
        case .challenge(let requirement):
            guard submitting else { preconditionFailure("no token request is in flight at a way in") }
            // Past the reception (or the sign-in), the target asks for its PIN as usual.
            phase = .awaitingPIN(requirement)
            return Transition(effects: [.emit(pinState(requirement))], verdict: .accepted)
        case .invalidPIN, .failure:
            guard submitting else { preconditionFailure("no token request is in flight at a way in") }
            let error: ErrorBody =
                if case .failure(let error) = input {
                    error
                } else {
                    ErrorBody(.upstreamError, "the node answered a request without PIN with \"Invalid PIN\"")
                }
            if error.code == .conferenceNotFound { return fail(error) }
            // A failure of the node does not end the session: the client may answer again.
            phase = .wayIn(step, submitting: false)
            return Transition(effects: [], verdict: .rejected(error))
        case .pinSubmitted: return pinOutsidePINState()
        case .leave: return end(.left, releasing: false)
        case .shutdown: return end(.bridgeShutdown, releasing: false)
        case .expired:
            return fail(
                ErrorBody(.sessionExpired, "the session waited too long at \(step.state.rawValue) and was closed")
            )
        case .upstreamEnded, .roleChanged: return ignored()
        case .wayIn(let wayIn):
            switch wayIn {
            case .challenge(let next):
                guard submitting else { preconditionFailure("no token request is in flight at a way in") }
                return enterWayIn(next)
            case .extensionNotFound(let error):
                guard submitting else { preconditionFailure("no token request is in flight at a way in") }
                guard case .conferenceExtension = step else { return fail(error) }
                return refusedAnswer(at: step, error)
            case .ssoFailed(let error):
                guard submitting else { preconditionFailure("no token request is in flight at a way in") }
                guard case .sso = step else { return fail(error) }
                return refusedAnswer(at: step, error)
            case .answer(let answer):
                return accept(answer, at: step, submitting: submitting)
            case .referred:
                return ignored()
            }
        }
    }

    /// A client's answer at `step`: checked here, then sent with the next token request.
    private mutating func accept(_ answer: WayInAnswer, at step: WayInStep, submitting: Bool) -> Transition {
        guard !submitting else {
            return Transition(
                effects: [],
                verdict: .rejected(
                    ErrorBody(.invalidState, "an answer to \(step.state.rawValue) is already in progress")
                )
            )
        }
        switch (step, answer) {
        case (.conferenceExtension, .conferenceExtension), (.sso, .ssoToken):
            break
        case (.idp(let offered), .idp(let uuid)):
            // Checked before anything is sent: the node is never asked for a provider it did not offer.
            guard offered.contains(where: { $0.uuid == uuid }) else {
                return Transition(
                    effects: [],
                    verdict: .rejected(ErrorBody(.invalidValue, "idp: not one of the identity providers offered"))
                )
            }
        case (.conferenceExtension, .idp), (.conferenceExtension, .ssoToken), (.idp, .conferenceExtension),
            (.idp, .ssoToken), (.sso, .conferenceExtension), (.sso, .idp):
            return Transition(effects: [], verdict: .rejected(outOfPlace(answer)))
        }
        phase = .wayIn(step, submitting: true)
        return Transition(effects: [.remember(answer), .requestToken(pin: nil)], verdict: nil)
    }

    /// The node refused a client's answer: the session stays at `step`, and its subscribers see why.
    private mutating func refusedAnswer(at step: WayInStep, _ error: ErrorBody) -> Transition {
        phase = .wayIn(step, submitting: false)
        return Transition(effects: [.emit(wayInState(step, error: error))], verdict: .rejected(error))
    }

    /// The node put a way in before the door: wait there for a client.
    private mutating func enterWayIn(_ step: WayInStep) -> Transition {
        phase = .wayIn(step, submitting: false)
        var error: ErrorBody?
        if case .conferenceExtension = step {
            error = missedExtension
            missedExtension = nil
        }
        return Transition(effects: [.emit(wayInState(step, error: error))], verdict: .accepted)
    }

    /// A connected session moved by the node: the old token goes, the new room is asked for one.
    mutating func transfer(to alias: String, token: String) -> Transition {
        phase = .connecting(sentPIN: false)
        wrongPINs = 0
        missedExtension = nil
        return Transition(
            effects: [
                .releaseConnection, .transfer(alias: alias, token: token),
                .emit(StateChange(state: .connecting, reason: .transferred, alias: alias)),
                .requestToken(pin: nil),
            ],
            verdict: .accepted
        )
    }

    /// The state event for `step`.
    func wayInState(_ step: WayInStep, error: ErrorBody? = nil) -> StateChange {
        var change = StateChange(state: step.state, error: error)
        switch step {
        case .conferenceExtension(let kind): change.extension = ExtensionRequirement(kind: kind)
        case .idp(let list): change.idps = list
        case .sso(let redirect): change.sso = redirect
        }
        return change
    }

    private func outOfPlace(_ answer: WayInAnswer) -> ErrorBody {
        let needed: SessionState =
            switch answer {
            case .conferenceExtension: .extensionRequired
            case .idp: .idpRequired
            case .ssoToken: .ssoRequired
            }
        return ErrorBody(
            .invalidState,
            "\(answer.requestType.rawValue) is only accepted in \(needed.rawValue) (the session is \(state.rawValue))"
        )
    }
}
