/// Conference-wide state from `conference_status` or a `conference_update` event.
public struct InfinityConferenceStatus: Sendable, Equatable {
    /// Locked: new guests wait in the waiting room.
    public var locked: Bool
    /// Guests are muted.
    public var guestsMuted: Bool
    /// A host has started the conference.
    public var started: Bool
    /// Everyone is muted.
    public var allMuted: Bool?
    /// Presentation is allowed.
    public var presentationAllowed: Bool?
    /// Muted guests may unmute themselves.
    public var guestsCanUnmute: Bool?

    public init(
        locked: Bool,
        guestsMuted: Bool,
        started: Bool,
        allMuted: Bool? = nil,
        presentationAllowed: Bool? = nil,
        guestsCanUnmute: Bool? = nil
    ) {
        self.locked = locked
        self.guestsMuted = guestsMuted
        self.started = started
        self.allMuted = allMuted
        self.presentationAllowed = presentationAllowed
        self.guestsCanUnmute = guestsCanUnmute
    }

    /// Reads a status object; nil when it is not an object. Missing required flags read as false.
    init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        self.locked = json["locked"]?.boolValue ?? false
        self.guestsMuted = json["guests_muted"]?.boolValue ?? false
        self.started = json["started"]?.boolValue ?? false
        self.allMuted = json["all_muted"]?.boolValue
        self.presentationAllowed = json["presentation_allowed"]?.boolValue
        self.guestsCanUnmute = json["guests_can_unmute"]?.boolValue
    }
}
