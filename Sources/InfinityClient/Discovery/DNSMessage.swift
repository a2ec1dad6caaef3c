/// One SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    /// The target host, without the trailing dot; "." (no service) is kept as "".
    public var target: String

    /// - Parameters:
    ///   - priority: Lower is tried first.
    ///   - weight: Relative chance among records of the same priority.
    ///   - port: The service's port on the target.
    ///   - target: The target host name.
    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// The little of the DNS wire format (RFC 1035) that SRV discovery needs: a query, and the SRV records of an
/// answer. Every read is bounds-checked and name compression is followed a bounded number of times, so a hostile
/// or broken answer fails cleanly.
enum DNSMessage {
    static let typeSRV: UInt16 = 33
    static let classIN: UInt16 = 1

    /// Why an answer could not be used.
    enum Failure: Error, Equatable {
        case malformed(String)
        /// A different id or not a response: not the answer to this query.
        case notOurs
        /// RCODE other than NOERROR (0) and NXDOMAIN (3).
        case serverFailure(rcode: Int)
    }

    /// What an answer says.
    enum Answer: Equatable {
        case records([SRVRecord])
        /// NXDOMAIN, or NOERROR without SRV records.
        case none
    }

    /// A standard recursive query for `name` of `type`.
    static func query(id: UInt16, name: String, type: UInt16) throws(Failure) -> [UInt8] {
        var out: [UInt8] = []
        out += bytes(id)
        out += [0x01, 0x00]  // RD
        out += bytes(1) + bytes(0) + bytes(0) + bytes(0)
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63 else { throw .malformed("a label is longer than 63 bytes") }
            out.append(UInt8(utf8.count))
            out += utf8
        }
        out.append(0)
        guard out.count <= 12 + 255 + 4 else { throw .malformed("the name is longer than 255 bytes") }
        out += bytes(type) + bytes(classIN)
        return out
    }

    /// The SRV records answering query `id`.
    static func parseSRV(_ message: [UInt8], id: UInt16) throws(Failure) -> Answer {
        var reader = Reader(bytes: message)
        let answerID = try reader.u16()
        let flags = try reader.u16()
        guard answerID == id, flags & 0x8000 != 0 else { throw .notOurs }
        let rcode = Int(flags & 0x000F)
        if rcode == 3 { return .none }
        guard rcode == 0 else { throw .serverFailure(rcode: rcode) }
        let questions = try reader.u16()
        let answers = try reader.u16()
        _ = try reader.u16()
        _ = try reader.u16()
        for _ in 0..<questions {
            _ = try reader.name()
            try reader.skip(4)
        }
        var records: [SRVRecord] = []
        for _ in 0..<answers {
            _ = try reader.name()
            let type = try reader.u16()
            let rclass = try reader.u16()
            try reader.skip(4)
            let length = Int(try reader.u16())
            let end = reader.offset + length
            guard end <= message.count else { throw .malformed("a record runs past the end of the answer") }
            if type == typeSRV && rclass == classIN {
                let priority = try reader.u16()
                let weight = try reader.u16()
                let port = try reader.u16()
                let target = try reader.name()
                records.append(SRVRecord(priority: priority, weight: weight, port: port, target: target))
            }
            reader.offset = end
        }
        return records.isEmpty ? .none : .records(records)
    }

    private static func bytes(_ value: UInt16) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    /// A bounds-checked cursor over a message.
    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u8() throws(Failure) -> UInt8 {
            guard offset < bytes.count else { throw .malformed("the answer ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16() throws(Failure) -> UInt16 {
            UInt16(try u8()) << 8 | UInt16(try u8())
        }

        mutating func skip(_ count: Int) throws(Failure) {
            guard offset + count <= bytes.count else { throw .malformed("the answer ends early") }
            offset += count
        }

        /// A domain name, following compression pointers (at most 16 jumps), without the trailing dot.
        mutating func name() throws(Failure) -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            var total = 0
            while true {
                guard position < bytes.count else { throw .malformed("a name runs past the end of the answer") }
                let length = Int(bytes[position])
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count else { throw .malformed("a name pointer is cut") }
                    jumps += 1
                    guard jumps <= 16 else { throw .malformed("too many name pointers") }
                    let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    if !jumped { offset = position + 2 }
                    jumped = true
                    position = target
                    continue
                }
                guard length & 0xC0 == 0 else { throw .malformed("an unknown label type") }
                if length == 0 {
                    if !jumped { offset = position + 1 }
                    return labels.joined(separator: ".")
                }
                guard position + 1 + length <= bytes.count else { throw .malformed("a label runs past the end") }
                total += length + 1
                guard total <= 255 else { throw .malformed("a name is longer than 255 bytes") }
                labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
                position += 1 + length
            }
        }
    }
}
