import BridgeProtocol
import BridgeStore
import InfinityClient
import Logging

/// Leases as a fence, and the store's health.
///
/// A holder acts on a session (commands, token refreshes, publishing the node's events) only while its lease is
/// still running by the wall clock, or after the store confirmed it again. A holder that was paused past its
/// lease (SIGSTOP, a long GC-free stall, a partition) therefore asks the store first, learns that another
/// instance took over (`fenced`) and drops the session without touching the node; a holder that simply could not
/// reach the store keeps the session and carries on once the store answers.
///
/// Store trouble (a failed or unanswered statement: a probe runs every second) is told to clients as an
/// `upstream` event `store_unavailable` in every session held here, and `store_restored` once it answers again;
/// `/healthz` says the same.
extension BridgeEngine {
    /// How often the store is probed (`SELECT 1`).
    static let storeProbePeriod: Duration = .seconds(1)
    /// Updates held while a lease is being confirmed, at most (the oldest are dropped past it).
    static let heldUpdateLimit = 4_096

    // MARK: the fence

    /// Whether this instance may act on a session now: no store, a new session still taking its lease, or a lease
    /// running by the wall clock.
    func leaseRunning(_ session: String) -> Bool {
        guard let store, let lease = store.writers[session]?.lease else { return true }
        return lease.expires > store.settings.now()
    }

    /// The refusal of a request on a session whose lease has run out unconfirmed (the store is away); it also
    /// starts confirming the lease.
    func leaseRefusal(_ session: String) -> ErrorBody? {
        guard !leaseRunning(session) else { return nil }
        confirmLease(session)
        return ErrorBody(
            .storeUnavailable,
            "this bridge instance cannot reach its store to confirm it still holds the session; try again shortly"
        )
    }

    /// `upstreamUpdate` on a session whose lease ran out: the update waits until the store confirms the lease
    /// (then it is applied, in order) or refuses it (then the session is dropped here, update and all). The link's
    /// end is not held: the session ends here with what waited applied first (a store away past the lease ends
    /// its sessions when their node tokens run out).
    /// - Returns: true when the update was held.
    func holdUpdateWhileUnconfirmed(_ record: SessionRecord, _ update: ConnectionUpdate) -> Bool {
        guard !record.heldUpdates.isEmpty || !leaseRunning(record.id) else { return false }
        if case .ended = update {
            let held = record.heldUpdates
            record.heldUpdates = []
            for waiting in held where sessions[record.id] === record { applyUpstreamUpdate(waiting, to: record) }
            return sessions[record.id] !== record
        }
        record.heldUpdates.append(update)
        if record.heldUpdates.count > Self.heldUpdateLimit {
            record.heldUpdates.removeFirst(record.heldUpdates.count - Self.heldUpdateLimit)
            logger.warning("updates dropped while the lease is unconfirmed", metadata: ["session": "\(record.id)"])
        }
        confirmLease(record.id)
        return true
    }

    /// Asks the store to renew a session's lease now (once at a time per session).
    func confirmLease(_ session: String) {
        guard let settings = store?.settings, let lease = store?.writers[session]?.lease,
            store?.confirming.insert(session).inserted == true
        else { return }
        spawn {
            switch await self.renewWithin(lease, settings: settings, limit: settings.leaseDuration / 3) {
            case .renewed(let renewed): await self.leaseConfirmed(renewed)
            case .fenced: await self.leaseRefused(session)
            case .failed(let error): await self.leaseUnconfirmed(session, error)
            }
        }
    }

    private func leaseConfirmed(_ lease: Lease) {
        store?.confirming.remove(lease.session)
        storeFine()
        guard store?.writers[lease.session]?.lease?.epoch == lease.epoch else { return }
        store?.writers[lease.session]?.lease = lease
        guard let record = sessions[lease.session] else { return }
        let held = record.heldUpdates
        record.heldUpdates = []
        for update in held where sessions[lease.session] === record { applyUpstreamUpdate(update, to: record) }
    }

    private func leaseRefused(_ session: String) {
        store?.confirming.remove(session)
        leaseLost(session)
    }

    private func leaseUnconfirmed(_ session: String, _ error: any Error) {
        store?.confirming.remove(session)
        storeTrouble(error)
        // Asked again by the next update, request or tick.
        guard let record = sessions[session], !record.heldUpdates.isEmpty else { return }
        schedule(at: now + Self.storeProbePeriod) { engine in await engine.confirmLease(session) }
    }

    /// Asked by the session's link before every token refresh: the lease is renewed first, so a holder that lost
    /// it never refreshes. A store that fails or does not answer within a third of the lease permits the refresh
    /// only while the lease still runs by the wall clock.
    /// - Parameter session: the session.
    func permitRefresh(_ session: String) async -> Bool {
        guard let settings = store?.settings, sessions[session] != nil, let writer = store?.writers[session] else {
            return store == nil && sessions[session] != nil
        }
        // A new session whose writer is still taking its first lease: nobody else can hold it yet.
        guard let lease = writer.lease else { return true }
        let outcome = await renewWithin(lease, settings: settings, limit: settings.leaseDuration / 3)
        // Whatever the answer, the session must still be held here, under the same epoch, after the wait (the
        // ticker may have found the lease fenced meanwhile).
        guard sessions[session] != nil, let held = store?.writers[session]?.lease, held.epoch == lease.epoch else {
            return false
        }
        switch outcome {
        case .renewed(let renewed):
            storeFine()
            store?.writers[session]?.lease = renewed
            return true
        case .fenced:
            logger.warning(
                "token refresh refused: the lease moved to another instance",
                metadata: ["session": "\(session)"]
            )
            leaseLost(session)
            return false
        case .failed(let error):
            storeTrouble(error)
            // Unconfirmed: only a lease still running by the wall clock permits it.
            return held.expires > settings.now()
        }
    }

