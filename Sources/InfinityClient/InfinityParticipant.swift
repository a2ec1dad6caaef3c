/// One roster entry, decoded tolerantly from a participant object.
public struct InfinityParticipant: Sendable, Equatable {
    /// The participant's uuid.
    public var uuid: String
    /// Display name (empty when absent).
    public var displayName: String
    /// chair → host, guest → guest.
    public var role: InfinityRole
    /// Administratively audio-muted.
    public var isMuted: Bool
    /// Currently presenting.
    public var isPresenting: Bool
    /// Spotlighted (the `spotlight` timestamp is non-zero).
    public var isSpotlight: Bool
    /// connecting | waiting_room | ivr | conference | lecture | gateway | test_call (empty when absent).
    public var serviceType: String
    /// api | webrtc | sip | rtmp | h323 | mssip | "".
    public var protocolName: String?
    /// Whether the participant has a media call.
    public var hasMedia: Bool?
    /// Video muted.
    public var isVideoMuted: Bool?
    /// Join time (Unix seconds); nil when absent or 0 (not set).
    public var startTime: Double?
    /// Hand raised at this time (Unix seconds), nil or absent when not raised.
    public var buzzTime: Double?
    /// Self-muted by the participant's own client.
    public var isClientMuted: Bool?
    /// Whether the call carries video.
    public var isVideoCall: Bool?
    /// Whether the call is audio-only.
    public var isAudioOnlyCall: Bool?
    /// The participant's URI or alias.
    public var uri: String?
    /// "in" or "out".
    public var callDirection: String?
    /// The text shown over the participant's video (empty when none).
    public var overlayText: String?

    public init(
        uuid: String,
        displayName: String,
        role: InfinityRole,
        isMuted: Bool = false,
        isPresenting: Bool = false,
        isSpotlight: Bool = false,
        serviceType: String = "conference",
        protocolName: String? = nil,
        hasMedia: Bool? = nil,
        isVideoMuted: Bool? = nil,
        startTime: Double? = nil,
        buzzTime: Double? = nil,
        isClientMuted: Bool? = nil,
        isVideoCall: Bool? = nil,
        isAudioOnlyCall: Bool? = nil,
        uri: String? = nil,
        callDirection: String? = nil,
        overlayText: String? = nil
    ) {
        self.uuid = uuid
        self.displayName = displayName
        self.role = role
        self.isMuted = isMuted
        self.isPresenting = isPresenting
        self.isSpotlight = isSpotlight
        self.serviceType = serviceType
        self.protocolName = protocolName
        self.hasMedia = hasMedia
        self.isVideoMuted = isVideoMuted
        self.startTime = startTime
        self.buzzTime = buzzTime
        self.isClientMuted = isClientMuted
        self.isVideoCall = isVideoCall
        self.isAudioOnlyCall = isAudioOnlyCall
        self.uri = uri
        self.callDirection = callDirection
        self.overlayText = overlayText
    }

    /// Reads a participant object; nil when it has no uuid. Unknown fields are ignored.
    init?(json: JSONValue) {
        guard let uuid = json["uuid"]?.stringValue, !uuid.isEmpty else { return nil }
        self.uuid = uuid
        self.displayName = json["display_name"]?.stringValue ?? ""
        self.role = json["role"]?.stringValue.flatMap(InfinityRole.init(wire:)) ?? .guest
        self.isMuted = json["is_muted"]?.boolValue ?? false
        self.isPresenting = json["is_presenting"]?.boolValue ?? false
        self.isSpotlight = (json["spotlight"]?.doubleValue ?? 0) != 0
        self.serviceType = json["service_type"]?.stringValue ?? ""
        self.protocolName = json["protocol"]?.stringValue
        self.hasMedia = json["has_media"]?.boolValue
        self.isVideoMuted = json["is_video_muted"]?.boolValue
        // Float Unix seconds; 0 means "not set".
        self.startTime = json["start_time"]?.doubleValue.flatMap { $0 == 0 ? nil : $0 }
        self.buzzTime = json["buzz_time"]?.doubleValue.flatMap { $0 == 0 ? nil : $0 }
        self.isClientMuted = json["is_client_muted"]?.boolValue
        self.isVideoCall = json["is_video_call"]?.boolValue
        self.isAudioOnlyCall = json["is_audio_only_call"]?.boolValue
        self.uri = json["uri"]?.stringValue
        self.callDirection = json["call_direction"]?.stringValue
        self.overlayText = json["overlay_text"]?.stringValue
    }
}
