/// Who presents, as the `presentation` event and the snapshot's `presentation` field carry it.
public struct PresentationState: Codable, Sendable, Equatable {
    public var active: Bool
    /// The presenter; nil when nobody presents (or the node did not say who).
    public var presenter: MessageSender?

    /// - Parameters:
    ///   - active: Someone presents.
    ///   - presenter: Who, when known.
    public init(active: Bool = false, presenter: MessageSender? = nil) {
        self.active = active
        self.presenter = presenter
    }

    /// Nobody presents.
    public static let inactive = PresentationState()

    enum CodingKeys: String, CodingKey {
        case active, presenter
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(active, forKey: .active)
        try c.encode(presenter, forKey: .presenter)
    }
}

/// The conference's layout, as the `layout` event and the snapshot's `layout` field carry it.
public struct LayoutState: Codable, Sendable, Equatable {
    /// The layout shown now.
    public var layout: String?
    /// The layout hosts asked for.
    public var hostLayout: String?
    /// The layout guests asked for.
    public var guestLayout: String?
    /// Names are shown over video; nil when the node did not say.
    public var overlayTextEnabled: Bool?

    /// - Parameters:
    ///   - layout: The layout shown now.
    ///   - hostLayout: The layout hosts asked for.
    ///   - guestLayout: The layout guests asked for.
    ///   - overlayTextEnabled: Names are shown over video.
    public init(
        layout: String? = nil,
        hostLayout: String? = nil,
        guestLayout: String? = nil,
        overlayTextEnabled: Bool? = nil
    ) {
        self.layout = layout
        self.hostLayout = hostLayout
        self.guestLayout = guestLayout
        self.overlayTextEnabled = overlayTextEnabled
    }

    /// Nothing known yet.
    public static let unknown = LayoutState()

    enum CodingKeys: String, CodingKey {
        case layout
        case hostLayout = "host_layout"
        case guestLayout = "guest_layout"
        case overlayTextEnabled = "overlay_text_enabled"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        // The contract spells unknown values as explicit nulls.
        try c.encode(layout, forKey: .layout)
        try c.encode(hostLayout, forKey: .hostLayout)
        try c.encode(guestLayout, forKey: .guestLayout)
        try c.encode(overlayTextEnabled, forKey: .overlayTextEnabled)
    }
}

/// A live caption.
public struct Caption: Sendable, Equatable {
    public var text: String
    /// False while the words may still change.
    public var final: Bool

    /// - Parameters:
    ///   - text: The caption's words.
    ///   - final: False while the words may still change.
    public init(text: String, final: Bool) {
        self.text = text
        self.final = final
    }
}

/// What an ephemeral event says.
public enum EphemeralPayload: Sendable, Equatable {
    /// Who is speaking now, loudest first (uuids).
    case speakers([String])
    case captions(Caption)

    /// Which `include` name asks for it.
    public var kind: EphemeralKind {
        switch self {
        case .speakers: .speakers
        case .captions: .captions
        }
    }

    /// The wire `type`.
    public var type: ServerMessageType {
        switch self {
        case .speakers: .speakers
        case .captions: .captions
        }
    }
}

/// An event of a session with no `seq`: never replayed, sent only to clients that asked for its kind.
public struct EphemeralEvent: Sendable, Equatable {
    public var session: String
    public var payload: EphemeralPayload

    /// - Parameters:
    ///   - session: The session it belongs to.
    ///   - payload: What it says.
    public init(session: String, payload: EphemeralPayload) {
        self.session = session
        self.payload = payload
    }
}
