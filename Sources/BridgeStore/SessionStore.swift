/// Where sessions outlive the bridge process (issue 13): each session's snapshot, its recent events, its lease and
/// its node-issued token (encrypted at rest).
///
/// Two implementations pass one contract suite: `sqlite:PATH` (one process) and `postgres://USER@HOST:PORT/DB`
/// (many processes). Open one with ``openSessionStore(_:key:password:logger:)``.
///
/// Every write carries the writer's ``Lease``: a write whose lease epoch is no longer the session's (another
/// instance acquired it since) fails with ``StoreError/fenced(session:)`` and changes nothing, so a holder that
/// lost its lease (a long pause, a partition) can never overwrite its successor's state. Time is an input: every
/// lease decision takes `now`, so tests drive expiry without waiting.
public protocol SessionStore: Sendable {
    /// Takes the lease of `session` when it is free (never held, released) or expired at `now`, raising its epoch
    /// by one; creates the session's row when it has none.
    /// - Parameters:
    ///   - session: the session id.
    ///   - holder: this instance's name.
    ///   - duration: how long the lease lasts from `now` unless renewed.
    ///   - now: the current wall-clock time (shared by every instance on the store).
    /// - Returns: the new lease, or nil while another holder's lease is still running.
    func acquire(_ session: String, holder: String, for duration: Duration, now: StoreTime) async throws -> Lease?

    /// Extends a lease; only its holder with the same epoch may.
    /// - Parameters:
    ///   - lease: the lease held.
    ///   - duration: how long from `now`.
    ///   - now: the current wall-clock time.
    /// - Returns: the lease with its new expiry.
    /// - Throws: ``StoreError/fenced(session:)`` when the epoch moved on or the lease was released.
    func renew(_ lease: Lease, for duration: Duration, now: StoreTime) async throws -> Lease

    /// Gives the lease up (handover): the next `acquire` succeeds at once, with the next epoch.
    /// - Parameter lease: the lease held.
    /// - Throws: ``StoreError/fenced(session:)`` when it was no longer held.
    func release(_ lease: Lease) async throws

    /// Replaces the session's snapshot (JSON of the protocol's `SessionSnapshot`) and its seq.
    /// - Parameters:
    ///   - snapshot: the encoded snapshot.
    ///   - seq: the seq the snapshot is at.
    ///   - lease: the writer's lease (fenced).
    func saveSnapshot(_ snapshot: [UInt8], seq: Int, lease: Lease) async throws

    /// Appends one event's encoded frame and drops all but the last `depth` events of the session.
    /// - Parameters:
    ///   - seq: the event's seq.
    ///   - frame: the event as sent to clients.
    ///   - depth: how many events to keep (`--replay-depth`).
    ///   - lease: the writer's lease (fenced).
    func appendEvent(seq: Int, frame: [UInt8], keeping depth: Int, lease: Lease) async throws

    /// Appends several events at once (one statement for all, one trim), as a writer that fell behind does.
    /// - Parameters:
    ///   - events: the events, in seq order.
    ///   - depth: how many events to keep.
    ///   - lease: the writer's lease (fenced).
    func appendEvents(_ events: [StoredEvent], keeping depth: Int, lease: Lease) async throws

    /// Records (or replaces) the node-issued token; the token is encrypted with the store key, bound to the
    /// session id.
    /// - Parameters:
    ///   - token: the token and where it is valid.
    ///   - lease: the writer's lease (fenced).
    func saveToken(_ token: StoredToken, lease: Lease) async throws

    /// Deletes a session that ended, with its events and token.
    /// - Parameter lease: the writer's lease (fenced).
    func remove(_ lease: Lease) async throws

    /// Every session in the store with its lease, in no particular order.
    func sessions() async throws -> [LeaseState]

    /// Every session's lease and last snapshot (no events, no token): what `list` shows of sessions other
    /// instances hold.
    func snapshots() async throws -> [StoredSnapshot]

    /// One session with its snapshot, kept events (oldest first) and decrypted token; nil when absent.
    /// - Parameter session: the session id.
    func load(_ session: String) async throws -> StoredSession?

    /// Closes the store's connections; later calls fail.
    func close() async

    /// One session's lease; nil when the store has no such session. What an instance asks before forwarding a
    /// request to the session's holder.
    /// - Parameter session: the session id.
    func lease(of session: String) async throws -> LeaseState?

    /// Renews many leases in few statements (an instance renews all it holds every third of the lease).
    /// - Parameters:
    ///   - leases: the leases held.
    ///   - duration: how long from `now`.
    ///   - now: the current wall-clock time.
    /// - Returns: the leases renewed, with their new expiry; a lease missing from the answer was fenced (its epoch
    ///   moved on or it was released).
    func renew(_ leases: [Lease], for duration: Duration, now: StoreTime) async throws -> [Lease]

    /// The kept events of a session after `seq`, oldest first (how another instance fills a gap).
    /// - Parameters:
    ///   - session: the session id.
    ///   - seq: the last seq already known.
    func events(of session: String, after seq: Int) async throws -> [StoredEvent]

    /// One cheap round trip, to tell whether the store answers.
    func ping() async throws

    /// Messages between the instances on this store; nil for a store that serves one process (SQLite).
    var bus: (any StoreBus)? { get }
}

