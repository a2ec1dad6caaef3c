import BridgeProtocol
import Clocks
import CoreMetrics
import InfinityClient
import Logging
import MetricsTestKit
import ServiceLifecycle
import Testing

@testable import BridgeCore

/// The engine as a `Service`, its timers on a test clock, its limits and its metrics.
@Suite("Bridge engine lifecycle, limits and metrics", .timeLimit(.minutes(1)))
struct EngineLifecycleTests: EngineFixture {
    let upstream = FakeUpstream(rooms: [
        "open": .init(hostPIN: nil, guestPIN: nil),
        "pin": .init(hostPIN: "1234", guestPIN: "5678"),
    ])
    let sink = RecordingSink()
    let clock = TestClock<Duration>()
    let metrics = TestMetrics()
    var metricsFactory: (any MetricsFactory)? { metrics }

    /// The last value of a gauge, nil when it was never made.
    func meter(_ label: String, _ dimensions: [(String, String)]) -> Double? {
        (try? metrics.expectMeter(label, dimensions))?.lastValue
    }

    func stateChanges(_ client: ClientID) -> [StateChange] {
        sink.events(client).compactMap { if case .state(let c) = $0.payload { c } else { nil } }
    }

    @Test func aServiceGroupsGracefulShutdownReleasesSessionsAndEndsRun() async throws {
        let engine = engine()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: engine)],
                gracefulShutdownSignals: [],
                logger: Logger(label: "test")
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await engine.clientConnected(1, peer: "p")
            await send(engine, 1, joinFrame(id: 1, alias: "open"))
            #expect(session(await sink.result(1, id: 1))?.state == .connected)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        #expect(upstream.links.map(\.released) == [1])
        #expect(stateChanges(1).last?.reason == .bridgeShutdown)
        #expect(await engine.runningTaskCount == 0)
        #expect(await engine.sessionCount == 0)
    }

    @Test func shutdownWaitsForReleasesUntilItsTimeoutOnTheClock() async throws {
        let engine = engine()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await engine.run() }
            await engine.clientConnected(1, peer: "p")
            await send(engine, 1, joinFrame(id: 1, alias: "open"))
            _ = await sink.result(1, id: 1)
            let link = try #require(upstream.links.first)
            let node = Gate()
            link.holdReleases(at: node)
            tasks.addTask { await engine.shutdown(timeout: .seconds(5)) }
            await node.arrivals(1)
            // The release is in flight: shutdown waits for it, and the clock has not moved.
            #expect(await engine.runningTaskCount >= 1)
            await clock.advance(by: .seconds(5))
            try await tasks.waitForAll()
        }
        #expect(await engine.runningTaskCount == 0)
        #expect(stateChanges(1).last?.reason == .bridgeShutdown)
    }

    @Test func aJoinStillWaitingOnTheNodeAtShutdownHearsWhyAndItsLateGrantIsReleased() async throws {
        let engine = engine()
        let node = Gate()
        upstream.holdTokenRequests(at: node)
        upstream.holdReleases(at: Gate(open: true))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await engine.run() }
            await engine.clientConnected(1, peer: "p")
            await send(engine, 1, joinFrame(id: 1, alias: "open"))
            await node.arrivals(1)
            #expect(sink.resultNow(1, id: 1) == nil)
            tasks.addTask { await engine.shutdown() }
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("the join succeeded during shutdown")
                return
            }
            #expect(error.code == .shuttingDown)
            node.open()
            try await tasks.waitForAll()
        }
        // The node granted after the session had ended: the token went straight back.
        #expect(upstream.links.map(\.released) == [1])
        #expect(await engine.runningTaskCount == 0)
    }

    @Test func aLeaveThatOvertakesAJoinAnswersBothAndGivesALateGrantBack() async throws {
        let node = Gate()
        upstream.holdTokenRequests(at: node)
        let released = Gate(open: true)
        upstream.holdReleases(at: released)
        try await withEngine(engine()) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, joinFrame(id: 1, alias: "open"))
            await node.arrivals(1)
            let id = try #require(stateChanges(1).first.flatMap { _ in sink.events(1).first?.session })
            await send(e, 1, #"{"type":"leave","id":2,"session":"\#(id)"}"#)
            #expect(await sink.result(1, id: 2) == .success(.empty))
            guard case .failure(let error) = await sink.result(1, id: 1) else {
                Issue.record("the overtaken join succeeded")
                return
            }
            #expect(error.code == .invalidState)
            node.open()
            await released.arrivals(1)
            #expect(upstream.links.count == 1)
        }
    }

    @Test func theRateLimitIsChargedBeforeDecoding() async throws {
        try await withEngine(
            engine {
                $0.requestRate = 1
                $0.requestBurst = 2
            }
        ) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, #"{"type":"ping","id":1}"#)
            await send(e, 1, #"{"type":"ping","id":2}"#)
            // Over the budget, an unreadable frame is not decoded: it is refused as rate_limited, not bad_request.
            await send(e, 1, "not json at all")
            #expect(sink.messages(1).last == .error(ErrorBody(.rateLimited, "too many requests; slow down")))
            await send(e, 1, #"{"type":"ping","id":"x"}"#)
            #expect(
                sink.messages(1).last
                    == .result(
                        id: .string("x"),
                        .failure(
                            ErrorBody(
                                .rateLimited,
                                "too many requests; slow down"
                            )
                        )
                    )
            )
            // Binary frames cost the same budget, and over it they get no reply at all.
            let before = sink.messages(1).count
            await e.receiveBinary(1)
            #expect(sink.messages(1).count == before)
            await clock.advance(by: .seconds(1))
            await send(e, 1, #"{"type":"ping","id":3}"#)
            #expect(await sink.result(1, id: 3) == .success(.empty))
        }
        #expect(metrics.counterTotal(label: "pexbridge_rate_limited_total") == 3)
    }

    @Test func sessionLimitsAnswerACodedFailureAndFreeUpWhenASessionEnds() async throws {
        try await withEngine(
            engine {
                $0.maxSessionsPerClient = 1
                $0.maxSessionsPerAlias = 2
                $0.maxSessions = 3
            }
        ) { e in
            for client in ClientID(1)...4 { await e.clientConnected(client, peer: "p") }
            await send(e, 1, joinFrame(id: 1, alias: "open"))
            let first = try #require(session(await sink.result(1, id: 1)))
            await send(e, 1, joinFrame(id: 2, alias: "pin"))
            guard case .failure(let perClient) = await sink.result(1, id: 2) else {
                Issue.record("a second session for one client was accepted")
                return
            }
            #expect(perClient.code == .tooManySessions)
            await send(e, 2, joinFrame(id: 1, alias: "open"))
            _ = await sink.result(2, id: 1)
            await send(e, 3, joinFrame(id: 1, alias: "open"))
            guard case .failure(let perAlias) = await sink.result(3, id: 1) else {
                Issue.record("a third session in one conference was accepted")
                return
            }
            #expect(perAlias.code == .tooManySessions)
            await send(e, 3, joinFrame(id: 2, alias: "pin"))
            _ = await sink.result(3, id: 2)
            await send(e, 4, joinFrame(id: 1, alias: "pin"))
            guard case .failure(let global) = await sink.result(4, id: 1) else {
                Issue.record("a session over the bridge's limit was accepted")
                return
            }
            #expect(global.code == .tooManySessions)
            await send(e, 1, #"{"type":"leave","id":3,"session":"\#(first.id)"}"#)
            _ = await sink.result(1, id: 3)
            await send(e, 1, joinFrame(id: 4, alias: "open"))
            #expect(session(await sink.result(1, id: 4))?.state == .connected)
            #expect(await e.sessionCount == 3)
        }
    }

    @Test func aSessionWaitingForAPINExpiresOnTheClock() async throws {
        let timeout = Duration.seconds(300)
        try await withEngine(engine { $0.pinStateTimeout = timeout }) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, joinFrame(id: 1, alias: "pin"))
            let s = try #require(session(await sink.result(1, id: 1)))
            #expect(s.state == .pinRequired)
            await clock.advance(by: timeout - .seconds(1))
            #expect(await e.sessionCount == 1)
            await clock.advance(by: .seconds(1))
            let ended = await sink.until { stateChanges(1).first { $0.state == .error } }
            #expect(ended.error?.code == .sessionExpired)
            #expect(await e.sessionCount == 0)
            // Nothing was held upstream, so nothing is released.
            #expect(upstream.links.isEmpty)
        }
    }

    @Test func aPINInFlightWhenTheSessionExpiresIsAnsweredSessionExpired() async throws {
        let timeout = Duration.seconds(60)
        let node = Gate()
        try await withEngine(engine { $0.pinStateTimeout = timeout }) { e in
            await e.clientConnected(1, peer: "p")
            await send(e, 1, joinFrame(id: 1, alias: "pin"))
            let s = try #require(session(await sink.result(1, id: 1)))
            upstream.holdTokenRequests(at: node)
            await send(e, 1, #"{"type":"pin","id":2,"session":"\#(s.id)","pin":"5678"}"#)
            await node.arrivals(1)
            await clock.advance(by: timeout)
            guard case .failure(let error) = await sink.result(1, id: 2) else {
                Issue.record("the PIN was answered with success after the session expired")
                return
            }
            #expect(error.code == .sessionExpired)
            upstream.holdReleases(at: Gate(open: true))
            node.open()
        }
        // The grant that came after expiry was given back.
        #expect(upstream.links.map(\.released) == [1])
    }

    @Test func metricsGoThroughTheInjectedFactoryWithTheBridgesNames() async throws {
        try await withEngine(engine { $0.authTokens = [AuthToken(secret: "observer-secret", role: .observer)] }) { e in
            await e.clientConnected(1, peer: "p")
            await e.clientConnected(2, peer: "p")
            #expect(meter("pexbridge_clients", [("role", "unauthenticated")]) == 2)
            await send(e, 1, #"{"type":"auth","id":1,"token":"observer-secret"}"#)
            _ = await sink.result(1, id: 1)
            await send(e, 2, #"{"type":"auth","id":1,"token":"wrong"}"#)
            _ = await sink.result(2, id: 1)
            #expect(meter("pexbridge_clients", [("role", "observer")]) == 1)
            #expect(meter("pexbridge_clients", [("role", "unauthenticated")]) == 1)
            #expect(metrics.counterTotal(label: "pexbridge_auth_failures_total") == 1)
            #expect(
                metrics.counterTotal(
                    label: "pexbridge_request_failures_total",
                    dimensions: [("code", "unauthorized")]
                ) == 1
            )
            await e.clientDisconnected(2)
            #expect(meter("pexbridge_clients", [("role", "unauthenticated")]) == 0)
        }
        try await withEngine(engine()) { e in
            await e.clientConnected(3, peer: "p")
            await send(e, 3, joinFrame(id: 1, alias: "open"))
            let s = try #require(session(await sink.result(3, id: 1)))
            #expect(meter("pexbridge_sessions", [("state", "connected")]) == 1)
            #expect(meter("pexbridge_sessions", [("state", "connecting")]) == 0)
            #expect(metrics.counterTotal(label: "pexbridge_events_total") == 2)
            #expect(metrics.counterTotal(label: "pexbridge_event_deliveries_total") == 2)
            #expect((try? metrics.expectTimer("pexbridge_token_request_duration_seconds"))?.values.count == 1)
            await send(e, 3, #"{"type":"leave","id":2,"session":"\#(s.id)"}"#)
            _ = await sink.result(3, id: 2)
            #expect(meter("pexbridge_sessions", [("state", "connected")]) == 0)
            let statistics = await e.statistics
            #expect(statistics.eventsPublished == 3)
        }
        // No label carries anything a client wrote.
        for meter in metrics.meters { #expect(!meter.dimensions.contains { $0.1.contains("secret") }) }
    }
}
