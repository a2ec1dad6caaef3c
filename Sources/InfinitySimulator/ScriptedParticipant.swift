/// A participant the simulator itself puts into a room (a SIP or WebRTC endpoint, say).
public struct ScriptedParticipant: Sendable, Hashable {
    /// Name shown in the roster.
    public var displayName: String
    /// Host or guest.
    public var role: SimulatedRole
    /// Value of the participant object's `protocol` field: "sip", "webrtc", "h323", "rtmp", "mssip" or "api".
    public var protocolName: String
    /// Administratively muted (`is_muted` "YES").
    public var isMuted: Bool
    /// Video muted (`is_video_muted` true).
    public var isVideoMuted: Bool
    /// An audio-only call (`is_audio_only_call` "YES", `is_video_call` "NO").
    public var isAudioOnly: Bool

    /// Creates a scripted participant.
    public init(
        displayName: String,
        role: SimulatedRole = .guest,
        protocolName: String = "webrtc",
        isMuted: Bool = false,
        isVideoMuted: Bool = false,
        isAudioOnly: Bool = false
    ) {
        self.displayName = displayName
        self.role = role
        self.protocolName = protocolName
        self.isMuted = isMuted
        self.isVideoMuted = isVideoMuted
        self.isAudioOnly = isAudioOnly
    }
}
