import BridgeProtocol
import BridgeStore
import CoreMetrics
import Foundation
import InfinityClient
import Logging

/// How a bridge with a store keeps its sessions (`serve --store`): which store, under which instance name, with
/// which lease, and what SIGTERM does.
public struct StoreSettings: Sendable {
    /// What a graceful shutdown does with connected sessions.
    public enum ExitPolicy: String, Sendable, CaseIterable {
        /// Keep the participant in the conference and leave the session to the next holder (`upstream` status
        /// `handover` to subscribers).
        case handover
        /// End every session and release its token, as without a store.
        case release
    }

    public var store: any SessionStore
    /// This process's name among the store's instances (`--instance`).
    public var instance: String
    /// Who holds leases and is addressed on the bus: `instance`, unless `serve` made it unique to this process
    /// (two processes started with the same name, e.g. the default host name on one machine, must still be two
    /// holders).
    public var holder: String
    /// How long a lease runs unless renewed (`--lease-seconds`); renewed every third of it.
    public var leaseDuration: Duration
    public var onExit: ExitPolicy
    /// Wall-clock time for leases and token expiries (shared with other instances); tests pass their own.
    public var now: @Sendable () -> StoreTime

    /// - Parameters:
    ///   - store: the open store.
    ///   - instance: this process's instance name.
    ///   - leaseDuration: the lease length.
    ///   - onExit: handover (default) or release on SIGTERM.
    ///   - now: the wall clock.
    ///   - holder: the lease holder and bus address (default: `instance`).
    public init(
        store: any SessionStore,
        instance: String,
        holder: String? = nil,
        leaseDuration: Duration = .seconds(10),
        onExit: ExitPolicy = .handover,
        now: @escaping @Sendable () -> StoreTime = { StoreTime.now() }
    ) {
        self.store = store
        self.instance = instance
        self.holder = holder ?? instance
        self.leaseDuration = leaseDuration
        self.onExit = onExit
        self.now = now
    }
}

/// The engine's side of the store: one writer per session this instance holds, fed coalesced batches.
///
/// The hot path (publish) only appends the encoded frame to the session's pending batch and wakes its writer:
/// pending events are capped at the replay depth (older ones would be trimmed from the store anyway) and the
/// snapshot is encoded once per batch, when the writer takes it, so a slow store costs bounded memory and never
/// delays fan-out.
struct EngineStore {
    let settings: StoreSettings
    let metrics: StoreMetrics
    /// Sessions this instance writes (held, or being acquired for a new session).
    var writers: [String: PendingWrites] = [:]
    /// Sessions being taken over (between `acquire` and their restore).
    var arriving: Set<String> = []
    /// Sessions other instances hold, followed for subscribers here (with a bus).
    var remote: RemoteSessions
    /// Requests sent to other instances, by reference, waiting for their answer.
    var forwarded: [UInt64: BridgeEngine.Forwarded] = [:]
    var nextRef: UInt64 = 0
    /// Stand-in clients of requests other instances forwarded here.
    var proxies: [ClientID: BridgeEngine.Proxy] = [:]
    /// Stand-in ids count down from the top half of the id space (transport ids count up from 1).
    var nextProxy: ClientID = ClientID.max - 1
    /// Sessions whose lease is being confirmed with the store.
    var confirming: Set<String> = []
    /// When the store stopped answering; nil while it answers.
    var health = StoreHealthState()
    /// When the probe in flight started.
    var probeStarted: Moment?
    /// Whether the bus listens (PostgreSQL).
    var busListening = false
    /// When the soonest lease another instance holds lapses, if a look is scheduled for then.
    var takeoverWake: StoreTime?

    init(settings: StoreSettings, metrics: StoreMetrics, replayDepth: Int) {
        self.settings = settings
        self.metrics = metrics
        self.remote = RemoteSessions(depth: replayDepth)
    }

    /// Leases this instance holds now.
    var leasesHeld: Int { writers.values.count { $0.lease != nil } }
}

