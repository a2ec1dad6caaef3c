import Foundation
import Locking
import Synchronization
import Testing

@testable import WebSocketTransport

/// A gate the test opens and closes; the consumer waits at it before each event.
final class Gate: Sendable {
    private let state = Locking.Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((true, []))

    func close() { state.withLock { $0.open = false } }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }
}

/// A core stand-in that consumes events behind a gate, counts messages per connection (keeping only short
/// texts) and answers each short text "ping N" with "pong N".
final class GatedCore: Sendable {
    let gate = Gate()
    private typealias State = (opened: [ConnectionID], messages: [ConnectionID: Int], texts: [String])
    private let state = Locking.Mutex<State>(([], [:], []))

    init(server: WebSocketServer) {
        Task { [self] in
            for await event in server.events {
                await gate.pass()
                switch event {
                case .opened(let id, _):
                    state.withLock { $0.opened.append(id) }
                case .text(let id, let bytes):
                    let text = bytes.count < 64 ? String(decoding: bytes, as: UTF8.self) : nil
                    state.withLock { state in
                        state.messages[id, default: 0] += 1
                        if let text { state.texts.append(text) }
                    }
                    if let text, text.hasPrefix("ping ") {
                        server.send(OutboundFrame("pong " + text.dropFirst(5)), to: id)
                    }
                case .binary(let id):
                    state.withLock { $0.messages[id, default: 0] += 1 }
                case .closed:
                    break
                }
            }
        }
    }

    var opened: [ConnectionID] { state.withLock { $0.opened } }
    func messages(of id: ConnectionID) -> Int { state.withLock { $0.messages[id, default: 0] } }
}

/// Sends frames on a background thread until stopped, resuming a frame where a send timed out (the server stopped
/// reading and the socket buffers are full), and counts those timeouts.
final class Flooder: Sendable {
    private let stopped = Atomic<Bool>(false)
    let sent = Atomic<Int>(0)
    /// Sends that timed out with nothing sent: the server is not reading this connection.
    let blocked = Atomic<Int>(0)
    /// Set once the sending thread has left its loop (no frame is half written).
    let done = Atomic<Bool>(false)

