/// A roster entry as the simulator sees it.
public struct ParticipantInfo: Sendable, Hashable {
    /// Participant UUID.
    public var uuid: String
    /// Display name.
    public var displayName: String
    /// Host or guest.
    public var role: SimulatedRole
    /// Administratively muted.
    public var isMuted: Bool
    /// Presenting.
    public var isPresenting: Bool
    /// "conference" or "waiting_room".
    public var serviceType: String
    /// Joined through the REST API (`protocol` "api", no media): a client such as the bridge.
    public var isAPI: Bool
    /// Value of the `protocol` field.
    public var protocolName: String
    /// Unix time the hand went up (`buzz_time`); nil while it is down.
    public var handRaisedAt: Double? = nil
    /// Video muted (`is_video_muted`).
    public var isVideoMuted = false
    /// The text shown over the participant's video.
    public var overlayText = ""
    /// "in", or "out" for a participant the conference dialled.
    public var callDirection = "in"
    /// Spotlit.
    public var isSpotlit = false
    /// A streaming or recording participant.
    public var isStreaming = false
    /// Live captions shown to this participant.
    public var showsLiveCaptions = false
}
