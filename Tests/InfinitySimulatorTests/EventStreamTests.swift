import InfinitySimulator
import Testing

@Suite("events")
struct EventStreamTests {
    static let rooms = [
        SimulatedRoom(
            alias: "room",
            hostPIN: "1234",
            guestPIN: "5678",
            initialParticipants: [
                ScriptedParticipant(displayName: "Room 4.12", role: .host, protocolName: "sip", isMuted: true),
                ScriptedParticipant(displayName: "Carla", role: .guest, protocolName: "webrtc"),
            ]
        )
    ]

    @Test("a stream starts with the sync burst including the caller, then conference_update")
    func syncBurst() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", name: "Bridge", pin: "1234")
            let stream = try await h.events("room", token: me.token)
            #expect(stream.status == 200)
            #expect(stream.contentType?.hasPrefix("text/event-stream") == true)
            #expect(stream.connectionHeader == "close")
            let burst = try await stream.firstEvents(6)
            #expect(
                burst.map(\.name) == [
                    "participant_sync_begin", "participant_create", "participant_create", "participant_create",
                    "participant_sync_end", "conference_update",
                ]
            )
            #expect(burst[0].data == "null")
            #expect(burst[4].data == "null")
            let created = burst[1...3].compactMap { $0.json?["uuid"]?.string }
            #expect(Set(created) == Set(h.sim.participants(alias: "room").map(\.uuid)))
            #expect(created.contains(me.uuid))
            #expect(burst[5].json?["locked"] == .bool(false))
            #expect(burst[5].json?["started"] == .bool(true))
            let ids = burst.compactMap { $0.id.flatMap { Int($0) } }
            #expect(ids.count == burst.count)
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            stream.close()
        }
    }

    @Test("the token may come as ?token= (EventSource)")
    func tokenInQuery() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.events("room", token: me.token, tokenInQuery: true)
            #expect(stream.status == 200)
            _ = try await stream.next("participant_sync_end")
            stream.close()
        }
    }

    @Test("a stream without a valid token answers 403 Invalid token")
    func invalidToken() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let stream = try await h.events("room", token: "bogus")
            #expect(stream.status == 403)
            #expect(stream.errorBody.flatMap(JSON.parse) == failed("Invalid token"))
        }
    }

    @Test("live events follow: a participant joins, a chat line arrives, the room is locked")
    func liveEvents() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            let added = try h.sim.addParticipant(alias: "room", displayName: "Dana", role: .guest, muted: true)
            let create = try await stream.next("participant_create")
            #expect(create.json?["uuid"]?.string == added)
            #expect(create.json?["display_name"] == .string("Dana"))
            #expect(create.json?["is_muted"] == .string("YES"))

            try h.sim.sendChat(alias: "room", fromUUID: added, text: "hello there")
            let chat = try await stream.next("message_received")
            #expect(
                chat.json
                    == .object([
                        "origin": .string("Dana"), "uuid": .string(added), "type": .string("text/plain"),
                        "payload": .string("hello there"),
                    ])
            )

            try h.sim.sendChat(alias: "room", fromDisplayName: "Reception", text: "Welcome")
            let outsider = try await stream.next("message_received")
            #expect(outsider.json?["origin"] == .string("Reception"))
            #expect(outsider.json?["uuid"]?.string?.isEmpty == false)

            try h.sim.setLocked(alias: "room", true)
            let update = try await stream.next("conference_update")
            #expect(update.json?["locked"] == .bool(true))
            #expect(h.sim.conference(alias: "room")?.locked == true)

            let all = await stream.log.events
            let ids = all.compactMap { $0.id.flatMap { Int($0) } }
            #expect(ids.count == all.count && ids == ids.sorted() && Set(ids).count == ids.count)
            stream.close()
        }
    }

    @Test("others get participant_create when an API client joins")
    func joinNotifiesOthers() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let first = try await h.join("room", name: "First", pin: "1234")
            let stream = try await h.syncedEvents("room", token: first.token)
            let second = try await h.join("room", name: "Second", pin: "5678")
            let create = try await stream.next("participant_create")
            #expect(create.json?["uuid"]?.string == second.uuid)
            #expect(create.json?["protocol"] == .string("api"))
            #expect(create.json?["role"] == .string("guest"))
            #expect(create.json?["has_media"] == .bool(false))
            stream.close()
        }
    }

    @Test("message reaches the other participants but not its sender")
    func messageGoesToOthers() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let alice = try await h.join("room", name: "Alice", pin: "1234")
            let bob = try await h.join("room", name: "Bob", pin: "5678")
            let aliceStream = try await h.syncedEvents("room", token: alice.token)
            let bobStream = try await h.syncedEvents("room", token: bob.token)
            let reply = try await h.call(
                "POST",
                "room",
                "message",
                token: alice.token,
                body: #"{"type":"text/plain","payload":"hi Bob"}"#
            )
            #expect(reply.json == .object(["status": .string("success"), "result": .bool(true)]))
            let received = try await bobStream.next("message_received")
            #expect(received.json?["origin"] == .string("Alice"))
            #expect(received.json?["uuid"] == .string(alice.uuid))
            #expect(received.json?["payload"] == .string("hi Bob"))
            // A later event reaches Alice; the message before it must not have.
            try h.sim.requestRefresh(alias: "room")
            _ = try await aliceStream.next("refresh_token")
            #expect(await !aliceStream.log.events.contains { $0.name == "message_received" })
            aliceStream.close()
            bobStream.close()
        }
    }

    @Test("requestRefresh pushes refresh_token with data null")
    func refreshEvent() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            try h.sim.requestRefresh(alias: "room")
            let event = try await stream.next("refresh_token")
            #expect(event.data == "null")
            stream.close()
        }
    }

    @Test("idle streams get keepalive comment lines")
    func keepalive() async throws {
        let configuration = SimulatorConfiguration(rooms: Self.rooms, keepaliveInterval: .milliseconds(100))
        try await Harness.run(configuration) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            try await waitUntil("two keepalives") { await stream.log.comments >= 2 }
            stream.close()
        }
    }

    @Test("a client closing its stream is noticed")
    func clientClose() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            #expect(h.sim.openEventStreams(alias: "room") == 1)
            stream.close()
            try await waitUntil("the stream to be forgotten") { h.sim.openEventStreams(alias: "room") == 0 }
            #expect(h.sim.participants(alias: "room").contains { $0.uuid == me.uuid })
        }
    }

    @Test("release_token ends the caller's stream")
    func releaseEndsStream() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            _ = try await h.call("POST", "room", "release_token", token: me.token)
            try await stream.waitForEnd()
            #expect(await !stream.log.events.contains { $0.name == "disconnect" })
            #expect(h.sim.openEventStreams(alias: "room") == 0)
        }
    }
}
