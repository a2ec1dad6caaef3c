/// A roster entry with everything a participant object needs.
struct ParticipantRecord: Sendable {
    let uuid: String
    var displayName: String
    var role: SimulatedRole
    /// The `protocol` field; "api" for REST-only clients.
    let protocolName: String
    /// Put there by the simulator rather than by an HTTP client.
    let isScripted: Bool
    var isMuted: Bool
    var isVideoMuted: Bool
    let isAudioOnly: Bool
    var isPresenting: Bool
    /// Unix time the spotlight was turned on; 0 = off.
    var spotlight: Double
    /// Unix time the hand was raised; 0 = not raised.
    var buzzTime: Double
    let startTime: Double
    /// "conference" or "waiting_room".
    var serviceType: String
    /// Held by a lock until admitted.
    var awaitingAdmission: Bool
    let vendor: String
    let callTag: String
    let localAlias: String
    /// The text over the participant's video; nil shows its display name (the node's default).
    var overlayText: String? = nil
    /// "in", or "out" for a participant the conference dialled.
    var callDirection = "in"
    /// A streaming or recording participant (dialled with `streaming: yes`).
    var isStreaming = false
    /// The participant asked for live captions (`show_live_captions`).
    var showLiveCaptions = false
    /// The address dialled, for a dialled-out participant.
    var dialledURI: String? = nil

    var isAPI: Bool { protocolName == "api" }

    /// The participant object as `participants` and `participant_create`/`_update` carry it.
    var json: JSONValue {
        let yes: (Bool) -> JSONValue = { .string($0 ? "YES" : "NO") }
        let hasMedia = !isAPI
        return .object([
            ("api_url", .string("/participants/\(uuid)")),
            ("buzz_time", .double(buzzTime)),
            ("call_direction", .string(callDirection)),
            ("call_tag", .string(callTag)),
            ("disconnect_supported", yes(true)),
            ("display_name", .string(displayName)),
            ("encryption", .string("On")),
            ("external_node_uuid", .string("")),
            ("fecc_supported", yes(false)),
            ("has_media", .bool(hasMedia)),
            ("is_audio_only_call", yes(hasMedia && isAudioOnly)),
            ("is_client_muted", .bool(false)),
            ("is_conjoined", .bool(false)),
            ("is_external", .bool(false)),
            ("is_idp_authenticated", .bool(false)),
            ("is_main_video_dropped_out", .bool(false)),
            ("is_muted", yes(isMuted)),
            ("is_on_hold", .bool(false)),
            ("is_presenting", yes(isPresenting)),
            ("is_streaming_conference", .bool(isStreaming)),
            ("is_transferring", .bool(false)),
            ("is_video_call", yes(hasMedia && !isAudioOnly)),
            ("is_video_muted", .bool(isVideoMuted)),
            ("is_video_silent", .bool(false)),
            ("local_alias", .string(localAlias)),
            ("mute_supported", yes(true)),
            ("needs_presentation_in_mix", .bool(false)),
            ("overlay_text", .string(overlayText ?? displayName)),
            ("presentation_supported", yes(hasMedia && !isAudioOnly)),
            ("protocol", .string(protocolName)),
            ("role", .string(role.participantRole)),
            ("rx_presentation_policy", .string("ALLOW")),
            ("service_type", .string(serviceType)),
            ("show_live_captions", .bool(showLiveCaptions)),
            ("spotlight", .double(spotlight)),
            ("start_time", .double(startTime)),
            ("transfer_supported", yes(true)),
            ("uri", .string(dialledURI ?? uri)),
            ("uuid", .string(uuid)),
            ("vendor", .string(vendor)),
        ])
    }

    /// The public view used by test hooks.
    var info: ParticipantInfo {
        ParticipantInfo(
            uuid: uuid,
            displayName: displayName,
            role: role,
            isMuted: isMuted,
            isPresenting: isPresenting,
            serviceType: serviceType,
            isAPI: isAPI,
            protocolName: protocolName,
            handRaisedAt: buzzTime == 0 ? nil : buzzTime,
            isVideoMuted: isVideoMuted,
            overlayText: overlayText ?? displayName,
            callDirection: callDirection,
            isSpotlit: spotlight != 0,
            isStreaming: isStreaming,
            showsLiveCaptions: showLiveCaptions
        )
    }

    private var uri: String {
        switch protocolName {
        case "sip", "mssip":
            "sip:\(slug)@example.com"
        case "h323":
            "h323:\(slug)@example.com"
        case "rtmp":
            "rtmp://example.com/live/\(slug)"
        default:
            displayName
        }
    }

    private var slug: String {
        let allowed = displayName.lowercased().unicodeScalars.map { scalar -> Character in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "."
        }
        return String(allowed)
    }

    /// A participant put there by the simulator.
    static func scripted(
        _ scripted: ScriptedParticipant,
        localAlias: String,
        now: Double
    ) -> ParticipantRecord {
        ParticipantRecord(
            uuid: TokenGenerator.uuid(),
            displayName: scripted.displayName,
            role: scripted.role,
            protocolName: scripted.protocolName,
            isScripted: true,
            isMuted: scripted.isMuted,
            isVideoMuted: scripted.isVideoMuted,
            isAudioOnly: scripted.isAudioOnly,
            isPresenting: false,
            spotlight: 0,
            buzzTime: 0,
            startTime: now,
            serviceType: "conference",
            awaitingAdmission: false,
            vendor: scripted.protocolName == "sip" ? "Cisco Webex Room Kit" : "Pexip Infinity Connect",
            callTag: "",
            localAlias: localAlias
        )
    }

    /// A REST-only client that holds a token.
    static func api(
        displayName: String,
        role: SimulatedRole,
        vendor: String,
        callTag: String,
        localAlias: String,
        now: Double
    ) -> ParticipantRecord {
        ParticipantRecord(
            uuid: TokenGenerator.uuid(),
            displayName: displayName,
            role: role,
            protocolName: "api",
            isScripted: false,
            isMuted: false,
            isVideoMuted: false,
            isAudioOnly: false,
            isPresenting: false,
            spotlight: 0,
            buzzTime: 0,
            startTime: now,
            serviceType: "conference",
            awaitingAdmission: false,
            vendor: vendor,
            callTag: callTag,
            localAlias: localAlias
        )
    }
}
