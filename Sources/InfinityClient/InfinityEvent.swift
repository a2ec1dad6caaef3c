/// A typed event from the conference's event stream.
public enum InfinityEvent: Sendable, Equatable {
    /// The roster snapshot starts (sent on every (re)connect).
    case participantSyncBegin
    /// The roster snapshot is complete.
    case participantSyncEnd
    case participantCreate(InfinityParticipant)
    /// Carries the full participant object, not a delta.
    case participantUpdate(InfinityParticipant)
    case participantDelete(uuid: String)
    case conferenceUpdate(InfinityConferenceStatus)
    case messageReceived(InfinityChatMessage)
    /// This participant is being disconnected.
    case disconnect(reason: String)
    /// The node asks for an immediate token refresh.
    case refreshToken
    /// Who is on stage now, loudest first (`stage`).
    case stage([InfinityStageEntry])
    /// Someone started presenting (`presentation_start` with a presenter).
    case presentationStart(InfinityPresenter)
    /// The presentation stopped (`presentation_stop`, `presentation_ended`, or a revoked `presentation_start`).
    case presentationStop
    /// The layout changed (`layout`).
    case layout(InfinityLayout)
    /// A live caption (`live_captions`).
    case liveCaptions(InfinityCaption)
    /// Any other event, by name.
    case other(name: String)
    /// The node moves this participant to another conference (`refer`): join `alias` with the one-time token.
    case refer(ReferTarget)

    /// Builds the event for an SSE message, or nil when a known event's payload is malformed.
    init?(message: SSEMessage) {
        let data = decodeJSON(message.data)
        switch message.event {
        case "participant_sync_begin": self = .participantSyncBegin
        case "participant_sync_end": self = .participantSyncEnd
        case "participant_create":
            guard let participant = data.flatMap(InfinityParticipant.init(json:)) else { return nil }
            self = .participantCreate(participant)
        case "participant_update":
            guard let participant = data.flatMap(InfinityParticipant.init(json:)) else { return nil }
            self = .participantUpdate(participant)
        case "participant_delete":
            guard let uuid = data?["uuid"]?.stringValue else { return nil }
            self = .participantDelete(uuid: uuid)
        case "conference_update":
            guard let status = data.flatMap(InfinityConferenceStatus.init(json:)) else { return nil }
            self = .conferenceUpdate(status)
        case "message_received":
            guard let chat = data.flatMap(InfinityChatMessage.init(json:)) else { return nil }
            self = .messageReceived(chat)
        case "disconnect":
            self = .disconnect(reason: data?["reason"]?.stringValue ?? data?.stringValue ?? "")
        case "refresh_token": self = .refreshToken
        case "stage":
            guard let entries = data.flatMap(InfinityStageEntry.list(json:)) else { return nil }
            self = .stage(entries)
        case "presentation_start":
            guard let data, data.objectValue != nil else { return nil }
            self = InfinityPresenter(json: data).map(InfinityEvent.presentationStart) ?? .presentationStop
        case "presentation_stop", "presentation_ended": self = .presentationStop
        case "layout":
            guard let layout = data.flatMap(InfinityLayout.init(json:)) else { return nil }
            self = .layout(layout)
        case "live_captions":
            guard let caption = data.flatMap(InfinityCaption.init(json:)) else { return nil }
            self = .liveCaptions(caption)
        case "refer":
            guard let target = data.flatMap(ReferTarget.init(json:)) else { return nil }
            self = .refer(target)
        default: self = .other(name: message.event)
        }
    }
}
