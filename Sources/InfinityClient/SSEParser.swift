/// Why the SSE parser rejected its input.
public enum SSEParserError: Error, Sendable, Equatable {
    /// A single event or line grew beyond the parser's limit.
    case eventTooLarge(limit: Int)
}

/// Incremental text/event-stream parser (WHATWG rules): bytes in, events out, chunk boundaries anywhere.
public struct SSEParser: Sendable {
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// The largest event (data plus the current line) accepted, in bytes.
    public let maxEventBytes: Int
    /// The last `id:` seen, which every later event carries.
    public private(set) var lastEventID: String?
    /// The last valid `retry:` value in milliseconds.
    public private(set) var retry: Int?

    private var line: [UInt8] = []
    private var skipNextLF = false
    private var isFirstLine = true
    private var eventType = ""
    private var data = ""
    private var hasData = false

    public init(maxEventBytes: Int = 4 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Consumes bytes and returns the events they completed.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws(SSEParserError) -> [SSEMessage] {
        var messages: [SSEMessage] = []
        for byte in bytes {
            if skipNextLF {
                skipNextLF = false
                if byte == Self.lf { continue }
            }
            switch byte {
            case Self.cr:
                skipNextLF = true
                if let message = try endLine() { messages.append(message) }
            case Self.lf:
                if let message = try endLine() { messages.append(message) }
            default:
                line.append(byte)
                if line.count + data.utf8.count > maxEventBytes {
                    reset()
                    throw .eventTooLarge(limit: maxEventBytes)
                }
            }
        }
        return messages
    }

    private mutating func reset() {
        line.removeAll()
        eventType = ""
        data = ""
        hasData = false
    }

    private mutating func endLine() throws(SSEParserError) -> SSEMessage? {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if isFirstLine {
            isFirstLine = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }

        let field: String
        let value: Substring
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            var valueBytes = bytes[(colon + 1)...]
            if valueBytes.first == UInt8(ascii: " ") { valueBytes = valueBytes.dropFirst() }
            value = Substring(String(decoding: valueBytes, as: UTF8.self))
        } else {
            field = String(decoding: bytes, as: UTF8.self)
            value = ""
        }

        switch field {
        case "event":
            eventType = String(value)
        case "data":
            if hasData { data.append("\n") }
            data.append(contentsOf: value)
            hasData = true
            if data.utf8.count > maxEventBytes {
                reset()
                throw .eventTooLarge(limit: maxEventBytes)
            }
        case "id":
            if !value.contains("\u{0}") { lastEventID = String(value) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let millis = Int(value) {
                retry = millis
            }
        default:
            break
        }
        return nil
    }

    private mutating func dispatch() -> SSEMessage? {
        defer {
            eventType = ""
            data = ""
            hasData = false
        }
        guard hasData else { return nil }
        return SSEMessage(event: eventType.isEmpty ? "message" : eventType, data: data, id: lastEventID)
    }
}
