import BridgeProtocol
import InfinityClient

extension BridgeEngine {

    func upstreamUpdate(session: String, generation: Int, _ update: ConnectionUpdate) {
        guard let record = sessions[session], case .connected = record.machine.phase,
            record.linkGeneration == generation
        else { return }
        if store != nil, holdUpdateWhileUnconfirmed(record, update) { return }
        applyUpstreamUpdate(update, to: record)
    }

    /// One update of a session's link, once the lease allows it.
    func applyUpstreamUpdate(_ update: ConnectionUpdate, to record: SessionRecord) {
        switch update {
        case .event(let event):
            handle(event, in: record)
        case .health(let health):
            publish(.upstream(UpstreamStatus(health)), in: record)
        case .roleChanged(let role):
            apply(.roleChanged(role == .host ? .host : .guest), to: record)
        case .ended(let reason):
            switch reason {
            case .released, .closed: return
            case .remoteDisconnect(let message):
                let cut = NodeText.line(message, maxCharacters: NodeText.reasonCharacters)
                apply(.upstreamEnded(.remoteDisconnect, message: cut), to: record)
            case .tokenExpired:
                apply(
                    .upstreamEnded(.tokenExpired, message: "the node's token expired and could not be refreshed"),
                    to: record
                )
            case .upstreamLost:
                apply(
                    .upstreamEnded(.upstreamLost, message: "the event stream could not be re-established"),
                    to: record
                )
            }
        }
    }

    private func handle(_ event: InfinityEvent, in record: SessionRecord) {
        let changes: [Roster.Change]
        switch event {
        case .participantSyncBegin:
            record.roster.beginSync()
            return
        case .participantSyncEnd:
            changes = record.roster.endSync()
        case .participantCreate(let p), .participantUpdate(let p):
            changes = record.roster.upsert(Participant(p, selfUUID: record.selfUUID))
        case .participantDelete(let uuid):
            changes = record.roster.remove(uuid: NodeText.cut(uuid, maxBytes: NodeText.tokenBytes))
        case .conferenceUpdate(let status):
            let fresh = ConferenceStatus(
                locked: status.locked,
                guestsMuted: status.guestsMuted,
                started: status.started,
                guestsCanUnmute: status.guestsCanUnmute ?? false,
                presentationAllowed: status.presentationAllowed
            )
            guard fresh != record.conference else { return }
            record.conference = fresh
            publish(.conference(fresh), in: record)
            refreshCapabilities(record)
            return
        case .messageReceived(let message):
            let sender = MessageSender(
                uuid: NodeText.cut(message.senderUUID, maxBytes: NodeText.tokenBytes),
                displayName: NodeText.cut(message.origin, maxBytes: NodeText.nameBytes)
            )
            let text = NodeText.cut(message.payload, maxBytes: NodeText.chatBytes)
            publish(.message(ChatMessage(from: sender, text: text)), in: record)
            return
        case .stage, .presentationStart, .presentationStop, .layout, .liveCaptions:
            handleConferenceEvent(event, in: record)
            return
        case .refer(let target):
            follow(target, in: record)
            return
        case .disconnect, .refreshToken, .other:
            return
        }
        for change in changes {
            switch change {
            case .joined(let p): publish(.participantJoined(p), in: record)
            case .updated(let p): publish(.participantUpdated(p), in: record)
            case .left(let uuid): publish(.participantLeft(uuid: uuid), in: record)
            }
        }
        if !changes.isEmpty { refreshCapabilities(record) }
    }

    func refreshCapabilities(_ record: SessionRecord) {
        let capabilities = Capabilities.of(
            state: record.machine.state,
            role: record.machine.role,
            conference: record.conference,
            chatEnabled: record.chatEnabled,
            waiting: record.isWaiting
        )
        guard capabilities != record.capabilities else { return }
        record.capabilities = capabilities
        publish(
            .state(StateChange(state: record.machine.state, role: record.machine.role, capabilities: capabilities)),
            in: record
        )
    }

}

extension Participant {
    /// Normalises the node's participant; its strings are cut to `NodeText`'s limits.
    init(_ p: InfinityParticipant, selfUUID: String?) {
        self.init(
            uuid: NodeText.cut(p.uuid, maxBytes: NodeText.tokenBytes),
            displayName: NodeText.cut(p.displayName, maxBytes: NodeText.nameBytes),
            role: p.role == .host ? .host : .guest,
            muted: p.isMuted,
            presenting: p.isPresenting,
            spotlight: p.isSpotlight,
            serviceType: NodeText.cut(p.serviceType, maxBytes: NodeText.tokenBytes),
            isSelf: p.uuid == selfUUID,
            callProtocol: p.protocolName.map { NodeText.cut($0, maxBytes: NodeText.tokenBytes) },
            handRaisedAt: p.buzzTime,
            videoMuted: p.isVideoMuted ?? false,
            overlayText: NodeText.cut(p.overlayText ?? "", maxBytes: NodeText.nameBytes),
            callDirection: p.callDirection?.lowercased() == "out" ? .out : .in,
            joinedAt: p.startTime
        )
    }
}

extension UpstreamStatus {
    init(_ health: UpstreamHealth) {
        switch health {
        case .ok: self.init(status: .ok)
        case .reconnecting(let attempt, let delay):
            let ms = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            self.init(status: .reconnecting, attempt: attempt, delayMs: Int(ms))
        case .tokenRefreshFailed(let attempt): self.init(status: .tokenRefreshFailed, attempt: attempt)
        }
    }
}
