import Clocks
import Locking
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import InfinityClient

extension ConnectionPolicy {
    /// Short delays (on the test clock, they only set how far tests advance it).
    static var fastTests: ConnectionPolicy {
        ConnectionPolicy(
            refreshRetryInitial: .milliseconds(100),
            refreshRetryMax: .milliseconds(400),
            reconnectInitial: .milliseconds(50),
            reconnectMax: .milliseconds(200),
            jitter: 0.2,
            giveUpAfter: .seconds(5),
            releaseTimeout: .seconds(1)
        )
    }
}

/// A connection against a stub node, run by `run()` in a task group and driven by a test clock; torn down after.
struct ConnectionHarness {
    let client: InfinityClient
    let connection: InfinityConnection
    let recorder: UpdateRecorder
    let initialToken: String
    /// The connection's clock: it only moves when the test advances it.
    let clock: TestClock<Duration>
    /// The clock's reading when the connection was made (the origin of its deadlines).
    let origin: TestClock<Duration>.Instant

    static func run(
        node: NodeAddress,
        expires: Int = 120,
        role: InfinityRole = .host,
        policy: ConnectionPolicy = .fastTests,
        logger: Logger = testLogger(),
        _ body: (ConnectionHarness) async throws -> Void
    ) async throws {
        let token = Fixture.newToken("initial")
        let clock = TestClock()
        try await withClient(.fastTests, logger: logger) { client in
            let grant = TokenGrant(
                token: token,
                expires: expires,
                participantUUID: "me",
                role: role,
                displayName: "Bridge"
            )
            let origin = clock.now
            let connection = InfinityConnection(
                client: client,
                node: node,
                alias: "meet",
                grant: grant,
                policy: policy,
                logger: logger,
                clock: clock
            )
            let harness = ConnectionHarness(
                client: client,
                connection: connection,
                recorder: UpdateRecorder(connection.updates),
                initialToken: token,
                clock: clock,
                origin: origin
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await connection.run() }
                do {
                    try await body(harness)
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
                try await group.waitForAll()
            }
            // `run()` has returned: every child it started has finished.
            #expect(await connection.activeTaskCount == 0)
        }
    }

    /// Waits until `condition` holds, nudging the clock meanwhile without moving it (`advance(by: .zero)`): a
    /// timer child that only starts sleeping after the test advanced the clock exactly to its deadline is still due
    /// (TestClock only wakes sleepers while advancing). The clock's reading never changes here.
    func waitUntil(
        timeout: Duration = .seconds(10),
        _ what: String,
        _ condition: @escaping () async -> Bool
    ) async throws {
        let clock = self.clock
        try await TestSupport.waitUntil(what, timeout: timeout) {
            await clock.advance(by: .zero)
            return await condition()
        }
    }

    /// Waits until `condition` holds for the updates so far (nudging the clock, as ``waitUntil(timeout:_:_:)``
    /// does: a reconnect timer armed just after ``driveReconnects(_:until:)`` advanced the clock exactly to its
    /// deadline would otherwise wait for an advance that never comes), returning them.
    @discardableResult
    func wait(
        timeout: Duration = .seconds(10),
        _ what: String,
        until condition: @escaping ([ConnectionUpdate]) -> Bool
    ) async throws -> [ConnectionUpdate] {
        let (recorder, clock) = (self.recorder, self.clock)
        try await TestSupport.waitUntil("\(what); got \(recorder.updates)", timeout: timeout) {
            await clock.advance(by: .zero)
            return condition(recorder.updates)
        }
        return recorder.updates
    }

    /// How far the clock has moved since the connection was made.
    var elapsed: Duration { origin.duration(to: clock.now) }

    /// Advances the clock to `timer`'s deadline, which must be armed.
    func advanceTo(_ timer: InfinityConnection.Machine.Timer) async throws {
        let deadline = try #require(await connection.deadline(of: timer), "\(timer) is not armed")
        await clock.advance(to: origin.advanced(by: deadline))
    }

    /// Asserts that `.ended(reason)` is the single, last update.
    func expectEnded(with reason: ConnectionEndReason, timeout: Duration = .seconds(10)) async throws {
        let recorder = self.recorder
        try await TestSupport.waitUntil("the updates to finish; got \(recorder.updates)", timeout: timeout) {
            recorder.isFinished
        }
        let updates = recorder.updates
        #expect(updates.endReasons == [reason], "updates: \(updates)")
        #expect(updates.last == .ended(reason))
        #expect(await !connection.isRunning)
    }

