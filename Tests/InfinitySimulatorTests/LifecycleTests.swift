import AsyncHTTPClient
import Foundation
import InfinitySimulator
import Testing

@Suite("lifecycle, inspection and demo")
struct LifecycleTests {
    static let rooms = [SimulatedRoom(alias: "room", hostPIN: "1234")]

    @Test("stop() ends every stream and closes the listener")
    func stopClosesEverything() async throws {
        let sim = InfinitySimulator(configuration: SimulatorConfiguration(rooms: Self.rooms))
        let port = try await sim.start()
        #expect(port > 0)
        #expect(sim.baseURL == "http://127.0.0.1:\(port)")
        let h = Harness(sim: sim)
        let host = try await h.join("room", pin: "1234")
        let first = try await h.syncedEvents("room", token: host.token)
        let second = try await h.syncedEvents("room", token: host.token)
        #expect(sim.openEventStreams(alias: "room") == 2)
        await sim.stop()
        // Every stream ends cleanly (its last chunk written), not cut: `stop()` shuts the server down gracefully.
        try await first.waitForEnd()
        try await second.waitForEnd()
        #expect(await first.log.ended)
        #expect(await second.log.ended)
        #expect(sim.openEventStreams(alias: "room") == 0)
        // The listener is closed: a connect is refused at once (a listener that accepted and hung would not be).
        #expect(loopbackConnectResult(port: port) == ECONNREFUSED)
    }

    @Test("start() twice is refused")
    func startTwice() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            await #expect(throws: SimulatorError.alreadyStarted) { _ = try await h.sim.start() }
        }
    }

    @Test("calls and pinHeadersReceived record what came in, and descriptions hide PINs")
    func inspection() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            _ = try await h.requestToken("room")
            _ = try await h.requestToken("room", pin: "0000")
            let host = try await h.join("room", pin: "1234")
            _ = try await h.call("GET", "room", "participants", token: host.token)
            #expect(h.sim.pinHeadersReceived(alias: "room") == [nil, "0000", "1234"])
            let calls = h.sim.calls(alias: "room")
            #expect(calls.map(\.endpoint) == ["request_token", "request_token", "request_token", "participants"])
            #expect(calls.map(\.status) == [403, 403, 200, 200])
            #expect(calls.map(\.hadToken) == [false, false, false, true])
            #expect(calls.map(\.method) == ["POST", "POST", "POST", "GET"])
            #expect(!calls[2].description.contains("1234"))
            #expect(!String(reflecting: calls[2]).contains("1234"))
            #expect(!"\(Self.rooms[0])".contains("1234"))
            #expect(!String(reflecting: Self.rooms[0]).contains("1234"))
        }
    }

    @Test("the demo configuration serves the documented rooms and PINs")
    func demoRooms() async throws {
        var configuration = SimulatorConfiguration.demo()
        configuration.demoActivity = false
        try await Harness.run(configuration) { h in
            #expect(try await h.join("meet.open").role == "HOST")
            #expect(try await h.join("meet.pin", pin: "1234").role == "HOST")
            #expect(try await h.join("meet.pin", pin: "5678").role == "GUEST")
            #expect(try await h.join("meet.hostpin", pin: "4321").role == "HOST")
            #expect(try await h.join("meet.hostpin", pin: "none").role == "GUEST")
            let waiting = try await h.join("meet.waiting", pin: "none")
            #expect(waiting.result["current_service_type"] == .string("waiting_room"))
            #expect(try await h.join("meet.waiting", pin: "2468").role == "HOST")
            let locked = try await h.join("meet.locked")
            #expect(locked.result["current_service_type"] == .string("waiting_room"))
            for room in InfinitySimulator.demoRooms {
                #expect((1...3).contains(room.initialParticipants.count), "\(room.alias)")
            }
        }
    }

    @Test("demo activity makes scripted participants act on their own")
    func demoActivity() async throws {
        var configuration = SimulatorConfiguration(rooms: [
            SimulatedRoom(
                alias: "demo",
                initialParticipants: [ScriptedParticipant(displayName: "Alice", role: .host)]
            )
        ])
        configuration.demoActivity = true
        configuration.demoActivityInterval = .milliseconds(50)
        try await Harness.run(configuration) { h in
            let me = try await h.join("demo")
            let stream = try await h.syncedEvents("demo", token: me.token)
            let live: Set<String> = [
                "participant_create", "participant_update", "participant_delete", "message_received",
            ]
            try await waitUntil("three demo events") {
                await stream.log.events.dropFirst(5).filter { live.contains($0.name) }.count >= 3
            }
            stream.close()
        }
    }
}
