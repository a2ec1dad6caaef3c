import Foundation

/// The parts of the REST answers that belong to one room.
extension RoomState {
    /// Upper bound on display names whose wrong PINs are counted.
    static let maxPINCounters = 10_000

    /// The 403 PIN challenge.
    var pinChallenge: APIAnswer {
        let result: JSONValue = .object([
            ("pin", .string("required")),
            ("guest_pin", .string(config.guestPIN == nil ? "none" : "required")),
            ("version", EngineState.version),
        ])
        return .json(status: 403, body: .object([("status", .string("success")), ("result", result)]))
    }

    /// Decides the role a `pin` header earns, or the refusal.
    mutating func checkPIN(_ pin: String?, displayName: String, settings: SimulatorConfiguration) -> PINCheck {
        guard let hostPIN = config.hostPIN else { return .granted(.host) }
        if let limit = settings.maxPINAttemptsPerParticipant, wrongPINCounts[displayName, default: 0] >= limit {
            return .refused(.failed(403, EngineState.pinRetriesExceeded))
        }
        guard let pin else { return .refused(pinChallenge) }
        if pin == hostPIN {
            wrongPINCounts[displayName] = nil
            return .granted(.host)
        }
        if let guestPIN = config.guestPIN {
            if pin == guestPIN {
                wrongPINCounts[displayName] = nil
                return .granted(.guest)
            }
        } else if pin == "none" {
            return .granted(.guest)
        }
        if wrongPINCounts[displayName] != nil || wrongPINCounts.count < Self.maxPINCounters {
            wrongPINCounts[displayName, default: 0] += 1
        }
        switch settings.wrongPINStyle {
        case .invalidPINString: return .refused(.failed(403, "Invalid PIN"))
        case .repeatChallenge: return .refused(pinChallenge)
        case .refusal(let words): return .refused(.failed(403, words))
        }
    }

    /// `expires` as the node writes it: a string of whole seconds.
    static func expiresString(_ lifetime: Duration) -> String {
        let (seconds, attoseconds) = lifetime.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }

    /// The `request_token` result for a participant that just joined.
    func grant(token: String, for participant: ParticipantRecord, settings: SimulatorConfiguration) -> JSONValue {
        .object([
            ("token", .string(token)),
            ("expires", .string(Self.expiresString(settings.tokenExpiry))),
            ("participant_uuid", .string(participant.uuid)),
            ("display_name", .string(participant.displayName)),
            ("role", .string(participant.role.tokenRole)),
            ("version", EngineState.version),
            ("service_type", .string("conference")),
            ("current_service_type", .string(participant.serviceType)),
            ("conference_name", .string(config.name)),
            ("service_name", .string(config.name)),
            ("chat_enabled", .bool(config.chatEnabled)),
            ("call_tag", .string(participant.callTag)),
            ("call_type", .string("video")),
            ("idp_uuid", .string("")),
            ("route_via_registrar", .bool(false)),
            ("guests_can_present", .bool(true)),
            ("fecc_enabled", .bool(false)),
            ("rtmp_enabled", .bool(true)),
            ("rtsp_enabled", .bool(false)),
            ("vp9_enabled", .bool(true)),
            ("allow_1080p", .bool(true)),
            ("trickle_ice_enabled", .bool(true)),
            ("analytics_enabled", .bool(false)),
            ("breakout_rooms", .bool(false)),
            ("live_captions_available", .bool(false)),
            ("direct_media", .bool(false)),
            ("pex_datachannel_id", .int(3)),
            ("client_stats_update_interval", .double(5000)),
            ("use_relay_candidates_only", .bool(false)),
            ("bandwidth_in", .int(1280)),
            ("bandwidth_out", .int(1280)),
            ("stun", .array([.object([("url", .string("stun:stun.example.com:3478"))])])),
            ("turn", .array([])),
        ])
    }

    /// `refresh_token`: a new token replaces the old one.
    mutating func refresh(_ token: String?, settings: SimulatorConfiguration, now: ContinuousClock.Instant) -> APIAnswer
    {
        guard let token, let caller = authenticate(token, now: now) else {
            return .failed(403, EngineState.invalidToken)
        }
        tokens[token] = nil
        let fresh = issueToken(for: caller.uuid, now: now, lifetime: settings.tokenExpiry)
        refreshCount += 1
        return .success(
            .object([
                ("token", .string(fresh)),
                ("expires", .string(Self.expiresString(settings.tokenExpiry))),
                ("role", .string(caller.role.tokenRole)),
            ])
        )
    }

    /// Conference `message`: chat to everyone else.
    mutating func sendMessage(from caller: ParticipantRecord, body: [UInt8], now: ContinuousClock.Instant) -> APIAnswer
    {
        guard config.chatEnabled else { return .failed(403, "Chat is disabled") }
        guard let message = JSONDecoder.decodeIfValid(MessageBody.self, from: body) else {
            return .failed(400, "payload is required")
        }
        chat(
            origin: caller.displayName,
            senderUUID: caller.uuid,
            type: message.type ?? "text/plain",
            payload: message.payload,
            now: now
        )
        return .success(.bool(true))
    }

    /// A host-only conference control.
    mutating func conferenceControl(_ name: String, body: [UInt8], now: ContinuousClock.Instant) -> APIAnswer {
        switch name {
        case "lock": setLocked(true, now: now)
        case "unlock": setLocked(false, now: now)
        case "muteguests": setGuestsMuted(true, now: now)
        case "unmuteguests": setGuestsMuted(false, now: now)
        case "start_conference": startConference(now: now)
        case "disconnect": removeEveryone(reason: EngineState.hostDisconnectReason, now: now)
        case "set_guests_can_unmute":
            guard let setting = JSONDecoder.decodeIfValid(SettingBody.self, from: body) else {
                return .failed(400, "setting is required")
            }
            setGuestsCanUnmute(setting.setting, now: now)
        default:
            return .failed(404, "Unknown request")
        }
        return .success(.bool(true))
    }

    /// A host-only control on one participant (known to exist).
    mutating func participantControl(
        _ action: String,
        on uuid: String,
        now: ContinuousClock.Instant,
        wallClock: Double
    ) -> APIAnswer {
        switch action {
        case "mute": update(uuid, now: now) { $0.isMuted = true }
        case "unmute": update(uuid, now: now) { $0.isMuted = false }
        case "spotlighton": update(uuid, now: now) { $0.spotlight = wallClock }
        case "spotlightoff": update(uuid, now: now) { $0.spotlight = 0 }
        case "unlock": _ = admit(uuid, now: now)
        case "disconnect": remove(uuid, reason: EngineState.hostDisconnectReason, now: now)
        default: return .failed(404, "Unknown request")
        }
        return .success(.bool(true))
    }
}
