import BridgeProtocol
import BridgeStore
import Foundation
import Logging

/// Several instances on one store (PostgreSQL) as one bridge: requests for a session another instance holds are
/// forwarded to it and answered here; the holder's events reach this instance's subscribers through the store's
/// bus with the same `seq`; `subscribe` and `since_seq` work for any session on any instance.
///
/// The holder stays the only one that speaks to the node: another instance never acts on a session, it only
/// relays. Everything crossing the bus is sealed with the store key (see `StoreBus`).
extension BridgeEngine {
    /// A forwarded request's answer is given up on after this long (the holder died mid-request): the client
    /// gets `upstream_timeout`. It is longer than any upstream call the holder makes for one request.
    static let forwardTimeout: Duration = .seconds(30)
    /// The pause before asking the store again who holds a session that is between holders.
    static let forwardRetryDelay: Duration = .milliseconds(200)
    /// How long a session the store does not show (yet) is looked for: a client may hear of a session from its
    /// holder before the holder's first write reached the store.
    static let unknownSessionGrace: Duration = .seconds(1)

    /// A request for a session this instance does not hold, waiting for its holder's answer.
    struct Forwarded: Sendable {
        var target: ReplyTarget
        var session: String
        var frame: [UInt8]
        var role: ClientRole
        var peer: String
        var deadline: Moment
    }

    /// A forwarded request being handled here: whom to answer.
    struct Proxy: Sendable {
        var instance: String
        var ref: UInt64
        var peer: String
    }

    // MARK: routing

    /// Whether a request for `session` goes to another instance: a store with a bus, and no such session here.
    func isElsewhere(_ session: String) -> Bool {
        store?.settings.store.bus != nil && sessions[session] == nil
    }

    /// Sends a client's request to the instance holding its session; the answer comes back as the `result`.
    /// - Parameters:
    ///   - frame: the request as the client sent it.
    ///   - session: the session it names.
    ///   - role: the client's role (the gate already passed here).
    ///   - target: whom to answer.
    func forward(_ frame: [UInt8], session: String, role: ClientRole, target: ReplyTarget) {
        guard store != nil else { return }
        store?.nextRef += 1
        let ref = store?.nextRef ?? 0
        let peer = clients[target.client]?.peer ?? "?"
        let deadline = now + Self.forwardTimeout
        store?.forwarded[ref] = Forwarded(
            target: target,
            session: session,
            frame: frame,
            role: role,
            peer: peer,
            deadline: deadline
        )
        store?.metrics.forwarded.increment()
        schedule(at: deadline) { engine in await engine.forwardTimedOut(ref) }
        spawn { await self.sendForward(ref) }
    }

    /// Finds the holder in the store and posts the request to it; a session between holders (handed over, or its
    /// holder's lease lapsing) is asked about again shortly, until the deadline.
    private func sendForward(_ ref: UInt64) async {
        guard let settings = store?.settings, let bus = settings.store.bus else { return }
        while let pending = store?.forwarded[ref], !work.isStopping {
            let found: LeaseState?
            do {
                found = try await settings.store.lease(of: pending.session)
            } catch {
                storeTrouble(error)
                try? await clock.sleepUntil(now + Self.forwardRetryDelay * 5)
                continue
            }
            guard let lease = found else {
                if now < pending.deadline - Self.forwardTimeout + Self.unknownSessionGrace {
                    try? await clock.sleepUntil(now + Self.forwardRetryDelay / 2)
                    continue
                }
                return answerForwardedLocally(ref, .failure(ErrorBody(.unknownSession, "no live session with that id")))
            }
            if sessions[pending.session] != nil {
                // Taken over here meanwhile: handled as any local request.
                store?.forwarded[ref] = nil
                return routeLocally(pending)
            }
            if let holder = lease.holder, holder != settings.holder, !lease.isFree(at: settings.now()) {
                let message = InstanceMessage.request(
                    ref: ref,
                    peer: pending.peer,
                    role: pending.role,
                    frame: pending.frame
                )
                do {
                    try await bus.post(message.encoded, to: holder)
                    return
                } catch {
                    storeTrouble(error)
                }
            }
            try? await clock.sleepUntil(now + Self.forwardRetryDelay)
        }
    }

    /// A forwarded request whose session arrived here: decoded again and dispatched as a local client's.
    private func routeLocally(_ pending: Forwarded) {
        guard clients[pending.target.client] != nil else { return }
        guard case .success(let envelope) = RequestCodec.decode(pending.frame) else {
            return reply(pending.target, .failure(ErrorBody(.badRequest, "the request could not be read again")))
        }
        dispatch(envelope.request, pending.target)
    }

