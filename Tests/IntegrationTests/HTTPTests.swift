import BridgeProtocol
import Foundation
import Testing

@Suite("Plain HTTP on the WebSocket port")
struct HTTPTests {
    @Test func healthSchemaAndPageAreServed() async throws {
        let bridge = try await TestBridge.start()
        let health = try await httpGet(port: bridge.port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.body.contains(#""status":"ok""#))
        let schema = try await httpGet(port: bridge.port, path: "/protocol/schema.json")
        #expect(schema.status == 200)
        #expect(schema.body == ProtocolSchema.document.renderedText())
        let page = try await httpGet(port: bridge.port, path: "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<html") || page.body.contains("<!doctype html"))
        #expect(try await httpGet(port: bridge.port, path: "/nope").status == 404)
        await bridge.stop()
    }

    @Test func theSimulatorsControlAPIInjectsByHand() async throws {
        let bridge = try await TestBridge.start { $0.simulator.adminAPI = true }
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        try await client.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload { p.isSelf } else { false }
        }
        let simPort = try #require(bridge.simulator.port)
        let added = try await httpRequest(
            port: simPort,
            method: "POST",
            path: "/_simulator/rooms/t.open/participants",
            body: #"{"display_name":"By hand"}"#
        )
        #expect(added.status == 200)
        try await client.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload {
                p.displayName == "By hand"
            } else {
                false
            }
        }
        #expect(
            try await httpRequest(
                port: simPort,
                method: "POST",
                path: "/_simulator/rooms/t.open/bench",
                body: #"{"count":2,"interval_ms":10,"size":100}"#
            ).status == 200
        )
        try await client.waitFor {
            if case .event(let e) = $0, case .message(let m) = e.payload {
                m.text.hasPrefix("t_send_ns=")
            } else {
                false
            }
        }
        let rooms = try await httpGet(port: simPort, path: "/_simulator/rooms")
        #expect(rooms.body.contains("By hand"))
        #expect(
            try await httpRequest(port: simPort, method: "POST", path: "/_simulator/rooms/t.open/drop-streams").status
                == 200
        )
        try await client.waitFor {
            if case .event(let e) = $0, e.session == s.id, case .upstream(let u) = e.payload {
                u.status == .ok
            } else {
                false
            }
        }
        await client.close()
        await bridge.stop()
    }
}

/// A minimal HTTP/1.1 GET over a raw socket (no client library between the test and the server).
func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    try await httpRequest(port: port, method: "GET", path: path)
}

/// A minimal HTTP/1.1 request over a raw socket.
func httpRequest(port: Int, method: String, path: String, body: String = "") async throws -> (status: Int, body: String)
{
    try await offThePool {
        let fd = try loopbackSocket(port: port)
        defer { close(fd) }
        let request =
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let headerEnd = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        let statusLine = text[..<headerEnd.lowerBound].split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var body = String(text[headerEnd.upperBound...])
        if text[..<headerEnd.lowerBound].lowercased().contains("transfer-encoding: chunked") {
            body = dechunk(body)
        }
        return (status, body)
    }
}

private func dechunk(_ text: String) -> String {
    var rest = Substring(text)
    var out = ""
    while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
        let start = lineEnd.upperBound
        let utf8 = rest[start...].utf8
        let end = utf8.index(utf8.startIndex, offsetBy: size)
        out += String(rest[start..<end])
        rest = rest[end...].dropFirst(2)
    }
    return out
}

/// Sends a WebSocket upgrade request with exactly the given Origin header and returns the HTTP status.
func upgradeStatus(port: Int, origin: String?, host: String? = nil) async throws -> Int {
    try await offThePool {
        let fd = try loopbackSocket(port: port)
        defer { close(fd) }
        var request =
            "GET /ws HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        if let origin { request += "Origin: \(origin)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { throw POSIXError(.ECONNRESET) }
        let statusLine = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        return Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

/// A TCP socket connected to 127.0.0.1:`port`, with a receive timeout; blocking (use off the pool).
func loopbackSocket(port: Int, receiveTimeout seconds: Int = 10, receiveBuffer: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var timeout = timeval(tv_sec: seconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(fd)
        throw POSIXError(.ECONNREFUSED)
    }
    return fd
}
