import BridgeProtocol

/// A session's participants in join order, with the node's sync bursts diffed into real changes.
///
/// Bounded against a hostile or broken node: at most `capacity` participants are kept (newcomers beyond it are
/// not shown), and a sync burst is collected in a dictionary, so a burst of n participants costs O(n), not O(n²),
/// and can never grow past the capacity even if `participant_sync_end` never comes.
public struct Roster: Sendable, Equatable {
    /// One change to tell subscribers about.
    public enum Change: Sendable, Equatable {
        case joined(Participant)
        case updated(Participant)
        case left(uuid: String)
    }

    /// Participants kept per session by default: far above any real conference, low enough that a session's
    /// snapshot stays well under a client's outbox limit.
    public static let defaultCapacity = 2000

    private struct Burst: Sendable, Equatable {
        var order: [String] = []
        var byID: [String: Participant] = [:]
    }

    public let capacity: Int
    private var order: [String] = []
    private var byID: [String: Participant] = [:]
    private var incoming: Burst?

    /// - Parameter capacity: the most participants kept (at least 1).
    public init(capacity: Int = Roster.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    /// Everyone, in the order they joined.
    public var participants: [Participant] { order.compactMap { byID[$0] } }

    /// The participant with this uuid.
    public subscript(uuid: String) -> Participant? { byID[uuid] }

    /// True between `participant_sync_begin` and `participant_sync_end`.
    public var isSyncing: Bool { incoming != nil }

    /// Starts collecting a full roster from the node.
    public mutating func beginSync() {
        incoming = Burst()
    }

    /// Ends a sync burst: the collected roster replaces the old one, and only the differences are reported.
    public mutating func endSync() -> [Change] {
        guard let fresh = incoming else { return [] }
        incoming = nil
        var changes: [Change] = []
        for uuid in order where fresh.byID[uuid] == nil {
            byID[uuid] = nil
            changes.append(.left(uuid: uuid))
        }
        order.removeAll { fresh.byID[$0] == nil }
        var seen: Set<String> = []
        for uuid in fresh.order where seen.insert(uuid).inserted {
            if let participant = fresh.byID[uuid] { changes += apply(participant) }
        }
        return changes
    }

    /// A participant was created or updated; buffered while syncing.
    public mutating func upsert(_ participant: Participant) -> [Change] {
        if incoming != nil {
            if incoming!.byID[participant.uuid] == nil {
                guard incoming!.byID.count < capacity else { return [] }
                incoming!.order.append(participant.uuid)
            }
            incoming!.byID[participant.uuid] = participant
            return []
        }
        return apply(participant)
    }

    /// A participant left.
    public mutating func remove(uuid: String) -> [Change] {
        if incoming != nil {
            // Its place in the burst's order is skipped at the end (`endSync` reads only what is still there).
            incoming!.byID[uuid] = nil
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
        guard byID.count < capacity else { return [] }
        byID[participant.uuid] = participant
        order.append(participant.uuid)
        return [.joined(participant)]
    }
}
