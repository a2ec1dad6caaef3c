/// Why a call to a conference node failed. Messages never contain tokens or PINs.
public enum InfinityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Connect refused, DNS failure, TLS handshake or certificate verification failure, connection lost.
    case unreachable(String)
    /// The request did not complete within the configured time.
    case timeout
    /// The node answered 403 "Invalid token".
    case invalidToken
    /// The node answered 403 "Invalid role" (the caller is not a host).
    case invalidRole
    /// The node answered 404 (usually "Neither conference nor gateway found").
    case notFound(String)
    /// Any other non-success status, with the node's message.
    case http(status: Int, message: String)
    /// The node's answer could not be understood.
    case badResponse(String)
    /// The calling task was cancelled.
    case cancelled
    /// The `InfinityConnection` has already ended, so it holds no usable token.
    case connectionClosed
    /// The conference alias cannot be sent (empty, over 256 bytes, only dots, or control characters); nothing was
    /// sent. The text says which rule, never the alias.
    case invalidAlias(String)
    /// The node's addresses are not allowed by `InfinityClientConfiguration.nodePolicy` (loopback, private,
    /// link-local, metadata or special, and not on the allow-list); nothing was sent. Carries no resolution detail.
    case nodeNotAllowed
    /// The node answered 400 "Illegal value": a value in the call was refused (e.g. an unknown layout).
    case illegalValue(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "node unreachable: \(detail)"
        case .timeout: "request timed out"
        case .invalidToken: "Invalid token"
        case .invalidRole: "Invalid role"
        case .notFound(let message): "not found: \(message)"
        case .http(let status, let message): "HTTP \(status): \(message)"
        case .badResponse(let detail): "bad response: \(detail)"
        case .cancelled: "cancelled"
        case .connectionClosed: "connection closed"
        case .invalidAlias(let why): "invalid conference alias: \(why)"
        case .nodeNotAllowed: "node not allowed by this bridge's node policy"
        case .illegalValue(let message): "illegal value: \(message)"
        }
    }
}

extension InfinityError {
    /// A short stable name for metrics.
    var outcomeName: String {
        switch self {
        case .unreachable: "unreachable"
        case .timeout: "timeout"
        case .invalidToken: "invalid_token"
        case .invalidRole: "invalid_role"
        case .notFound: "not_found"
        case .http(let status, _): "http_\(status)"
        case .badResponse: "bad_response"
        case .cancelled: "cancelled"
        case .connectionClosed: "connection_closed"
        case .invalidAlias: "invalid_alias"
        case .nodeNotAllowed: "node_not_allowed"
        case .illegalValue: "illegal_value"
        }
    }
}
