import Synchronization
import Testing
import WSClient
import WebSocketTransport

@Suite struct FanOutTests {
    @Test func oneFrameReachesTwoHundredClients() async throws {
        let clientCount = 200
        let server = try TestServer.start()
        let port = server.port
        let received = Locked<[String]>([])
        let failures = Locked<[String]>([])
        let clients = (0..<clientCount).map { _ in
            Task {
                do {
                    try await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(port)/ws",
                        logger: testLogger
                    ) { inbound, outbound, _ in
                        try await outbound.write(.text("ready"))
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            if case .text(let text) = message {
                                received.mutate { $0.append(text) }
                                return
                            }
                        }
                    }
                } catch {
                    failures.mutate { $0.append("\(error)") }
                }
            }
        }
        defer { for client in clients { client.cancel() } }
        // A client has started its handler once its "ready" has arrived.
        try await waitUntil("\(clientCount) clients ready", timeout: .seconds(30)) {
            server.log.count { if case .text = $0 { true } else { false } } == clientCount || !failures.value.isEmpty
        }
        #expect(failures.value.isEmpty)
        let ids = server.log.all.compactMap { if case .opened(let id, _) = $0 { id } else { nil } }
        #expect(ids.count == clientCount)
        server.server.send(OutboundFrame(#"{"type":"state","seq":1}"#), to: ids)
        try await waitUntil("\(clientCount) clients received", timeout: .seconds(30)) {
            received.value.count == clientCount
        }
        #expect(Set(received.value) == [#"{"type":"state","seq":1}"#])
        #expect(server.server.stats().framesSent == clientCount)
        await server.stop()
    }

    @Test func frameSharedByTwoServersReachesBoth() async throws {
        let first = try TestServer.start()
        let second = try TestServer.start()
        let clientA = try await first.rawWebSocket()
        let clientB = try await second.rawWebSocket()
        let (idA, _) = try await first.log.opened()
        let (idB, _) = try await second.log.opened()
        let frame = OutboundFrame("shared")
        first.server.send(frame, to: idA)
        second.server.send(frame, to: idB)
        let texts = try await background { [try clientA.readMessageFrame().text, try clientB.readMessageFrame().text] }
        #expect(texts == ["shared", "shared"])
        await first.stop()
        await second.stop()
    }
}
