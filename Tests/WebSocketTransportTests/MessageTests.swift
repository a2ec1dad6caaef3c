import Synchronization
import Testing
import WSClient
import WebSocketTransport

@Suite struct MessageTests {
    @Test func textRoundTripThroughTheCore() async throws {
        let server = try TestServer.start()
        let core = Task {
            let (id, _) = try await server.log.opened()
            let text = try await server.log.text(from: id)
            server.server.send(OutboundFrame("echo: " + text), to: id)
            return id
        }
        let received = Locked<String?>(nil)
        let port = server.port
        let closeFrame = try await withDeadline("client round trip") {
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws",
                logger: testLogger
            ) { inbound, outbound, _ in
                try await outbound.write(.text("héllo"))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .text(let text) = message {
                        received.mutate { $0 = text }
                        break
                    }
                }
            }
        }
        let id = try await core.value
        #expect(received.value == "echo: héllo")
        #expect(closeFrame?.closeCode == .normalClosure)
        try await server.log.closed(id)
        #expect(server.server.stats().framesSent == 1)
        await server.stop()
    }

    @Test func messageSentInThreeFragmentsArrivesWhole() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        try await background {
            try client.sendText("Hello, ", fin: false)
            try client.sendFrame(RawFrame.ping, Array("between".utf8))  // control frames may interleave
            try client.sendText("fragmented ", fin: false, continuation: true)
            try client.sendText("world", fin: true, continuation: true)
        }
        let (id, _) = try await server.log.opened()
        #expect(try await server.log.text(from: id) == "Hello, fragmented world")
        #expect(server.log.count { if case .text = $0 { true } else { false } } == 1)
        await server.stop()
    }

    @Test func largeMessageInManyChunksArrivesWhole() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        let text = String((0..<60_000).map { Character(UnicodeScalar(UInt8(ascii: "a") + UInt8($0 % 26))) })
        try await background { try client.sendText(text) }
        let (id, _) = try await server.log.opened()
        #expect(try await server.log.text(from: id) == text)
        await server.stop()
    }

    @Test func messageOverTheLimitClosesWith1009() async throws {
        let server = try TestServer.start { $0.maxMessageBytes = 1000 }
        let client = try await server.rawWebSocket()
        let frame = try await background {
            try client.sendText(String(repeating: "x", count: 400), fin: false)
            try client.sendText(String(repeating: "y", count: 400), fin: false, continuation: true)
            try client.sendText(String(repeating: "z", count: 400), fin: true, continuation: true)
            return try client.readMessageFrame()
        }
        #expect(frame.closeCode == 1009)
        let (id, _) = try await server.log.opened()
        try await server.log.closed(id)
        #expect(server.log.count { if case .text = $0 { true } else { false } } == 0)
        #expect(server.server.stats().oversizeCloses == 1)
        await server.stop()
    }

    @Test func frameAnnouncingAHugeLengthIsRefusedAtOnce() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        let frame = try await background {
            // Text frame header announcing 2^40 bytes, followed by just a few of them.
            var bytes: [UInt8] = [0x81, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]
            bytes += [UInt8](repeating: 0x41 ^ 0x12, count: 16)
            try client.send(bytes)
            return try client.readMessageFrame()
        }
        #expect(frame.closeCode == 1009)
        #expect(server.server.stats().oversizeCloses == 1)
        await server.stop()
    }

    @Test func messageAtTheLimitIsAccepted() async throws {
        let server = try TestServer.start { $0.maxMessageBytes = 1000 }
        let client = try await server.rawWebSocket()
        try await background { try client.sendText(String(repeating: "x", count: 1000)) }
        let (id, _) = try await server.log.opened()
        #expect(try await server.log.text(from: id).count == 1000)
        await server.stop()
    }

    @Test func binaryMessageGivesBinaryEvent() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        try await background {
            try client.sendFrame(RawFrame.binary, fin: false, [1, 2, 3])
            try client.sendFrame(RawFrame.continuation, fin: true, [4, 5])
            try client.sendText("after")
        }
        let (id, _) = try await server.log.opened()
        #expect(try await server.log.text(from: id) == "after")
        let kinds = server.log.all.compactMap { event -> String? in
            switch event {
            case .binary(id): "binary"
            case .text(id, _): "text"
            default: nil
            }
        }
        #expect(kinds == ["binary", "text"])
        await server.stop()
    }

    @Test func binaryMessageOverTheLimitClosesWith1009() async throws {
        let server = try TestServer.start { $0.maxMessageBytes = 100 }
        let client = try await server.rawWebSocket()
        let frame = try await background {
            try client.sendFrame(RawFrame.binary, [UInt8](repeating: 7, count: 101))
            return try client.readMessageFrame()
        }
        #expect(frame.closeCode == 1009)
        #expect(server.log.count { if case .binary = $0 { true } else { false } } == 0)
        await server.stop()
    }

    @Test func invalidUTF8ClosesWith1007() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        let frame = try await background {
            try client.sendFrame(RawFrame.text, [0x48, 0xC3, 0x28])
            return try client.readMessageFrame()
        }
        #expect(frame.closeCode == 1007)
        #expect(server.log.count { if case .text = $0 { true } else { false } } == 0)
        await server.stop()
    }

    @Test func echoEndpointEchoesWithoutEvents() async throws {
        let server = try TestServer.start { $0.echoPath = "/echo" }
        let client = try await server.rawWebSocket(path: "/echo")
        let big = [UInt8](repeating: 0xAB, count: 200_000)
        let frames = try await background {
            try client.sendText("ping?")
            try client.sendFrame(RawFrame.binary, big)
            return [try client.readMessageFrame(), try client.readMessageFrame()]
        }
        #expect(frames[0] == RawFrame(fin: true, opcode: RawFrame.text, payload: Array("ping?".utf8)))
        #expect(frames[1].opcode == RawFrame.binary)
        #expect(frames[1].payload == big)
        #expect(server.log.all.isEmpty)
        await server.stop()
    }
}
