import Foundation

/// Why bytes from a client could not be turned into a request, and so how to answer.
public enum RequestDecodingError: Error, Sendable, Equatable {
    /// Not JSON, not an object, no `type`, or no usable `id`: answer with an `error` message.
    case unreadable(String)
    /// A usable `id` but an unknown `type`: a failed result with `unknown_type`.
    case unknownType(id: RequestID, type: String)
    /// A known `type` whose fields are missing or of the wrong type: a failed result with `bad_request`.
    case invalidFields(id: RequestID, type: RequestType, message: String)
    /// A field of the right type whose value is refused (bad DTMF digits, an unknown role or protocol): a failed
    /// result with `invalid_value`.
    case invalidValue(id: RequestID, type: RequestType, message: String)
}

/// Decodes client requests from frames and encodes them for clients written in Swift.
public enum RequestCodec {
    /// Longest string `id`, in UTF-8 bytes; a longer one is refused with an `error` (it is not echoed).
    public static let maxIDBytes = 128
    /// Longest `display_name`, `alias` and `node`, in UTF-8 bytes.
    public static let maxNameBytes = 256
    /// Longest chat `text`, in UTF-8 bytes.
    public static let maxTextBytes = 4096
    /// Longest `pin`, in UTF-8 bytes.
    public static let maxPINBytes = 32
    /// Longest `token`, in UTF-8 bytes.
    public static let maxTokenBytes = 512
    /// Longest `session` and `participant` id, in UTF-8 bytes.
    public static let maxReferenceBytes = 128
    /// Longest `sso_token` `token`, in UTF-8 bytes (identity providers' tokens, e.g. JWTs, outgrow `maxTokenBytes`).
    public static let maxSSOTokenBytes = 8192

    /// Decodes one text frame; unknown fields are ignored, and no field value is ever quoted in an error.
    public static func decode(_ bytes: [UInt8]) -> Result<RequestEnvelope, RequestDecodingError> {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            return .failure(.unreadable("frame is not valid JSON"))
        }
        guard case .object(let object) = root else {
            return .failure(.unreadable("a message must be a JSON object, not \(root.typeName)"))
        }
        guard let typeValue = object["type"] else {
            return .failure(.unreadable("missing field 'type'"))
        }
        guard case .string(let typeName) = typeValue else {
            return .failure(.unreadable("field 'type' must be a string"))
        }
        let id: RequestID
        switch object["id"] {
        case .int(let value)?: id = .int(value)
        case .string(let value)?:
            guard value.utf8.count <= maxIDBytes else {
                return .failure(.unreadable("field 'id' is longer than \(maxIDBytes) bytes"))
            }
            id = .string(value)
        case nil: return .failure(.unreadable("missing field 'id' (a string or an integer)"))
        default: return .failure(.unreadable("field 'id' must be a string or an integer"))
        }
        guard let type = RequestType(rawValue: typeName) else {
            return .failure(.unknownType(id: id, type: typeName))
        }
        do {
            let fields = Fields(object: object)
            return .success(RequestEnvelope(id: id, request: try request(type, fields)))
        } catch {
            let message = "\(type.rawValue): \(error.message)"
            if error.invalidValue { return .failure(.invalidValue(id: id, type: type, message: message)) }
            return .failure(.invalidFields(id: id, type: type, message: message))
        }
    }

    private static func request(_ type: RequestType, _ f: Fields) throws(FieldError) -> Request {
        switch type {
        case .auth: return .auth(token: try f.string("token"))
        case .ping: return .ping
        case .join:
            return .join(
                JoinParameters(
                    node: try f.optionalNonEmptyString("node"),
                    alias: try f.nonEmptyString("alias"),
                    displayName: try f.nonEmptyString("display_name"),
                    pin: try f.optionalString("pin"),
                    extension: try f.optionalNonEmptyString("extension")
                )
            )
        case .pin: return .pin(session: try f.string("session"), pin: try f.string("pin"))
        case .leave: return .leave(session: try f.string("session"))
        case .list: return .list
        case .subscribe:
            return .subscribe(
                session: try f.optionalString("session"),
                sinceSeq: try f.optionalInt("since_seq"),
                include: try f.include()
            )
        case .unsubscribe: return .unsubscribe(session: try f.optionalString("session"))
        case .lock: return .control(session: try f.string("session"), .lock)
        case .unlock: return .control(session: try f.string("session"), .unlock)
        case .muteGuests: return .control(session: try f.string("session"), .muteGuests)
        case .unmuteGuests: return .control(session: try f.string("session"), .unmuteGuests)
        case .startConference: return .control(session: try f.string("session"), .startConference)
        case .disconnectAll: return .control(session: try f.string("session"), .disconnectAll)
        case .mute: return .control(session: try f.string("session"), .mute(participant: try f.string("participant")))
        case .unmute:
            return .control(session: try f.string("session"), .unmute(participant: try f.string("participant")))
        case .admit:
            return .control(session: try f.string("session"), .admit(participant: try f.string("participant")))
        case .disconnectParticipant:
            return .control(
                session: try f.string("session"),
                .disconnectParticipant(participant: try f.string("participant"))
            )
        case .spotlight:
            return .control(
                session: try f.string("session"),
                .spotlight(participant: try f.string("participant"), on: try f.bool("on"))
            )
        case .sendMessage:
            return .control(session: try f.string("session"), .sendMessage(text: try f.nonEmptyString("text")))
        case .raiseHand, .lowerHand, .lowerAllHands, .setRole, .videoMute, .videoUnmute, .guestsCanUnmute, .layouts,
            .setLayout, .clearSpotlights, .overlayText, .dial, .transfer, .dtmf, .captions:
            return .control(session: try f.string("session"), try conferenceControl(type, f))
        case .extension, .idp, .ssoToken:
            return try wayIn(type, f)
        }
    }

    /// The JSON object for a request, as a Swift client sends it.
    public static func jsonObject(_ envelope: RequestEnvelope) -> [String: JSONValue] {
        var o: [String: JSONValue] = ["type": .string(envelope.request.type.rawValue)]
        switch envelope.id {
        case .int(let i): o["id"] = .int(i)
        case .string(let s): o["id"] = .string(s)
        }
        switch envelope.request {
        case .auth(let token): o["token"] = .string(token)
        case .ping, .list: break
        case .join(let p):
            if let node = p.node { o["node"] = .string(node) }
            o["alias"] = .string(p.alias)
            o["display_name"] = .string(p.displayName)
            if let pin = p.pin { o["pin"] = .string(pin) }
            if let target = p.extension { o["extension"] = .string(target) }
        case .pin(let session, let pin):
            o["session"] = .string(session)
            o["pin"] = .string(pin)
        case .leave(let session): o["session"] = .string(session)
        case .subscribe(let session, let since, let include):
            if let session { o["session"] = .string(session) }
            if let since { o["since_seq"] = .int(since) }
            if !include.isEmpty {
                o["include"] = .array(EphemeralKind.allCases.filter(include.contains).map { .string($0.rawValue) })
            }
        case .unsubscribe(let session):
            if let session { o["session"] = .string(session) }
        case .control(let session, let control):
            o["session"] = .string(session)
            if let participant = control.participant { o["participant"] = .string(participant) }
            if case .spotlight(_, let on) = control { o["on"] = .bool(on) }
            if case .sendMessage(let text) = control { o["text"] = .string(text) }
            conferenceFields(control, into: &o)
        case .wayIn(let session, let answer):
            o["session"] = .string(session)
            o.merge(wayInFields(answer)) { $1 }
        }
        return o
    }

    /// The UTF-8 JSON bytes of a request.
    public static func encode(_ envelope: RequestEnvelope) -> [UInt8] {
        Array((try? WireJSON.encoder.encode(JSONValue.object(jsonObject(envelope)))) ?? Data())
    }
}

