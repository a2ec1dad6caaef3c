import BridgeProtocol

/// How many live sessions the bridge, each client and each conference hold, and whether one more is allowed.
/// A value with no I/O; every update is O(1), so a `join` loop costs no more than its limits allow.
struct SessionLimits: Sendable {
    private(set) var total = 0
    private var perClient: [ClientID: Int] = [:]
    private var perAlias: [String: Int] = [:]

    /// Why a new session for `client` in conference `alias` is refused; nil when it is allowed.
    func refusal(client: ClientID, alias: String, of configuration: BridgeConfiguration) -> ErrorBody? {
        if total >= configuration.maxSessions {
            return ErrorBody(.tooManySessions, "the bridge holds its limit of \(configuration.maxSessions) sessions")
        }
        if perClient[client, default: 0] >= configuration.maxSessionsPerClient {
            return ErrorBody(
                .tooManySessions,
                "this connection made its limit of \(configuration.maxSessionsPerClient) live sessions"
            )
        }
        if perAlias[Self.key(alias), default: 0] >= configuration.maxSessionsPerAlias {
            return ErrorBody(
                .tooManySessions,
                "this conference has its limit of \(configuration.maxSessionsPerAlias) sessions"
            )
        }
        return nil
    }

    mutating func opened(client: ClientID, alias: String) {
        total += 1
        perClient[client, default: 0] += 1
        perAlias[Self.key(alias), default: 0] += 1
    }

    mutating func closed(client: ClientID, alias: String) {
        total -= 1
        decrement(&perClient, client)
        decrement(&perAlias, Self.key(alias))
    }

    func count(client: ClientID) -> Int { perClient[client] ?? 0 }
    func count(alias: String) -> Int { perAlias[Self.key(alias)] ?? 0 }

    /// Conferences are counted by alias, case-folded, as the PIN guard counts them.
    private static func key(_ alias: String) -> String { alias.lowercased() }

    private func decrement<K: Hashable>(_ counts: inout [K: Int], _ key: K) {
        let left = (counts[key] ?? 1) - 1
        counts[key] = left > 0 ? left : nil
    }
}
