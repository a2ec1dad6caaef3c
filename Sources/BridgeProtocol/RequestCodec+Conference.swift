/// Decoding and encoding of the whole-conference requests (hands, roles, layouts, dial-out, transfer, DTMF,
/// captions).
extension RequestCodec {
    /// Longest `destination` of a `dial`, in UTF-8 bytes (RTMP URLs carry stream keys).
    public static let maxDestinationBytes = 1024
    /// Longest overlay `text`, in UTF-8 bytes.
    public static let maxOverlayTextBytes = 256
    /// Longest layout name, in UTF-8 bytes.
    public static let maxLayoutBytes = 64
    /// Most DTMF digits in one `dtmf` request.
    public static let maxDTMFDigits = 32
    /// The DTMF digits a `dtmf` request may carry.
    public static let dtmfAlphabet: Set<Character> = Set("0123456789*#ABCD")

    static func conferenceControl(_ type: RequestType, _ f: Fields) throws(FieldError) -> ConferenceControl {
        switch type {
        case .raiseHand: return .raiseHand
        case .lowerHand: return .lowerHand(participant: try f.optionalString("participant"))
        case .lowerAllHands: return .lowerAllHands
        case .setRole: return .setRole(participant: try f.string("participant"), role: try f.role("role"))
        case .videoMute: return .videoMute(participant: try f.string("participant"))
        case .videoUnmute: return .videoUnmute(participant: try f.string("participant"))
        case .guestsCanUnmute: return .guestsCanUnmute(allowed: try f.bool("allowed"))
        case .layouts: return .layouts
        case .setLayout:
            let change = LayoutChange(
                layout: try f.layoutName("layout"),
                hostLayout: try f.layoutName("host_layout"),
                guestLayout: try f.layoutName("guest_layout"),
                overlayText: try f.optionalBool("overlay_text")
            )
            guard change != LayoutChange() else {
                throw FieldError(
                    message: "needs at least one of 'layout', 'host_layout', 'guest_layout', 'overlay_text'"
                )
            }
            return .setLayout(change)
        case .clearSpotlights: return .clearSpotlights
        case .overlayText:
            return .overlayText(
                participant: try f.string("participant"),
                text: try f.string("text", max: maxOverlayTextBytes)
            )
        case .dial:
            return .dial(
                DialParameters(
                    destination: try f.nonEmptyString("destination", max: maxDestinationBytes),
                    callProtocol: try f.enumeration("protocol", DialProtocol.self),
                    role: try f.role("role"),
                    displayName: try f.optionalString("display_name"),
                    streaming: try f.optionalBool("streaming")
                )
            )
        case .transfer:
            return .transfer(
                TransferParameters(
                    participant: try f.string("participant"),
                    alias: try f.nonEmptyString("alias"),
                    role: try f.role("role"),
                    pin: try f.optionalString("pin")
                )
            )
        case .dtmf:
            return .dtmf(participant: try f.string("participant"), digits: try f.dtmfDigits("digits"))
        case .captions: return .captions(on: try f.bool("on"))
        case .auth, .ping, .join, .pin, .leave, .list, .subscribe, .unsubscribe, .lock, .unlock, .muteGuests,
            .unmuteGuests, .mute, .unmute, .spotlight, .admit, .disconnectParticipant, .sendMessage, .startConference,
            .disconnectAll, .extension, .idp, .ssoToken:
            preconditionFailure("\(type.rawValue) is not a whole-conference control")
        }
    }

