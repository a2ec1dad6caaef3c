import InfinitySimulator
import Testing

@Suite("waiting room")
struct WaitingRoomTests {
    static let rooms = [
        SimulatedRoom(alias: "waiting", hostPIN: "2468", guestsWaitForHost: true),
        SimulatedRoom(alias: "manual", hostPIN: "2468", guestsWaitForHost: true, hostStartsConference: true),
        SimulatedRoom(alias: "lockedpin", hostPIN: "1234", guestPIN: "5678", locked: true),
        SimulatedRoom(
            alias: "lockedopen",
            locked: true,
            initialParticipants: [ScriptedParticipant(displayName: "Grace", role: .host, protocolName: "sip")]
        ),
    ]

    @Test("a guest waits for the host; the host's arrival starts the conference and lets the guest in")
    func guestWaitsForHost() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let guest = try await h.join("waiting", name: "Guest", pin: "none")
            #expect(guest.role == "GUEST")
            #expect(guest.result["current_service_type"] == .string("waiting_room"))
            let status = try await h.call("GET", "waiting", "conference_status", token: guest.token)
            #expect(status.result?["started"] == .bool(false))
            let stream = try await h.events("waiting", token: guest.token)
            let guestID = guest.uuid
            let own = try await stream.next("participant_create") { $0.json?["uuid"]?.string == guestID }
            #expect(own.json?["service_type"] == .string("waiting_room"))
            #expect(try await stream.next("conference_update").json?["started"] == .bool(false))

            let host = try await h.join("waiting", name: "Host", pin: "2468")
            #expect(host.result["current_service_type"] == .string("conference"))
            #expect(try await stream.next("conference_update").json?["started"] == .bool(true))
            let admitted = try await stream.next("participant_update") { $0.json?["uuid"]?.string == guestID }
            #expect(admitted.json?["service_type"] == .string("conference"))
            #expect(h.sim.participants(alias: "waiting").first { $0.uuid == guestID }?.serviceType == "conference")
            #expect(h.sim.conference(alias: "waiting")?.started == true)
            stream.close()
        }
    }

    @Test("start_conference is host-only, answers true and announces started")
    func startConference() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let guest = try await h.join("manual", pin: "none")
            #expect(h.sim.participants(alias: "manual").first?.serviceType == "waiting_room")
            let refused = try await h.call("POST", "manual", "start_conference", token: guest.token)
            #expect(refused.json == failed("Invalid role"))
            #expect(h.sim.conference(alias: "manual")?.started == false)
            // In this room a host's arrival does not start the conference: the call has something to do.
            let host = try await h.join("manual", name: "Host", pin: "2468")
            #expect(h.sim.conference(alias: "manual")?.started == false)
            #expect(h.sim.participants(alias: "manual").first { $0.uuid == guest.uuid }?.serviceType == "waiting_room")
            let stream = try await h.syncedEvents("manual", token: host.token)
            let reply = try await h.call("POST", "manual", "start_conference", token: host.token)
            #expect(reply.json == .object(["status": .string("success"), "result": .bool(true)]))
            #expect(try await stream.next("conference_update").json?["started"] == .bool(true))
            #expect(h.sim.conference(alias: "manual")?.started == true)
            #expect(h.sim.participants(alias: "manual").allSatisfy { $0.serviceType == "conference" })
            stream.close()
        }
    }

    @Test("in a locked room a guest waits until a host admits it with participants/<uuid>/unlock")
    func admitInLockedRoom() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("lockedpin", name: "Host", pin: "1234")
            #expect(host.result["current_service_type"] == .string("conference"))
            let guest = try await h.join("lockedpin", name: "Guest", pin: "5678")
            #expect(guest.result["current_service_type"] == .string("waiting_room"))
            let guestStream = try await h.events("lockedpin", token: guest.token)
            let guestID = guest.uuid
            _ = try await guestStream.next("participant_sync_end")
            let reply = try await h.call("POST", "lockedpin", "participants/\(guestID)/unlock", token: host.token)
            #expect(reply.json == .object(["status": .string("success"), "result": .bool(true)]))
            let update = try await guestStream.next("participant_update") { $0.json?["uuid"]?.string == guestID }
            #expect(update.json?["service_type"] == .string("conference"))
            #expect(h.sim.conference(alias: "lockedpin")?.locked == true)
            guestStream.close()
        }
    }

    @Test("unlocking a locked room lets everyone waiting in")
    func unlockAdmitsAll() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("lockedpin", name: "Host", pin: "1234")
            _ = try await h.join("lockedpin", name: "G1", pin: "5678")
            _ = try await h.join("lockedpin", name: "G2", pin: "5678")
            #expect(h.sim.participants(alias: "lockedpin").filter { $0.serviceType == "waiting_room" }.count == 2)
            #expect(try await h.call("POST", "lockedpin", "unlock", token: host.token).status == 200)
            #expect(h.sim.participants(alias: "lockedpin").allSatisfy { $0.serviceType == "conference" })
        }
    }

    @Test("in a locked room without PIN a joiner is HOST yet waits until admitted")
    func lockedOpenRoom() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let joiner = try await h.join("lockedopen")
            #expect(joiner.role == "HOST")
            #expect(joiner.result["current_service_type"] == .string("waiting_room"))
            let stream = try await h.syncedEvents("lockedopen", token: joiner.token)
            try h.sim.admit(alias: "lockedopen", uuid: joiner.uuid)
            let joinerID = joiner.uuid
            let update = try await stream.next("participant_update") { $0.json?["uuid"]?.string == joinerID }
            #expect(update.json?["service_type"] == .string("conference"))
            stream.close()
        }
    }
}