/// Whether the store answers.
struct StoreHealthState {
    var unavailableSince: StoreTime?
}

/// What one session's writer has still to write.
struct PendingWrites {
    enum Finish: Sendable {
        /// The session ended: delete it.
        case remove
        /// Handed over: release the lease after the last writes.
        case release
    }

    let wake: AsyncStream<Void>.Continuation
    var lease: Lease?
    var events: [StoredEvent] = []
    var snapshotDirty = false
    /// A snapshot taken when the session left this instance (handover), written as is.
    var finalSnapshot: (bytes: [UInt8], seq: Int)?
    var token: StoredToken?
    /// The token last given to the writer, to notice refreshes, and its grant's details.
    var lastToken: String?
    var details: [UInt8] = []
    var finish: Finish?
}

/// One batch, taken from the engine by a writer.
struct StoreBatch: Sendable {
    var events: [StoredEvent]
    var snapshot: (bytes: [UInt8], seq: Int)?
    var token: StoredToken?
    var finish: PendingWrites.Finish?
}

/// What a held token's grant needs besides the token itself to be held again (stored beside the encrypted token;
/// nothing here is secret).
struct GrantDetails: Codable {
    var participantUUID: String
    var role: String
    var displayName: String
    var serviceType: String?
    var currentServiceType: String?
    var chatEnabled: Bool?
    var conferenceName: String?
    var version: String?
}

extension BridgeEngine {
    /// The owner recorded for sessions taken over from a store (no client of this process made them).
    static let restoredOwner = ClientID.max

    /// Keeps every session in `settings.store` from now on, takes over the sessions the store holds whose lease is
    /// free or lapsed (now and every third of the lease), renews this instance's leases, and hands sessions over
    /// on graceful shutdown unless `settings.onExit` is `.release`. Call once, before ``run()``.
    /// - Parameters:
    ///   - settings: the store and how to use it.
    ///   - metricsFactory: where the store's figures go (`pexbridge_store_*`).
    public func attachStore(_ settings: StoreSettings, metricsFactory: any MetricsFactory = MetricsSystem.factory) {
        precondition(store == nil, "attachStore(_:) is called once")
        store = EngineStore(
            settings: settings,
            metrics: StoreMetrics(factory: metricsFactory),
            replayDepth: configuration.replayDepth
        )
        store?.metrics.available.set(1)
        // Timer jobs (not counted as upstream work): they stop with the engine.
        work.input.yield { await self.runStoreTicker() }
        work.input.yield { await self.runStoreProbe() }
        if let bus = settings.store.bus { work.input.yield { await self.runBus(bus) } }
    }

    // MARK: hooks (engine-isolated, never suspend)

    /// `publish`: queue the event and mark the snapshot stale.
    func storeEvent(seq: Int, frame: [UInt8], of session: String) {
        if store?.writers[session] == nil { startWriter(session, lease: nil) }
        guard var pending = store?.writers[session], pending.finish == nil else { return }
        let depth = configuration.replayDepth
        if depth > 0 {
            pending.events.append(StoredEvent(seq: seq, frame: frame))
            if pending.events.count > depth { pending.events.removeFirst(pending.events.count - depth) }
        }
        pending.snapshotDirty = true
        store?.writers[session] = pending
        pending.wake.yield()
    }

    /// `openConnection`: the token now held.
    func storeGrant(_ grant: TokenGrant, of record: SessionRecord) {
        guard let settings = store?.settings else { return }
        let details = GrantDetails(
            participantUUID: grant.participantUUID,
            role: grant.role == .host ? "host" : "guest",
            displayName: grant.displayName,
            serviceType: grant.serviceType,
            currentServiceType: grant.currentServiceType,
            chatEnabled: grant.chatEnabled,
            conferenceName: grant.conferenceName,
            version: grant.version
        )
        let token = StoredToken(
            node: record.nodeText,
            alias: record.alias,
            token: grant.token,
            expires: settings.now() + .seconds(grant.expires),
            details: (try? Array(JSONEncoder().encode(details))) ?? []
        )
        queueToken(token, of: record.id)
    }

