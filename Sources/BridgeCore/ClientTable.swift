import BridgeProtocol

/// The connected front ends: their address, role, request budget, auth deadline and whether they are being
/// closed. A value with no I/O: the engine asks it and carries out what it says.
struct ClientTable: Sendable {
    struct Entry: Sendable {
        /// The peer address the transport reported (used for auth backoff, never for authorization).
        var peer: String
        var bucket: TokenBucket
        /// Nil until an `auth` succeeds when auth is required.
        var role: ClientRole?
        /// When an unauthenticated client is closed; nil once authenticated (or when auth is not required).
        var authDeadline: Moment?
        /// Set once the engine decided to close the client: it is ignored from then on.
        var closing = false
    }

    /// What the table decides about one incoming frame.
    enum Admission: Sendable, Equatable {
        /// Decode and route it.
        case admit
        /// Over the request budget: refuse it without decoding more than its id.
        case rateLimited
        /// Unknown or closing client: drop it silently.
        case ignore
    }

    private var entries: [ClientID: Entry] = [:]
    let requestRate: Double
    let requestBurst: Double

    init(requestRate: Double, requestBurst: Double) {
        self.requestRate = requestRate
        self.requestBurst = requestBurst
    }

    subscript(client: ClientID) -> Entry? { entries[client] }

    var count: Int { entries.count }

    /// Adds a client; without required auth it is a controller at once.
    /// - Parameters:
    ///   - client: the transport's connection id.
    ///   - peer: the peer address.
    ///   - authTimeout: nil when auth is not required, else how long the client has to authenticate.
    ///   - now: the current moment.
    mutating func connect(_ client: ClientID, peer: String, authTimeout: Duration?, now: Moment) {
        entries[client] = Entry(
            peer: peer,
            bucket: TokenBucket(rate: requestRate, burst: requestBurst, now: now),
            role: authTimeout == nil ? .controller : nil,
            authDeadline: authTimeout.map { now + $0 }
        )
    }

    /// Forgets a client; returns whether it was known.
    @discardableResult
    mutating func disconnect(_ client: ClientID) -> Bool {
        entries.removeValue(forKey: client) != nil
    }

    /// Charges one request against the client's budget, before anything is decoded.
    mutating func admit(_ client: ClientID, now: Moment) -> Admission {
        guard var entry = entries[client], !entry.closing else { return .ignore }
        let allowed = entry.bucket.take(now: now)
        entries[client] = entry
        return allowed ? .admit : .rateLimited
    }

    /// Grants a role after a successful `auth`; the deadline no longer applies.
    mutating func authenticate(_ client: ClientID, as role: ClientRole) {
        entries[client]?.role = role
        entries[client]?.authDeadline = nil
    }

    /// Marks a client as being closed; returns false when it was unknown or already closing.
    @discardableResult
    mutating func markClosing(_ client: ClientID) -> Bool {
        guard let entry = entries[client], !entry.closing else { return false }
        entries[client]?.closing = true
        return true
    }

    /// Whether the client's auth deadline has passed at `now` (it is unauthenticated and not yet closing).
    func authDeadlinePassed(_ client: ClientID, now: Moment) -> Bool {
        guard let entry = entries[client], entry.role == nil, !entry.closing, let deadline = entry.authDeadline else {
            return false
        }
        return now >= deadline
    }

    /// Clients by role label (`controller`, `observer`, `unauthenticated`).
    var countsByRole: [String: Int] {
        var counts: [String: Int] = [:]
        for entry in entries.values { counts[entry.role?.rawValue ?? "unauthenticated", default: 0] += 1 }
        return counts
    }
}