/// What a store that only implements the basics (a test double) gets: the same answers, one call at a time.
extension SessionStore {
    public func lease(of session: String) async throws -> LeaseState? {
        try await sessions().first { $0.session == session }
    }

    public func renew(_ leases: [Lease], for duration: Duration, now: StoreTime) async throws -> [Lease] {
        var renewed: [Lease] = []
        for lease in leases {
            do {
                renewed.append(try await renew(lease, for: duration, now: now))
            } catch StoreError.fenced {
                continue
            }
        }
        return renewed
    }

    public func events(of session: String, after seq: Int) async throws -> [StoredEvent] {
        try await load(session)?.events.filter { $0.seq > seq } ?? []
    }

    public func ping() async throws {
        _ = try await sessions()
    }

    public var bus: (any StoreBus)? { nil }
}

/// A lease held on one session: who, which epoch, until when.
public struct Lease: Sendable, Hashable, CustomStringConvertible {
    public var session: String
    public var holder: String
    public var epoch: Int64
    public var expires: StoreTime

    public init(session: String, holder: String, epoch: Int64, expires: StoreTime) {
        self.session = session
        self.holder = holder
        self.epoch = epoch
        self.expires = expires
    }

    public var description: String { "Lease(\(session) by \(holder), epoch \(epoch), until \(expires))" }
}

/// A session's lease as the store has it; `holder` is nil when free.
public struct LeaseState: Sendable, Hashable {
    public var session: String
    public var holder: String?
    public var epoch: Int64
    public var expires: StoreTime

    public init(session: String, holder: String?, epoch: Int64, expires: StoreTime) {
        self.session = session
        self.holder = holder
        self.epoch = epoch
        self.expires = expires
    }

    /// Whether an `acquire` at `now` would succeed.
    /// - Parameter now: the current wall-clock time.
    public func isFree(at now: StoreTime) -> Bool { holder == nil || expires <= now }
}

/// The node-issued token of a session and where it is valid. `token` is secret: it is redacted when printed.
public struct StoredToken: Sendable, Equatable, CustomStringConvertible {
    /// The node as the session names it (`host[:port]` or `simulator`).
    public var node: String
    public var alias: String
    /// The secret.
    public var token: String
    /// When the node stops accepting it unless refreshed.
    public var expires: StoreTime
    /// Whatever else the holder needs to use it again (participant uuid, role ...): not secret, stored as is.
    public var details: [UInt8]

    public init(node: String, alias: String, token: String, expires: StoreTime, details: [UInt8] = []) {
        self.node = node
        self.alias = alias
        self.token = token
        self.expires = expires
        self.details = details
    }

    public var description: String {
        "StoredToken(node: \(node), alias: \(alias), token: <redacted>, expires: \(expires))"
    }
}

/// A session's lease and last snapshot, as ``SessionStore/snapshots()`` lists them.
public struct StoredSnapshot: Sendable, Equatable {
    public var lease: LeaseState
    public var seq: Int
    /// JSON of the protocol's `SessionSnapshot`; nil until its holder wrote one.
    public var snapshot: [UInt8]?

    public init(lease: LeaseState, seq: Int, snapshot: [UInt8]?) {
        self.lease = lease
        self.seq = seq
        self.snapshot = snapshot
    }
}

/// One event as stored: its seq and the frame sent to clients.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int
    public var frame: [UInt8]

    public init(seq: Int, frame: [UInt8]) {
        self.seq = seq
        self.frame = frame
    }
}

/// Everything the store holds of one session.
public struct StoredSession: Sendable, Equatable {
    public var lease: LeaseState
    public var seq: Int
    public var snapshot: [UInt8]?
    public var events: [StoredEvent]
    public var token: StoredToken?

    public init(lease: LeaseState, seq: Int, snapshot: [UInt8]?, events: [StoredEvent], token: StoredToken?) {
        self.lease = lease
        self.seq = seq
        self.snapshot = snapshot
        self.events = events
        self.token = token
    }
}

/// What a store reports; messages never carry a token, key or password.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The write's lease epoch is not the session's any more (or the lease was released): nothing was written.
    case fenced(session: String)
    /// The key does not open this store's key check: another key made it.
    case wrongKey
    /// The key file is not 32 bytes (raw or base64).
    case badKey(String)
    /// The store URL cannot be used.
    case badLocation(String)
    /// The SQLite file is held by another process.
    case locked(path: String)
    /// The store was made by a newer pexbridge (its schema version is above this one's).
    case newerSchema(found: Int, known: Int)
    /// The database cannot be reached or answered with an error.
    case unavailable(String)
    /// Stored data that cannot be read (e.g. a token that does not decrypt).
    case corrupt(String)

    public var description: String {
        switch self {
        case .fenced(let session): "session \(session): lease lost (epoch moved on); write refused"
        case .wrongKey: "the store key does not match the key this store was created with (--store-key-file)"
        case .badKey(let why): "store key: \(why)"
        case .badLocation(let why): "store URL: \(why)"
        case .locked(let path): "store \(path) is locked by another process (is another pexbridge using it?)"
        case .newerSchema(let found, let known):
            "store schema version \(found) is newer than this pexbridge knows (\(known)); upgrade pexbridge"
        case .unavailable(let why): "store unavailable: \(why)"
        case .corrupt(let why): "store data unreadable: \(why)"
        }
    }
}