    /// `retire`: the session ended; its row goes once what is pending is written.
    func storeEnded(_ session: String) {
        finishWriter(session, .remove)
    }

    /// On graceful shutdown: a connected session whose lease this instance holds leaves it to the next holder.
    /// Subscribers hear `upstream` `handover`; the link stops without releasing the token; the writer writes the
    /// last events, snapshot and current token, then releases the lease.
    /// - Returns: false when the session is not handed over (no store, `--on-exit release`, not connected).
    func handOver(_ record: SessionRecord) -> Bool {
        guard let settings = store?.settings, settings.onExit == .handover, case .connected = record.machine.phase,
            let link = record.link, store?.writers[record.id] != nil
        else { return false }
        let (id, node, alias) = (record.id, record.nodeText, record.alias)
        publish(.upstream(UpstreamStatus(status: .handover)), in: record)
        store?.writers[id]?.finalSnapshot = encodedSnapshot(record)
        store?.writers[id]?.snapshotDirty = false
        record.link = nil
        sessions[id] = nil
        sessionLimits.closed(client: record.owner, alias: record.alias)
        subscriptions.removeSession(id)
        metrics.session(from: record.machine.state, to: nil)
        logger.info("session handed over", metadata: ["session": "\(id)"])
        store?.metrics.handovers.increment()
        spawn {
            let held = await link.heldToken()
            await link.close()
            await self.handedOver(id, held: held, node: node, alias: alias)
        }
        return true
    }

    private func handedOver(_ session: String, held: HeldToken?, node: String, alias: String) {
        // Always written: its expiry moves with every refresh even when the node kept the same token.
        if let held, let settings = store?.settings {
            queueTokenUpdate(held, node: node, alias: alias, settings: settings, of: session)
        }
        finishWriter(session, .release)
    }

    // MARK: writers

    private func queueToken(_ token: StoredToken, of session: String) {
        if store?.writers[session] == nil { startWriter(session, lease: nil) }
        guard var pending = store?.writers[session], pending.finish == nil else { return }
        pending.token = token
        pending.lastToken = token.token
        pending.details = token.details
        store?.writers[session] = pending
        pending.wake.yield()
    }

    /// A refreshed token whose details are already stored: only the secret and expiry change.
    private func queueTokenUpdate(
        _ held: HeldToken,
        node: String,
        alias: String,
        settings: StoreSettings,
        of session: String
    ) {
        guard var pending = store?.writers[session], pending.finish == nil else { return }
        pending.token = StoredToken(
            node: node,
            alias: alias,
            token: held.token,
            expires: settings.now() + held.validFor,
            details: pending.details
        )
        pending.lastToken = held.token
        store?.writers[session] = pending
        pending.wake.yield()
    }

    private func finishWriter(_ session: String, _ finish: PendingWrites.Finish) {
        guard var pending = store?.writers[session], pending.finish == nil else { return }
        pending.finish = finish
        store?.writers[session] = pending
        pending.wake.yield()
    }

