import InfinitySimulator
import Testing

@Suite("refresh_token, release_token and expiry")
struct TokenLifecycleTests {
    static let rooms = [SimulatedRoom(alias: "room", hostPIN: "1234", guestPIN: "5678")]

    @Test("refresh_token returns a new token that replaces the old one")
    func refreshReplacesToken() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let grant = try await h.join("room", pin: "5678")
            let reply = try await h.call("POST", "room", "refresh_token", token: grant.token)
            #expect(reply.status == 200)
            #expect(reply.json?["status"] == .string("success"))
            let fresh = try #require(reply.result?["token"]?.string)
            #expect(fresh != grant.token)
            #expect(reply.result?["expires"] == .string("120"))
            #expect(reply.result?["role"] == .string("GUEST"))
            #expect(try await h.call("GET", "room", "participants", token: fresh).status == 200)
            let old = try await h.call("GET", "room", "participants", token: grant.token)
            #expect(old.status == 403)
            #expect(old.json == failed("Invalid token"))
            let again = try await h.call("POST", "room", "refresh_token", token: grant.token)
            #expect(again.json == failed("Invalid token"))
            #expect(h.sim.refreshCount(alias: "room") == 1)
            #expect(h.sim.liveTokenCount(alias: "room") == 1)
        }
    }

    @Test("an unrefreshed token expires: the participant leaves and the token is invalid")
    func expiryRemovesParticipant() async throws {
        // 60 s tokens and the simulator's time moved by hand: the watcher refreshes 45 s in, the leaver never does;
        // at 75 s the leaver's token is over and the watcher's still has 30 s. The real time that passes meanwhile
        // (seconds at most, on a loaded machine) only adds to the moved time, far inside those margins.
        let configuration = SimulatorConfiguration(rooms: Self.rooms, tokenExpiry: .seconds(60))
        try await Harness.run(configuration) { h in
            let watcher = try await h.join("room", name: "Watcher", pin: "1234")
            let leaver = try await h.join("room", name: "Leaver", pin: "5678")
            #expect(leaver.result["expires"] == .string("60"))
            let stream = try await h.syncedEvents("room", token: watcher.token)
            configuration.time.advance(by: .seconds(45))
            let refreshed = try await h.call("POST", "room", "refresh_token", token: watcher.token)
            let watcherToken = try #require(refreshed.result?["token"]?.string)
            #expect(h.sim.participants(alias: "room").contains { $0.uuid == leaver.uuid })
            configuration.time.advance(by: .seconds(30))
            // Any call (or the housekeeping tick) notices the expiry; the watcher's stream is told.
            #expect(try await h.call("GET", "room", "participants", token: watcherToken).status == 200)
            let leaverID = leaver.uuid
            _ = try await stream.next("participant_delete") { $0.json?["uuid"]?.string == leaverID }
            #expect(!h.sim.participants(alias: "room").contains { $0.uuid == leaver.uuid })
            #expect(h.sim.participants(alias: "room").contains { $0.uuid == watcher.uuid })
            #expect(try await h.call("GET", "room", "participants", token: leaver.token).status == 403)
            stream.close()
        }
    }

    @Test("refreshing in time keeps a participant past the token lifetime")
    func refreshKeepsParticipant() async throws {
        // 60 s tokens; the simulator's time is moved by hand (no sleeps), 30 s per refresh, over 2.5 lifetimes. The
        // real time that passes meanwhile only adds to that, and stays far below the 30 s margin.
        let configuration = SimulatorConfiguration(rooms: Self.rooms, tokenExpiry: .seconds(60))
        try await Harness.run(configuration) { h in
            let grant = try await h.join("room", pin: "1234")
            var token = grant.token
            for _ in 0..<5 {
                configuration.time.advance(by: .seconds(30))
                let reply = try await h.call("POST", "room", "refresh_token", token: token)
                #expect(reply.status == 200)
                token = try #require(reply.result?["token"]?.string)
            }
            #expect(h.sim.participants(alias: "room").contains { $0.uuid == grant.uuid })
            #expect(h.sim.refreshCount(alias: "room") == 5)
            #expect(try await h.call("GET", "room", "participants", token: token).status == 200)
            // Without a refresh, the same token runs out once its 60 s are over.
            configuration.time.advance(by: .seconds(60))
            #expect(try await h.call("GET", "room", "participants", token: token).json == failed("Invalid token"))
            #expect(!h.sim.participants(alias: "room").contains { $0.uuid == grant.uuid })
        }
    }

    @Test("release_token with the token header removes the participant")
    func releaseByHeader() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let grant = try await h.join("room", pin: "1234")
            let reply = try await h.call("POST", "room", "release_token", token: grant.token)
            #expect(reply.status == 200)
            #expect(reply.json == .object(["status": .string("success"), "result": .bool(true)]))
            #expect(h.sim.participants(alias: "room").isEmpty)
            #expect(h.sim.liveTokenCount(alias: "room") == 0)
            let again = try await h.call("POST", "room", "release_token", token: grant.token)
            #expect(again.status == 403)
            #expect(again.json == failed("Invalid token"))
        }
    }

    @Test("release_token with ?token= (sendBeacon) removes the participant")
    func releaseByQuery() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let grant = try await h.join("room", pin: "1234")
            let reply = try await h.call("POST", "room", "release_token", token: grant.token, tokenInQuery: true)
            #expect(reply.status == 200)
            #expect(reply.result == .bool(true))
            #expect(h.sim.participants(alias: "room").isEmpty)
            let call = try #require(h.sim.calls(alias: "room").last)
            #expect(call.endpoint == "release_token" && call.hadToken && call.status == 200)
        }
    }

    @Test("release_token without a valid token answers 403 Invalid token")
    func releaseUnknown() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let reply = try await h.call("POST", "room", "release_token", token: "not-a-token")
            #expect(reply.status == 403)
            #expect(reply.json == failed("Invalid token"))
        }
    }
}