    func start(_ client: RawClient, opcode: UInt8 = RawFrame.text, payload: [UInt8]) {
        let frame = RawClient.maskedFrame(opcode, payload)
        Thread.detachNewThread { [self] in
            defer { done.store(true, ordering: .relaxed) }
            while !stopped.load(ordering: .relaxed) {
                var offset = 0
                while offset < frame.count {
                    let result = client.sendSome(frame[offset...])
                    if result > 0 {
                        offset += result
                    } else if result == -Int(EAGAIN) {
                        blocked.add(1, ordering: .relaxed)
                    } else {
                        return
                    }
                }
                sent.add(1, ordering: .relaxed)
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}

@Suite struct IntakeTests {
    @Test func aFloodingClientIsPausedWhileAnotherKeepsItsRoundTrips() async throws {
        let configuration = TransportConfiguration(
            port: 0,
            perConnectionBacklog: .init(low: 2, high: 8),
            totalBacklog: .init(low: 50, high: 200),
            messageRate: nil,
            promoteOnOpen: true
        )
        let server = WebSocketServer(configuration: configuration, logger: testLogger) { _ in .notFound }
        let core = GatedCore(server: server)
        let port = try server.start()
        let connect = { @Sendable () throws -> RawClient in
            let client = try RawClient(port: port, sendTimeoutMilliseconds: 100)
            guard try client.upgrade(port: port).status == 101 else { throw RawClientError.malformed("no upgrade") }
            return client
        }
        let good = try await background(connect)
        try await waitUntil("good client opened") { core.opened.count == 1 }
        let flooding = try await background(connect)
        try await waitUntil("flooder opened") { core.opened.count == 2 }
        let (goodID, floodID) = (core.opened[0], core.opened[1])

        // The core stops consuming: the flooder's 60 KiB frames fill its backlog and its reads pause.
        core.gate.close()
        let flooder = Flooder()
        defer { flooder.stop() }
        flooder.start(flooding, payload: Array(String(repeating: "f", count: 60 * 1024).utf8))
        // Paused: the server stops reading, the socket buffers fill and the flooder's sends start timing out.
        // (Without the pause the server would read on and queue every frame; the bound below would not hold.)
        try await waitUntil("flooder blocked by its paused reads") { flooder.blocked.load(ordering: .relaxed) > 0 }
        let paused = server.stats()
        #expect(paused.readsPausedForBacklog >= 1)
        #expect(paused.inboundBacklog <= 8)
        #expect(paused.inboundBacklogPeak <= 8)
        #expect(paused.messagesReceived <= 1 + 8 + 1)  // one held by the gated core, the backlog, the good client's

        // The core drains: the flooder resumes, and the good client's round trips arrive in the middle of the flood.
        core.gate.open()
        for round in 1...5 {
            let reply = try await background {
                try good.sendText("ping \(round)")
                return try good.readMessageFrame().text
            }
            #expect(reply == "pong \(round)")
        }
        try await waitUntil("flooder resumed past its high watermark") { core.messages(of: floodID) > 16 }
        flooder.stop()
        let stats = server.stats()
        #expect(stats.inboundBacklogPeak <= 8 + 1)  // the flooder's bound, plus at most one ping waiting
        #expect(stats.readsPausedForBacklog >= 1)
        #expect(core.messages(of: goodID) == 5)
        await server.shutdown()
    }

    @Test func aClientOverTheMessageRateIsSlowedNotDropped() async throws {
        let server = try TestServer.start {
            $0.messageRate = MessageRateLimit(perSecond: 50, burst: 5, closeAfter: nil)
        }
        let client = try await server.rawWebSocket()
        let (id, _) = try await server.log.opened()
        try await background {
            for index in 1...30 { try client.sendText("m\(index)") }
        }
        try await waitUntil("every message delivered") {
            server.log.count { if case .text(id, _) = $0 { true } else { false } } == 30
        }
        let texts = server.log.all.compactMap { event -> String? in
            if case .text(id, let bytes) = event { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
        #expect(texts == (1...30).map { "m\($0)" })
        #expect(server.server.stats().readsPausedForRate >= 1)
        #expect(server.server.stats().rateLimitCloses == 0)
        await server.stop()
    }

    @Test func aClientOverTheRateStopsBeingReadUntilItsBucketRefills() async throws {
        let server = try TestServer.start {
            $0.messageRate = MessageRateLimit(perSecond: 5, burst: 3, closeAfter: nil)
        }
        let port = server.port
        let flooding = try await background {
            let client = try RawClient(port: port, sendTimeoutMilliseconds: 100)
            guard try client.upgrade(port: port).status == 101 else { throw RawClientError.malformed("no upgrade") }
            return client
        }
        let (id, _) = try await server.log.opened()
        let flooder = Flooder()
        defer { flooder.stop() }
        flooder.start(flooding, payload: Array("m".utf8))
        // The server stops reading the connection (its sends time out) instead of queuing everything it sent.
        try await waitUntil("flooder blocked by the rate pause") { flooder.blocked.load(ordering: .relaxed) > 0 }
        flooder.stop()
        let delivered = server.log.count { if case .text(id, _) = $0 { true } else { false } }
        #expect(delivered < flooder.sent.load(ordering: .relaxed))
        #expect(server.server.stats().readsPausedForRate >= 1)
        // The refill timer resumes reading: more of what was sent arrives, and the connection stays open.
        try await waitUntil("reading resumed after the pause") {
            server.log.count { if case .text(id, _) = $0 { true } else { false } } > delivered
        }
        #expect(server.server.stats().rateLimitCloses == 0)
        #expect(server.log.count { if case .closed(id) = $0 { true } else { false } } == 0)
        await server.stop()
    }

    @Test func aClientThatKeepsExceedingTheRateIsClosedWith1008AndBinaryFramesCount() async throws {
        let server = try TestServer.start {
            $0.messageRate = MessageRateLimit(perSecond: 20, burst: 2, closeAfter: .milliseconds(300))
        }
        let bystander = try await server.rawWebSocket()
        let (bystanderID, _) = try await server.log.opened(0)
        let flooding = try await server.rawWebSocket()
        let (floodID, _) = try await server.log.opened(1)
        let flooder = Flooder()
        defer { flooder.stop() }
        flooder.start(flooding, opcode: RawFrame.binary, payload: [1, 2, 3])
        let close = try await background {
            while true {
                let frame = try flooding.readMessageFrame()
                if frame.opcode == RawFrame.close { return frame }
            }
        }
        flooder.stop()
        #expect(close.closeCode == 1008)
        #expect(close.closeReason == "message rate exceeded")
        try await waitUntil("flooder stopped") { flooder.done.load(ordering: .relaxed) }
        // Acknowledge the close if the server still listens (it may already have hung up on the flood).
        try await background { try? flooding.sendFrame(RawFrame.close, Array(close.payload.prefix(2))) }
        try await server.log.closed(floodID)
        let stats = server.server.stats()
        #expect(stats.rateLimitCloses == 1)
        #expect(stats.readsPausedForRate >= 1)
        // Paused, not answered: far fewer binary events than frames sent.
        let binaries = server.log.count { if case .binary(floodID) = $0 { true } else { false } }
        #expect(binaries < flooder.sent.load(ordering: .relaxed))

        // The bystander is not affected.
        server.server.send(OutboundFrame("still here"), to: bystanderID)
        #expect(try await background { try bystander.readMessageFrame().text } == "still here")
        await server.stop()
    }
}

@Suite struct MessageRateMeterTests {
    let limit = MessageRateLimit(perSecond: 10, burst: 3, closeAfter: .seconds(2))

    private func pause(_ decision: MessageRateMeter.Decision) -> Duration? {
        if case .pause(let wait) = decision { return wait }
        Issue.record("expected a pause, got \(decision)")
        return nil
    }

    @Test func aBurstPassesThenMessagesWaitForTokens() {
        var meter = MessageRateMeter(limit: limit, now: .zero)
        #expect(meter.charge(now: .zero) == .proceed)
        #expect(meter.charge(now: .zero) == .proceed)
        #expect(meter.charge(now: .zero) == .proceed)
        #expect(pause(meter.charge(now: .zero)) == .milliseconds(100))
        // 100 ms later the debt is paid; the next message is over again.
        let again = pause(meter.charge(now: .milliseconds(100)))
        #expect(again.map { $0 > .microseconds(99_990) && $0 < .microseconds(100_010) } == true)
        // Quiet for a while: the bucket refills (capped at the burst).
        #expect(meter.charge(now: .seconds(5)) == .proceed)
        #expect(meter.exceedingSince == nil)
    }

    @Test func exceedingForTheConfiguredTimeCloses() {
        var meter = MessageRateMeter(limit: limit, now: .zero)
        for _ in 0..<3 { _ = meter.charge(now: .zero) }
        var now = Duration.zero
        var decision = meter.charge(now: now)
        while case .pause(let wait) = decision {
            now += wait
            decision = meter.charge(now: now)
        }
        #expect(decision == .close)
        #expect(now >= .seconds(2))
        #expect(now < .seconds(2) + .milliseconds(200))
    }

    @Test func withoutCloseAfterAConnectionIsOnlySlowed() {
        var meter = MessageRateMeter(limit: .init(perSecond: 10, burst: 1, closeAfter: nil), now: .zero)
        var now = Duration.zero
        for _ in 0..<1000 {
            let decision = meter.charge(now: now)
            guard case .pause(let wait) = decision else {
                #expect(decision == .proceed)
                continue
            }
            now += wait
        }
        #expect(now >= .seconds(99))
    }
}

@Suite struct InboundQueueTests {
    @Test func readsPauseAtTheHighMarkAndResumeAtTheLowMark() async {
        let resumed = Locked<[[ConnectionID]]>([])
        let queue = InboundQueue(perConnection: .init(low: 1, high: 3), overall: .init(low: 10, high: 100)) { ids in
            resumed.mutate { $0.append(ids) }
        }
        let a = ConnectionID(rawValue: 1)
        queue.yield(.opened(a, ConnectionInfo(peerAddress: "x", origin: nil, subprotocol: nil)))
        #expect(queue.yieldMessage(.binary(a), of: a) == .keepReading)
        #expect(queue.yieldMessage(.binary(a), of: a) == .keepReading)
        #expect(queue.yieldMessage(.binary(a), of: a) == .pauseReads)
        #expect(queue.backlog.current == 3)
        var iterator = TransportEvents(queue: queue).makeAsyncIterator()
        _ = await iterator.next()  // .opened: no credit
        _ = await iterator.next()
        #expect(resumed.value.isEmpty)  // backlog 2 > low 1
        _ = await iterator.next()
        #expect(resumed.value == [[a]])
        #expect(queue.backlog == (1, 3))
        queue.finish()
        _ = await iterator.next()
        let end = await iterator.next()
        #expect(end == nil, "the sequence ends after finish() once its events are taken")
    }

    @Test func theTotalPausesEveryDeliveringConnectionUntilItIsLow() async {
        let resumed = Locked<[ConnectionID]>([])
        let queue = InboundQueue(perConnection: .init(low: 5, high: 50), overall: .init(low: 1, high: 3)) { ids in
            resumed.mutate { $0 += ids }
        }
        let ids = (1...3).map { ConnectionID(rawValue: UInt64($0)) }
        let credits = ids.map { queue.yieldMessage(.binary($0), of: $0) }
        #expect(credits == [.keepReading, .keepReading, .pauseReads])
        #expect(queue.yieldMessage(.binary(ids[0]), of: ids[0]) == .pauseReads)
        var iterator = TransportEvents(queue: queue).makeAsyncIterator()
        _ = await iterator.next()
        _ = await iterator.next()
        #expect(resumed.value.isEmpty)  // total 2 > low 1
        _ = await iterator.next()
        #expect(Set(resumed.value) == [ids[0], ids[2]])
    }
}