    /// Starts the writer of a session: counted work, so a graceful shutdown waits for its last batch.
    /// - Parameters:
    ///   - session: the session id.
    ///   - lease: the lease when taken over; nil for a new session (the writer acquires it first).
    func startWriter(_ session: String, lease: Lease?, token: StoredToken? = nil) {
        guard let settings = store?.settings else { return }
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var pending = PendingWrites(wake: wake, lease: lease)
        pending.lastToken = token?.token
        pending.details = token?.details ?? []
        store?.writers[session] = pending
        let depth = configuration.replayDepth
        let logger = logger
        let clock = clock
        guard let metrics = store?.metrics else { return }
        updateLeaseGauge()
        spawn {
            var held = lease
            if held == nil {
                do {
                    held = try await settings.store.acquire(
                        session,
                        holder: settings.holder,
                        for: settings.leaseDuration,
                        now: settings.now()
                    )
                } catch {
                    logger.warning(
                        "store: cannot take a lease",
                        metadata: ["session": "\(session)", "error": "\(error)"]
                    )
                }
                await self.leaseAcquired(session, held)
            }
            guard let lease = held else { return }
            for await _ in wakes {
                guard let batch = await self.takeBatch(session) else { return }
                do {
                    let started = StoreTime.now()
                    let unannounced = try await Self.write(
                        batch,
                        of: session,
                        lease: lease,
                        depth: depth,
                        to: settings.store
                    )
                    metrics.writes.recordMilliseconds(StoreTime.now().milliseconds - started.milliseconds)
                    if let unannounced {
                        await self.storeTrouble(unannounced)
                    } else {
                        await self.storeFine()
                    }
                    if batch.token != nil, batch.finish == nil {
                        // What a crash would leave: another holder can take the session over from here on.
                        logger.debug("session token stored", metadata: ["session": "\(session)"])
                    }
                } catch StoreError.fenced {
                    await self.leaseLost(session)
                    return
                } catch {
                    // The store is away: keep the batch and try again after a pause (fan-out goes on meanwhile).
                    logger.warning("store: write failed", metadata: ["session": "\(session)", "error": "\(error)"])
                    metrics.writeFailures.increment()
                    await self.storeTrouble(error)
                    await self.requeue(session, batch)
                    try? await clock.sleepUntil(clock.now() + Self.storeRetryDelay)
                    continue
                }
                if batch.finish != nil {
                    await self.writerFinished(session)
                    return
                }
            }
        }
    }

    private func leaseAcquired(_ session: String, _ lease: Lease?) {
        guard let lease else {
            logger.warning(
                "store: session is held by another instance; not written",
                metadata: ["session": "\(session)"]
            )
            store?.writers[session]?.wake.finish()
            store?.writers[session] = nil
            return
        }
        store?.writers[session]?.lease = lease
        updateLeaseGauge()
    }

    private func updateLeaseGauge() {
        guard let store else { return }
        store.metrics.leasesHeld.set(store.leasesHeld)
        publishStoreHealth()
    }

    /// A session followed from another instance is held here now: its subscribers here get what the holder
    /// stored after what they heard, then hear it from here.
    func stopFollowing(_ session: String, stored: [StoredEvent]) {
        guard let heard = store?.remote.seq(of: session) else { return }
        store?.remote.forget(session)
        let owed = stored.filter { $0.seq > heard }
        let to = subscriptions.recipients(of: session)
        guard !owed.isEmpty, !to.isEmpty else { return }
        for event in owed { sink.send(event.frame, to: to) }
    }

    /// Everything pending for a session's writer; the snapshot is encoded here, once per batch.
    private func takeBatch(_ session: String) -> StoreBatch? {
        guard var pending = store?.writers[session] else { return nil }
        var snapshot = pending.finalSnapshot
        if snapshot == nil, pending.snapshotDirty, let record = sessions[session] {
            snapshot = encodedSnapshot(record)
        }
        let batch = StoreBatch(events: pending.events, snapshot: snapshot, token: pending.token, finish: pending.finish)
        pending.events = []
        pending.snapshotDirty = false
        pending.finalSnapshot = nil
        pending.token = nil
        store?.writers[session] = pending
        return batch
    }

    /// The last batch (with `finish`) is written: the session's writer is done.
    private func writerFinished(_ session: String) {
        store?.writers[session]?.wake.finish()
        store?.writers[session] = nil
        updateLeaseGauge()
    }

    /// A batch the store did not take goes back in front of what came since, within the same bounds (the last
    /// `depth` events, one snapshot, the newest token), and is tried again.
    private func requeue(_ session: String, _ batch: StoreBatch) {
        guard var pending = store?.writers[session] else { return }
        let depth = configuration.replayDepth
        pending.events = batch.events + pending.events
        if pending.events.count > depth { pending.events.removeFirst(pending.events.count - depth) }
        if batch.snapshot != nil {
            if sessions[session] != nil {
                pending.snapshotDirty = true
            } else if pending.finalSnapshot == nil {
                pending.finalSnapshot = batch.snapshot
            }
        }
        if pending.token == nil { pending.token = batch.token }
        store?.writers[session] = pending
        pending.wake.yield()
    }

