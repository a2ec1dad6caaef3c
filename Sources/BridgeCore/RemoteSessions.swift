/// The sessions other instances hold, as this instance follows them for its own subscribers: for each, the last
/// seq handed on and the recent frames (for `since_seq`). A value with no I/O: inputs in, steps out.
///
/// Events come from the holder over the bus in order, but a reconnecting listener can miss some, and a subscribe
/// reads the store, which may be ahead of the bus. So every frame is handed on exactly once and in seq order: a
/// frame past a gap waits while the gap is read from the store (``Step/fill(_:after:)``); what the store gives is
/// handed on first; duplicates are dropped. A gap the store no longer has (older than the replay depth) is
/// skipped, since nobody can fill it.
struct RemoteSessions: Sendable {
    struct Mirror: Sendable {
        /// The last seq handed on.
        var seq: Int
        /// The last `depth` frames handed on, oldest first.
        var history: [(seq: Int, frame: [UInt8])] = []
        /// A gap is being read from the store.
        var filling = false
        /// Frames past the gap, by seq, until it is filled.
        var waiting: [Int: [UInt8]] = [:]
    }

    /// What the engine must do.
    enum Step: Equatable, Sendable {
        /// Hand these frames, in order, to the session's subscribers here.
        case deliver(String, [[UInt8]])
        /// Read the session's kept events after `after` from the store, then call ``filled(_:events:)``.
        case fill(String, after: Int)
    }

    let depth: Int
    private(set) var mirrors: [String: Mirror] = [:]

    init(depth: Int) {
        self.depth = depth
    }

    /// The last seq handed on of a session followed here; nil when not followed.
    func seq(of session: String) -> Int? { mirrors[session]?.seq }

    /// Whether a session is followed here.
    func follows(_ session: String) -> Bool { mirrors[session] != nil }

    /// A live event from the holder.
    /// - Parameters:
    ///   - session: the session.
    ///   - seq: the event's seq.
    ///   - frame: the event as clients receive it.
    mutating func received(_ session: String, seq: Int, frame: [UInt8]) -> [Step] {
        // First sight of a session: it is followed from this event on.
        var mirror = mirrors[session] ?? Mirror(seq: seq - 1)
        defer { mirrors[session] = mirror }
        if seq <= mirror.seq { return [] }
        if mirror.filling || seq > mirror.seq + 1 {
            mirror.waiting[seq] = frame
            // Bounded while a fill takes long (the store away): only the newest `depth` wait; the store has the rest.
            if mirror.waiting.count > max(depth, 1), let oldest = mirror.waiting.keys.min() {
                mirror.waiting[oldest] = nil
            }
            if mirror.filling { return [] }
            mirror.filling = true
            return [.fill(session, after: mirror.seq)]
        }
        var frames = [frame]
        append(seq: seq, frame: frame, to: &mirror)
        frames += drainWaiting(&mirror, skippingGaps: false)
        return [.deliver(session, frames)]
    }

    /// The store's kept events after the seq a ``Step/fill(_:after:)`` named (or a subscribe's read): handed on
    /// in order with what waited; a gap neither has is skipped.
    /// - Parameters:
    ///   - session: the session.
    ///   - events: events read from the store, oldest first.
    mutating func filled(_ session: String, events: [(seq: Int, frame: [UInt8])]) -> [Step] {
        guard var mirror = mirrors[session] else { return [] }
        defer { mirrors[session] = mirror }
        mirror.filling = false
        for event in events where event.seq > mirror.seq && mirror.waiting[event.seq] == nil {
            mirror.waiting[event.seq] = event.frame
        }
        let frames = drainWaiting(&mirror, skippingGaps: true)
        return frames.isEmpty ? [] : [.deliver(session, frames)]
    }

    /// A subscribe read the session from the store: its snapshot is at `snapshotSeq` and `events` are the kept
    /// events. A session not followed yet is followed from there; one followed is brought up to date.
    /// - Parameters:
    ///   - session: the session.
    ///   - snapshotSeq: the stored snapshot's seq.
    ///   - events: the stored events, oldest first.
    mutating func read(_ session: String, snapshotSeq: Int, events: [(seq: Int, frame: [UInt8])]) -> [Step] {
        if mirrors[session] == nil {
            var mirror = Mirror(seq: snapshotSeq)
            // What the store keeps before the snapshot serves `since_seq`; nobody here is owed it.
            for event in events where event.seq <= snapshotSeq {
                append(seq: event.seq, frame: event.frame, to: &mirror)
            }
            mirrors[session] = mirror
        }
        guard var mirror = mirrors[session], mirror.filling else { return filled(session, events: events) }
        // A gap is being read already: what this read brought waits with the rest, and the contiguous run goes.
        for event in events where event.seq > mirror.seq && mirror.waiting[event.seq] == nil {
            mirror.waiting[event.seq] = event.frame
        }
        let frames = drainWaiting(&mirror, skippingGaps: false)
        mirrors[session] = mirror
        return frames.isEmpty ? [] : [.deliver(session, frames)]
    }

    /// A session this instance held until it lost the lease: followed from where it was.
    /// - Parameters:
    ///   - session: the session.
    ///   - seq: its last seq here.
    ///   - history: its kept frames, oldest first.
    mutating func adopt(_ session: String, seq: Int, history: [(seq: Int, frame: [UInt8])]) {
        var mirror = Mirror(seq: seq)
        mirror.history = Array(history.suffix(depth))
        mirrors[session] = mirror
    }

    /// The frames after `seq` of a followed session, oldest first; nil when they are not all kept here (`seq` is
    /// older than the history).
    /// - Parameters:
    ///   - session: the session.
    ///   - seq: the last seq the client has.
    func frames(of session: String, after seq: Int) -> [[UInt8]]? {
        guard let mirror = mirrors[session] else { return nil }
        if seq >= mirror.seq { return [] }
        guard let first = mirror.history.first, first.seq <= seq + 1 else { return nil }
        return mirror.history.filter { $0.seq > seq }.map(\.frame)
    }

    /// After the bus reconnected: anything may have been missed, so every followed session is read again.
    mutating func refillAll() -> [Step] {
        var steps: [Step] = []
        for (session, mirror) in mirrors where !mirror.filling {
            mirrors[session]?.filling = true
            steps.append(.fill(session, after: mirror.seq))
        }
        return steps
    }

    /// The session ended, or is held here now.
    mutating func forget(_ session: String) {
        mirrors[session] = nil
    }

    /// Forgets every followed session not in `live` (their end was announced while this instance was not
    /// listening).
    /// - Returns: the sessions forgotten.
    mutating func keep(only live: Set<String>) -> [String] {
        let gone = mirrors.keys.filter { !live.contains($0) }
        for session in gone { mirrors[session] = nil }
        return gone
    }

    private func append(seq: Int, frame: [UInt8], to mirror: inout Mirror) {
        mirror.seq = seq
        mirror.history.append((seq, frame))
        if mirror.history.count > depth { mirror.history.removeFirst(mirror.history.count - depth) }
    }

    /// Hands on what waited in seq order: only the contiguous run, or (after a fill) everything, skipping gaps.
    private func drainWaiting(_ mirror: inout Mirror, skippingGaps: Bool) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for seq in mirror.waiting.keys.sorted() {
            guard let frame = mirror.waiting[seq] else { continue }
            if seq <= mirror.seq {
                mirror.waiting[seq] = nil
                continue
            }
            if seq > mirror.seq + 1, !skippingGaps { break }
            mirror.waiting[seq] = nil
            append(seq: seq, frame: frame, to: &mirror)
            frames.append(frame)
        }
        return frames
    }
}
