/// One HTTP call to the Client REST API, reduced to what the simulator looks at.
struct InboundCall: Sendable {
    /// What the path names below the conference.
    enum Target: Sendable, Equatable {
        /// `conferences/<alias>/<name>`.
        case conference(String)
        /// `conferences/<alias>/participants`.
        case participantList
        /// `conferences/<alias>/participants/<uuid>/<action>`.
        case participant(uuid: String, action: String)
    }

    let method: String
    let alias: String
    let target: Target
    /// The `token` header, or else the `token` query parameter.
    let token: String?
    /// The `pin` header.
    let pin: String?
    let body: [UInt8]
    let userAgent: String?
    /// The `host` header: the simulator's own address as the caller sees it (for the sign-in page's URL).
    var host: String? = nil

    /// The name used in `RecordedCall.endpoint` and in fault rules.
    var endpoint: String {
        switch target {
        case .conference(let name): name
        case .participantList: "participants"
        case .participant(_, let action): "participants/\(action)"
        }
    }

    /// The participant a participant call is about.
    var targetUUID: String? {
        if case .participant(let uuid, _) = target { return uuid }
        return nil
    }

    /// Splits `/api/client/v2/conferences/<alias>/...`; nil for any other path.
    static func parse(path: String) -> (alias: String, target: Target)? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 6, parts[0] == "api", parts[1] == "client", parts[2] == "v2", parts[3] == "conferences"
        else { return nil }
        let alias = percentDecoded(parts[4])
        let rest = Array(parts[5...])
        switch rest.count {
        case 1:
            return (alias, rest[0] == "participants" ? .participantList : .conference(rest[0]))
        case 3 where rest[0] == "participants":
            return (alias, .participant(uuid: percentDecoded(rest[1]), action: rest[2]))
        default:
            return nil
        }
    }

    private static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