    /// Waits for `done`, advancing the clock by each reconnect delay the connection reports on the way (the
    /// reconnect timer fires exactly then). Returns the updates.
    @discardableResult
    func driveReconnects(
        _ what: String,
        until done: @escaping ([ConnectionUpdate]) -> Bool
    ) async throws -> [ConnectionUpdate] {
        var handled = 0
        while true {
            let updates = try await wait(what) { done($0) || $0.reconnectDelays.count > handled }
            if done(updates) { return updates }
            await clock.advance(by: updates.reconnectDelays[handled])
            handled += 1
        }
    }

    /// Waits for `done`, advancing the clock to the refresh retry each time a refresh failure is reported.
    @discardableResult
    func driveRefreshRetries(
        _ what: String,
        until done: @escaping ([ConnectionUpdate]) -> Bool
    ) async throws -> [ConnectionUpdate] {
        var handled = 0
        while true {
            let updates = try await wait(what) { done($0) || $0.refreshFailures.count > handled }
            if done(updates) { return updates }
            try await advanceTo(.refresh)
            handled += 1
        }
    }
}

extension [ConnectionUpdate] {
    var reconnectDelays: [Duration] {
        compactMap { if case .health(.reconnecting(_, let delay)) = $0 { delay } else { nil } }
    }
    var reconnectAttempts: [Int] {
        compactMap { if case .health(.reconnecting(let attempt, _)) = $0 { attempt } else { nil } }
    }
    var refreshFailures: [Int] {
        compactMap { if case .health(.tokenRefreshFailed(let attempt)) = $0 { attempt } else { nil } }
    }
}

@Suite struct InfinityConnectionTests {
    private static func streamOpen(_ selfRole: String = "chair") -> StubResponse {
        .events([StubChunk(Fixture.syncBurst(selfUUID: "me", selfRole: selfRole))], close: false)
    }

