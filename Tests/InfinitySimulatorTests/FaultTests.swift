import InfinitySimulator
import Testing

@Suite("fault injection")
struct FaultTests {
    static let rooms = [
        SimulatedRoom(alias: "room", hostPIN: "1234", guestPIN: "5678"),
        SimulatedRoom(alias: "other"),
    ]

    @Test("dropEventStreams ends the streams; the same token reconnects and gets a new sync burst")
    func dropStreams() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: me.token)
            try h.sim.dropEventStreams(alias: "room")
            try await stream.waitForEnd()
            #expect(h.sim.openEventStreams(alias: "room") == 0)
            #expect(h.sim.participants(alias: "room").contains { $0.uuid == me.uuid })
            let again = try await h.events("room", token: me.token)
            #expect(again.status == 200)
            let burst = try await again.firstEvents(3)
            #expect(burst.map(\.name) == ["participant_sync_begin", "participant_create", "participant_sync_end"])
            again.close()
        }
    }

    @Test("failNext answers the next N calls with the status and a failed reason phrase")
    func failNext() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            h.sim.failNext(endpoint: "request_token", status: 503, count: 2, alias: "room")
            let first = try await h.requestToken("room", pin: "1234")
            #expect(first.status == 503)
            #expect(first.json == failed("Service Unavailable"))
            #expect(try await h.requestToken("other").status == 200)
            #expect(try await h.requestToken("room", pin: "1234").status == 503)
            let host = try await h.join("room", pin: "1234")
            #expect(h.sim.calls(alias: "room").map(\.status) == [503, 503, 200])

            h.sim.failNext(endpoint: "events", status: 502)
            let refused = try await h.events("room", token: host.token)
            #expect(refused.status == 502)
            #expect(refused.errorBody.flatMap(JSON.parse) == failed("Bad Gateway"))
            let stream = try await h.events("room", token: host.token)
            #expect(stream.status == 200)
            stream.close()

            h.sim.failNext(endpoint: "conference_status", status: 503, count: 100)
            #expect(try await h.call("GET", "room", "conference_status", token: host.token).status == 503)
            h.sim.clearFaults()
            #expect(try await h.call("GET", "room", "conference_status", token: host.token).status == 200)

            h.sim.failNext(endpoint: "refresh_token", status: 500)
            #expect(try await h.call("POST", "room", "refresh_token", token: host.token).status == 500)
            #expect(try await h.call("POST", "room", "refresh_token", token: host.token).status == 200)

        }
    }

    @Test("delayNext holds the next answer back")
    func delayNext() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            h.sim.delayNext(endpoint: "lock", by: .milliseconds(400), alias: "room")
            let clock = ContinuousClock()
            let started = clock.now
            let reply = try await h.call("POST", "room", "lock", token: host.token)
            #expect(reply.status == 200)
            #expect(clock.now - started >= .milliseconds(400))
            #expect(h.sim.conference(alias: "room")?.locked == true)
        }
    }

    @Test("expireTokens removes the room's API participants and ends streams without disconnect")
    func expireTokens() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let scripted = try h.sim.addParticipant(alias: "room", displayName: "Carla")
            let stream = try await h.syncedEvents("room", token: me.token)
            try h.sim.expireTokens(alias: "room")
            try await stream.waitForEnd()
            #expect(await !stream.log.events.contains { $0.name == "disconnect" })
            #expect(h.sim.liveTokenCount(alias: "room") == 0)
            #expect(h.sim.participants(alias: "room").map(\.uuid) == [scripted])
            #expect(try await h.call("POST", "room", "refresh_token", token: me.token).json == failed("Invalid token"))
        }
    }

    @Test("disconnectParticipant sends disconnect with the reason, then ends the stream and the token")
    func disconnectParticipant() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "5678")
            let stream = try await h.syncedEvents("room", token: me.token)
            try h.sim.disconnectParticipant(alias: "room", uuid: me.uuid, reason: "Test says goodbye")
            let event = try await stream.next("disconnect")
            #expect(event.json == .object(["reason": .string("Test says goodbye")]))
            try await stream.waitForEnd()
            #expect(try await h.call("GET", "room", "participants", token: me.token).status == 403)
            #expect(h.sim.participants(alias: "room").isEmpty)
        }
    }

    @Test("refuseEventStreams answers 503 while on and streams again once off")
    func refuseStreams() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            try h.sim.refuseEventStreams(alias: "room", true)
            for _ in 0..<2 {
                let refused = try await h.events("room", token: me.token)
                #expect(refused.status == 503)
                #expect(refused.errorBody.flatMap(JSON.parse) == failed("Service Unavailable"))
            }
            try h.sim.refuseEventStreams(alias: "room", false)
            let stream = try await h.events("room", token: me.token)
            #expect(stream.status == 200)
            stream.close()
        }
    }

    @Test("removeParticipant tells the others with participant_delete")
    func removeParticipant() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            let carla = try h.sim.addParticipant(alias: "room", displayName: "Carla", role: .guest)
            let stream = try await h.syncedEvents("room", token: me.token)
            try h.sim.removeParticipant(alias: "room", uuid: carla)
            #expect(try await stream.next("participant_delete").json == .object(["uuid": .string(carla)]))
            stream.close()
        }
    }
}
