import Foundation
import TestSupport
import Testing
import WSClient
import WebSocketTransport

@Suite struct LifecycleTests {
    @Test func shutdownFlushesQueuedFramesThenSends1001AndFreesThePort() async throws {
        // A port outside the kernel's ephemeral range, so that no parallel test's port-0 bind can take it
        // between this server's shutdown and the rebind below.
        var started: TestServer?
        for _ in 0..<50 where started == nil {
            let port = Int.random(in: 20_000..<30_000)
            started = try? TestServer.start { $0.port = port }
        }
        let server = try #require(started)
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        for index in 1...5 {
            server.server.send(OutboundFrame("queued \(index)"), to: id)
        }
        let reader = ReaderState()
        reader.startReading(client)
        await server.stop()

        try await waitUntil("client read the close frame") { reader.closeFrame != nil }
        #expect(reader.texts == (1...5).map { "queued \($0)" })
        #expect(reader.closeFrame?.closeCode == 1001)
        try await server.log.closed(id)
        try await waitUntil("event stream finished") { server.log.hasEnded }

        var again = TransportConfiguration(port: server.port)
        again.host = "127.0.0.1"
        let second = WebSocketServer(configuration: again, logger: testLogger, httpHandler: { _ in .notFound })
        #expect(try second.start() == server.port)
        await second.shutdown()
    }

    @Test func shutdownClosesWSClientWithGoingAway() async throws {
        let server = try TestServer.start()
        let port = server.port
        let client = Task {
            try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)/ws",
                logger: testLogger
            ) { inbound, outbound, _ in
                try await outbound.write(.text("ready"))
                for try await _ in inbound {}
            }
        }
        // Stop only once the client runs its handler: WSClient 1.6.2 can miss a close that arrives
        // while it is still installing its WebSocket handler right after the upgrade.
        let (id, _) = try await server.log.opened()
        _ = try await server.log.text(from: id)
        await server.stop()
        let closeFrame = try await withDeadline("client sees the close") { try await client.value }
        #expect(closeFrame?.closeCode == .goingAway)
    }

    @Test func shutdownIsBoundedWhenClientsNeverAnswer() async throws {
        let server = try TestServer.start()
        let stalled = try await server.rawWebSocket(receiveBuffer: 4096)
        let (id, _) = try await server.log.opened()
        let started = ContinuousClock.now
        await server.stop()
        // Shorter than the 10 s a closing peer otherwise gets (the drain at shutdown does not wait for it);
        // stretched for instrumented runs, where it is only a ceiling.
        #expect(ContinuousClock.now - started < TestPatience.stretch(.seconds(5)))
        try await server.log.closed(id)
        withExtendedLifetime(stalled) {}
    }

    @Test func shutdownIsIdempotentAndConcurrentCallsAllReturn() async throws {
        let server = try TestServer.start()
        async let first: Void = server.server.shutdown()
        async let second: Void = server.server.shutdown()
        _ = await (first, second)
        await server.server.shutdown()
        try await waitUntil("event stream finished") { server.log.hasEnded }
    }

    @Test func shutdownWithoutStartFinishesTheEvents() async throws {
        let server = WebSocketServer(configuration: .init(port: 0), logger: testLogger, httpHandler: { _ in .notFound })
        let log = EventLog(server.events)
        await server.shutdown()
        try await waitUntil("event stream finished") { log.hasEnded }
    }

    @Test func startTwiceThrowsAlreadyStarted() async throws {
        let server = try TestServer.start()
        #expect(throws: TransportError.alreadyStarted) { try server.server.start() }
        await server.stop()
    }

    @Test func portInUseThrowsBindFailed() async throws {
        let first = try TestServer.start()
        let second = WebSocketServer(
            configuration: .init(port: first.port),
            logger: testLogger,
            httpHandler: { _ in .notFound }
        )
        #expect(throws: TransportError.bindFailed(host: "127.0.0.1", port: first.port, errno: EADDRINUSE)) {
            try second.start()
        }
        await second.shutdown()
        await first.stop()
    }

    @Test func unreadableTLSFileThrows() async throws {
        var configuration = TransportConfiguration(port: 0)
        configuration.tls = TLSFiles(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let server = WebSocketServer(configuration: configuration, logger: testLogger, httpHandler: { _ in .notFound })
        #expect(throws: TransportError.tlsFileUnreadable(path: "/nonexistent/cert.pem")) { try server.start() }
        await server.shutdown()
    }

    @Test func invalidConfigurationThrows() async throws {
        let server = WebSocketServer(
            configuration: .init(port: 70_000),
            logger: testLogger,
            httpHandler: { _ in .notFound }
        )
        #expect(throws: TransportError.self) { try server.start() }
        await server.shutdown()
    }

    @Test func manyServersStartAndStopInOneProcess() async throws {
        for round in 0..<20 {
            let server = try TestServer.start()
            let client = try await server.rawWebSocket()
            let (id, _) = try await server.log.opened()
            server.server.send(OutboundFrame("round \(round)"), to: id)
            let frame = try await background { try client.readMessageFrame() }
            #expect(frame.text == "round \(round)")
            let reader = ReaderState()
            reader.startReading(client)
            await server.stop()
            try await server.log.closed(id)
            try await waitUntil("event stream of round \(round) finished") { server.log.hasEnded }
        }
    }

    @Test func ipv6AnyAddressAcceptsIPv4Clients() async throws {
        let server = try TestServer.start { $0.host = "::" }
        let (head, body) = try await httpExchange(
            port: server.port,
            "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        #expect(head.status == 404)
        #expect(body == "not found\n")
        await server.stop()
    }
}
