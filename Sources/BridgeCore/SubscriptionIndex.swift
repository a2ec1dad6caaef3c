import BridgeProtocol

/// Who hears which session: per-session subscribers, clients subscribed to every session, their opt-outs of
/// single sessions, and the cached recipient list fan-out uses. A value with no I/O.
///
/// The recipient list of a session is computed once and reused until any subscription changes (a global
/// version), so publishing an event to 10,000 observers costs one array read, not a set union per event.
struct SubscriptionIndex: Sendable {
    private struct SessionEntry: Sendable {
        var subscribers: Set<ClientID> = []
        /// Clients subscribed to every session that unsubscribed from this one.
        var optedOut: Set<ClientID> = []
        var recipients: [ClientID] = []
        var recipientsVersion = -1
        /// The ephemeral events each subscriber by id asked for with `include`.
        var includes: [ClientID: Set<EphemeralKind>] = [:]
        var ephemeralRecipients: [EphemeralKind: [ClientID]] = [:]
        var ephemeralVersion = -1
    }

    private var sessions: [String: SessionEntry] = [:]
    /// The sessions each client subscribed to by id.
    private var byClient: [ClientID: Set<String>] = [:]
    /// The sessions each subscribe-all client opted out of (so forgetting them never walks every session).
    private var optOuts: [ClientID: Set<String>] = [:]
    private var everything: Set<ClientID> = []
    /// The ephemeral events each subscribe-all client asked for with `include`.
    private var includeAll: [ClientID: Set<EphemeralKind>] = [:]
    private var version = 0

    /// A session subscribers may hear; one already known keeps its subscribers (a session taken over from, or
    /// lost to, another instance).
    mutating func addSession(_ session: String) {
        if sessions[session] == nil { sessions[session] = SessionEntry() }
    }

    /// Whether the session is known.
    func knows(_ session: String) -> Bool { sessions[session] != nil }

    /// A session ended: forget it and every subscription to it (cost: its own subscribers and opt-outs).
    mutating func removeSession(_ session: String) {
        guard let entry = sessions.removeValue(forKey: session) else { return }
        for client in entry.subscribers { byClient[client]?.remove(session) }
        for client in entry.optedOut { optOuts[client]?.remove(session) }
        version += 1
    }

    /// Subscribes `client` to one session (and lifts an opt-out of it); false when the session is unknown.
    /// `include` replaces what the client asked for on this session before (a plain subscribe asks for none).
    @discardableResult
    mutating func subscribe(_ client: ClientID, to session: String, include: Set<EphemeralKind> = []) -> Bool {
        guard sessions[session] != nil else { return false }
        sessions[session]?.subscribers.insert(client)
        sessions[session]?.includes[client] = include.isEmpty ? nil : include
        sessions[session]?.optedOut.remove(client)
        optOuts[client]?.remove(session)
        byClient[client, default: []].insert(session)
        version += 1
        return true
    }

    /// Unsubscribes `client` from one session; a subscribe-all client opts out of it. False when unknown.
    @discardableResult
    mutating func unsubscribe(_ client: ClientID, from session: String) -> Bool {
        guard sessions[session] != nil else { return false }
        sessions[session]?.subscribers.remove(client)
        sessions[session]?.includes[client] = nil
        byClient[client]?.remove(session)
        if everything.contains(client) {
            sessions[session]?.optedOut.insert(client)
            optOuts[client, default: []].insert(session)
        }
        version += 1
        return true
    }

    /// Subscribes `client` to every session, present and future; earlier opt-outs are forgotten.
    mutating func subscribeAll(_ client: ClientID, include: Set<EphemeralKind> = []) {
        everything.insert(client)
        includeAll[client] = include.isEmpty ? nil : include
        forgetOptOuts(of: client)
        version += 1
    }

    /// Ends every subscription of `client`.
    mutating func unsubscribeAll(_ client: ClientID) {
        for session in byClient.removeValue(forKey: client) ?? [] {
            sessions[session]?.subscribers.remove(client)
            sessions[session]?.includes[client] = nil
        }
        forgetOptOuts(of: client)
        everything.remove(client)
        includeAll[client] = nil
        version += 1
    }

    /// A client went away: the same as `unsubscribeAll`.
    mutating func removeClient(_ client: ClientID) {
        unsubscribeAll(client)
    }

    func isSubscribedToAll(_ client: ClientID) -> Bool { everything.contains(client) }

    /// The sessions `client` subscribed to by id.
    func sessions(of client: ClientID) -> Set<String> { byClient[client] ?? [] }

    /// Everyone who receives this session's events, from the cache while no subscription changed.
    mutating func recipients(of session: String) -> [ClientID] {
        guard let entry = sessions[session] else { return [] }
        if entry.recipientsVersion == version { return entry.recipients }
        let everyone = entry.optedOut.isEmpty ? everything : everything.subtracting(entry.optedOut)
        let recipients = Array(entry.subscribers.union(everyone))
        sessions[session]?.recipients = recipients
        sessions[session]?.recipientsVersion = version
        return recipients
    }

    /// Who receives this session's ephemeral events of `kind`: its subscribers that asked for them, by id or with
    /// their subscribe-all. Cached like `recipients(of:)`.
    mutating func ephemeralRecipients(of session: String, kind: EphemeralKind) -> [ClientID] {
        guard let entry = sessions[session] else { return [] }
        if entry.ephemeralVersion == version, let cached = entry.ephemeralRecipients[kind] { return cached }
        if entry.ephemeralVersion != version {
            sessions[session]?.ephemeralRecipients = [:]
            sessions[session]?.ephemeralVersion = version
        }
        var wanted: Set<ClientID> = []
        for (client, kinds) in entry.includes where kinds.contains(kind) { wanted.insert(client) }
        for (client, kinds) in includeAll where kinds.contains(kind) && !entry.optedOut.contains(client) {
            wanted.insert(client)
        }
        let recipients = Array(wanted)
        sessions[session]?.ephemeralRecipients[kind] = recipients
        return recipients
    }

    private mutating func forgetOptOuts(of client: ClientID) {
        for session in optOuts.removeValue(forKey: client) ?? [] { sessions[session]?.optedOut.remove(client) }
    }
}
