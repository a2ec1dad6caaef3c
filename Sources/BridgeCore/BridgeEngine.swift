import BridgeProtocol
import Foundation
import InfinityClient
import Logging

/// The bridge's core: front-end clients, conference sessions, subscriptions and fan-out.
public actor BridgeEngine {
    struct ClientRecord {
        var peer: String
        var bucket: TokenBucket
        var role: ClientRole?
        var subscribedToAll = false
        var sessions: Set<String> = []
        var closing = false
    }

    let configuration: BridgeConfiguration
    let upstream: any Upstream
    let sink: any ClientSink
    let logger: Logger
    var clients: [ClientID: ClientRecord] = [:]
    var sessions: [String: SessionRecord] = [:]
    var sessionOrder: [String] = []
    var allSubscribers: Set<ClientID> = []
    var subscriptionVersion = 0
    var nextTaskID: UInt64 = 0
    var tasks: [UInt64: Task<Void, Never>] = [:]
    var shuttingDown = false
    var counters = EngineCounters()
    var embeddedNode: NodeAddress?
    var authFailures: FailureWindow
    var pinFailures: FailureWindow
    /// PINs sent upstream and not yet answered, per brute-force guard key.
    var pinsInFlight: [String: Int] = [:]

    public init(configuration: BridgeConfiguration, upstream: any Upstream, sink: any ClientSink, logger: Logger) {
        self.configuration = configuration
        self.upstream = upstream
        self.sink = sink
        self.logger = logger
        self.embeddedNode = configuration.embeddedNode
        self.authFailures = FailureWindow(limit: configuration.authFailureLimit, window: configuration.authFailureWindow)
        self.pinFailures = FailureWindow(
            limit: configuration.conferencePINFailureLimit, window: configuration.conferencePINFailureWindow)
    }

    // MARK: clients

    /// A front end connected: greet it.
    public func clientConnected(_ client: ClientID, peer: String) {
        clients[client] = ClientRecord(
            peer: peer, bucket: TokenBucket(rate: configuration.requestRate, burst: configuration.requestBurst),
            role: configuration.authRequired ? nil : .controller)
        counters.clientsConnected += 1
        logger.debug("client connected", metadata: ["client": "\(client)", "peer": "\(peer)"])
        send(.hello(Hello(server: configuration.serverName, authRequired: configuration.authRequired)), to: client)
        if configuration.authRequired {
            let timeout = configuration.authTimeout
            Task {
                try? await Task.sleep(for: timeout)
                await self.authDeadlinePassed(client)
            }
        }
    }

    private func authDeadlinePassed(_ client: ClientID) {
        guard let record = clients[client], record.role == nil, !record.closing else { return }
        clients[client]?.closing = true
        logger.notice("client did not authenticate in time", metadata: ["client": "\(client)", "peer": "\(record.peer)"])
        send(.error(ErrorBody(.unauthorized, "no auth within the time allowed")), to: client)
        sink.close(client, code: 1008, reason: "authentication timeout")
    }

    /// A front end went away; its sessions live on.
    public func clientDisconnected(_ client: ClientID) {
        guard let record = clients.removeValue(forKey: client) else { return }
        if record.subscribedToAll {
            allSubscribers.remove(client)
            forgetOptOuts(of: client)
        }
        for id in record.sessions { sessions[id]?.subscribers.remove(client) }
        subscriptionVersion += 1
        logger.debug("client disconnected", metadata: ["client": "\(client)"])
    }

    /// A binary frame arrived: the protocol is text only.
    public func receiveBinary(_ client: ClientID) {
        send(.error(ErrorBody(.unsupportedFrame, "binary frames are not supported; send JSON in text frames")), to: client)
    }

    /// A text frame arrived from a client.
    public func receive(_ client: ClientID, text: [UInt8]) {
        guard let record = clients[client], !record.closing else { return }
        let decoded = RequestCodec.decode(text)
        guard clients[client]!.bucket.take() else {
            counters.rateLimited += 1
            let error = ErrorBody(.rateLimited, "too many requests; slow down")
            switch decoded {
            case .success(let envelope): reply(ReplyTarget(client: client, id: envelope.id), .failure(error))
            case .failure(.unknownType(let id, _)), .failure(.invalidFields(let id, _, _)):
                reply(ReplyTarget(client: client, id: id), .failure(error))
            case .failure(.unreadable): send(.error(error), to: client)
            }
            return
        }
        switch decoded {
        case .failure(.unreadable(let why)):
            send(.error(ErrorBody(.badRequest, why)), to: client)
        case .failure(.unknownType(let id, let type)):
            reply(ReplyTarget(client: client, id: id), .failure(ErrorBody(
                .unknownType, "unknown message type '\(type.prefix(64))'")))
        case .failure(.invalidFields(let id, _, let why)):
            reply(ReplyTarget(client: client, id: id), .failure(ErrorBody(.badRequest, why)))
        case .success(let envelope):
            dispatch(envelope, from: client, record: record)
        }
    }

    private func dispatch(_ envelope: RequestEnvelope, from client: ClientID, record: ClientRecord) {
        let target = ReplyTarget(client: client, id: envelope.id)
        if case .auth(let token) = envelope.request {
            return authenticate(token, target)
        }
        guard let role = record.role else {
            return reply(target, .failure(ErrorBody(.unauthorized, "authenticate first: send auth with a token")))
        }
        guard role == .controller || envelope.request.type.allowedForObservers else {
            return reply(target, .failure(ErrorBody(
                .forbidden, "observers may only list, subscribe, unsubscribe and ping")))
        }
        switch envelope.request {
        case .auth: break
        case .ping: reply(target, .success(.empty))
        case .list: reply(target, .success(.sessions(liveSessions().map { $0.snapshot() })))
        case .subscribe(let session, let since): subscribe(target, session: session, since: since)
        case .unsubscribe(let session): unsubscribe(target, session: session)
        case .join(let parameters): join(parameters, target)
        case .pin(let session, let pin): submitPIN(pin, session: session, target)
        case .leave(let session): leave(session, target)
        case .control(let session, let control): perform(control, session: session, target)
        }
    }

    private func authenticate(_ token: String, _ target: ReplyTarget) {
        guard configuration.authRequired else { return reply(target, .success(.role(.controller))) }
        let peer = clients[target.client]?.peer ?? "?"
        if let wait = authFailures.holdBack(peer) {
            counters.authFailures += 1
            logger.notice("auth attempt held back", metadata: ["client": "\(target.client)", "peer": "\(peer)"])
            reply(target, .failure(ErrorBody(
                .rateLimited, "too many failed attempts from this address; try again in \(wait.components.seconds + 1) s")))
            return closeAfterDelay(target.client, reason: "authentication held back")
        }
        let secret = Array(token.utf8)
        // Compare against every token, in constant time per token, so timing reveals nothing.
        var granted: ClientRole?
        for candidate in configuration.authTokens where constantTimeEqual(Array(candidate.secret.utf8), secret) {
            granted = granted ?? candidate.role
        }
        if let granted {
            clients[target.client]?.role = granted
            logger.info("client authenticated", metadata: ["client": "\(target.client)", "role": "\(granted.rawValue)"])
            return reply(target, .success(.role(granted)))
        }
        counters.authFailures += 1
        authFailures.record(peer)
        logger.notice("client failed to authenticate", metadata: ["client": "\(target.client)", "peer": "\(peer)"])
        reply(target, .failure(ErrorBody(.unauthorized, "unknown token")))
        closeAfterDelay(target.client, reason: "authentication failed")
    }

    /// Closes a client with 1008 after the configured delay; it is ignored meanwhile.
    private func closeAfterDelay(_ client: ClientID, reason: String) {
        clients[client]?.closing = true
        let delay = configuration.authFailureCloseDelay
        let sink = self.sink
        Task {
            try? await Task.sleep(for: delay)
            sink.close(client, code: 1008, reason: reason)
        }
    }

    // MARK: subscriptions

    func liveSessions() -> [SessionRecord] {
        sessionOrder.compactMap { sessions[$0] }
    }

    private func subscribe(_ target: ReplyTarget, session: String?, since: Int?) {
        guard let session else {
            clients[target.client]?.subscribedToAll = true
            allSubscribers.insert(target.client)
            forgetOptOuts(of: target.client)
            subscriptionVersion += 1
            return reply(target, .success(.sessions(liveSessions().map { $0.snapshot() })))
        }
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        addSubscriber(target.client, to: record)
        guard let since else { return reply(target, .success(.sessions([record.snapshot()]))) }
        guard let missed = record.frames(after: since) else {
            return reply(target, .success(.sessions([record.snapshot()], replayed: false)))
        }
        reply(target, .success(.sessions([record.snapshot()], replayed: true)))
        for frame in missed { sink.send(frame, to: [target.client]) }
    }

    func addSubscriber(_ client: ClientID, to record: SessionRecord) {
        record.subscribers.insert(client)
        clients[client]?.sessions.insert(record.id)
        record.optedOut.remove(client)
        subscriptionVersion += 1
    }

    /// A client subscribed to every session hears all of them again.
    private func forgetOptOuts(of client: ClientID) {
        for record in sessions.values { record.optedOut.remove(client) }
    }

    private func unsubscribe(_ target: ReplyTarget, session: String?) {
        if let session {
            guard let record = sessions[session] else {
                return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
            }
            record.subscribers.remove(target.client)
            clients[target.client]?.sessions.remove(session)
            if clients[target.client]?.subscribedToAll == true { record.optedOut.insert(target.client) }
        } else {
            for id in clients[target.client]?.sessions ?? [] { sessions[id]?.subscribers.remove(target.client) }
            clients[target.client]?.sessions = []
            if clients[target.client]?.subscribedToAll == true { forgetOptOuts(of: target.client) }
            clients[target.client]?.subscribedToAll = false
            allSubscribers.remove(target.client)
        }
        subscriptionVersion += 1
        reply(target, .success(.empty))
    }

    // MARK: sending

    func send(_ message: ServerMessage, to client: ClientID) {
        sink.send(WireJSON.encode(message), to: [client])
    }

    func reply(_ target: ReplyTarget, _ outcome: Result<ResultData, ErrorBody>) {
        if case .failure(let error) = outcome { counters.requestFailures[error.code, default: 0] += 1 }
        guard clients[target.client] != nil else { return }
        send(.result(id: target.id, outcome), to: target.client)
    }

    /// Everyone who receives this session's events.
    func recipients(of record: SessionRecord) -> [ClientID] {
        if record.recipientsVersion != subscriptionVersion {
            let everyone = record.optedOut.isEmpty ? allSubscribers : allSubscribers.subtracting(record.optedOut)
            record.recipients = Array(record.subscribers.union(everyone))
            record.recipientsVersion = subscriptionVersion
        }
        return record.recipients
    }

    /// Numbers, encodes once, remembers and fans out one event of a session.
    func publish(_ payload: EventPayload, in record: SessionRecord) {
        record.seq += 1
        let frame = WireJSON.encode(.event(SessionEvent(session: record.id, seq: record.seq, payload: payload)))
        record.remember(seq: record.seq, frame: frame, depth: configuration.replayDepth)
        counters.eventsPublished += 1
        let to = recipients(of: record)
        counters.eventDeliveries += to.count
        if !to.isEmpty { sink.send(frame, to: to) }
    }

    // MARK: tasks

    /// Starts a tracked task; every one ends by itself (upstream calls are bounded by their timeouts).
    func startTask(_ body: @escaping @Sendable () async -> Void) {
        nextTaskID += 1
        let taskID = nextTaskID
        tasks[taskID] = Task {
            await body()
            self.taskFinished(taskID)
        }
    }

    private func taskFinished(_ taskID: UInt64) {
        tasks[taskID] = nil
    }

    // MARK: introspection

    /// Live sessions (not yet final).
    public var sessionCount: Int { sessions.count }

    /// Tasks still running (token requests, upstream followers, controls, releases).
    public var runningTaskCount: Int { tasks.count }

    /// Connected front ends.
    public var clientCount: Int { clients.count }

    /// Counters for metrics.
    public var statistics: EngineCounters {
        var c = counters
        c.sessionsByState = Dictionary(grouping: sessions.values, by: { $0.machine.state }).mapValues(\.count)
        c.clientsByRole = Dictionary(grouping: clients.values, by: { $0.role?.rawValue ?? "unauthenticated" })
            .mapValues(\.count)
        return c
    }
}

/// Counters the engine keeps for metrics.
public struct EngineCounters: Sendable {
    public var clientsConnected = 0
    public var authFailures = 0
    public var eventsPublished = 0
    public var eventDeliveries = 0
    public var pinFailures = 0
    public var rateLimited = 0
    public var requestFailures: [ErrorCode: Int] = [:]
    public var sessionsByState: [SessionState: Int] = [:]
    public var clientsByRole: [String: Int] = [:]
}

/// Compares two byte strings in time that depends only on their lengths (every byte of the longer is read).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = a.count == b.count ? 0 : 1
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= Int(x ^ y)
    }
    return difference == 0
}

extension BridgeEngine {
    /// Sets the embedded simulator's address once it is listening.
    public func setEmbeddedNode(_ node: NodeAddress?) {
        embeddedNode = node
    }
}
