import BridgeProtocol

extension BridgeEngine {
    /// Live sessions in the order they were made.
    func liveSessions() -> [SessionRecord] {
        sessions.values.sorted { $0.ordinal < $1.ordinal }
    }

    /// `list`: every live session's snapshot.
    func list(_ target: ReplyTarget) {
        if store != nil { return listWithStore(target) }
        reply(target, .success(.sessions(liveSessions().map { $0.snapshot() })))
    }

    /// `subscribe`: to one session (optionally resuming after `since`), or to every session.
    func subscribe(_ target: ReplyTarget, session: String?, since: Int?, include: Set<EphemeralKind> = []) {
        guard let session else {
            if store?.settings.store.bus != nil { return subscribeAllWithStore(target, include: include) }
            subscriptions.subscribeAll(target.client, include: include)
            return reply(target, .success(.sessions(liveSessions().map { $0.snapshot() })))
        }
        if isElsewhere(session) { return subscribeElsewhere(target, session: session, since: since, include: include) }
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        subscriptions.subscribe(target.client, to: session, include: include)
        guard let since else { return reply(target, .success(.sessions([record.snapshot()]))) }
        guard let missed = record.frames(after: since) else {
            return reply(target, .success(.sessions([record.snapshot()], replayed: false)))
        }
        reply(target, .success(.sessions([record.snapshot()], replayed: true)))
        for frame in missed { sink.send(frame, to: [target.client]) }
    }

    /// `unsubscribe`: from one session (a subscribe-all client opts out of it), or from everything.
    func unsubscribe(_ target: ReplyTarget, session: String?) {
        if let session {
            guard subscriptions.unsubscribe(target.client, from: session) else {
                return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
            }
        } else {
            subscriptions.unsubscribeAll(target.client)
        }
        reply(target, .success(.empty))
    }
}
