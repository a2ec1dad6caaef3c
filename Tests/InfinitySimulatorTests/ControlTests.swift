import InfinitySimulator
import Testing

@Suite("conference and participant controls")
struct ControlTests {
    static let rooms = [
        SimulatedRoom(
            alias: "room",
            hostPIN: "1234",
            guestPIN: "5678",
            initialParticipants: [ScriptedParticipant(displayName: "Carla", role: .guest, protocolName: "sip")]
        ),
        SimulatedRoom(alias: "quiet", hostPIN: "1234", chatEnabled: false),
    ]

    static let ok: JSON = .object(["status": .string("success"), "result": .bool(true)])

    @Test("a guest calling a host-only control gets 403 Invalid role and nothing changes")
    func guestGetsInvalidRole() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let guest = try await h.join("room", pin: "5678")
            let carla = try #require(h.sim.participants(alias: "room").first { $0.displayName == "Carla" })
            // Everything a control could change: the conference flags and every field of every participant.
            let conferenceBefore = h.sim.conference(alias: "room")
            let rosterBefore = h.sim.participants(alias: "room")
            for endpoint in ["lock", "unlock", "muteguests", "unmuteguests", "start_conference", "disconnect"] {
                let reply = try await h.call("POST", "room", endpoint, token: guest.token)
                #expect(reply.status == 403, "\(endpoint)")
                #expect(reply.json == failed("Invalid role"), "\(endpoint)")
            }
            for action in ["mute", "unmute", "spotlighton", "spotlightoff", "unlock", "disconnect"] {
                let reply = try await h.call("POST", "room", "participants/\(carla.uuid)/\(action)", token: guest.token)
                #expect(reply.json == failed("Invalid role"), "\(action)")
            }
            #expect(h.sim.conference(alias: "room")?.locked == false)
            #expect(h.sim.participants(alias: "room").count == 2)
            #expect(h.sim.conference(alias: "room") == conferenceBefore)
            #expect(h.sim.participants(alias: "room") == rosterBefore)
            let message = try await h.call(
                "POST",
                "room",
                "message",
                token: guest.token,
                body: #"{"type":"text/plain","payload":"hi"}"#
            )
            #expect(message.json == Self.ok)
        }
    }

    @Test("an unknown token gets 403 Invalid token, an unknown participant 404")
    func unknownTokenAndParticipant() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            #expect(try await h.call("POST", "room", "lock", token: "bogus").json == failed("Invalid token"))
            #expect(try await h.call("POST", "room", "lock").json == failed("Invalid token"))
            let reply = try await h.call("POST", "room", "participants/no-such-uuid/mute", token: host.token)
            #expect(reply.status == 404)
            #expect(reply.json?["status"] == .string("failed"))
            #expect(reply.result?.string != nil)
            #expect(
                try await h.call("POST", "nowhere", "lock", token: host.token).json
                    == failed("Neither conference nor gateway found")
            )
        }
    }

    @Test("lock and unlock answer true and emit conference_update")
    func lockUnlock() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: host.token)
            #expect(try await h.call("POST", "room", "lock", token: host.token).json == Self.ok)
            #expect(try await stream.next("conference_update").json?["locked"] == .bool(true))
            #expect(try await h.call("POST", "room", "unlock", token: host.token).json == Self.ok)
            #expect(try await stream.next("conference_update").json?["locked"] == .bool(false))
            stream.close()
        }
    }

    @Test("muteguests mutes every guest; unmuteguests undoes it")
    func muteGuests() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let guest = try await h.join("room", name: "Guest", pin: "5678")
            let stream = try await h.syncedEvents("room", token: host.token)
            #expect(try await h.call("POST", "room", "muteguests", token: host.token).json == Self.ok)
            #expect(try await stream.next("conference_update").json?["guests_muted"] == .bool(true))
            let guestID = guest.uuid
            let update = try await stream.next("participant_update") { $0.json?["uuid"]?.string == guestID }
            #expect(update.json?["is_muted"] == .string("YES"))
            #expect(h.sim.participants(alias: "room").filter { $0.role == .guest }.allSatisfy { $0.isMuted })
            #expect(h.sim.participants(alias: "room").first { $0.uuid == host.uuid }?.isMuted == false)
            #expect(try await h.call("POST", "room", "unmuteguests", token: host.token).json == Self.ok)
            #expect(try await stream.next("conference_update").json?["guests_muted"] == .bool(false))
            let unmuted = try await stream.next("participant_update") { $0.json?["uuid"]?.string == guestID }
            #expect(unmuted.json?["is_muted"] == .string("NO"))
            stream.close()
        }
    }

    @Test("participant mute, unmute, spotlighton and spotlightoff emit participant_update")
    func participantControls() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let carla = try #require(h.sim.participants(alias: "room").first { $0.displayName == "Carla" }).uuid
            let stream = try await h.syncedEvents("room", token: host.token)
            let path = "participants/\(carla)/"
            #expect(try await h.call("POST", "room", path + "mute", token: host.token).json == Self.ok)
            #expect(try await stream.next("participant_update").json?["is_muted"] == .string("YES"))
            #expect(try await h.call("POST", "room", path + "unmute", token: host.token).json == Self.ok)
            #expect(try await stream.next("participant_update").json?["is_muted"] == .string("NO"))
            #expect(try await h.call("POST", "room", path + "spotlighton", token: host.token).json == Self.ok)
            #expect((try await stream.next("participant_update").json?["spotlight"]?.number ?? 0) > 1_600_000_000)
            #expect(try await h.call("POST", "room", path + "spotlightoff", token: host.token).json == Self.ok)
            #expect(try await stream.next("participant_update").json?["spotlight"] == .number(0))
            let call = try #require(h.sim.calls(alias: "room").last)
            #expect(call.endpoint == "participants/spotlightoff" && call.targetUUID == carla)
            stream.close()
        }
    }

    @Test("a host disconnecting a participant sends it disconnect, ends its stream and tells the others")
    func hostDisconnectsParticipant() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", name: "Host", pin: "1234")
            let guest = try await h.join("room", name: "Guest", pin: "5678")
            let hostStream = try await h.syncedEvents("room", token: host.token)
            let guestStream = try await h.syncedEvents("room", token: guest.token)
            let reply = try await h.call("POST", "room", "participants/\(guest.uuid)/disconnect", token: host.token)
            #expect(reply.json == Self.ok)
            let disconnect = try await guestStream.next("disconnect")
            #expect(disconnect.json?["reason"]?.string?.isEmpty == false)
            try await guestStream.waitForEnd()
            let guestID = guest.uuid
            _ = try await hostStream.next("participant_delete") { $0.json?["uuid"]?.string == guestID }
            #expect(try await h.call("GET", "room", "participants", token: guest.token).json == failed("Invalid token"))
            hostStream.close()
        }
    }

    @Test("conference disconnect removes everyone, the caller included")
    func disconnectEveryone() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let stream = try await h.syncedEvents("room", token: host.token)
            #expect(try await h.call("POST", "room", "disconnect", token: host.token).json == Self.ok)
            _ = try await stream.next("disconnect")
            try await stream.waitForEnd()
            #expect(h.sim.participants(alias: "room").isEmpty)
            #expect(h.sim.liveTokenCount(alias: "room") == 0)
        }
    }

    @Test("message is refused where chat is disabled, and needs a payload")
    func messageRules() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let quiet = try await h.join("quiet", pin: "1234")
            #expect(quiet.result["chat_enabled"] == .bool(false))
            let refused = try await h.call(
                "POST",
                "quiet",
                "message",
                token: quiet.token,
                body: #"{"type":"text/plain","payload":"hi"}"#
            )
            #expect(refused.status == 403)
            let host = try await h.join("room", pin: "1234")
            let bad = try await h.call("POST", "room", "message", token: host.token, body: #"{"type":"text/plain"}"#)
            #expect(bad.status == 400)
        }
    }

    @Test("setPresenting emits participant_update and presentation_start / presentation_stop")
    func presenting() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let carla = try #require(h.sim.participants(alias: "room").first { $0.displayName == "Carla" }).uuid
            let stream = try await h.syncedEvents("room", token: host.token)
            try h.sim.setPresenting(alias: "room", uuid: carla, true)
            #expect(try await stream.next("participant_update").json?["is_presenting"] == .string("YES"))
            let start = try await stream.next("presentation_start")
            #expect(start.json?["presenter_uuid"] == .string(carla))
            #expect(start.json?["presenter_name"] == .string("Carla"))
            try h.sim.setPresenting(alias: "room", uuid: carla, false)
            #expect(try await stream.next("participant_update").json?["is_presenting"] == .string("NO"))
            #expect(try await stream.next("presentation_stop").data == "{}")
            try h.sim.setMuted(alias: "room", uuid: carla, true)
            #expect(try await stream.next("participant_update").json?["is_muted"] == .string("YES"))
            #expect(throws: SimulatorError.unknownParticipant("nobody")) {
                try h.sim.setMuted(alias: "room", uuid: "nobody", true)
            }
            #expect(throws: SimulatorError.unknownRoom("nowhere")) { try h.sim.setLocked(alias: "nowhere", true) }
            stream.close()
        }
    }
}