    /// Writes a batch. With a bus, its events are announced to the other instances as soon as they are stored
    /// (before the token and snapshot: the snapshot is not what followers wait for), and the session's end or
    /// handover once that is written. An announcement that fails is not retried: the events are stored, and the
    /// other instances read what they missed at their next event or reconnect.
    /// - Returns: the first announcement failure, if any.
    private static func write(
        _ batch: StoreBatch,
        of session: String,
        lease: Lease,
        depth: Int,
        to store: any SessionStore
    ) async throws -> (any Error)? {
        var unannounced: (any Error)?
        if batch.events.count == 1, let event = batch.events.first {
            try await store.appendEvent(seq: event.seq, frame: event.frame, keeping: depth, lease: lease)
        } else if !batch.events.isEmpty {
            try await store.appendEvents(batch.events, keeping: depth, lease: lease)
        }
        if let bus = store.bus, !batch.events.isEmpty {
            do {
                try await Self.announce(batch.events, of: session, on: bus)
            } catch {
                unannounced = error
            }
        }
        if let token = batch.token {
            try await store.saveToken(token, lease: lease)
        }
        if let snapshot = batch.snapshot {
            try await store.saveSnapshot(snapshot.bytes, seq: snapshot.seq, lease: lease)
        }
        switch batch.finish {
        case .remove?: try await store.remove(lease)
        case .release?: try await store.release(lease)
        case nil: break
        }
        if let bus = store.bus, let finish = batch.finish {
            do {
                try await Self.announce(finish, of: session, on: bus)
            } catch {
                unannounced = unannounced ?? error
            }
        }
        return unannounced
    }

    private func encodedSnapshot(_ record: SessionRecord) -> (bytes: [UInt8], seq: Int)? {
        let snapshot = record.snapshot()
        guard let data = try? JSONEncoder().encode(snapshot) else { return nil }
        return (Array(data), snapshot.seq)
    }

    /// Another instance holds the session now: stop holding it here, without releasing its token. With a bus,
    /// its subscribers here go on hearing it from the new holder.
    func leaseLost(_ session: String) {
        logger.warning(
            "store: lease lost to another instance; session dropped here",
            metadata: ["session": "\(session)"]
        )
        store?.writers[session]?.wake.finish()
        store?.writers[session] = nil
        store?.metrics.leasesLost.increment()
        updateLeaseGauge()
        guard let record = sessions[session] else { return }
        if let link = record.link {
            record.link = nil
            spawn { await link.close() }
        }
        sessions[session] = nil
        sessionLimits.closed(client: record.owner, alias: record.alias)
        if store?.settings.store.bus != nil {
            store?.remote.adopt(session, seq: record.seq, history: Array(record.history[record.historyStart...]))
        } else {
            subscriptions.removeSession(session)
        }
        metrics.session(from: record.machine.state, to: nil)
    }

    // MARK: leases and takeover

    /// Renews leases and takes over free sessions every third of the lease, on the injected clock.
    private func runStoreTicker() async {
        guard let settings = store?.settings else { return }
        let period = settings.leaseDuration / 3
        await takeOverFreeSessions()
        var ticks = 0
        while true {
            do {
                try await clock.sleepUntil(now + period)
            } catch {
                return
            }
            guard !work.isStopping else { continue }
            await renewLeases()
            await noteRefreshedTokens()
            await takeOverFreeSessions()
            ticks += 1
            if ticks % 10 == 0 { await forgetEndedFollowed() }
        }
    }