    enum RenewOutcome: Sendable {
        case renewed(Lease)
        case fenced
        case failed(any Error)
    }

    /// Renews one lease, waiting at most `limit` on the engine's clock: a paused store leaves its statement
    /// hanging, and what waits here (a token refresh) must not hang with it. The statement itself runs on (not
    /// counted as upstream work) and its late answer is dropped.
    func renewWithin(_ lease: Lease, settings: StoreSettings, limit: Duration) async -> RenewOutcome {
        let (outcomes, first) = AsyncStream.makeStream(of: RenewOutcome.self, bufferingPolicy: .bufferingOldest(1))
        work.input.yield {
            do {
                let renewed = try await settings.store.renew(lease, for: settings.leaseDuration, now: settings.now())
                first.yield(.renewed(renewed))
            } catch StoreError.fenced {
                first.yield(.fenced)
            } catch {
                first.yield(.failed(error))
            }
        }
        let sleep = clock.sleepUntil
        let deadline = now + limit
        work.input.yield {
            try? await sleep(deadline)
            first.yield(.failed(StoreError.unavailable("no answer within \(limit)")))
        }
        for await outcome in outcomes {
            first.finish()
            return outcome
        }
        return .failed(StoreError.unavailable("the engine stopped"))
    }

    // MARK: health

    /// The store failed or did not answer: told once, until it answers again.
    func storeTrouble(_ error: any Error) {
        if case StoreError.fenced = error { return }
        guard let settings = store?.settings, store?.health.unavailableSince == nil else { return }
        let since = settings.now()
        store?.health.unavailableSince = since
        store?.metrics.available.set(0)
        logger.warning("store unavailable", metadata: ["instance": "\(settings.instance)", "error": "\(error)"])
        publishStoreHealth()
        for record in liveSessions() where store?.writers[record.id] != nil {
            publish(.upstream(UpstreamStatus(status: .storeUnavailable)), in: record)
        }
    }

    /// The store answered.
    func storeFine() {
        guard let settings = store?.settings, let since = store?.health.unavailableSince else { return }
        store?.health.unavailableSince = nil
        store?.metrics.available.set(1)
        logger.notice(
            "store available again",
            metadata: [
                "instance": "\(settings.instance)",
                "after_ms": "\(settings.now().milliseconds - since.milliseconds)",
            ]
        )
        publishStoreHealth()
        for record in liveSessions() where store?.writers[record.id] != nil {
            publish(.upstream(UpstreamStatus(status: .storeRestored)), in: record)
        }
    }

    /// `/healthz`'s view of the store.
    func publishStoreHealth() {
        guard let store else { return }
        let listening: Bool? = store.settings.store.bus == nil ? nil : store.busListening
        storeHealth.update(
            { status in
                status.available = store.health.unavailableSince == nil
                status.unavailableSince = store.health.unavailableSince?.milliseconds
                status.leasesHeld = store.leasesHeld
                status.busListening = listening
            },
            instance: store.settings.instance,
            kind: store.settings.store.bus == nil ? "sqlite" : "postgres"
        )
    }

    /// Probes the store every second until the engine stops (a timer job): a probe unanswered for two periods
    /// (a paused or unreachable server) is trouble, as is a failed one; an answer ends it.
    func runStoreProbe() async {
        guard let settings = store?.settings else { return }
        publishStoreHealth()
        while true {
            do {
                try await clock.sleepUntil(now + Self.storeProbePeriod)
            } catch {
                return
            }
            guard let started = store?.probeStarted else {
                let begun = now
                store?.probeStarted = begun
                // Not counted as upstream work: a probe hanging on a paused server must not hold up shutdown.
                work.input.yield {
                    let wall = StoreTime.now()
                    do {
                        try await settings.store.ping()
                        await self.probeAnswered(begun, error: nil, wall: wall)
                    } catch {
                        await self.probeAnswered(begun, error: error, wall: wall)
                    }
                }
                continue
            }
            if now - started >= Self.storeProbePeriod * 2 {
                storeTrouble(StoreError.unavailable("no answer to a probe for \(now - started)"))
            }
        }
    }

    private func probeAnswered(_ started: Moment, error: (any Error)?, wall: StoreTime) {
        guard store?.probeStarted == started else { return }
        store?.probeStarted = nil
        if let error { return storeTrouble(error) }
        store?.metrics.probe.recordMilliseconds(StoreTime.now().milliseconds - wall.milliseconds)
        storeFine()
    }
}
