/// A successful `request_token` answer. The token is redacted whenever the value is printed.
public struct TokenGrant: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable
{
    /// The node-issued token (secret).
    public var token: String
    /// Token lifetime in seconds.
    public var expires: Int
    /// The lifetime assumed when a node's answer carries none (the API's documented default).
    static let defaultLifetime = 120
    /// This participant's uuid in the roster.
    public var participantUUID: String
    /// HOST or GUEST.
    public var role: InfinityRole
    /// The display name the node recorded.
    public var displayName: String
    /// conference | gateway | test_call | lecture | media_playback.
    public var serviceType: String?
    /// As `serviceType`, plus `waiting_room` (locked conference) and `ivr`.
    public var currentServiceType: String?
    /// Whether chat is enabled in this conference.
    public var chatEnabled: Bool?
    /// The conference's name.
    public var conferenceName: String?
    /// The node's API `version_id` (e.g. "36").
    public var version: String?

    public init(
        token: String,
        expires: Int,
        participantUUID: String,
        role: InfinityRole,
        displayName: String,
        serviceType: String? = nil,
        currentServiceType: String? = nil,
        chatEnabled: Bool? = nil,
        conferenceName: String? = nil,
        version: String? = nil
    ) {
        self.token = token
        self.expires = expires
        self.participantUUID = participantUUID
        self.role = role
        self.displayName = displayName
        self.serviceType = serviceType
        self.currentServiceType = currentServiceType
        self.chatEnabled = chatEnabled
        self.conferenceName = conferenceName
        self.version = version
    }

    /// Reads a `request_token` result object; nil when the token or participant uuid is missing.
    init?(result: JSONValue) {
        guard let token = result["token"]?.stringValue, !token.isEmpty,
            let uuid = result["participant_uuid"]?.stringValue
        else { return nil }
        self.token = token
        self.expires = result["expires"]?.intValue ?? TokenGrant.defaultLifetime
        self.participantUUID = uuid
        self.role = result["role"]?.stringValue.flatMap(InfinityRole.init(wire:)) ?? .guest
        self.displayName = result["display_name"]?.stringValue ?? ""
        self.serviceType = result["service_type"]?.stringValue
        self.currentServiceType = result["current_service_type"]?.stringValue
        self.chatEnabled = result["chat_enabled"]?.boolValue
        self.conferenceName = result["conference_name"]?.stringValue
        self.version = result["version"].flatMap { $0["version_id"]?.textValue ?? $0.textValue }
    }

    public var description: String {
        "TokenGrant(token: <redacted>, expires: \(expires), participantUUID: \(participantUUID), role: \(role), "
            + "displayName: \(displayName), serviceType: \(serviceType ?? "nil"), "
            + "currentServiceType: \(currentServiceType ?? "nil"), version: \(version ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "token": "<redacted>", "expires": expires, "participantUUID": participantUUID, "role": role,
                "displayName": displayName, "serviceType": serviceType as Any,
                "currentServiceType": currentServiceType as Any, "chatEnabled": chatEnabled as Any,
                "conferenceName": conferenceName as Any, "version": version as Any,
            ],
            displayStyle: .struct
        )
    }
}
