/// Canned node answers in the shapes infinity-api.md gives.
enum Fixture {
    static let version = #"{"version_id":"36","pseudo_version":"79019.0.0"}"#

    /// A unique secret-looking token, so log checks are meaningful.
    static func newToken(_ tag: String = "") -> String {
        "tok\(tag)-" + String((0..<32).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }) + "=="
    }

    /// A 200 request_token answer shaped like Android's captured request_token_v36.json.
    static func requestToken(
        token: String,
        expires: String = "120",
        role: String = "HOST",
        uuid: String = "614221f4-3a5c-4d1f-8df6-3ae27188df54",
        currentServiceType: String = "conference"
    ) -> String {
        """
        {
          "status": "success",
          "result": {
            "token": "\(token)",
            "expires": "\(expires)",
            "display_name": "George",
            "participant_uuid": "\(uuid)",
            "current_service_type": "\(currentServiceType)",
            "route_via_registrar": true,
            "role": "\(role)",
            "call_tag": "",
            "version": \(version),
            "idp_uuid": "",
            "fecc_enabled": false,
            "trickle_ice_enabled": true,
            "direct_media": true,
            "pex_datachannel_id": 3,
            "client_stats_update_interval": 4411.068996234768,
            "conference_name": "example",
            "service_name": "example",
            "call_type": "video",
            "guests_can_present": true,
            "turn": [],
            "stun": [{"url": "stun:stun.example.com:3478"}],
            "use_relay_candidates_only": false,
            "chat_enabled": true,
            "service_type": "conference"
          }
        }
        """
    }

    static func pinChallenge(pin: String, guestPIN: String) -> String {
        #"{"status":"success","result":{"pin":"\#(pin)","guest_pin":"\#(guestPIN)","version":\#(version)}}"#
    }

    static let invalidPINFailed = #"{"status":"failed","result":"Invalid PIN"}"#
    static let invalidPINSuccess = #"{"status":"success","result":"Invalid PIN"}"#
    static let notFound = #"{"status":"failed","result":"Neither conference nor gateway found"}"#
    static let invalidToken = #"{"status":"failed","result":"Invalid token"}"#
    static let invalidRole = #"{"status":"failed","result":"Invalid role"}"#
    static let ok = #"{"status":"success","result":true}"#
    static let idpChoice =
        #"{"status":"success","result":{"idp":[{"name":"Okta","uuid":"5e3c0a1e-2b5f-4b0c-9d7e-1a2b3c4d5e6f","img":""}],"version":\#(version)}}"#
    static let ssoRedirect =
        #"{"status":"success","result":{"redirect_url":"https://idp.example.com/sso?x=1","redirect_idp":{"name":"Okta","uuid":"5e3c0a1e-2b5f-4b0c-9d7e-1a2b3c4d5e6f"},"version":\#(version)}}"#
    static let extensionSchemaShape =
        #"{"status":"success","result":{"conference_extension":"required","conference_extension_type":"standard","version":\#(version)}}"#
    static let extensionSwiftShape = #"{"status":"success","result":{"conference_extension":"standard"}}"#

    static func failed(_ message: String) -> String { #"{"status":"failed","result":"\#(message)"}"# }

    static func refresh(token: String, expires: String = "120", role: String? = nil) -> String {
        let rolePart = role.map { #","role":"\#($0)""# } ?? ""
        return #"{"status":"success","result":{"token":"\#(token)","expires":"\#(expires)"\#(rolePart)}}"#
    }

    /// A participant object in the schema's shape (YES/NO strings, booleans, float timestamps).
    static func participant(
        uuid: String,
        name: String = "George R",
        role: String = "guest",
        muted: String = "NO",
        spotlight: String = "0",
        serviceType: String = "conference"
    ) -> String {
        """
        {"api_url":"/participants/\(uuid)","buzz_time":0,"call_direction":"in","display_name":"\(name)",
         "encryption":"On","has_media":false,"is_muted":"\(muted)","is_presenting":"NO","is_streaming_conference":false,
         "is_video_call":"NO","is_audio_only_call":"NO","local_alias":"meet@example.com","overlay_text":"\(name)",
         "presentation_supported":"NO","fecc_supported":"NO","protocol":"api","role":"\(role)",
         "rx_presentation_policy":"ALLOW","service_type":"\(serviceType)","spotlight":\(spotlight),
         "start_time":1700484383.846972,"uri":"George","external_node_uuid":"","uuid":"\(uuid)",
         "vendor":"okhttp/4.12.0","is_external":false,"transfer_supported":"YES","disconnect_supported":"YES",
         "mute_supported":"YES","is_video_muted":false,"is_video_silent":false,"disconnect_reason":null}
        """.replacingNewlines()
    }

    static let conferenceUpdate =
        #"{"locked":false,"direct_media":false,"guests_muted":false,"all_muted":false,"presentation_allowed":true,"started":true,"classification":{"levels":{},"current":null},"breakout_rooms":false,"guests_can_unmute":false,"live_captions_available":true}"#

    /// One SSE event block.
    static func sse(_ event: String, _ data: String = "null", id: String? = nil) -> String {
        var text = "event: \(event)\n"
        if let id { text += "id: \(id)\n" }
        return text + "data: \(data)\n\n"
    }

    /// The roster burst a node sends on every (re)connect.
    static func syncBurst(selfUUID: String, selfRole: String = "chair") -> String {
        sse("participant_sync_begin", id: "MjdfMQ==")
            + sse("participant_create", participant(uuid: selfUUID, name: "Bridge", role: selfRole), id: "MjdfMg==")
            + sse("participant_create", participant(uuid: "p-guest", name: "Alice", muted: "YES"), id: "MjdfMw==")
            + sse("participant_sync_end", id: "MjdfNA==")
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        split(separator: "\n").joined(separator: " ")
    }
}
