import BridgeProtocol
import InfinityClient

extension ErrorBody {
    /// The protocol error for a failed call to the node; never quotes a secret.
    static func upstream(_ error: InfinityError, participantCall: Bool = false) -> ErrorBody {
        switch error {
        case .unreachable(let why): ErrorBody(.nodeUnreachable, "cannot reach the conference node: \(why)")
        case .timeout: ErrorBody(.upstreamTimeout, "the conference node did not answer in time")
        case .invalidToken: ErrorBody(.upstreamError, "the conference node no longer accepts this session")
        case .invalidRole: ErrorBody(.notHost, "the conference node allows this to hosts only")
        case .notFound(let why):
            participantCall
                ? ErrorBody(.unknownParticipant, "the conference node does not know that participant (\(why))")
                : ErrorBody(.conferenceNotFound, "the conference node does not know this conference (\(why))")
        case .http(let status, let why): ErrorBody(.upstreamError, "the conference node answered \(status): \(why)")
        case .badResponse(let why): ErrorBody(.upstreamError, "unexpected answer from the conference node: \(why)")
        case .cancelled: ErrorBody(.upstreamError, "the call to the conference node was cancelled")
        case .connectionClosed: ErrorBody(.invalidState, "the session's connection to the node has ended")
        }
    }
}

extension SessionMachine.Input {
    /// The machine's view of a token request's outcome.
    static func from(_ outcome: TokenRequestOutcome) -> SessionMachine.Input {
        switch outcome {
        case .granted(let grant): .granted(grant.role == .host ? .host : .guest)
        case .pinChallenge(let host, let guest): .challenge(PINRequirement(host: host, guest: guest))
        case .invalidPIN: .invalidPIN
        case .conferenceNotFound(let message):
            .failure(ErrorBody(.conferenceNotFound, "no such conference on this node (\(message))"))
        case .unsupportedChallenge(let kind):
            .failure(ErrorBody(.unsupportedChallenge, "the conference asks for \(kind), which the bridge cannot do"))
        case .refused(let status, let message):
            .failure(ErrorBody(.refused, "the conference node refused to join (\(status): \(message))"))
        case .serverError(let status, let message):
            .failure(ErrorBody(.upstreamError, "the conference node failed (\(status): \(message))"))
        }
    }
}
