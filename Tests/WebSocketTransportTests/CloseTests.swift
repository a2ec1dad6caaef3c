import Locking
import Testing
import WebSocketTransport

/// Counts what a raw client's background reader has seen.
final class ReaderState: Sendable {
    private let state = Mutex<(texts: [String], close: RawFrame?, error: String?)>(([], nil, nil))

    var texts: [String] { state.withLock { $0.texts } }
    var closeFrame: RawFrame? { state.withLock { $0.close } }

    /// Reads frames on a background thread until a close frame (which it acknowledges) or an error.
    func startReading(_ client: RawClient) {
        Task {
            try? await background { [self] in
                do {
                    while true {
                        let frame = try client.readMessageFrame()
                        if frame.opcode == RawFrame.close {
                            state.withLock { $0.close = frame }
                            try? client.sendFrame(RawFrame.close, Array(frame.payload.prefix(2)))
                            return
                        }
                        state.withLock { $0.texts.append(frame.text) }
                    }
                } catch {
                    state.withLock { $0.error = "\(error)" }
                }
            }
        }
    }
}

@Suite struct CloseTests {
    @Test func closeDeliversItsCodeAfterTheQueuedFrames() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        for index in 1...3 {
            server.server.send(OutboundFrame("frame \(index)"), to: id)
        }
        server.server.close(id, code: 4000, reason: "bye now")
        server.server.send(OutboundFrame("after close"), to: id)
        let frames = try await background {
            try (0..<4).map { _ in try client.readMessageFrame() }
        }
        #expect(frames.prefix(3).map(\.text) == ["frame 1", "frame 2", "frame 3"])
        #expect(frames[3].closeCode == 4000)
        #expect(frames[3].closeReason == "bye now")
        try await background { try client.sendFrame(RawFrame.close, Array(frames[3].payload.prefix(2))) }
        try await server.log.closed(id)
        let stats = server.server.stats()
        #expect(stats.framesSent == 3)
        #expect(stats.framesDropped == 1)
        await server.stop()
    }

    @Test func clientThatNeverReadsIsClosedAsSlowConsumerWhileOthersKeepReceiving() async throws {
        let server = try TestServer.start {
            $0.outboxLimitBytes = 256 * 1024
            // Time for the socket to take the close frame once the stalled client reads again, however slow this
            // run is.
            $0.slowConsumerGraceSeconds = 60
            // No pings: the stalled client must not send while it drains (see below).
            $0.pingInterval = nil
        }
        let stalled = try await server.rawWebSocket(receiveBuffer: 4096)
        let (stalledID, _) = try await server.log.opened(0)
        let reader = try await server.rawWebSocket()
        let (readerID, _) = try await server.log.opened(1)
        let readerState = ReaderState()
        readerState.startReading(reader)

        let chunk = String(repeating: "s", count: 16 * 1024)
        var sent = 0
        while server.server.stats().slowConsumerCloses == 0 {
            #expect(sent < 2_000, "the stalled client was never closed")
            guard sent < 2_000 else { break }
            sent += 1
            server.server.send(OutboundFrame("\(sent):" + chunk), to: [stalledID, readerID])
            try await waitUntil("reader got frame \(sent)") { readerState.texts.count == sent }
        }
        let stats = server.server.stats()
        #expect(stats.slowConsumerCloses == 1)
        #expect(stats.bytesQueued <= 256 * 1024)

        // The stalled client, once it reads, finds its frames cut short by a 1008 close. What such a close looks
        // like with lws 4.1.6: once the close frame is in the socket, lws waits a fixed 5 s for the peer's close
        // (PENDING_TIMEOUT_CLOSE_ACK, roles/ws/ops-ws.c), then shuts the socket down and closes it at once
        // (core-net/close.c skips its LRS_SHUTDOWN wait, having just marked the socket unusable). The kernel still
        // delivers the unread tail, the close frame and the FIN however late the client reads them, but answers
        // any byte the client sends after that close with a reset, which discards the tail. So this client sends
        // nothing until it has the close frame (it reads raw frames: no pong to a ping, and the server sends
        // none), and a slow run cannot turn the close into ECONNRESET.
        let stalledReading = Task {
            try await background {
                var received = 0
                while true {
                    let frame = try stalled.readFrame()
                    if frame.opcode == RawFrame.close { return (frame, received) }
                    if frame.opcode == RawFrame.text { received += 1 }
                }
            }
        }

        // The reader is unaffected and keeps receiving.
        server.server.send(OutboundFrame("still there"), to: readerID)
        try await waitUntil("reader got the last frame") { readerState.texts.last == "still there" }
        #expect(readerState.closeFrame == nil)

        let (closeFrame, received) = try await stalledReading.value
        #expect(closeFrame.closeCode == 1008)
        #expect(closeFrame.closeReason == "slow consumer")
        #expect(received < sent)
        // The close answered, as a client does once it has read the close frame.
        try await background { try stalled.sendFrame(RawFrame.close, Array(closeFrame.payload.prefix(2))) }
        try await server.log.closed(stalledID)
        await server.stop()
    }

    @Test func clientDisconnectDeliversClosed() async throws {
        let server = try TestServer.start()
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        client.shutdownWrite()
        try await server.log.closed(id)
        #expect(server.server.stats().connections == 0)
        await server.stop()
    }

    @Test func closedArrivesExactlyOncePerOpened() async throws {
        let server = try TestServer.start()
        for _ in 0..<5 {
            let client = try await server.rawWebSocket()
            try await background {
                try client.sendFrame(RawFrame.close, [0x03, 0xE8])
                _ = try client.waitForPeerClose()
            }
        }
        await server.stop()
        // Count only once the stream has ended: `.closed` events may still be on their way after stop() returns.
        try await waitUntil("event stream finished") { server.log.hasEnded }
        let opened = server.log.all.compactMap { if case .opened(let id, _) = $0 { id } else { nil } }
        let closed = server.log.all.compactMap { if case .closed(let id) = $0 { id } else { nil } }
        #expect(opened.count == 5)
        #expect(closed.sorted() == opened.sorted())
    }

    @Test func clientIgnoringPingsIsDroppedAfterTheIdleTimeout() async throws {
        // The client has the idle timeout less the 1 s ping interval after the ping to send its text (which the
        // server must still receive): 7 s, stretched with the run's patience, since lws's timers are real time and
        // an instrumented, loaded run must not see the drop first.
        let idle = Duration.seconds(1 + 7 * TestPatience.factor)
        let server = try TestServer.start {
            $0.pingInterval = .seconds(1)
            $0.idleTimeout = idle
        }
        // Taken before the upgrade request leaves, so before lws starts the connection's validity timer:
        // the drop cannot come less than the idle timeout after it.
        let beforeUpgrade = ContinuousClock.now
        // Its reads wait out the silence until the drop.
        let client = try await server.rawWebSocket(receiveTimeoutSeconds: 10 + 7 * TestPatience.factor)
        let (id, _) = try await server.log.opened()
        let ping = try await background { try client.readFrame() }  // not answered
        #expect(ping.opcode == RawFrame.ping)
        // Still connected once the ping has come (the ping is not the drop): a message still reaches the server.
        try await background { try client.sendText("after the ping") }
        #expect(try await server.log.text(from: id) == "after the ping")
        let peerClosed = try await background { try client.waitForPeerClose() }
        let dropped = ContinuousClock.now
        #expect(peerClosed)
        #expect(dropped - beforeUpgrade >= idle, "dropped before the idle timeout")
        try await server.log.closed(id)
        await server.stop()
    }

    @Test func clientAnsweringPingsStaysConnected() async throws {
        // lws pings every second and drops a connection that has not answered for the idle timeout, on its own
        // real-time timers (no test clock reaches them). Each pong has the idle timeout less the 1 s ping interval
        // to arrive: 3 s, stretched with the run's patience so an instrumented, loaded run does not turn a late
        // pong into a drop. The test then answers pings for longer than that idle timeout, whatever it is.
        let idleSeconds = 1 + 3 * TestPatience.factor
        let server = try TestServer.start {
            $0.pingInterval = .seconds(1)
            $0.idleTimeout = .seconds(idleSeconds)
        }
        // Answer pings, from the moment the upgrade completes, for longer than the idle timeout
        // (a ping comes 1 s after each pong); the connection stays.
        let port = server.port
        let pingsNeeded = idleSeconds + 1
        let (client, pings) = try await background {
            let client = try RawClient(port: port)
            guard try client.upgrade(port: port).status == 101 else { throw RawClientError.malformed("no upgrade") }
            var pings = 0
            while pings < pingsNeeded {
                let frame = try client.readFrame()
                if frame.opcode == RawFrame.ping {
                    pings += 1
                    try client.sendFrame(RawFrame.pong, frame.payload)
                }
            }
            return (client, pings)
        }
        #expect(pings == pingsNeeded)
        let (id, _) = try await server.log.opened()
        server.server.send(OutboundFrame("alive"), to: id)
        let frame = try await background { try client.readMessageFrame() }
        #expect(frame.text == "alive")
        await server.stop()
    }

    @Test func sendToAnUnknownConnectionIsCountedAsDropped() async throws {
        let server = try TestServer.start()
        server.server.send(OutboundFrame("nobody"), to: ConnectionID(rawValue: 999))
        server.server.send(OutboundFrame("nobody"), to: [ConnectionID(rawValue: 998), ConnectionID(rawValue: 997)])
        server.server.close(ConnectionID(rawValue: 999), code: 1000, reason: "")
        try await waitUntil("drops counted") { server.server.stats().framesDropped == 3 }
        await server.stop()
    }
}
