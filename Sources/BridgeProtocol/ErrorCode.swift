/// Stable machine-readable error codes used in `result` failures and `error` messages.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unknownType = "unknown_type"
    case unauthorized
    case forbidden
    case unknownSession = "unknown_session"
    case invalidState = "invalid_state"
    case invalidPIN = "invalid_pin"
    case pinRequired = "pin_required"
    case tooManyPINAttempts = "too_many_pin_attempts"
    case conferenceNotFound = "conference_not_found"
    case insecureNode = "insecure_node"
    case nodeUnreachable = "node_unreachable"
    case upstreamError = "upstream_error"
    case upstreamTimeout = "upstream_timeout"
    case unsupportedFrame = "unsupported_frame"
    case rateLimited = "rate_limited"
    /// The session's role is guest and the action needs a host.
    case notHost = "not_host"
    /// The participant named in a control request is not in the session's roster.
    case unknownParticipant = "unknown_participant"
    /// The node asked for something the bridge does not know how to answer (a challenge of an unknown shape).
    case unsupportedChallenge = "unsupported_challenge"
    /// The node refused the request for a reason not covered by a more specific code.
    case refused
    /// The bridge is shutting down and takes no new work.
    case shuttingDown = "shutting_down"
    /// A session limit was reached: the bridge's, the client's or the conference's (`--max-sessions`).
    case tooManySessions = "too_many_sessions"
    /// The session waited too long for a PIN and was closed.
    case sessionExpired = "session_expired"
    /// The node's address is loopback, link-local, private or a metadata service, and it is not on the bridge's
    /// allow-list (`--allow-node`); nothing was sent to it.
    case nodeNotAllowed = "node_not_allowed"
    /// The Virtual Reception does not know the requested target conference; the session stays.
    case extensionNotFound = "extension_not_found"
    /// The identity provider's token was refused by the node; the session stays in `sso_required`.
    case ssoFailed = "sso_failed"
    /// A field's value is refused (bad DTMF digits, an unknown role or protocol), or the node answered 400
    /// "Illegal value" (e.g. an unknown layout).
    case invalidValue = "invalid_value"
    /// With a store (`serve --store`): this bridge instance cannot reach its store and so cannot confirm that it
    /// still holds the session's lease; it does not act on the session until it can. Try again, or on another
    /// instance.
    case storeUnavailable = "store_unavailable"
}

/// The `error` object of a failed result or an `error` message.
public struct ErrorBody: Codable, Sendable, Equatable, Error {
    public var code: ErrorCode
    public var message: String
    /// Wrong-PIN failures: how many attempts remain before the session is locked out.
    public var attemptsLeft: Int?

    public init(_ code: ErrorCode, _ message: String, attemptsLeft: Int? = nil) {
        self.code = code
        self.message = message
        self.attemptsLeft = attemptsLeft
    }

    enum CodingKeys: String, CodingKey {
        case code, message
        case attemptsLeft = "attempts_left"
    }
}