    private func answerForwardedLocally(_ ref: UInt64, _ outcome: Result<ResultData, ErrorBody>) {
        guard let pending = store?.forwarded.removeValue(forKey: ref) else { return }
        reply(pending.target, outcome)
    }

    private func forwardTimedOut(_ ref: UInt64) {
        guard store?.forwarded[ref] != nil else { return }
        logger.warning("forwarded request unanswered", metadata: ["ref": "\(ref)"])
        answerForwardedLocally(
            ref,
            .failure(ErrorBody(.upstreamTimeout, "the bridge instance holding the session did not answer"))
        )
    }

    /// The holder's answer: the `result` frame goes to the client as the holder made it (same request id).
    private func forwardAnswered(_ ref: UInt64, frame: [UInt8]) {
        guard let pending = store?.forwarded.removeValue(forKey: ref) else { return }
        guard clients[pending.target.client] != nil else { return }
        sink.send(frame, to: [pending.target.client])
    }

    /// The instance asked does not hold the session any more: look again.
    private func forwardBounced(_ ref: UInt64) {
        guard store?.forwarded[ref] != nil else { return }
        spawn {
            try? await self.clock.sleepUntil(self.now + Self.forwardRetryDelay)
            await self.sendForward(ref)
        }
    }

    // MARK: the holder's side

    /// A request forwarded by another instance for a session held here: run as a client's, with a stand-in
    /// client id whose reply goes back over the bus.
    private func handleForwarded(from instance: String, ref: UInt64, peer: String, role: ClientRole, frame: [UInt8]) {
        guard let bus = store?.settings.store.bus else { return }
        guard case .success(let envelope) = RequestCodec.decode(frame),
            let session = envelope.request.sessionActedOn, sessions[session] != nil
        else {
            spawn { try? await bus.post(InstanceMessage.notHolder(ref: ref).encoded, to: instance) }
            return
        }
        guard role == .controller || envelope.request.type.allowedForObservers else {
            // The sender checked this already; a mismatch means instances of different versions.
            return answerProxy(
                Proxy(instance: instance, ref: ref, peer: peer),
                id: envelope.id,
                .failure(ErrorBody(.forbidden, "observers may only list, subscribe, unsubscribe and ping"))
            )
        }
        store?.nextProxy -= 1
        guard let client = store?.nextProxy else { return }
        store?.proxies[client] = Proxy(instance: instance, ref: ref, peer: peer)
        dispatch(envelope.request, ReplyTarget(client: client, id: envelope.id))
    }

    /// `reply` for a stand-in client: the answer goes back to the instance the client is on.
    /// - Returns: false when `client` is not a stand-in.
    func replyToProxy(_ target: ReplyTarget, _ outcome: Result<ResultData, ErrorBody>) -> Bool {
        guard let proxy = store?.proxies.removeValue(forKey: target.client) else { return false }
        answerProxy(proxy, id: target.id, outcome)
        return true
    }

    private func answerProxy(_ proxy: Proxy, id: RequestID, _ outcome: Result<ResultData, ErrorBody>) {
        guard let bus = store?.settings.store.bus else { return }
        let frame = WireJSON.encode(.result(id: id, outcome))
        spawn { try? await bus.post(InstanceMessage.answer(ref: proxy.ref, frame: frame).encoded, to: proxy.instance) }
    }

    /// The peer a stand-in client acts for (the PIN guard counts attempts per address).
    func proxyPeer(_ client: ClientID) -> String? { store?.proxies[client]?.peer }

    // MARK: events from other instances

    /// Follows the bus until the engine stops (a timer job, not counted as upstream work).
    func runBus(_ bus: any StoreBus) async {
        var heard = false
        for await delivery in bus.deliveries {
            switch delivery {
            case .listening:
                busListening(again: heard)
                heard = true
            case .lost(let why):
                busLost(why)
            case .message(let from, let body):
                guard let message = InstanceMessage(decoding: body) else { continue }
                busMessage(message, from: from)
            }
        }
    }

    private func busListening(again: Bool) {
        store?.busListening = true
        publishStoreHealth()
        guard again, let steps = store?.remote.refillAll() else { return }
        logger.info("store bus listening again; following sessions read again from the store")
        carryOut(steps)
    }

    private func busLost(_ why: String) {
        store?.busListening = false
        logger.warning("store bus: not listening", metadata: ["error": "\(why)"])
        storeTrouble(StoreError.unavailable(why))
    }

