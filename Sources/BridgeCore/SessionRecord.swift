import BridgeProtocol
import InfinityClient

/// One conference session's mutable state, owned by `BridgeEngine`.
final class SessionRecord {
    let id: String
    let node: NodeAddress
    let nodeText: String
    /// Changes when the node moves the session to another conference (`refer`).
    var alias: String
    let displayName: String
    var machine: SessionMachine
    var seq = 0
    var roster = Roster()
    var conference: ConferenceStatus?
    var chatEnabled = true
    var selfUUID: String?
    var grant: TokenGrant?
    var link: (any UpstreamLink)?
    /// Counts the links opened, so that a released link's late updates are told from the current one's.
    var linkGeneration = 0
    /// Upstream updates waiting for the store to confirm this instance's lease (see `BridgeEngine+Lease`).
    var heldUpdates: [ConnectionUpdate] = []
    /// Answers to the ways in (and a `refer` one-time token), sent with every token request of the session.
    var extras = TokenRequestExtras()
    var capabilities = Capabilities.none
    /// Who presents, the layout and who speaks, as last reported by the node (kept for snapshots).
    var presentation = PresentationState.inactive
    var layout = LayoutState.unknown
    var speakers: [String] = []
    var speakerGate = SpeakerGate()
    /// The last events' encoded frames, oldest first, for resuming clients.
    var history: [(seq: Int, frame: [UInt8])] = []
    var historyStart = 0

    /// Creation order, for `list` (sessions live in a dictionary, so retiring one is O(1)).
    let ordinal: UInt64
    /// The client whose `join` made it (for the per-client session limit).
    let owner: ClientID
    /// When a session waiting for a PIN expires; set while it is in a PIN state.
    var pinDeadline: Moment?
    /// The PIN attempt whose answer is being applied (so a wrong PIN is charged to whoever sent it).
    var lastPINAttempt: PINGuard.Attempt?

    init(
        id: String,
        ordinal: UInt64,
        owner: ClientID,
        node: NodeAddress,
        nodeText: String,
        alias: String,
        displayName: String,
        maxPINAttempts: Int
    ) {
        self.id = id
        self.ordinal = ordinal
        self.owner = owner
        self.node = node
        self.nodeText = nodeText
        self.alias = alias
        self.displayName = displayName
        self.machine = SessionMachine(maxPINAttempts: maxPINAttempts)
    }

    /// The session as clients see it.
    func snapshot() -> SessionSnapshot {
        let error: ErrorBody? =
            switch machine.phase {
            case .failed(let e): e
            case .created, .connecting, .probingChallenge, .awaitingPIN, .submittingPIN, .connected, .disconnected,
                .wayIn:
                lastPINError
            }
        var snapshot = SessionSnapshot(
            id: id,
            seq: seq,
            state: machine.state,
            node: nodeText,
            alias: alias,
            displayName: displayName,
            role: machine.role,
            pin: machine.pinRequirement,
            error: error,
            participants: roster.participants,
            conference: conference,
            capabilities: capabilities,
            pinAttemptsLeft: machine.pinRequirement == nil ? nil : machine.attemptsLeft
        )
        snapshot.presentation = presentation
        snapshot.layout = layout
        snapshot.speakers = speakers
        if let step = machine.wayInStep { snapshot.addWayIn(step) }
        return snapshot
    }

    /// True while the node holds the bridge's own participant in the waiting room.
    var isWaiting: Bool {
        guard let selfUUID, let me = roster[selfUUID] else { return false }
        return me.serviceType == "waiting_room"
    }

    /// The wrong-PIN error shown while the session waits for another PIN.
    var lastPINError: ErrorBody?

    /// Remembers an encoded event for replay, keeping at most `depth`.
    func remember(seq: Int, frame: [UInt8], depth: Int) {
        guard depth > 0 else { return }
        history.append((seq, frame))
        if history.count - historyStart > depth {
            historyStart += 1
            if historyStart > 64, historyStart * 2 > history.count {
                history.removeFirst(historyStart)
                historyStart = 0
            }
        }
    }

    /// The frames after `seq`, or nil when some of them are no longer kept, or `since` is not a seq this session
    /// has reached (a client that confuses sessions, or a session id reused by a restarted bridge).
    func frames(after since: Int) -> [[UInt8]]? {
        if since > seq || since < 0 { return nil }
        if since == seq { return [] }
        let kept = history[historyStart...]
        guard let first = kept.first, first.seq <= since + 1 else { return nil }
        return kept.filter { $0.seq > since }.map(\.frame)
    }
}
