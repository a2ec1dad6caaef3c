import BridgeProtocol

/// What one bridge instance tells another over the store's bus (`StoreBus`): a tag byte, text fields ended by a
/// newline (none of them can hold one), then the raw frame, so a frame crosses as the bytes clients receive.
enum InstanceMessage: Equatable, Sendable {
    /// An event the holder published and stored: every instance hands it to its own subscribers.
    case event(session: String, seq: Int, frame: [UInt8])
    /// An ephemeral event (`speakers`, `captions`): never stored, only passed on.
    case ephemeral(session: String, kind: EphemeralKind, frame: [UInt8])
    /// The session ended and left the store.
    case ended(session: String)
    /// The holder handed the session over (graceful shutdown): whoever is up may take it now.
    case released(session: String)
    /// A client request for a session the recipient holds, from a client of the sender.
    case request(ref: UInt64, peer: String, role: ClientRole, frame: [UInt8])
    /// The holder's answer to a forwarded request: the `result` frame as the client receives it.
    case answer(ref: UInt64, frame: [UInt8])
    /// The recipient does not hold the session (it moved): the sender looks for the holder again.
    case notHolder(ref: UInt64)

    var encoded: [UInt8] {
        switch self {
        case .event(let session, let seq, let frame): Self.pack("E", [session, "\(seq)"], frame)
        case .ephemeral(let session, let kind, let frame): Self.pack("P", [session, kind.rawValue], frame)
        case .ended(let session): Self.pack("G", [session], [])
        case .released(let session): Self.pack("F", [session], [])
        case .request(let ref, let peer, let role, let frame):
            Self.pack("R", ["\(ref)", Self.oneLine(peer), role.rawValue], frame)
        case .answer(let ref, let frame): Self.pack("A", ["\(ref)"], frame)
        case .notHolder(let ref): Self.pack("N", ["\(ref)"], [])
        }
    }

    /// Reads what ``encoded`` made; nil for anything else (a newer instance's message this one does not know).
    init?(decoding bytes: [UInt8]) {
        guard let tag = bytes.first else { return nil }
        func fields(_ count: Int) -> (fields: [String], rest: [UInt8])? {
            var fields: [String] = []
            var start = 1
            while fields.count < count {
                guard let end = bytes[start...].firstIndex(of: 0x0A) else { return nil }
                fields.append(String(decoding: bytes[start..<end], as: UTF8.self))
                start = end + 1
            }
            return (fields, Array(bytes[start...]))
        }
        switch tag {
        case UInt8(ascii: "E"):
            guard let (f, frame) = fields(2), let seq = Int(f[1]) else { return nil }
            self = .event(session: f[0], seq: seq, frame: frame)
        case UInt8(ascii: "P"):
            guard let (f, frame) = fields(2), let kind = EphemeralKind(rawValue: f[1]) else { return nil }
            self = .ephemeral(session: f[0], kind: kind, frame: frame)
        case UInt8(ascii: "G"):
            guard let (f, _) = fields(1) else { return nil }
            self = .ended(session: f[0])
        case UInt8(ascii: "F"):
            guard let (f, _) = fields(1) else { return nil }
            self = .released(session: f[0])
        case UInt8(ascii: "R"):
            guard let (f, frame) = fields(3), let ref = UInt64(f[0]), let role = ClientRole(rawValue: f[2]) else {
                return nil
            }
            self = .request(ref: ref, peer: f[1], role: role, frame: frame)
        case UInt8(ascii: "A"):
            guard let (f, frame) = fields(1), let ref = UInt64(f[0]) else { return nil }
            self = .answer(ref: ref, frame: frame)
        case UInt8(ascii: "N"):
            guard let (f, _) = fields(1), let ref = UInt64(f[0]) else { return nil }
            self = .notHolder(ref: ref)
        default:
            return nil
        }
    }

    private static func pack(_ tag: Unicode.Scalar, _ fields: [String], _ frame: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(tag.value)]
        for field in fields {
            out += Array(oneLine(field).utf8)
            out.append(0x0A)
        }
        return out + frame
    }

    private static func oneLine(_ text: String) -> String {
        text.contains("\n") ? String(text.map { $0 == "\n" ? " " : $0 }) : text
    }
}
