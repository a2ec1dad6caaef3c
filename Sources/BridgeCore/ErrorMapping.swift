import BridgeProtocol
import InfinityClient

extension ErrorBody {
    /// The protocol error for a failed call to the node; never quotes a secret.
    static func upstream(_ error: InfinityError, participantCall: Bool = false) -> ErrorBody {
        switch error {
        // The reason (refused, TLS, reset) stays in the bridge's log: told to a client, it would let a controller
        // map which hosts and ports answer (security review, finding 4).
        case .unreachable: ErrorBody(.nodeUnreachable, "cannot reach the conference node")
        case .timeout: ErrorBody(.upstreamTimeout, "the conference node did not answer in time")
        case .invalidToken: ErrorBody(.upstreamError, "the conference node no longer accepts this session")
        case .invalidRole: ErrorBody(.notHost, "the conference node allows this to hosts only")
        case .notFound(let why):
            participantCall
                ? ErrorBody(.unknownParticipant, "the conference node does not know that participant (\(quoted(why)))")
                : ErrorBody(.conferenceNotFound, "the conference node does not know this conference (\(quoted(why)))")
        case .http(let status, let why):
            ErrorBody(.upstreamError, "the conference node answered \(status): \(quoted(why))")
        case .badResponse(let why):
            ErrorBody(.upstreamError, "unexpected answer from the conference node: \(quoted(why))")
        case .cancelled: ErrorBody(.upstreamError, "the call to the conference node was cancelled")
        case .connectionClosed: ErrorBody(.invalidState, "the session's connection to the node has ended")
        case .invalidAlias(let why): ErrorBody(.badRequest, "this conference alias cannot be used: \(why)")
        case .illegalValue(let why): ErrorBody(.invalidValue, "the conference node refused a value: \(quoted(why))")
        case .nodeNotAllowed:
            ErrorBody(
                .nodeNotAllowed,
                "this bridge does not call conference nodes on loopback, link-local, private or metadata addresses "
                    + "unless they are allowed with --allow-node"
            )
        }
    }
}

/// Text a node wrote, as it may appear in an error for people: at most 200 characters on one line, so a node
/// (or a proxy in front of it) cannot flood clients and logs with a page of HTML.
func quoted(_ text: String) -> String {
    let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
    return line.count > 200 ? String(line.prefix(199)) + "…" : line
}

extension SessionMachine.Input {
    /// The machine's view of a token request's outcome.
    static func from(_ outcome: TokenRequestOutcome) -> SessionMachine.Input {
        switch outcome {
        case .granted(let grant): .granted(grant.role == .host ? .host : .guest)
        case .pinChallenge(let host, let guest): .challenge(PINRequirement(host: host, guest: guest))
        case .invalidPIN: .invalidPIN
        case .conferenceNotFound(let message):
            .failure(ErrorBody(.conferenceNotFound, "no such conference on this node (\(quoted(message)))"))
        case .unsupportedChallenge(let kind):
            .failure(ErrorBody(.unsupportedChallenge, "the conference asks for \(kind), which the bridge cannot do"))
        case .refused(let status, let message):
            .failure(ErrorBody(.refused, "the conference node refused to join (\(status): \(quoted(message)))"))
        case .serverError(let status, let message):
            .failure(ErrorBody(.upstreamError, "the conference node failed (\(status): \(quoted(message)))"))
        case .extensionRequired, .identityProviders, .ssoRedirect, .extensionNotFound, .ssoFailed:
            .wayIn(.from(outcome))
        }
    }
}

extension SessionMachine.Input {
    /// The machine's view of the node's answer to a token request. An answer to a PIN that is not a grant, not a
    /// new challenge, not "no such conference" and not a failure of the node (5xx, timeout, unreachable) is a
    /// refusal of that PIN, whatever its words: it counts as a wrong PIN, so a node that words its refusals
    /// otherwise than "Invalid PIN" does not give a guesser free attempts.
    /// - Parameters:
    ///   - result: the token request's outcome.
    ///   - pinSent: whether the request carried a PIN (not `none`).
    static func answer(_ result: Result<TokenRequestOutcome, InfinityError>, pinSent: Bool) -> SessionMachine.Input {
        switch result {
        case .success(let outcome):
            if pinSent, case .refused(let status, _) = outcome, (400..<500).contains(status) { return .invalidPIN }
            return .from(outcome)
        case .failure(let error):
            guard pinSent else { return .failure(.upstream(error)) }
            switch error {
            case .invalidToken, .invalidRole, .illegalValue: return .invalidPIN
            case .http(let status, _) where (400..<500).contains(status): return .invalidPIN
            case .http, .unreachable, .timeout, .notFound, .badResponse, .cancelled, .connectionClosed,
                .invalidAlias, .nodeNotAllowed:
                return .failure(.upstream(error))
            }
        }
    }
}
