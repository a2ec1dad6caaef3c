import BridgeProtocol
import InfinityClient

/// The whole conference: what a control asks of the node, and the node's presentation, layout, speaker and
/// caption news turned into events.
extension BridgeEngine {
    /// The most speakers a `speakers` event and the snapshot list.
    static let maxSpeakers = 32

    /// `stage`, presentation, `layout` and `live_captions` from the node.
    func handleConferenceEvent(_ event: InfinityEvent, in record: SessionRecord) {
        switch event {
        case .stage(let entries):
            // At most `maxSpeakers`: a hostile node's stage of thousands would otherwise go out several times a
            // second to every client that asked.
            let speaking = Array(
                entries.lazy.filter { $0.vad > 0 }.prefix(Self.maxSpeakers).map {
                    NodeText.cut($0.participantUUID, maxBytes: NodeText.tokenBytes)
                }
            )
            record.speakers = speaking
            carryOut(record.speakerGate.offer(speaking, now: now), in: record)
        case .presentationStart(let presenter):
            let uuid = NodeText.cut(presenter.uuid, maxBytes: NodeText.tokenBytes)
            let name = presenter.name.isEmpty ? (record.roster[uuid]?.displayName ?? "") : presenter.name
            let fresh = PresentationState(
                active: true,
                presenter: MessageSender(uuid: uuid, displayName: NodeText.cut(name, maxBytes: NodeText.nameBytes))
            )
            guard fresh != record.presentation else { return }
            record.presentation = fresh
            publish(.presentation(fresh), in: record)
        case .presentationStop:
            guard record.presentation != .inactive else { return }
            record.presentation = .inactive
            publish(.presentation(.inactive), in: record)
        case .layout(let layout):
            let cut = { (text: String?) in text.map { NodeText.cut($0, maxBytes: NodeText.tokenBytes) } }
            let fresh = LayoutState(
                layout: cut(layout.view),
                hostLayout: cut(layout.hostLayout),
                guestLayout: cut(layout.guestLayout),
                overlayTextEnabled: layout.overlayTextEnabled
            )
            guard fresh != record.layout else { return }
            record.layout = fresh
            publish(.layout(fresh), in: record)
        case .liveCaptions(let caption):
            let text = NodeText.cut(caption.text, maxBytes: NodeText.chatBytes)
            publishEphemeral(.captions(Caption(text: text, final: caption.isFinal)), in: record)
        case .participantSyncBegin, .participantSyncEnd, .participantCreate, .participantUpdate, .participantDelete,
            .conferenceUpdate, .messageReceived, .disconnect, .refreshToken, .refer, .other:
            preconditionFailure("not a whole-conference event")
        }
    }

    /// Does what the session's speaker gate decided.
    private func carryOut(_ action: SpeakerGate.Action, in record: SessionRecord) {
        switch action {
        case .none: return
        case .send(let list): publishEphemeral(.speakers(list), in: record)
        case .arm(let deadline):
            let id = record.id
            schedule(at: deadline) { engine in await engine.speakerTimerFired(session: id) }
        }
    }

    func speakerTimerFired(session: String) {
        guard let record = sessions[session] else { return }
        carryOut(record.speakerGate.timerFired(now: now), in: record)
    }

    /// Encodes once and sends an ephemeral event to the clients that asked for its kind: no `seq`, not
    /// remembered for replay, so everyone else's `seq` stays gap-free.
    func publishEphemeral(_ payload: EphemeralPayload, in record: SessionRecord) {
        let to = subscriptions.ephemeralRecipients(of: record.id, kind: payload.kind)
        let elsewhere = store?.settings.store.bus != nil
        guard !to.isEmpty || elsewhere else { return }
        let frame = WireJSON.encode(.ephemeral(EphemeralEvent(session: record.id, payload: payload)))
        if elsewhere { announceEphemeral(payload.kind, frame: frame, of: record.id) }
        guard !to.isEmpty else { return }
        counters.ephemeralDeliveries += to.count
        sink.send(frame, to: to)
    }
}

