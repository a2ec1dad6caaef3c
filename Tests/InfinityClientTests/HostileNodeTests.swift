import Clocks
import Logging
import Testing

@testable import InfinityClient

/// A hostile or broken node must not hurt the bridge (security review findings 12, 13 and 15).
@Suite struct HostileNodeTests {
    static func chat(payloadBytes: Int) -> String {
        let payload = String(repeating: "A", count: payloadBytes)
        return Fixture.sse(
            "message_received",
            #"{"origin":"Eve","uuid":"p-eve","type":"text/plain","payload":""#
                + payload + #""}"#
        )
    }

    // MARK: Finding 12

    @Test func aFourMebibyteEventEndsTheStreamInsteadOfBeingHeld() async throws {
        try await withStub({ request, _ in
            request.endpoint == "events"
                ? .events(
                    [StubChunk(Fixture.sse("participant_sync_begin") + Self.chat(payloadBytes: 4 << 20))],
                    close: false
                )
                : .json(200, Fixture.ok)
        }) { server in
            try await withClient { client in
                var received: [InfinityEvent] = []
                let error = await #expect(throws: InfinityError.self) {
                    for try await event in client.events(node: server.node, alias: "meet", token: "t") {
                        received.append(event)
                    }
                }
                guard case .badResponse(let why)? = error else {
                    Issue.record("expected badResponse, got \(String(describing: error))")
                    return
                }
                #expect(why.contains("\(256 << 10)"), "\(why)")
                #expect(received == [.participantSyncBegin])
            }
        }
    }

    @Test func anOversizedEventIsNeverDeliveredAndTheStreamIsReopened() async throws {
        try await withStub({ request, count in
            request.endpoint == "events"
                ? .events(
                    [
                        StubChunk(
                            Fixture.syncBurst(selfUUID: "me") + (count == 1 ? Self.chat(payloadBytes: 300 << 10) : "")
                        )
                    ],
                    close: false
                )
                : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node) { harness in
                let updates = try await harness.driveReconnects("the reopened stream's roster") {
                    $0.count(where: { $0 == .event(.participantSyncEnd) }) == 2
                }
                #expect(updates.reconnectAttempts == [1])
                #expect(!updates.contains { if case .event(.messageReceived) = $0 { true } else { false } })
            }
        }
    }

    @Test func aRosterSyncThatNeverEndsIsReopenedInsteadOfGrowing() async throws {
        var policy = ConnectionPolicy.fastTests
        policy.maxRosterSyncEvents = 10
        let endless =
            Fixture.sse("participant_sync_begin")
            + (0..<30).map { Fixture.sse("participant_create", Fixture.participant(uuid: "p\($0)")) }.joined()
        try await withStub({ request, _ in
            request.endpoint == "events" ? .events([StubChunk(endless)], close: false) : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node, policy: policy) { harness in
                let updates = try await harness.wait("the stream to be reopened") { !$0.reconnectAttempts.isEmpty }
                let creates = updates.count(where: { if case .event(.participantCreate) = $0 { true } else { false } })
                #expect(creates == 10)
                try await harness.waitUntil("the endless stream's connection to close") {
                    server.openConnections(serving: "events") == 0
                }
                // Never synced, so the backoff is not reset: a node that keeps doing it runs out of time.
                let more = try await harness.driveReconnects("a second reconnect") { $0.reconnectAttempts.count == 2 }
                #expect(more.reconnectAttempts == [1, 2])
            }
        }
    }

    @Test func aConsumerThatFallsBehindPausesTheStreamWithBoundedUpdates() async throws {
        var policy = ConnectionPolicy.fastTests
        policy.maxPendingUpdates = 20
        let flood =
            Fixture.syncBurst(selfUUID: "me")
            + (0..<200).map { _ in Fixture.sse("participant_update", Fixture.participant(uuid: "p-guest")) }.joined()
        try await withStub({ request, _ in
            request.endpoint == "events" ? .events([StubChunk(flood)], close: false) : .json(200, Fixture.ok)
        }) { server in
            try await withClient { client in
                let grant = TokenGrant(token: "t", expires: 120, participantUUID: "me", role: .host, displayName: "B")
                let clock = TestClock()
                let connection = InfinityConnection(
                    client: client,
                    node: server.node,
                    alias: "meet",
                    grant: grant,
                    policy: policy,
                    logger: testLogger(),
                    clock: clock
                )
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await connection.run() }
                    // Nobody reads `updates`: the connection stops reading the node instead of buffering.
                    try await waitUntil("the flooding stream to be closed") {
                        server.requests(to: "events").count == 1 && server.openConnections(serving: "events") == 0
                    }
                    await connection.close()
                    try await group.waitForAll()
                }
                var updates: [ConnectionUpdate] = []
                for await update in connection.updates { updates.append(update) }
                #expect(updates.count <= policy.maxPendingUpdates + InfinityConnection.updateReserve)
                #expect(updates.count < 200)
                #expect(updates.last == .ended(.closed))
                #expect(updates.reconnectAttempts == [1])
            }
        }
    }

    @Test func expiresZeroCannotMakeTheConnectionRefreshInALoop() async throws {
        try await withStub({ request, count in
            switch request.endpoint {
            case "events": .events([StubChunk(Fixture.syncBurst(selfUUID: "me"))], close: false)
            case "refresh_token": .json(200, Fixture.refresh(token: "r\(count)", expires: "0"))
            default: .json(200, Fixture.ok)
            }
        }) { server in
            try await ConnectionHarness.run(node: server.node, expires: 0) { harness in
                try await harness.wait("the stream") { $0.contains(.health(.ok)) }
                // Lifetimes are clamped to at least 10 s: refreshes a third of that apart, not back to back.
                let third = Duration.nanoseconds(3_333_333_333)
                #expect(await harness.connection.deadline(of: .refresh) == third)
                try await harness.advanceTo(.refresh)
                try await harness.waitUntil("the refresh") { server.requests(to: "refresh_token").count == 1 }
                try await harness.waitUntil("the next refresh to be scheduled") {
                    await harness.connection.deadline(of: .refresh) == third * 2
                }
                #expect(server.requests(to: "refresh_token").count == 1)
            }
        }
    }

    // MARK: Finding 15

    @Test(arguments: [
        ".", "..", "...", "", String(repeating: "a", count: 257), "meet\u{1B}[31m", "meet\nroom", "meet\u{85}",
    ])
    func aliasesNoConferenceCanHaveAreRefusedBeforeSending(alias: String) async throws {
        try await withStub({ _, _ in .json(200, Fixture.requestToken(token: "t")) }) { server in
            try await withClient { client in
                let error = await #expect(throws: InfinityError.self) {
                    _ = try await client.requestToken(node: server.node, alias: alias, displayName: "B", pin: nil)
                }
                guard case .invalidAlias(let why)? = error else {
                    Issue.record("expected invalidAlias, got \(String(describing: error))")
                    return
                }
                #expect(why.hasPrefix("the alias "), "\(why)")
                await #expect(throws: InfinityError.invalidAlias(why)) {
                    for try await _ in client.events(node: server.node, alias: alias, token: "t") {}
                }
                #expect(server.requests.isEmpty)
            }
        }
    }

    @Test func aliasesWithDotsAndTheLongestAliasStillWork() async throws {
        let longest = String(repeating: "é", count: 128)  // 256 bytes
        try await withStub({ _, _ in .json(200, Fixture.requestToken(token: "t")) }) { server in
            try await withClient { client in
                for alias in ["meet.room", "..meet", longest] {
                    let outcome = try await client.requestToken(
                        node: server.node,
                        alias: alias,
                        displayName: "B",
                        pin: nil
                    )
                    guard case .granted = outcome else {
                        Issue.record("expected granted for \(alias), got \(outcome)")
                        continue
                    }
                }
                #expect(
                    server.requests.map { $0.rawAlias } == ["meet.room", "..meet", percentEncodedPathSegment(longest)]
                )
            }
        }
    }

    @Test func dotOnlySegmentsAreEncodedSoTheyAreNeverDotSegments() {
        #expect(percentEncodedPathSegment(".") == "%2E")
        #expect(percentEncodedPathSegment("..") == "%2E%2E")
        #expect(percentEncodedPathSegment("a..b") == "a..b")
        #expect(percentEncodedPathSegment("") == "")
    }

    // MARK: Finding 13

    @Test func textForLogsHasItsControlsEscapedAndIsCut() {
        #expect("Alice Smith".escapedForLog() == "Alice Smith")
        #expect("caf\u{e9} \u{1F600}".escapedForLog() == "caf\u{e9} \u{1F600}")
        #expect("a\nforged: line".escapedForLog() == #"a\u{A}forged: line"#)
        #expect("\u{1B}]52;c;SGVsbG8=\u{07}".escapedForLog() == #"\u{1B}]52;c;SGVsbG8=\u{7}"#)
        #expect("\r\t\u{7F}\u{85}\u{9B}".escapedForLog() == #"\u{D}\u{9}\u{7F}\u{85}\u{9B}"#)
        #expect("abc\u{202E}fed\u{2066}".escapedForLog() == #"abc\u{202E}fed\u{2066}"#)
        #expect("\u{2028}".escapedForLog() == #"\u{2028}"#)
        #expect(#"a\u{41}"#.escapedForLog() == #"a\\u{41}"#)
        #expect("abcdef".escapedForLog(limit: 3) == "abc…")
        #expect("abc".escapedForLog(limit: 3) == "abc")
        #expect(String(repeating: "x", count: 10_000).escapedForLog().count == 201)
        #expect("ab"[...].escapedForLog(limit: 0) == "…")
    }

    @Test func aNodesWordsReachTheLogsEscaped() async throws {
        let capture = LogCapture()
        let reason = "bye\n2026-12-06 forged line \u{1B}[2J\u{202E}"
        try await withStub({ request, _ in
            request.endpoint == "events"
                ? .events(
                    [
                        StubChunk(Fixture.syncBurst(selfUUID: "me")),
                        StubChunk(Fixture.sse("ev\u{1B}[31mil", "{}")),
                        StubChunk(
                            Fixture.sse("disconnect", #"{"reason":"bye\n2026-12-06 forged line \u001b[2J\u202e"}"#)
                        ),
                    ],
                    close: false
                )
                : .json(200, Fixture.ok)
        }) { server in
            try await ConnectionHarness.run(node: server.node, logger: capture.logger()) { harness in
                try await harness.expectEnded(with: .remoteDisconnect(reason))
            }
        }
        let lines = capture.all
        #expect(lines.contains { $0.contains("infinity connection ended") && $0.contains(#"\u{A}2026-12-06 forged"#) })
        #expect(lines.contains { $0.contains(#"ev\u{1B}[31mil"#) })
        for line in lines {
            #expect(!line.contains("\u{1B}"), "raw ESC in \(line)")
            #expect(!line.contains("\n"), "raw newline in \(line)")
            #expect(!line.contains("\u{202E}"), "raw bidi control in \(line)")
        }
    }
}