    private func busMessage(_ message: InstanceMessage, from: String) {
        guard let settings = store?.settings else { return }
        let own = from == settings.holder
        switch message {
        case .event(let session, let seq, let frame):
            guard !own, sessions[session] == nil, store?.arriving.contains(session) == false else { return }
            store?.metrics.eventsRelayed.increment()
            follow(session)
            if let steps = store?.remote.received(session, seq: seq, frame: frame) { carryOut(steps) }
        case .ephemeral(let session, let kind, let frame):
            guard !own, sessions[session] == nil else { return }
            let to = subscriptions.ephemeralRecipients(of: session, kind: kind)
            guard !to.isEmpty else { return }
            counters.ephemeralDeliveries += to.count
            sink.send(frame, to: to)
        case .ended(let session):
            guard sessions[session] == nil else { return }
            store?.remote.forget(session)
            subscriptions.removeSession(session)
        case .released(let session):
            guard !own else { return }
            takeOverReleased(session)
        case .request(let ref, let peer, let role, let frame):
            handleForwarded(from: from, ref: ref, peer: peer, role: role, frame: frame)
        case .answer(let ref, let frame):
            forwardAnswered(ref, frame: frame)
        case .notHolder(let ref):
            forwardBounced(ref)
        }
    }

    /// A session followed here: known to the subscription index, so subscribe-all clients hear it.
    private func follow(_ session: String) {
        guard store?.remote.follows(session) == false else { return }
        subscriptions.addSession(session)
    }

    /// Carries out what the followed sessions need: frames to subscribers, gaps read from the store.
    func carryOut(_ steps: [RemoteSessions.Step]) {
        for step in steps {
            switch step {
            case .deliver(let session, let frames):
                let to = subscriptions.recipients(of: session)
                guard !to.isEmpty else { continue }
                counters.eventDeliveries += to.count * frames.count
                metrics.eventDeliveries.increment(by: to.count * frames.count)
                for frame in frames { sink.send(frame, to: to) }
            case .fill(let session, let after):
                guard let store = store?.settings.store else { continue }
                spawn {
                    var events: [StoredEvent] = []
                    // A few tries: the store may be briefly away (the bus reconnecting usually means it was).
                    for attempt in 0..<5 {
                        do {
                            events = try await store.events(of: session, after: after)
                            break
                        } catch {
                            await self.storeTrouble(error)
                            try? await self.clock.sleepUntil(self.now + .seconds(1 << attempt))
                        }
                    }
                    await self.gapFilled(session, events: events)
                }
            }
        }
    }

    private func gapFilled(_ session: String, events: [StoredEvent]) {
        guard sessions[session] == nil, let steps = store?.remote.filled(session, events: events.pairs) else {
            return
        }
        carryOut(steps)
    }

    /// `subscribe` to a session another instance holds: its snapshot and kept events are read from the store, then
    /// the client hears it like a local one (the same `seq`, `since_seq` from what is kept).
    func subscribeElsewhere(_ target: ReplyTarget, session: String, since: Int?, include: Set<EphemeralKind>) {
        guard let store = store?.settings.store else { return }
        let giveUp = now + Self.unknownSessionGrace
        spawn {
            var stored: StoredSession?
            var failure: ErrorBody?
            while true {
                do {
                    stored = try await store.load(session)
                } catch {
                    await self.storeTrouble(error)
                    failure = ErrorBody(.upstreamError, "the session store cannot be read now; try again")
                }
                // Not written yet (or unknown): looked for again, briefly.
                guard failure == nil, stored?.snapshot == nil, await self.now < giveUp else { break }
                try? await self.clock.sleepUntil(await self.now + Self.forwardRetryDelay / 2)
            }
            await self.subscribedElsewhere(target, session, since, include, stored, failure)
        }
    }

    private func subscribedElsewhere(
        _ target: ReplyTarget,
        _ session: String,
        _ since: Int?,
        _ include: Set<EphemeralKind>,
        _ stored: StoredSession?,
        _ failure: ErrorBody?
    ) {
        guard clients[target.client] != nil else { return }
        if sessions[session] != nil {
            // It arrived here meanwhile.
            return subscribe(target, session: session, since: since, include: include)
        }
        if let failure { return reply(target, .failure(failure)) }
        guard let stored, let bytes = stored.snapshot,
            var snapshot = try? JSONDecoder().decode(SessionSnapshot.self, from: Data(bytes))
        else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        follow(session)
        if let steps = store?.remote.read(session, snapshotSeq: snapshot.seq, events: stored.events.pairs) {
            carryOut(steps)
        }
        subscriptions.subscribe(target.client, to: session, include: include)
        // A follower still reading a gap is behind the stored snapshot: the snapshot claims no more than what this
        // instance has handed on, so the events that follow it here continue its seq without a gap.
        snapshot.seq = min(snapshot.seq, store?.remote.seq(of: session) ?? snapshot.seq)
        let after = since ?? snapshot.seq
        guard let frames = store?.remote.frames(of: session, after: after) else {
            // Older than what is kept: the snapshot, and no replay (as for a local session).
            let newer = store?.remote.frames(of: session, after: snapshot.seq) ?? []
            reply(target, .success(.sessions([snapshot], replayed: false)))
            for frame in newer { sink.send(frame, to: [target.client]) }
            return
        }
        reply(target, .success(.sessions([snapshot], replayed: since == nil ? nil : true)))
        for frame in frames { sink.send(frame, to: [target.client]) }
    }

