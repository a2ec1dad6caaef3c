/// One HTTP call the simulator answered, for tests to inspect.
public struct RecordedCall: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// HTTP method ("GET", "POST").
    public var method: String
    /// Endpoint name: the last path part for conference calls ("request_token", "events", "lock"),
    /// "participants/<action>" for participant calls ("participants/mute"), "participants" for the list.
    public var endpoint: String
    /// Conference alias from the path, percent-decoded.
    public var alias: String
    /// Target participant of a participant call.
    public var targetUUID: String?
    /// Raw `pin` header value (tests only; redacted in `description`).
    public var pinHeader: String?
    /// Whether a token came with the call (header or query).
    public var hadToken: Bool
    /// HTTP status answered.
    public var status: Int

    /// Creates a record.
    public init(
        method: String,
        endpoint: String,
        alias: String,
        targetUUID: String? = nil,
        pinHeader: String?,
        hadToken: Bool,
        status: Int
    ) {
        self.method = method
        self.endpoint = endpoint
        self.alias = alias
        self.targetUUID = targetUUID
        self.pinHeader = pinHeader
        self.hadToken = hadToken
        self.status = status
    }

    /// Describes the call without the PIN.
    public var description: String {
        "\(method) \(alias)/\(endpoint) -> \(status) (pin: \(pinHeader == nil ? "absent" : "<redacted>"), token: \(hadToken))"
    }

    /// Same as `description`: the PIN is never shown.
    public var debugDescription: String { description }

    /// A mirror that leaves the PIN out.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "method": method, "endpoint": endpoint, "alias": alias, "targetUUID": targetUUID as Any,
                "hadPIN": pinHeader != nil, "hadToken": hadToken, "status": status,
            ]
        )
    }
}