    /// The members of a whole-conference control beyond `session` and `participant`.
    static func conferenceFields(_ control: ConferenceControl, into o: inout [String: JSONValue]) {
        switch control {
        case .setRole(_, let role): o["role"] = .string(role.rawValue)
        case .guestsCanUnmute(let allowed): o["allowed"] = .bool(allowed)
        case .setLayout(let change):
            if let v = change.layout { o["layout"] = .string(v) }
            if let v = change.hostLayout { o["host_layout"] = .string(v) }
            if let v = change.guestLayout { o["guest_layout"] = .string(v) }
            if let v = change.overlayText { o["overlay_text"] = .bool(v) }
        case .overlayText(_, let text): o["text"] = .string(text)
        case .dial(let d):
            o["destination"] = .string(d.destination)
            o["protocol"] = .string(d.callProtocol.rawValue)
            o["role"] = .string(d.role.rawValue)
            if let name = d.displayName { o["display_name"] = .string(name) }
            if let streaming = d.streaming { o["streaming"] = .bool(streaming) }
        case .transfer(let t):
            o["alias"] = .string(t.alias)
            o["role"] = .string(t.role.rawValue)
            if let pin = t.pin { o["pin"] = .string(pin) }
        case .dtmf(_, let digits): o["digits"] = .string(digits)
        case .captions(let on): o["on"] = .bool(on)
        case .lock, .unlock, .muteGuests, .unmuteGuests, .startConference, .disconnectAll, .mute, .unmute,
            .spotlight, .admit, .disconnectParticipant, .sendMessage, .raiseHand, .lowerHand, .lowerAllHands,
            .videoMute, .videoUnmute, .layouts, .clearSpotlights:
            break
        }
    }
}

extension Fields {
    /// A string member with its own cap (the error names the field and the cap, never the value).
    func string(_ key: String, max: Int) throws(FieldError) -> String {
        let s = try string(key)
        guard s.utf8.count <= max else { throw FieldError(message: "field '\(key)' is longer than \(max) bytes") }
        return s
    }

    func nonEmptyString(_ key: String, max: Int) throws(FieldError) -> String {
        let s = try nonEmptyString(key)
        guard s.utf8.count <= max else { throw FieldError(message: "field '\(key)' is longer than \(max) bytes") }
        return s
    }

    func optionalBool(_ key: String) throws(FieldError) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        return try bool(key)
    }

    /// A string member that must be one of `E`'s raw values; another string is `invalid_value`.
    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(FieldError) -> E
    where E.RawValue == String {
        let raw = try string(key)
        guard let value = E(rawValue: raw) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw FieldError(message: "field '\(key)' must be one of \(allowed)", invalidValue: true)
        }
        return value
    }

    func role(_ key: String) throws(FieldError) -> Role { try enumeration(key, Role.self) }

    /// An optional, non-empty layout name of at most `maxLayoutBytes`.
    func layoutName(_ key: String) throws(FieldError) -> String? {
        guard let s = try optionalString(key) else { return nil }
        guard !s.isEmpty else { throw FieldError(message: "field '\(key)' must not be empty", invalidValue: true) }
        guard s.utf8.count <= RequestCodec.maxLayoutBytes else {
            throw FieldError(message: "field '\(key)' is longer than \(RequestCodec.maxLayoutBytes) bytes")
        }
        return s
    }

    /// 1 to `maxDTMFDigits` of `0-9*#A-D`; anything else is `invalid_value` (the digits are not quoted).
    func dtmfDigits(_ key: String) throws(FieldError) -> String {
        let digits = try string(key)
        guard (1...RequestCodec.maxDTMFDigits).contains(digits.count),
            digits.allSatisfy(RequestCodec.dtmfAlphabet.contains)
        else {
            throw FieldError(
                message: "field '\(key)' must be 1 to \(RequestCodec.maxDTMFDigits) of 0-9 * # A-D",
                invalidValue: true
            )
        }
        return digits
    }

    /// `subscribe`'s `include`: an array of ephemeral event names.
    func include() throws(FieldError) -> Set<EphemeralKind> {
        guard let value = object["include"], value != .null else { return [] }
        guard case .array(let items) = value else {
            throw FieldError(message: "field 'include' must be an array, not \(value.typeName)")
        }
        var kinds: Set<EphemeralKind> = []
        for item in items {
            guard case .string(let name) = item, let kind = EphemeralKind(rawValue: name) else {
                let allowed = EphemeralKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw FieldError(message: "field 'include' may only name \(allowed)", invalidValue: true)
            }
            kinds.insert(kind)
        }
        return kinds
    }
}
