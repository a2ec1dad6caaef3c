/// One entry of a `stage` event: a participant on stage and whether they are speaking.
public struct InfinityStageEntry: Sendable, Equatable {
    public var participantUUID: String
    /// Position on stage, 0 first.
    public var stageIndex: Int
    /// Voice activity: non-zero while speaking (the node sends 0 or 100).
    public var vad: Int

    /// - Parameters:
    ///   - participantUUID: The participant on stage.
    ///   - stageIndex: Position on stage, 0 first.
    ///   - vad: Voice activity, non-zero while speaking.
    public init(participantUUID: String, stageIndex: Int, vad: Int) {
        self.participantUUID = participantUUID
        self.stageIndex = stageIndex
        self.vad = vad
    }

    /// Reads `[{participant_uuid, stage_index, vad}]` in stage order; entries without a uuid are skipped.
    static func list(json: JSONValue) -> [InfinityStageEntry]? {
        guard let items = json.arrayValue else { return nil }
        let entries = items.compactMap { item -> InfinityStageEntry? in
            guard let uuid = item["participant_uuid"]?.stringValue, !uuid.isEmpty else { return nil }
            return InfinityStageEntry(
                participantUUID: uuid,
                stageIndex: item["stage_index"]?.intValue ?? Int.max,
                vad: item["vad"]?.intValue ?? 0
            )
        }
        return entries.enumerated().sorted { ($0.element.stageIndex, $0.offset) < ($1.element.stageIndex, $1.offset) }
            .map(\.element)
    }
}

/// Who started presenting (`presentation_start`).
public struct InfinityPresenter: Sendable, Equatable {
    public var uuid: String
    public var name: String
    public var uri: String

    /// - Parameters:
    ///   - uuid: The presenter's participant uuid.
    ///   - name: The presenter's display name.
    ///   - uri: The presenter's URI.
    public init(uuid: String, name: String, uri: String = "") {
        self.uuid = uuid
        self.name = name
        self.uri = uri
    }

    /// Reads `{presenter_name, presenter_uri, presenter_uuid}`; nil when all three are empty ("revoked").
    init?(json: JSONValue) {
        uuid = json["presenter_uuid"]?.stringValue ?? ""
        name = json["presenter_name"]?.stringValue ?? ""
        uri = json["presenter_uri"]?.stringValue ?? ""
        if uuid.isEmpty && name.isEmpty && uri.isEmpty { return nil }
    }
}

/// The conference's layout (`layout` event).
public struct InfinityLayout: Sendable, Equatable {
    /// The layout shown now (`view`).
    public var view: String?
    /// The layout hosts asked for (`requested_layout.primary_screen.chair_layout`).
    public var hostLayout: String?
    /// The layout guests asked for (`requested_layout.primary_screen.guest_layout`).
    public var guestLayout: String?
    /// Names are shown over video.
    public var overlayTextEnabled: Bool?
    /// The participants in the layout, in order.
    public var participants: [String]

    /// - Parameters:
    ///   - view: The layout shown now.
    ///   - hostLayout: The layout hosts asked for.
    ///   - guestLayout: The layout guests asked for.
    ///   - overlayTextEnabled: Names are shown over video.
    ///   - participants: The participants in the layout, in order.
    public init(
        view: String? = nil,
        hostLayout: String? = nil,
        guestLayout: String? = nil,
        overlayTextEnabled: Bool? = nil,
        participants: [String] = []
    ) {
        self.view = view
        self.hostLayout = hostLayout
        self.guestLayout = guestLayout
        self.overlayTextEnabled = overlayTextEnabled
        self.participants = participants
    }

    /// Reads `{view, participants, requested_layout: {primary_screen: {chair_layout, guest_layout}},
    /// overlay_text_enabled}`; nil when it is not an object.
    init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        view = json["view"]?.stringValue
        let primary = json["requested_layout"]?["primary_screen"]
        hostLayout = primary?["chair_layout"]?.stringValue
        guestLayout = primary?["guest_layout"]?.stringValue
        overlayTextEnabled = json["overlay_text_enabled"]?.boolValue
        participants = json["participants"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

/// A live caption (`live_captions`).
public struct InfinityCaption: Sendable, Equatable {
    public var text: String
    /// False while the words may still change.
    public var isFinal: Bool

    /// - Parameters:
    ///   - text: The caption's words.
    ///   - isFinal: False while the words may still change.
    public init(text: String, isFinal: Bool) {
        self.text = text
        self.isFinal = isFinal
    }

    /// Reads `{data, is_final, sent_time?}`; nil without `data`.
    init?(json: JSONValue) {
        guard let text = json["data"]?.stringValue else { return nil }
        self.text = text
        isFinal = json["is_final"]?.boolValue ?? false
    }
}