    private func renewLeases() async {
        guard let settings = store?.settings else { return }
        let held = (store?.writers ?? [:]).compactMap { id, pending in pending.finish == nil ? pending.lease : nil }
        guard !held.isEmpty else { return }
        let renewed: [Lease]
        do {
            renewed = try await settings.store.renew(held, for: settings.leaseDuration, now: settings.now())
        } catch {
            logger.warning("store: lease renewal failed", metadata: ["error": "\(error)"])
            return storeTrouble(error)
        }
        storeFine()
        let kept = Dictionary(renewed.map { ($0.session, $0) }, uniquingKeysWith: { first, _ in first })
        for lease in held {
            guard let next = kept[lease.session] else {
                // Fenced: another instance took it (or it was released meanwhile by this one's shutdown).
                if store?.writers[lease.session]?.lease?.epoch == lease.epoch { leaseLost(lease.session) }
                continue
            }
            if store?.writers[lease.session]?.lease?.epoch == next.epoch { store?.writers[lease.session]?.lease = next }
        }
        updateLeaseGauge()
    }

    /// A link's new token, told before the link uses it: written at once (the node has invalidated the old one,
    /// so until this write lands a crash would leave a takeover holding a dead token).
    func tokenRefreshed(_ held: HeldToken, of session: String) {
        guard let record = sessions[session], let settings = store?.settings, store?.writers[session] != nil else {
            return
        }
        queueTokenUpdate(held, node: record.nodeText, alias: record.alias, settings: settings, of: session)
    }

    /// Refreshed tokens go to the store, so a takeover after a crash holds the token the node accepts now (a
    /// second path besides ``tokenRefreshed(_:of:)``: links that cannot tell).
    private func noteRefreshedTokens() async {
        for (id, record) in sessions {
            guard let link = record.link, store?.writers[id] != nil else { continue }
            guard let held = await link.heldToken(), let settings = store?.settings else { continue }
            guard sessions[id] === record, store?.writers[id]?.lastToken != held.token else { continue }
            queueTokenUpdate(held, node: record.nodeText, alias: record.alias, settings: settings, of: id)
        }
    }

    /// Followed sessions the store no longer has (their end was missed while the bus was down) are forgotten.
    private func forgetEndedFollowed() async {
        guard let settings = store?.settings, settings.store.bus != nil, store?.remote.mirrors.isEmpty == false else {
            return
        }
        guard let live = try? await settings.store.sessions() else { return }
        let gone = store?.remote.keep(only: Set(live.map(\.session))) ?? []
        for session in gone where sessions[session] == nil { subscriptions.removeSession(session) }
    }

    /// Takes over every session in the store whose lease is free or lapsed.
    private func takeOverFreeSessions() async {
        guard let settings = store?.settings, !work.isStopping else { return }
        let states: [LeaseState]
        do {
            states = try await settings.store.sessions()
        } catch {
            logger.warning("store: cannot list sessions", metadata: ["error": "\(error)"])
            return storeTrouble(error)
        }
        scheduleTakeoverWake(states, settings: settings)
        var claimed: [String] = []
        for state in states where state.isFree(at: settings.now()) {
            let id = state.session
            guard sessions[id] == nil, store?.writers[id] == nil, store?.arriving.contains(id) == false else {
                continue
            }
            store?.arriving.insert(id)
            claimed.append(id)
        }
        guard !claimed.isEmpty else { return }
        // A store that takes many sessions in one statement gets them in batches (a restart with a thousand
        // sessions is about a hundred statements, not three thousand); any other, one at a time. Several batches
        // or sessions at once, so the store's round trips overlap. Batches stay small: restoring 4 x 50 sessions
        // at once opened their event streams in one burst, and 300 sessions in one room had their streams back
        // in 16-24 s instead of 7 s with 2 x 20 (scripts/bench.sh store, resume).
        let batches: [[String]]
        let width: Int
        if settings.store is any BatchSessionStore {
            let size = 20
            batches = stride(from: 0, to: claimed.count, by: size).map {
                Array(claimed[$0..<min($0 + size, claimed.count)])
            }
            width = 2
        } else {
            batches = claimed.map { [$0] }
            width = Self.takeoverWidth
        }
        await withTaskGroup(of: Void.self) { group in
            var next = batches.makeIterator()
            for _ in 0..<width {
                guard let batch = next.next() else { break }
                group.addTask { await self.takeOver(batch, settings: settings) }
            }
            for await _ in group {
                guard let batch = next.next() else { continue }
                group.addTask { await self.takeOver(batch, settings: settings) }
            }
        }
    }

