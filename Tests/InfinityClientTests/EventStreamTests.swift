import Testing

@testable import InfinityClient

@Suite struct EventStreamTests {
    @Test func yieldsTheSyncBurstAndFinishesWhenTheNodeCloses() async throws {
        let token = Fixture.newToken()
        try await withStub({ _, _ in
            .events(
                [
                    StubChunk(Fixture.syncBurst(selfUUID: "me")),
                    StubChunk(after: .milliseconds(30), ": keepalive\n"),
                    StubChunk(Fixture.sse("conference_update", Fixture.conferenceUpdate)),
                ],
                close: true
            )
        }) { server in
            try await withClient { client in
                var events: [InfinityEvent] = []
                for try await event in client.events(node: server.node, alias: "meet", token: token) {
                    events.append(event)
                }
                #expect(events.count == 5)
                #expect(events.first == .participantSyncBegin)
                #expect(events[3] == .participantSyncEnd)
                guard case .participantCreate(let me) = events[1], case .conferenceUpdate(let status) = events[4] else {
                    Issue.record("unexpected events \(events)")
                    return
                }
                #expect(me.uuid == "me" && me.role == .host)
                #expect(status.started)
                let request = try #require(server.requests.first)
                #expect(request.method == .GET)
                #expect(request.endpoint == "events")
                #expect(request.uri == "/api/client/v2/conferences/meet/events")
                #expect(request.header("token") == token)
                #expect(request.header("accept") == "text/event-stream")
            }
        }
    }

    @Test func invalidTokenThrows() async throws {
        try await withStub({ _, _ in .json(403, Fixture.invalidToken) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.invalidToken) {
                    for try await _ in client.events(node: server.node, alias: "meet", token: "dead") {}
                }
            }
        }
    }

    @Test func notFoundThrows() async throws {
        try await withStub({ _, _ in .json(404, Fixture.notFound) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.notFound("Neither conference nor gateway found")) {
                    for try await _ in client.events(node: server.node, alias: "meet", token: "t") {}
                }
            }
        }
    }

    @Test func malformedPayloadsAreSkipped() async throws {
        try await withStub({ _, _ in
            .events(
                [
                    StubChunk(Fixture.sse("participant_create", "{not json")),
                    StubChunk(Fixture.sse("participant_delete", #"{"uuid":"gone"}"#)),
                ],
                close: true
            )
        }) { server in
            try await withClient { client in
                var events: [InfinityEvent] = []
                for try await event in client.events(node: server.node, alias: "meet", token: "t") {
                    events.append(event)
                }
                #expect(events == [.participantDelete(uuid: "gone")])
            }
        }
    }

    @Test func cancellingTheConsumerClosesTheConnection() async throws {
        try await withStub({ _, _ in .events([StubChunk(Fixture.syncBurst(selfUUID: "me"))], close: false) }) {
            server in
            try await withClient { client in
                let consumer = Task {
                    for try await _ in client.events(node: server.node, alias: "meet", token: "t") {}
                }
                try await waitUntil("the stream to open") { server.openConnections(serving: "events") == 1 }
                consumer.cancel()
                try await waitUntil("the connection to close") { server.openConnections(serving: "events") == 0 }
            }
        }
    }
}
