import InfinitySimulator
import Testing

@Suite("request_token")
struct RequestTokenTests {
    static let rooms = [
        SimulatedRoom(alias: "open", name: "Open Room"),
        SimulatedRoom(alias: "both", hostPIN: "1234", guestPIN: "5678"),
        SimulatedRoom(alias: "hostonly", hostPIN: "4321"),
    ]

    @Test("the JSON helper keeps booleans, numbers and strings apart")
    func jsonHelperIsStrict() throws {
        #expect(JSON.parse("0") == .number(0))
        #expect(JSON.parse("true") == .bool(true))
        #expect(JSON.parse(#""YES""#) == .string("YES"))
        #expect(JSON.parse("null") == .null)
    }

    @Test("an open room grants at once with every required field and expires as a string")
    func openRoomGrant() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.requestToken("open", name: "Alice")
            #expect(reply.status == 200)
            #expect(reply.json?["status"] == .string("success"))
            let result = try #require(reply.result)
            for field in [
                "token", "expires", "participant_uuid", "version", "role", "display_name", "current_service_type",
            ] {
                #expect(result[field] != nil, "missing \(field)")
            }
            #expect(result["expires"] == .string("120"))
            #expect((result["token"]?.string?.count ?? 0) >= 100)
            #expect(result["role"] == .string("HOST"))
            #expect(result["display_name"] == .string("Alice"))
            #expect(
                result["version"] == .object(["version_id": .string("36"), "pseudo_version": .string("79019.0.0")])
            )
            #expect(result["service_type"] == .string("conference"))
            #expect(result["current_service_type"] == .string("conference"))
            #expect(result["chat_enabled"] == .bool(true))
            #expect(result["conference_name"] == .string("Open Room"))
            #expect(result["stun"]?.array?.first?["url"]?.string != nil)
            #expect(result["pex_datachannel_id"]?.number != nil)
            #expect(reply.text.contains(#""expires":"120""#))
            let uuid = try #require(result["participant_uuid"]?.string)
            let me = try #require(h.sim.participants(alias: "open").first { $0.uuid == uuid })
            #expect(me.isAPI && me.role == .host && me.displayName == "Alice")
        }
    }

    @Test("a room with host and guest PINs challenges with pin and guest_pin required")
    func challengeBothPINs() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.requestToken("both")
            #expect(reply.status == 403)
            let expected = JSON.parse(
                #"{"status":"success","result":{"pin":"required","guest_pin":"required","version":{"version_id":"36","pseudo_version":"79019.0.0"}}}"#
            )
            #expect(reply.json == expected)
            #expect(h.sim.participants(alias: "both").isEmpty)
        }
    }

    @Test("a room with only a host PIN challenges with guest_pin none")
    func challengeHostPINOnly() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.requestToken("hostonly")
            #expect(reply.status == 403)
            let expected = JSON.parse(
                #"{"status":"success","result":{"pin":"required","guest_pin":"none","version":{"version_id":"36","pseudo_version":"79019.0.0"}}}"#
            )
            #expect(reply.json == expected)
        }
    }

    @Test("the host PIN gives HOST, the guest PIN gives GUEST")
    func rolesFromPINs() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("both", name: "Host", pin: "1234")
            let guest = try await h.join("both", name: "Guest", pin: "5678")
            #expect(host.role == "HOST")
            #expect(guest.role == "GUEST")
            let roster = h.sim.participants(alias: "both")
            #expect(roster.first { $0.uuid == host.uuid }?.role == .host)
            #expect(roster.first { $0.uuid == guest.uuid }?.role == .guest)
        }
    }

    @Test("pin none enters a host-PIN-only room as GUEST but not a room with a guest PIN")
    func pinNone() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let guest = try await h.join("hostonly", pin: "none")
            #expect(guest.role == "GUEST")
            let refused = try await h.requestToken("both", pin: "none")
            #expect(refused.status == 403)
            #expect(refused.json == failed("Invalid PIN"))
        }
    }

    @Test("a wrong PIN answers 403 failed Invalid PIN")
    func wrongPIN() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.requestToken("both", pin: "0000")
            #expect(reply.status == 403)
            #expect(reply.json == failed("Invalid PIN"))
            #expect(h.sim.participants(alias: "both").isEmpty)
        }
    }

    @Test("wrongPINStyle repeatChallenge answers a wrong PIN with the challenge again")
    func wrongPINRepeatsChallenge() async throws {
        let configuration = SimulatorConfiguration(rooms: Self.rooms, wrongPINStyle: .repeatChallenge)
        try await Harness.run(configuration) { h in
            let reply = try await h.requestToken("hostonly", pin: "9999")
            #expect(reply.status == 403)
            #expect(reply.json?["status"] == .string("success"))
            #expect(reply.result?["pin"] == .string("required"))
            #expect(reply.result?["guest_pin"] == .string("none"))
        }
    }

    @Test("after maxPINAttemptsPerParticipant wrong PINs even the right one is refused")
    func pinLockout() async throws {
        let configuration = SimulatorConfiguration(rooms: Self.rooms, maxPINAttemptsPerParticipant: 2)
        try await Harness.run(configuration) { h in
            for _ in 0..<2 {
                #expect(try await h.requestToken("both", name: "Mallory", pin: "0000").json == failed("Invalid PIN"))
            }
            let locked = try await h.requestToken("both", name: "Mallory", pin: "1234")
            #expect(locked.status == 403)
            #expect(locked.json == failed("Participant exceeded PIN entry retries"))
            #expect(try await h.requestToken("both", name: "Alice", pin: "1234").status == 200)
        }
    }

    @Test("an unknown alias answers 404 Neither conference nor gateway found")
    func unknownAlias() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.requestToken("nope")
            #expect(reply.status == 404)
            #expect(reply.json == failed("Neither conference nor gateway found"))
        }
    }

    @Test("a body without display_name answers 400")
    func missingDisplayName() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.call("POST", "open", "request_token", body: #"{"call_tag":"x"}"#)
            #expect(reply.status == 400)
            #expect(reply.json?["status"] == .string("failed"))
            #expect(reply.result?.string != nil)
            #expect(try await h.call("POST", "open", "request_token").status == 400)
        }
    }

    @Test("aliases match case-insensitively and may be percent-encoded")
    func aliasMatching() async throws {
        let rooms = [SimulatedRoom(alias: "Board Room")]
        try await Harness.run(rooms: rooms) { h in
            let reply = try await h.requestToken("board room")
            #expect(reply.status == 200)
            #expect(h.sim.participants(alias: "Board Room").count == 1)
        }
    }
}
