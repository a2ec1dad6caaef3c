/// The brute-force guard for conference PINs. A wrong PIN counts against three budgets: the conference's (its
/// alias, from any client and session), the node's (every conference on it) and the client's (its address), so
/// neither many sessions, nor many conferences, nor many clients let a guesser past; repeated lockouts escalate.
/// PINs still waiting for the node's answer count against the budgets, so that many PINs sent at once through
/// many sessions cannot all slip past before the first one fails. A value with no I/O.
struct PINGuard: Sendable {
    /// Whose PIN attempt it is.
    struct Attempt: Sendable, Hashable {
        var alias: String
        var node: String
        var client: String

        /// - Parameters:
        ///   - alias: the conference, case-folded (a cluster's nodes, a node's other names and ports all reach the
        ///     same room).
        ///   - node: the node's host, case-folded.
        ///   - client: the client's address key (see `AuthFailureKey`).
        init(alias: String, node: String, client: String) {
            self.alias = alias.lowercased()
            self.node = node.lowercased()
            self.client = client
        }
    }

    private var conferences: FailureWindow
    private var nodes: FailureWindow
    private var clients: FailureWindow
    /// PINs sent upstream and not yet answered, per budget key.
    private var inFlight: [String: Int] = [:]

    init(configuration: BridgeConfiguration) {
        let window = configuration.conferencePINFailureWindow
        let maxLockout = configuration.maxPINLockout
        conferences = FailureWindow(
            limit: configuration.conferencePINFailureLimit,
            window: window,
            maxLockout: maxLockout
        )
        nodes = FailureWindow(limit: configuration.nodePINFailureLimit, window: window, maxLockout: maxLockout)
        clients = FailureWindow(limit: configuration.clientPINFailureLimit, window: window, maxLockout: maxLockout)
    }

    private static func keys(_ a: Attempt) -> (conference: String, node: String, client: String) {
        ("c:" + a.alias, "n:" + a.node, "p:" + a.client)
    }

    /// How long a PIN for this attempt must wait (the longest of its budgets); nil when one may be sent now.
    func holdBack(_ attempt: Attempt, now: Moment) -> Duration? {
        let k = Self.keys(attempt)
        let waits = [
            conferences.holdBack(k.conference, pending: inFlight[k.conference] ?? 0, now: now),
            nodes.holdBack(k.node, pending: inFlight[k.node] ?? 0, now: now),
            clients.holdBack(k.client, pending: inFlight[k.client] ?? 0, now: now),
        ].compactMap { $0 }
        return waits.max()
    }

    /// A PIN for this attempt went upstream.
    mutating func sent(_ attempt: Attempt) {
        let k = Self.keys(attempt)
        for key in [k.conference, k.node, k.client] { inFlight[key, default: 0] += 1 }
    }

    /// The node answered a PIN for this attempt (whatever it said).
    mutating func answered(_ attempt: Attempt) {
        let k = Self.keys(attempt)
        for key in [k.conference, k.node, k.client] {
            let left = (inFlight[key] ?? 1) - 1
            inFlight[key] = left > 0 ? left : nil
        }
    }

    /// The node refused a PIN for this attempt.
    mutating func failed(_ attempt: Attempt, now: Moment) {
        let k = Self.keys(attempt)
        conferences.record(k.conference, now: now)
        nodes.record(k.node, now: now)
        clients.record(k.client, now: now)
    }

    /// PINs in flight for this attempt's conference.
    func pending(_ attempt: Attempt) -> Int { inFlight[Self.keys(attempt).conference] ?? 0 }

    /// Lockouts of this attempt's conference so far.
    func strikes(_ attempt: Attempt) -> Int { conferences.strikes(Self.keys(attempt).conference) }
}