/// A field problem, phrased without the field's value (it may be a secret).
struct FieldError: Error {
    var message: String
    /// The value has the right type but is refused (`invalid_value` rather than `bad_request`).
    var invalidValue = false
}

/// Typed access to the members of a request object.
struct Fields {
    var object: [String: JSONValue]
    /// The cap on `token`, when it is not an auth token's (`sso_token`).
    var tokenCap: Int?

    /// The longest each string field may be, in UTF-8 bytes: a 64 KiB display name would otherwise travel in
    /// every snapshot and event of its session.
    static let caps: [String: Int] = [
        "token": RequestCodec.maxTokenBytes, "node": RequestCodec.maxNameBytes, "alias": RequestCodec.maxNameBytes,
        "display_name": RequestCodec.maxNameBytes, "pin": RequestCodec.maxPINBytes,
        "session": RequestCodec.maxReferenceBytes, "participant": RequestCodec.maxReferenceBytes,
        "text": RequestCodec.maxTextBytes, "extension": RequestCodec.maxNameBytes,
        "idp": RequestCodec.maxReferenceBytes,
    ]

    /// A string member, capped by `caps` (the error names the field and the cap, never the value).
    func string(_ key: String) throws(FieldError) -> String {
        guard let value = object[key], value != .null else { throw FieldError(message: "missing field '\(key)'") }
        guard case .string(let s) = value else {
            throw FieldError(message: "field '\(key)' must be a string, not \(value.typeName)")
        }
        if let max = (key == "token" ? tokenCap : nil) ?? Self.caps[key], s.utf8.count > max {
            throw FieldError(message: "field '\(key)' is longer than \(max) bytes")
        }
        return s
    }

    func nonEmptyString(_ key: String) throws(FieldError) -> String {
        let s = try string(key)
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FieldError(message: "field '\(key)' must not be empty")
        }
        return s
    }

    func optionalNonEmptyString(_ key: String) throws(FieldError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        return try nonEmptyString(key)
    }

    func optionalString(_ key: String) throws(FieldError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        return try string(key)
    }

    func bool(_ key: String) throws(FieldError) -> Bool {
        guard let value = object[key], value != .null else { throw FieldError(message: "missing field '\(key)'") }
        guard case .bool(let b) = value else {
            throw FieldError(message: "field '\(key)' must be a boolean, not \(value.typeName)")
        }
        return b
    }

    func optionalInt(_ key: String) throws(FieldError) -> Int? {
        guard let value = object[key], value != .null else { return nil }
        guard case .int(let i) = value else {
            throw FieldError(message: "field '\(key)' must be an integer, not \(value.typeName)")
        }
        return i
    }
}