/// One control's call to the node.
enum UpstreamCommand: Sendable {
    case conference(ConferenceCommand)
    case participant(ParticipantCommand, String)
    case layouts
    case dial(DialRequest)
    /// `clearspotlights`; a node that does not know it (404) gets one `spotlightoff` per spotlit participant.
    case clearSpotlights(spotlit: [String])

    /// Sends it over the session's link; the result's `data`.
    func run(on link: any UpstreamLink) async throws(InfinityError) -> ResultData {
        switch self {
        case .conference(let command):
            try await link.perform(command)
            return .empty
        case .participant(let command, let uuid):
            try await link.perform(command, participant: uuid)
            return .empty
        case .layouts:
            return .layouts(try await link.availableLayouts())
        case .dial(let request):
            return .dialed(try await link.dial(request))
        case .clearSpotlights(let spotlit):
            do {
                try await link.perform(.clearSpotlights)
            } catch .notFound {
                for uuid in spotlit { try await link.perform(.spotlightOff, participant: uuid) }
            }
            return .empty
        }
    }
}

extension ConferenceControl {
    /// True when the control acts on the session's own participant in a way any role may (lowering its own hand
    /// by naming its own uuid).
    func isOwn(selfUUID: String?) -> Bool {
        guard let selfUUID, case .lowerHand(let participant?) = self else { return false }
        return participant == selfUUID
    }

    /// The node call for this control; nil when it acts on the session's own participant and the node has not
    /// said which that is.
    /// - Parameters:
    ///   - selfUUID: The session's own participant, once the node said which it is.
    ///   - spotlit: The participants spotlit now (the fallback of `clear_spotlights`).
    func upstreamCommand(selfUUID: String?, spotlit: [String] = []) -> UpstreamCommand? {
        func role(_ r: Role) -> InfinityRole { r == .host ? .host : .guest }
        switch self {
        case .lock: return .conference(.lock)
        case .unlock: return .conference(.unlock)
        case .muteGuests: return .conference(.muteGuests)
        case .unmuteGuests: return .conference(.unmuteGuests)
        case .startConference: return .conference(.startConference)
        case .disconnectAll: return .conference(.disconnectAll)
        case .sendMessage(let text): return .conference(.message(text))
        case .mute(let p): return .participant(.mute, p)
        case .unmute(let p): return .participant(.unmute, p)
        case .spotlight(let p, let on): return .participant(on ? .spotlightOn : .spotlightOff, p)
        case .admit(let p): return .participant(.admit, p)
        case .disconnectParticipant(let p): return .participant(.disconnect, p)
        case .raiseHand: return selfUUID.map { .participant(.buzz, $0) }
        case .lowerHand(let p): return (p ?? selfUUID).map { .participant(.clearBuzz, $0) }
        case .lowerAllHands: return .conference(.clearAllBuzz)
        case .setRole(let p, let r): return .participant(.role(role(r)), p)
        case .videoMute(let p): return .participant(.videoMute, p)
        case .videoUnmute(let p): return .participant(.videoUnmute, p)
        case .guestsCanUnmute(let allowed): return .conference(.setGuestsCanUnmute(allowed))
        case .layouts: return .layouts
        case .setLayout(let c):
            return .conference(
                .transformLayout(
                    LayoutTransform(
                        layout: c.layout,
                        hostLayout: c.hostLayout,
                        guestLayout: c.guestLayout,
                        enableOverlayText: c.overlayText
                    )
                )
            )
        case .clearSpotlights: return .clearSpotlights(spotlit: spotlit)
        case .overlayText(let p, let text): return .participant(.overlayText(text), p)
        case .dial(let d):
            return .dial(
                DialRequest(
                    destination: d.destination,
                    callProtocol: DialRequest.CallProtocol(rawValue: d.callProtocol.rawValue) ?? .auto,
                    role: role(d.role),
                    displayName: d.displayName,
                    streaming: d.streaming
                )
            )
        case .transfer(let t):
            return .participant(
                .transfer(ParticipantTransfer(conferenceAlias: t.alias, role: role(t.role), pin: t.pin)),
                t.participant
            )
        case .dtmf(let p, let digits): return .participant(.dtmf(digits), p)
        case .captions(let on): return selfUUID.map { .participant(on ? .showLiveCaptions : .hideLiveCaptions, $0) }
        }
    }
}
