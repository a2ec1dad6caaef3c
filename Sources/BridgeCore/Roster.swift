import BridgeProtocol

/// A session's participants in join order, with the node's sync bursts diffed into real changes.
public struct Roster: Sendable, Equatable {
    /// One change to tell subscribers about.
    public enum Change: Sendable, Equatable {
        case joined(Participant)
        case updated(Participant)
        case left(uuid: String)
    }

    private var order: [String] = []
    private var byID: [String: Participant] = [:]
    private var incoming: [Participant]?

    public init() {}

    /// Everyone, in the order they joined.
    public var participants: [Participant] { order.compactMap { byID[$0] } }

    /// The participant with this uuid.
    public subscript(uuid: String) -> Participant? { byID[uuid] }

    /// True between `participant_sync_begin` and `participant_sync_end`.
    public var isSyncing: Bool { incoming != nil }

    /// Starts collecting a full roster from the node.
    public mutating func beginSync() {
        incoming = []
    }

    /// Ends a sync burst: the collected roster replaces the old one, and only the differences are reported.
    public mutating func endSync() -> [Change] {
        guard let fresh = incoming else { return [] }
        incoming = nil
        var changes: [Change] = []
        let freshIDs = Set(fresh.map(\.uuid))
        for uuid in order where !freshIDs.contains(uuid) {
            byID[uuid] = nil
            changes.append(.left(uuid: uuid))
        }
        order.removeAll { !freshIDs.contains($0) }
        for participant in fresh {
            changes += apply(participant)
        }
        return changes
    }

    /// A participant was created or updated; buffered while syncing.
    public mutating func upsert(_ participant: Participant) -> [Change] {
        if incoming != nil {
            incoming!.removeAll { $0.uuid == participant.uuid }
            incoming!.append(participant)
            return []
        }
        return apply(participant)
    }

    /// A participant left.
    public mutating func remove(uuid: String) -> [Change] {
        if incoming != nil {
            incoming!.removeAll { $0.uuid == uuid }
            return []
        }
        guard byID.removeValue(forKey: uuid) != nil else { return [] }
        order.removeAll { $0 == uuid }
        return [.left(uuid: uuid)]
    }

    private mutating func apply(_ participant: Participant) -> [Change] {
        if let old = byID[participant.uuid] {
            guard old != participant else { return [] }
            byID[participant.uuid] = participant
            return [.updated(participant)]
        }
        byID[participant.uuid] = participant
        order.append(participant.uuid)
        return [.joined(participant)]
    }
}
