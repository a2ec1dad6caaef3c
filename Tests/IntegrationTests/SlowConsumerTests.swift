import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import Testing

/// A WebSocket client that completes the upgrade and then never reads: a stalled dashboard.
final class StalledReader: Sendable {
    let fd: Int32
    /// What was read before stalling (the 101 response, perhaps the start of the frames).
    let head: [UInt8]

    init(port: Int) async throws {
        (fd, head) = try await offThePool {
            let fd = try loopbackSocket(port: port, receiveTimeout: 5, receiveBuffer: 4096)
            let request =
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), 0) }
            // Send a subscribe (masked as the protocol requires), read until its result has come (so every event
            // from now on is queued for this connection), then stall.
            let payload = Array(#"{"type":"subscribe","id":1}"#.utf8)
            let mask: [UInt8] = [1, 2, 3, 4]
            var frame: [UInt8] = [0x81, 0x80 | UInt8(payload.count)] + mask
            frame += payload.enumerated().map { $1 ^ mask[$0 % 4] }
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 1024)
            let subscribed = Array(#""id":1,"#.utf8)
            while data.firstRange(of: subscribed) == nil {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else {
                    close(fd)
                    throw POSIXError(.ECONNRESET)
                }
                data += buffer[0..<n]
            }
            return (fd, data)
        }
    }

    /// Reads everything the bridge sent (after the stall) and returns the close code, if a close frame came.
    func drainCloseCode() async throws -> Int? {
        let (fd, head) = (self.fd, self.head)
        return try await offThePool {
            var data = head
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            // Find the close frame (opcode 8) among the unmasked server frames that follow the 101 response.
            guard let headerEnd = data.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound else {
                return nil
            }
            var i = headerEnd
            while i + 2 <= data.count {
                let opcode = data[i] & 0x0F
                var length = Int(data[i + 1] & 0x7F)
                var offset = i + 2
                if length == 126, offset + 2 <= data.count {
                    length = Int(data[offset]) << 8 | Int(data[offset + 1])
                    offset += 2
                } else if length == 127, offset + 8 <= data.count {
                    length = data[offset..<offset + 8].reduce(0) { $0 << 8 | Int($1) }
                    offset += 8
                }
                if opcode == 8, offset + 2 <= data.count { return Int(data[offset]) << 8 | Int(data[offset + 1]) }
                i = offset + length
            }
            return nil
        }
    }

    deinit { close(fd) }
}

@Suite("Slow consumers")
struct SlowConsumerTests {
    @Test func oneStalledReaderIsClosedAndTheOthersMissNothing() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil) {
            $0.outboxLimitBytes = 256 * 1024
            // Room for the stalled reader to take its close frame on a slow (sanitized, loaded) run.
            $0.slowConsumerGraceSeconds = Int32(5 * TestPatience.factor)
            // The stalled reader answers no ping: without this, a slow (instrumented, loaded) run that takes longer
            // than the idle timeout drops it as idle before its outbox overflows.
            $0.idleTimeout = nil
        }
        var watchers: [TestClient] = [room.watcher]
        for _ in 0..<5 {
            let client = try await room.bridge.client()
            _ = try await client.request(.subscribe(session: room.session.id, sinceSeq: nil))
            watchers.append(client)
        }
        let stalled = try await StalledReader(port: room.bridge.port)
        let port = room.bridge.port
        let closedAsSlow: @Sendable () async -> Bool = {
            (try? await httpGet(port: port, path: "/metrics").body)?.contains("pexbridge_slow_consumer_closes_total 1")
                == true
        }
        // The stalled reader reads again the moment the bridge drops it (while the firehose goes on): the bridge
        // keeps the close frame for it only for a grace period (the transport's default 5 s, which the bridge's
        // configuration does not expose), so it waits for the transport's log line, an event, rather than polling
        // /metrics through the service loop the firehose keeps busy. While it drains it sends nothing, so a reset
        // cannot cut the close frame off (see WebSocketTransportTests' slow-consumer test).
        let logs = room.bridge.logs
        let drained = Task { () -> Int? in
            _ = try await logs.line(containing: "closing slow consumer", timeout: .seconds(120))
            return try await stalled.drainCloseCode()
        }
        // 600 chat events of ~16 KiB: 9.6 MiB, past what loopback socket buffers absorb and the 256 KiB outbox.
        let text = String(repeating: "z", count: 16000)
        // Paced by what the healthy clients received (batches of 8, 128 KiB, under the outbox limit): only the one
        // that stopped reading falls behind.
        for batch in stride(from: 0, to: 600, by: 8) {
            for i in batch..<min(batch + 8, 600) {
                try room.simulator.sendChat(alias: "t.open", fromDisplayName: "Firehose", text: "\(i) \(text)")
            }
            let last = "\(min(batch + 8, 600) - 1) "
            #expect(
                await eventually(timeout: .seconds(30)) {
                    watchers.allSatisfy { watcher in
                        watcher.events.contains {
                            if case .message(let m) = $0.payload { m.text.hasPrefix(last) } else { false }
                        }
                    }
                }
            )
        }
        // The stalled reader was dropped as a slow consumer; once it reads again it finds the 1008 close
        // (within the transport's grace period for taking the close frame).
        #expect(await eventually(closedAsSlow))
        #expect(try await drained.value == 1008)
        for watcher in watchers {
            #expect(!watcher.connection.isClosed, "a healthy watcher was closed: \(watcher.connection.closeCode ?? 0)")
            try await watcher.waitFor(timeout: .seconds(30)) {
                if case .event(let e) = $0, case .message(let m) = e.payload { m.text.hasPrefix("599 ") } else { false }
            }
            let messages = watcher.events.filter { $0.session == room.session.id }.compactMap {
                if case .message(let m) = $0.payload { m.text } else { nil }
            }
            #expect(messages.map { $0.prefix(while: { $0 != " " }) } == (0..<600).map { "\($0)"[...] })
            let seqs = watcher.events.filter { $0.session == room.session.id }.map(\.seq)
            #expect(seqs == Array(seqs.first!...seqs.last!))
        }
        for watcher in watchers.dropFirst() { await watcher.close() }
        await room.close()
    }
}
