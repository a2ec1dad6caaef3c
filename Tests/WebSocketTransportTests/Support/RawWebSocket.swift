/// A WebSocket frame as seen by the raw client.
struct RawFrame: Equatable {
    var fin: Bool
    var opcode: UInt8
    var payload: [UInt8]

    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    /// Close code of a close frame.
    var closeCode: UInt16? {
        guard opcode == Self.close, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    /// Close reason of a close frame.
    var closeReason: String {
        String(decoding: payload.dropFirst(2), as: UTF8.self)
    }

    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// The status line and headers of an HTTP response.
struct HTTPHead {
    /// The first line, e.g. "HTTP/1.1 403 Forbidden".
    var statusLine: String
    var status: Int
    /// Lower-case header names.
    var headers: [String: String]
    /// The body, when the reader read it (``RawClient/upgrade(path:port:extraHeaders:)`` does for a refusal).
    var body = ""

    init(_ raw: [UInt8]) throws {
        let lines = String(decoding: raw, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let statusLine = lines.first else { throw RawClientError.malformed("no status line") }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw RawClientError.malformed(String(statusLine)) }
        self.statusLine = String(statusLine)
        self.status = status
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            headers[name] = String(value)
        }
        self.headers = headers
    }
}

extension RawClient {
    /// Sends a WebSocket upgrade request and reads the response head (and body, when not 101).
    func upgrade(path: String = "/ws", port: Int, extraHeaders: [String: String] = [:]) throws -> HTTPHead {
        var request = "GET \(path) HTTP/1.1\r\n"
        if !extraHeaders.keys.contains(where: { $0.lowercased() == "host" }) {
            request += "Host: 127.0.0.1:\(port)\r\n"
        }
        request += "Upgrade: websocket\r\n"
        request += "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) {
            request += "\(name): \(value)\r\n"
        }
        request += "\r\n"
        try send(request)
        var head = try HTTPHead(read(through: Array("\r\n\r\n".utf8)))
        if head.status != 101, let length = head.headers["content-length"].flatMap({ Int($0) }) {
            head.body = String(decoding: try read(count: length), as: UTF8.self)
        }
        return head
    }

    /// Sends one masked client frame.
    func sendFrame(_ opcode: UInt8, fin: Bool = true, _ payload: [UInt8]) throws {
        try send(Self.maskedFrame(opcode, fin: fin, payload))
    }

    /// The bytes of one masked client frame.
    static func maskedFrame(_ opcode: UInt8, fin: Bool = true, _ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65_536 {
            frame.append(0x80 | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        return frame
    }

    /// Sends a text frame.
    func sendText(_ text: String, fin: Bool = true, continuation: Bool = false) throws {
        try sendFrame(continuation ? RawFrame.continuation : RawFrame.text, fin: fin, Array(text.utf8))
    }

    /// Reads one (unmasked) server frame.
    func readFrame() throws -> RawFrame {
        let header = try read(count: 2)
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            let bytes = try read(count: 2)
            length = Int(bytes[0]) << 8 | Int(bytes[1])
        } else if length == 127 {
            length = try read(count: 8).reduce(0) { $0 << 8 | Int($1) }
        }
        guard header[1] & 0x80 == 0 else { throw RawClientError.malformed("masked server frame") }
        return RawFrame(fin: header[0] & 0x80 != 0, opcode: header[0] & 0x0F, payload: try read(count: length))
    }

    /// Reads frames until a data or close frame arrives, answering pings.
    func readMessageFrame() throws -> RawFrame {
        while true {
            let frame = try readFrame()
            if frame.opcode == RawFrame.ping {
                try sendFrame(RawFrame.pong, frame.payload)
                continue
            }
            if frame.opcode == RawFrame.pong { continue }
            return frame
        }
    }
}
