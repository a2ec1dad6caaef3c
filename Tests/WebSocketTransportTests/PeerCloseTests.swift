import Testing
import WebSocketTransport

/// How the server answers close frames that clients start.
@Suite struct PeerCloseTests {
    @Test(arguments: ["/ws", "/echo"])
    func wellFormedCloseIsEchoedWithItsCode(path: String) async throws {
        let server = try TestServer.start { $0.echoPath = "/echo" }
        let client = try await server.rawWebSocket(path: path)
        let reply = try await background {
            try client.sendFrame(RawFrame.close, [0x03, 0xE8] + Array("done".utf8))
            return try client.readMessageFrame()
        }
        #expect(reply.opcode == RawFrame.close)
        #expect(reply.closeCode == 1000)
        #expect(try await background { try client.waitForPeerClose() })
        await server.stop()
    }

    @Test(arguments: ["/ws", "/echo"])
    func oneByteCloseBodyFailsTheConnectionWithoutEchoingIt(path: String) async throws {
        let server = try TestServer.start { $0.echoPath = "/echo" }
        let client = try await server.rawWebSocket(path: path)
        if path == "/ws" { _ = try await server.log.opened() }
        // A close body is empty or starts with a 2-byte code: one byte is a protocol error (Autobahn 7.3.2).
        let received = try await background {
            try client.sendFrame(RawFrame.close, [0x03])
            return try client.readToEnd()
        }
        // Either no close frame at all (TCP dropped) or a protocol-error close; never the 1-byte body back.
        if !received.isEmpty {
            #expect(received[0] == 0x88)
            #expect(received.count >= 4 && received[1] >= 2)
            #expect(received.count >= 4 && (UInt16(received[2]) << 8 | UInt16(received[3])) == 1002)
        }
        if path == "/ws" {
            let (id, _) = try await server.log.opened()
            try await server.log.closed(id)
        }
        await server.stop()
    }
}