    /// Looks again right after the soonest lease another instance holds lapses, rather than at the next tick: a
    /// dead holder's sessions are taken over a lease after its last renewal, not up to a third of a lease later.
    private func scheduleTakeoverWake(_ states: [LeaseState], settings: StoreSettings) {
        let wall = settings.now()
        let soonest = states.lazy.filter { state in
            !state.isFree(at: wall) && state.holder != settings.holder && self.sessions[state.session] == nil
        }.map(\.expires).min()
        guard let soonest, store?.takeoverWake.map({ soonest < $0 }) ?? true else { return }
        store?.takeoverWake = soonest
        let delay = Duration.milliseconds(soonest.milliseconds - wall.milliseconds) + Self.takeoverWakeMargin
        schedule(at: now + delay) { engine in await engine.takeoverWoke(soonest) }
    }

    private func takeoverWoke(_ at: StoreTime) async {
        guard store?.takeoverWake == at else { return }
        store?.takeoverWake = nil
        await takeOverFreeSessions()
    }

    /// How long after a lease's expiry the wake looks (the other clocks may be a little behind this one's).
    static let takeoverWakeMargin: Duration = .milliseconds(100)

    /// The pause before a write the store refused is tried again.
    static let storeRetryDelay: Duration = .seconds(1)

    /// How many sessions are taken over at once.
    static let takeoverWidth = 16

    /// Acquires and loads claimed sessions off the actor (in one batch when the store can), then restores them on
    /// the actor.
    nonisolated func takeOver(_ ids: [String], settings: StoreSettings) async {
        var taken: [(StoredSession, Lease)] = []
        let now = settings.now()
        do {
            if let store = settings.store as? any BatchSessionStore {
                let leases = try await store.acquire(
                    ids,
                    holder: settings.holder,
                    for: settings.leaseDuration,
                    now: now
                )
                if !leases.isEmpty {
                    let byID = Dictionary(leases.map { ($0.session, $0) }, uniquingKeysWith: { first, _ in first })
                    for stored in try await store.load(leases.map(\.session)) {
                        guard let lease = byID[stored.lease.session] else { continue }
                        taken.append((stored, lease))
                    }
                }
            } else {
                for id in ids {
                    if let lease = try await settings.store.acquire(
                        id,
                        holder: settings.holder,
                        for: settings.leaseDuration,
                        now: now
                    ), let stored = try await settings.store.load(id) {
                        taken.append((stored, lease))
                    }
                }
            }
        } catch {
            logger.warning(
                "store: takeover failed",
                metadata: ["sessions": "\(ids.count)", "first": "\(ids.first ?? "")", "error": "\(error)"]
            )
        }
        await arrived(ids, taken, settings: settings)
    }

    private func arrived(_ ids: [String], _ taken: [(StoredSession, Lease)], settings: StoreSettings) {
        for id in ids { store?.arriving.remove(id) }
        for (stored, lease) in taken {
            restore(stored, lease: lease, settings: settings)
        }
    }

