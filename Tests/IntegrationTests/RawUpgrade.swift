import Foundation

/// The status and headers (names lower-cased) of the answer to a WebSocket upgrade request.
struct UpgradeResponse {
    var status: Int
    var headers: [String: String]
}

/// Sends a WebSocket upgrade request with the given extra headers over a raw socket and parses the response head,
/// so a test sees exactly what the server wrote (a client library might accept or drop a header silently).
/// - Parameters:
///   - port: the bridge's port on 127.0.0.1.
///   - headers: extra request headers, e.g. `Sec-WebSocket-Protocol`.
func rawUpgrade(port: Int, headers: [String: String]) async throws -> UpgradeResponse {
    try await offThePool {
        let fd = try loopbackSocket(port: port)
        defer { close(fd) }
        var request =
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while data.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            data += buffer[0..<n]
        }
        let head = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            fields[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return UpgradeResponse(status: status, headers: fields)
    }
}