    @Test func reportsTheSyncBurstAfterOK() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events" ? Self.streamOpen() : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                let updates = try await harness.wait("the sync burst") {
                    $0.contains(.event(.participantSyncEnd))
                }
                #expect(updates.first == .health(.ok))
                #expect(updates.count == 5)
                #expect(updates[1] == .event(.participantSyncBegin))
                guard case .event(.participantCreate(let me)) = updates[2] else {
                    Issue.record("expected own participant_create, got \(updates[2])")
                    return
                }
                #expect(me.uuid == "me")
                #expect(server.requests(to: "events").first?.header("token") == harness.initialToken)
                #expect(await harness.connection.isRunning)
            }
        }
    }

    @Test func refreshesAtAThirdOfExpiry() async throws {
        try await withStub({ request, count in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token": .json(200, Fixture.refresh(token: "refreshed-\(count)", expires: "12"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 12) { harness in
                // A third of 12 s is 4 s (half, another client's cadence, would be 6 s): the timer is armed for
                // exactly then, and nothing is sent before the clock gets there.
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                #expect(await harness.connection.deadline(of: .refresh) == .seconds(4))
                #expect(server.requests(to: "refresh_token").isEmpty)
                await harness.clock.advance(by: .seconds(4))
                try await harness.waitUntil("the first refresh") { !server.requests(to: "refresh_token").isEmpty }
                // The answer's lifetime (12 s) sets the next one, 4 s after this refresh.
                try await harness.waitUntil("the next refresh to be scheduled") {
                    await harness.connection.deadline(of: .refresh) == .seconds(8)
                }
                #expect(server.requests(to: "refresh_token").count == 1)
                await harness.clock.advance(by: .seconds(4))
                try await harness.waitUntil("the second refresh") { server.requests(to: "refresh_token").count >= 2 }
                let refreshes = server.requests(to: "refresh_token")
                #expect(refreshes[0].header("token") == harness.initialToken)
                #expect(refreshes[1].header("token") == "refreshed-1")
                #expect(harness.recorder.updates.endReasons.isEmpty)
            }
        }
    }

    @Test func refreshTokenEventTriggersAnImmediateRefresh() async throws {
        try await withStub({ request, count in
            switch request.endpoint {
            case "events":
                .events(
                    [
                        StubChunk(Fixture.syncBurst(selfUUID: "me")),
                        StubChunk(after: .milliseconds(200), Fixture.sse("refresh_token")),
                    ],
                    close: false
                )
            case "refresh_token": .json(200, Fixture.refresh(token: "pushed-\(count)", expires: "120"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 120) { harness in
                try await harness.waitUntil("the pushed refresh") {
                    server.requests(to: "refresh_token").count == 1
                }
                #expect(harness.recorder.events.contains(.refreshToken))
                try await harness.waitUntil("calls to use the refreshed token") {
                    try? await harness.connection.perform(.lock)
                    return server.requests(to: "lock").last?.header("token") == "pushed-1"
                }
                #expect(server.requests(to: "refresh_token").count == 1)
            }
        }
    }

    @Test func disconnectEventEndsWithRemoteDisconnect() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events"
                ? .events(
                    [
                        StubChunk(Fixture.syncBurst(selfUUID: "me")),
                        StubChunk(
                            after: .milliseconds(50),
                            Fixture.sse("disconnect", #"{"reason":"Conference host ended the conference"}"#)
                        ),
                    ],
                    close: false
                )
                : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                try await harness.expectEnded(with: .remoteDisconnect("Conference host ended the conference"))
                let updates = harness.recorder.updates
                #expect(updates.dropLast().last == .event(.disconnect(reason: "Conference host ended the conference")))
                #expect(server.requests(to: "release_token").isEmpty)
                try await harness.waitUntil("the stream connection to close") {
                    server.openConnections(serving: "events") == 0
                }
                await #expect(throws: InfinityError.connectionClosed) { try await harness.connection.perform(.lock) }
            }
        }
    }

    @Test func droppedStreamReconnectsWithHealthUpdates() async throws {
        try await withStub({ request, count in
            switch request.endpoint {
            case "events":
                count == 1
                    ? .events([StubChunk(Fixture.syncBurst(selfUUID: "me"))], close: true)
                    : Self.streamOpen()
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                let updates = try await harness.driveReconnects("a second sync burst") {
                    $0.count(where: { $0 == .event(.participantSyncEnd) }) == 2
                }
                let health = updates.compactMap { update -> UpstreamHealth? in
                    if case .health(let health) = update { return health } else { return nil }
                }
                // ok, then one or more reconnect attempts (on a loaded machine the first can fail, e.g. on a pooled
                // connection the stub has just closed), then ok again.
                #expect(health.count >= 3, "\(health)")
                #expect(health.first == .ok)
                #expect(health.last == .ok)
                let attempts = health.dropFirst().dropLast()
                for (index, update) in zip(1..., attempts) {
                    guard case .reconnecting(let attempt, _) = update else {
                        Issue.record("expected reconnecting, got \(update) in \(health)")
                        return
                    }
                    #expect(attempt == index, "\(health)")
                }
                guard let first = attempts.first, case .reconnecting(_, let delay) = first else {
                    Issue.record("no reconnect reported in \(health)")
                    return
                }
                #expect(delay >= .milliseconds(40) && delay <= .milliseconds(60))
                #expect(updates.count(where: { $0 == .event(.participantSyncBegin) }) == 2)
                let secondOK = try #require(updates.lastIndex(of: .health(.ok)))
                #expect(updates[secondOK + 1] == .event(.participantSyncBegin))
                #expect(server.requests(to: "events").count >= 2)
            }
        }
    }

    @Test func refusedStreamsEndWithUpstreamLost() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let node = try NodeAddress(scheme: "http", host: "127.0.0.1", port: refusing.port)
        var policy = ConnectionPolicy.fastTests
        policy.giveUpAfter = .seconds(3)
        try await ConnectionHarness.run(node: node, policy: policy) { harness in
            try await harness.driveReconnects("the end") { $0.contains(.ended(.upstreamLost)) }
            try await harness.expectEnded(with: .upstreamLost)
            // Reconnects until the window is over on the connection's clock, the last one cut to the window.
            #expect(harness.elapsed == .seconds(3), "gave up after \(harness.elapsed)")
            let updates = harness.recorder.updates
            #expect(!updates.contains(.health(.ok)))
            let attempts = updates.compactMap { update -> Int? in
                if case .health(.reconnecting(let attempt, _)) = update { return attempt } else { return nil }
            }
            #expect(!attempts.isEmpty)
            #expect(attempts == Array(1...max(1, attempts.count)))
        }
    }

    @Test func serverErrorsOnTheStreamAlsoEndWithUpstreamLost() async throws {
        var policy = ConnectionPolicy.fastTests
        policy.giveUpAfter = .seconds(3)
        try await withStub({ request, _ in
            request.endpoint == "events" ? .json(503, Fixture.failed("Out of resource")) : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node, policy: policy) { harness in
                try await harness.driveReconnects("the end") { $0.contains(.ended(.upstreamLost)) }
                try await harness.expectEnded(with: .upstreamLost)
                #expect(harness.elapsed == .seconds(3))
                // Giving up releases the token, so the node does not keep a ghost participant.
                #expect(server.requests(to: "release_token").count == 1)
                let reconnects = harness.recorder.updates.count(where: {
                    if case .health(.reconnecting) = $0 { true } else { false }
                })
                #expect(reconnects >= 1)
                #expect(server.requests(to: "events").count == reconnects + 1)
            }
        }
    }

    @Test func invalidTokenOnTheStreamEndsWithoutRetrying() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events" ? .json(403, Fixture.invalidToken) : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                try await harness.expectEnded(with: .remoteDisconnect("Invalid token"))
                #expect(server.requests(to: "events").count == 1)
            }
        }
    }

    @Test func invalidTokenOnRefreshEnds() async throws {
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token": .json(403, Fixture.invalidToken)
            default: .json(200, Fixture.ok)
            }
        }) { server in
            // The refresh, at a third of the lifetime, is refused well before the token's time is up.
            try await ConnectionHarness.run(node: server.node, expires: 30) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                try await harness.advanceTo(.refresh)
                try await harness.expectEnded(with: .remoteDisconnect("Invalid token"))
                #expect(server.requests(to: "refresh_token").count == 1)
            }
        }
    }

    @Test func invalidTokenAfterFailedRefreshesMeansTheTokenExpired() async throws {
        let refreshes = Counter()
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token":
                // The node fails the first refresh, then no longer knows the token: it ran out meanwhile.
                // (1 + retriesForIdempotent answers make one failed refresh.)
                refreshes.next() <= 1 + InfinityClientConfiguration.fastTests.retriesForIdempotent
                    ? .json(503, Fixture.failed("Service Unavailable")) : .json(403, Fixture.invalidToken)
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 30) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                try await harness.advanceTo(.refresh)
                try await harness.driveRefreshRetries("the end") { $0.contains(.ended(.tokenExpired)) }
                try await harness.expectEnded(with: .tokenExpired)
                #expect(harness.recorder.updates.refreshFailures == [1])
                #expect(harness.elapsed < .seconds(30), "the node refused the token before its time was up")
            }
        }
    }

    @Test func failingRefreshEndsWithTokenExpired() async throws {
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token": .json(500, Fixture.failed("Out of resource"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 12) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                try await harness.advanceTo(.refresh)
                try await harness.driveRefreshRetries("the end") { $0.contains(.ended(.tokenExpired)) }
                try await harness.expectEnded(with: .tokenExpired)
                // Retries until the token's lifetime is over on the connection's clock, the last retry at the end.
                #expect(harness.elapsed == .seconds(12), "expired after \(harness.elapsed)")
                let failures = harness.recorder.updates.refreshFailures
                #expect(failures.count >= 2)
                #expect(failures == Array(1...failures.count))
                #expect(server.requests(to: "refresh_token").count == failures.count)
            }
        }
    }

    @Test func aSilentStreamIsReopenedAfterTheIdleTimeout() async throws {
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token": .json(200, Fixture.refresh(token: "later", expires: "3600"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 3600) { harness in
                try await harness.wait("the sync burst") { $0.contains(.event(.participantSyncEnd)) }
                let idle = try #require(InfinityClientConfiguration.fastTests.eventStreamIdleTimeout)
                #expect(await harness.connection.deadline(of: .idleWatchdog) == idle)
                await harness.clock.advance(by: idle)
                let updates = try await harness.driveReconnects("a second sync burst") {
                    $0.count(where: { $0 == .event(.participantSyncEnd) }) == 2
                }
                // The silent stream had delivered a whole roster: reopened from attempt 1.
                #expect(updates.reconnectAttempts == [1])
                #expect(server.requests(to: "events").count == 2)
                #expect(server.requests(to: "refresh_token").isEmpty)
                try await harness.waitUntil("the silent stream's connection to close") {
                    server.openConnections(serving: "events") == 1
                }
            }
        }
    }

    @Test func roleChangeFromARefreshIsReported() async throws {
        let rosterWithoutSelf = Fixture.sse("participant_sync_begin") + Fixture.sse("participant_sync_end")
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": .events([StubChunk(rosterWithoutSelf)], close: false)
            case "refresh_token": .json(200, Fixture.refresh(token: "n", expires: "120", role: "GUEST"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 30) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                try await harness.advanceTo(.refresh)
                try await harness.wait("the role change") { $0.contains(.roleChanged(.guest)) }
                #expect(await harness.connection.role == .guest)
            }
        }
    }

    @Test func roleChangeFromTheOwnRosterEntryIsReported() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events"
                ? .events(
                    [
                        StubChunk(Fixture.syncBurst(selfUUID: "me", selfRole: "guest")),
                        StubChunk(
                            after: .milliseconds(50),
                            Fixture.sse("participant_update", Fixture.participant(uuid: "me", role: "chair"))
                        ),
                    ],
                    close: false
                )
                : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node, role: .guest) { harness in
                let updates = try await harness.wait("the promotion") { $0.contains(.roleChanged(.host)) }
                #expect(updates.count(where: { if case .roleChanged = $0 { true } else { false } }) == 1)
                #expect(await harness.connection.role == .host)
            }
        }
    }

    @Test func releaseStopsEverythingAndReleasesTheCurrentToken() async throws {
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "refresh_token": .json(200, Fixture.refresh(token: "after-refresh", expires: "120"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 30) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                try await harness.advanceTo(.refresh)
                try await harness.waitUntil("a refresh") { server.requests(to: "refresh_token").count == 1 }
                try await harness.waitUntil("the refresh to apply") {
                    try? await harness.connection.perform(.unlock)
                    return server.requests(to: "unlock").last?.header("token") == "after-refresh"
                }
                await harness.connection.release()
                #expect(await harness.connection.activeTaskCount == 0)
                try await harness.expectEnded(with: .released)
                #expect(server.requests(to: "release_token").map { $0.header("token") } == ["after-refresh"])
                try await harness.waitUntil("the stream connection to close") {
                    server.openConnections(serving: "events") == 0
                }
                await harness.connection.release()
                #expect(harness.recorder.updates.endReasons == [.released])
            }
        }
    }

    @Test func releaseIsBoundedWhenTheNodeDoesNotAnswer() async throws {
        var policy = ConnectionPolicy.fastTests
        // Far longer than the test may take: only the connection's clock can end the wait.
        policy.releaseTimeout = .seconds(600)
        try await withStub({ request, _ in
            switch request.endpoint {
            case "events": Self.streamOpen()
            case "release_token": .hang
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, policy: policy) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                async let released: Void = harness.connection.release()
                try await harness.waitUntil("the release request") { server.requests(to: "release_token").count == 1 }
                #expect(!harness.recorder.isFinished)
                await harness.clock.advance(by: .seconds(600))
                await released
                try await harness.expectEnded(with: .released)
                #expect(harness.elapsed == .seconds(600))
                #expect(server.requests(to: "release_token").count == 1)
            }
        }
    }

    @Test func closeEndsWithoutReleasing() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events" ? Self.streamOpen() : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                await harness.connection.close()
                try await harness.expectEnded(with: .closed)
                #expect(server.requests(to: "release_token").isEmpty)
                try await harness.waitUntil("the stream connection to close") {
                    server.openConnections(serving: "events") == 0
                }
            }
        }
    }

    @Test func participantCommandsUseTheConnectionsToken() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events" ? Self.streamOpen() : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                try await harness.connection.perform(.admit, participant: "p-guest")
                let request = try #require(server.requests(to: "participants/p-guest/unlock").first)
                #expect(request.header("token") == harness.initialToken)
            }
        }
    }

}

/// A thread-safe call counter for stub handlers.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Counts one more and returns the new count.
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