    /// `subscribe` to every session with a bus: this instance's sessions and every other instance's, from the
    /// store; then each one's events as they come, wherever it is held.
    func subscribeAllWithStore(_ target: ReplyTarget, include: Set<EphemeralKind>) {
        guard let store = store?.settings.store else { return }
        spawn {
            var stored: [StoredSnapshot] = []
            do {
                stored = try await store.snapshots()
            } catch {
                await self.storeTrouble(error)
            }
            await self.subscribedAll(target, include: include, stored: stored)
        }
    }

    private func subscribedAll(_ target: ReplyTarget, include: Set<EphemeralKind>, stored: [StoredSnapshot]) {
        guard clients[target.client] != nil else { return }
        subscriptions.subscribeAll(target.client, include: include)
        var snapshots = liveSessions().map { $0.snapshot() }
        var owed: [[UInt8]] = []
        let decoder = JSONDecoder()
        for entry in stored where sessions[entry.lease.session] == nil {
            guard let bytes = entry.snapshot,
                var snapshot = try? decoder.decode(SessionSnapshot.self, from: Data(bytes))
            else { continue }
            let session = entry.lease.session
            follow(session)
            if let steps = store?.remote.read(session, snapshotSeq: snapshot.seq, events: []) { carryOut(steps) }
            snapshot.seq = min(snapshot.seq, store?.remote.seq(of: session) ?? snapshot.seq)
            owed += store?.remote.frames(of: session, after: snapshot.seq) ?? []
            snapshots.append(snapshot)
        }
        reply(target, .success(.sessions(snapshots)))
        for frame in owed { sink.send(frame, to: [target.client]) }
    }

    // MARK: the holder's side of the bus

    /// Stored events go to the other instances (after the write, so a gap they notice can always be read from
    /// the store).
    nonisolated static func announce(_ events: [StoredEvent], of session: String, on bus: any StoreBus) async throws {
        for event in events {
            let message = InstanceMessage.event(session: session, seq: event.seq, frame: event.frame)
            try await bus.post(message.encoded, to: nil)
        }
    }

    /// A session's end or handover, once written.
    nonisolated static func announce(
        _ finish: PendingWrites.Finish,
        of session: String,
        on bus: any StoreBus
    ) async throws {
        switch finish {
        case .remove: try await bus.post(InstanceMessage.ended(session: session).encoded, to: nil)
        case .release: try await bus.post(InstanceMessage.released(session: session).encoded, to: nil)
        }
    }

    /// `publishEphemeral` with a bus: the other instances' subscribers hear it too (never stored).
    func announceEphemeral(_ kind: EphemeralKind, frame: [UInt8], of session: String) {
        guard let bus = store?.settings.store.bus else { return }
        let body = InstanceMessage.ephemeral(session: session, kind: kind, frame: frame).encoded
        spawn { try? await bus.post(body, to: nil) }
    }

    /// A session handed over by its holder: taken over at once rather than at the next tick.
    private func takeOverReleased(_ session: String) {
        guard let settings = store?.settings, !work.isStopping, sessions[session] == nil,
            store?.writers[session] == nil, store?.arriving.contains(session) == false
        else { return }
        store?.arriving.insert(session)
        spawn { await self.takeOver([session], settings: settings) }
    }
}

extension [StoredEvent] {
    var pairs: [(seq: Int, frame: [UInt8])] { map { ($0.seq, $0.frame) } }
}

extension Request {
    /// The session a request acts on (what is forwarded to its holder); nil for the rest.
    var sessionActedOn: String? {
        switch self {
        case .pin(let session, _), .leave(let session), .control(let session, _), .wayIn(let session, _): session
        case .auth, .ping, .list, .subscribe, .unsubscribe, .join: nil
        }
    }
}