    /// Holds a stored session again: connected, same seq, same node token; its replay history comes back too.
    /// A session that cannot be resumed (never connected, no token) is deleted; one whose token has expired ends
    /// with `upstream_lost`.
    private func restore(_ stored: StoredSession, lease: Lease, settings: StoreSettings) {
        let id = lease.session
        guard !work.isStopping, sessions[id] == nil else {
            spawn { try? await settings.store.release(lease) }
            return
        }
        guard let bytes = stored.snapshot,
            let snapshot = try? JSONDecoder().decode(SessionSnapshot.self, from: Data(bytes)),
            snapshot.state == .connected, let role = snapshot.role, let token = stored.token,
            let details = try? JSONDecoder().decode(GrantDetails.self, from: Data(token.details)),
            case .success(let node) = resolveNode(snapshot.node)
        else {
            logger.notice("store: session cannot be resumed; removed", metadata: ["session": "\(id)"])
            spawn { try? await settings.store.remove(lease) }
            return
        }
        nextSessionOrdinal += 1
        let record = SessionRecord(
            id: id,
            ordinal: nextSessionOrdinal,
            owner: Self.restoredOwner,
            node: node,
            nodeText: snapshot.node,
            alias: snapshot.alias,
            displayName: snapshot.displayName,
            maxPINAttempts: configuration.maxPINAttempts
        )
        record.machine = SessionMachine(resumedAs: role, maxPINAttempts: configuration.maxPINAttempts)
        record.seq = max(stored.seq, snapshot.seq, stored.events.last?.seq ?? 0)
        for participant in snapshot.participants { _ = record.roster.upsert(participant) }
        record.conference = snapshot.conference
        record.capabilities = snapshot.capabilities
        record.selfUUID = details.participantUUID
        record.chatEnabled = details.chatEnabled ?? true
        record.history = stored.events.map { (seq: $0.seq, frame: $0.frame) }
        sessions[id] = record
        stopFollowing(id, stored: stored.events)
        sessionLimits.opened(client: record.owner, alias: record.alias)
        subscriptions.addSession(id)
        metrics.session(from: nil, to: .connected)
        startWriter(id, lease: lease, token: token)
        let remaining = token.expires.milliseconds - settings.now().milliseconds
        guard remaining > 0 else {
            logger.notice("store: session's node token expired before takeover", metadata: ["session": "\(id)"])
            apply(
                .upstreamEnded(.upstreamLost, message: "the node token expired before the session was taken over"),
                to: record
            )
            return
        }
        record.grant = TokenGrant(
            token: token.token,
            expires: max(1, Int(remaining / 1000)),
            participantUUID: details.participantUUID,
            role: details.role == "host" ? .host : .guest,
            displayName: details.displayName,
            serviceType: details.serviceType,
            currentServiceType: details.currentServiceType,
            chatEnabled: details.chatEnabled,
            conferenceName: details.conferenceName,
            version: details.version
        )
        store?.metrics.takeovers.increment()
        logger.info(
            "session taken over",
            metadata: ["session": "\(id)", "epoch": "\(lease.epoch)", "seq": "\(record.seq)"]
        )
        openConnection(for: record)
        // openConnection queued the grant's token for the store, which holds that very token already (its expiry
        // differs by under a second): writing it again would cost a statement per session taken over.
        if store?.writers[id]?.token?.token == token.token { store?.writers[id]?.token = nil }
    }
}

extension BridgeEngine {
    /// `list` with a store: this instance's sessions, then those the store has that others hold (or that wait for
    /// a holder), as last written by their holder. The store is read off the actor; the reply follows.
    func listWithStore(_ target: ReplyTarget) {
        guard let settings = store?.settings else { return }
        let logger = logger
        spawn {
            let stored: [StoredSnapshot]
            do {
                stored = try await settings.store.snapshots()
            } catch {
                logger.warning("store: cannot list sessions", metadata: ["error": "\(error)"])
                stored = []
            }
            await self.answerList(target, stored: stored)
        }
    }

    private func answerList(_ target: ReplyTarget, stored: [StoredSnapshot]) {
        let local = liveSessions().map { $0.snapshot() }
        let known = Set(local.map(\.id))
        let decoder = JSONDecoder()
        let remote = stored.compactMap { entry -> SessionSnapshot? in
            guard !known.contains(entry.lease.session), let bytes = entry.snapshot else { return nil }
            return try? decoder.decode(SessionSnapshot.self, from: Data(bytes))
        }
        reply(target, .success(.sessions(local + remote)))
    }
}
