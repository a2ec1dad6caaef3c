extension RequestCodec {
    /// The most bytes `peekID` reads.
    public static let peekLimit = 1024

    /// The top-level `id` of a request frame, found without decoding it: a bounded scan of at most `peekLimit`
    /// bytes, for answering a frame that is refused before decoding (over its client's rate limit).
    /// Returns nil when the frame does not start as a JSON object, the `id` is not among the scanned bytes, or it
    /// is not a plain string (no escapes, at most `maxIDBytes`) or integer.
    /// - Parameter bytes: the frame.
    public static func peekID(_ bytes: [UInt8]) -> RequestID? {
        var scanner = PeekScanner(bytes: bytes, end: min(bytes.count, peekLimit))
        return scanner.topLevelID()
    }
}

/// A forward-only scanner over a JSON object's top-level members; it understands strings, nesting and escapes
/// only as far as needed to find `"id"` at depth one.
private struct PeekScanner {
    let bytes: [UInt8]
    let end: Int
    var i = 0

    init(bytes: [UInt8], end: Int) {
        self.bytes = bytes
        self.end = end
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    mutating func topLevelID() -> RequestID? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if key.bytes.elementsEqual("id".utf8), !key.escaped { return idValue() }
            guard skipValue() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ",")) else { return nil }
        }
    }

    private mutating func idValue() -> RequestID? {
        guard i < end else { return nil }
        if bytes[i] == Self.quote {
            guard let value = string(), !value.escaped, value.bytes.count <= RequestCodec.maxIDBytes else { return nil }
            return .string(String(decoding: value.bytes, as: UTF8.self))
        }
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
        // The number must end inside the scanned bytes, and not go on as a fraction or exponent.
        guard i < end, i > start, ![UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[i]),
            let value = Int(String(decoding: bytes[start..<i], as: UTF8.self))
        else { return nil }
        return .int(value)
    }

    private mutating func skipSpace() {
        while i < end, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard i < end, bytes[i] == byte else { return false }
        i += 1
        return true
    }

    /// A string starting at `i`; its raw bytes, and whether it had escapes.
    private mutating func string() -> (bytes: ArraySlice<UInt8>, escaped: Bool)? {
        guard take(Self.quote) else { return nil }
        let start = i
        var escaped = false
        while i < end {
            switch bytes[i] {
            case Self.backslash:
                escaped = true
                i += 2
            case Self.quote:
                defer { i += 1 }
                return (bytes[start..<i], escaped)
            default:
                i += 1
            }
        }
        return nil
    }

    /// Skips one value of any kind; false when it does not end inside the scanned bytes.
    private mutating func skipValue() -> Bool {
        var depth = 0
        while i < end {
            switch bytes[i] {
            case Self.quote:
                guard string() != nil else { return false }
                if depth == 0 { return true }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if depth == 0 { return true }
                depth -= 1
                if depth == 0 {
                    i += 1
                    return true
                }
            case UInt8(ascii: ","):
                if depth == 0 { return true }
            default:
                break
            }
            i += 1
        }
        return false
    }
}
