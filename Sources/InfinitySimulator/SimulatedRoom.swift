/// One virtual meeting room the simulator serves.
public struct SimulatedRoom: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Alias in the URL path (`/api/client/v2/conferences/<alias>/...`); matched case-insensitively.
    public var alias: String
    /// Conference name reported in `request_token` (`conference_name`, `service_name`).
    public var name: String
    /// Host PIN; nil means no PIN at all (an open room: everyone is HOST, 200 straight away).
    public var hostPIN: String?
    /// Guest PIN; only meaningful with a host PIN. nil with a host PIN: guests enter with `pin: none`.
    public var guestPIN: String?
    /// Conference `started` stays false until a host joins; guests sit in `waiting_room` meanwhile.
    public var guestsWaitForHost: Bool
    /// With `guestsWaitForHost`: a host's arrival does not start the conference; only a host's `start_conference`
    /// does (tests of that call need a conference that is not yet started while a host is in).
    public var hostStartsConference: Bool
    /// Room starts locked: a new participant who did not enter the host PIN (every guest, and
    /// everyone in a room without PIN) lands in `waiting_room` until admitted or the room is unlocked.
    public var locked: Bool
    /// `chat_enabled` in the token answer; when false, `message` answers 403.
    public var chatEnabled: Bool
    /// Participants already in the room when the simulator starts.
    public var initialParticipants: [ScriptedParticipant]
    /// Makes the room a Virtual Reception of this kind ("standard" or "mssip"): `request_token` asks for a
    /// `conference_extension` and then answers as the target room.
    public var receptionKind: String? = nil
    /// With `receptionKind`: challenge in the older form (`conference_extension:"standard"`) instead of the
    /// schema's (`conference_extension:"required"` with `conference_extension_type`).
    public var receptionLegacyForm = false
    /// Identity providers guarding the room: `request_token` asks for `chosen_idp`, then redirects to the
    /// simulator's sign-in page, then wants an `sso_token` that page minted.
    public var identityProviders: [SimulatedIdentityProvider] = []
    /// Demo: every participant of this room is moved (`refer`) to this alias at the next demo step.
    public var referTo: String? = nil

    /// Creates a room.
    public init(
        alias: String,
        name: String? = nil,
        hostPIN: String? = nil,
        guestPIN: String? = nil,
        guestsWaitForHost: Bool = false,
        locked: Bool = false,
        chatEnabled: Bool = true,
        initialParticipants: [ScriptedParticipant] = [],
        hostStartsConference: Bool = false
    ) {
        self.alias = alias
        self.name = name ?? alias
        self.hostPIN = hostPIN
        self.guestPIN = guestPIN
        self.guestsWaitForHost = guestsWaitForHost
        self.locked = locked
        self.chatEnabled = chatEnabled
        self.initialParticipants = initialParticipants
        self.hostStartsConference = hostStartsConference
    }

    /// Describes the room without its PINs.
    public var description: String {
        "SimulatedRoom(alias: \(alias), hostPIN: \(hostPIN == nil ? "none" : "<redacted>"), "
            + "guestPIN: \(guestPIN == nil ? "none" : "<redacted>"), guestsWaitForHost: \(guestsWaitForHost), "
            + "hostStartsConference: \(hostStartsConference), locked: \(locked), "
            + "participants: \(initialParticipants.count))"
    }

    /// Same as `description`: PINs are never shown.
    public var debugDescription: String { description }

    /// A mirror that leaves the PINs out.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "alias": alias, "name": name, "hasHostPIN": hostPIN != nil, "hasGuestPIN": guestPIN != nil,
                "guestsWaitForHost": guestsWaitForHost, "hostStartsConference": hostStartsConference,
                "locked": locked, "chatEnabled": chatEnabled,
                "initialParticipants": initialParticipants,
            ]
        )
    }
}
