import InfinitySimulator
import Testing

/// The simulator's whole-conference endpoints, against infinity-api.md §5–§6 (not against the bridge's client).
@Suite("whole-conference endpoints and events")
struct SimulatorWholeConferenceTests {
    static let rooms = [
        SimulatedRoom(
            alias: "room",
            hostPIN: "1234",
            guestPIN: "5678",
            initialParticipants: [ScriptedParticipant(displayName: "Carla", role: .guest, protocolName: "sip")]
        ),
        SimulatedRoom(alias: "other", hostPIN: "4321", guestPIN: "8765"),
    ]

    static let ok: JSON = .object(["status": .string("success"), "result": .bool(true)])

    func carla(_ h: Harness) throws -> ParticipantInfo {
        try #require(h.sim.participants(alias: "room").first { $0.displayName == "Carla" })
    }

    @Test("hands: buzz sets buzz_time, clearbuzz and clearallbuzz reset it to 0; a guest may only raise its own")
    func hands() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let guest = try await h.join("room", name: "Guest", pin: "5678")
            let carla = try self.carla(h)
            let stream = try await h.syncedEvents("room", token: host.token)
            #expect(
                try await h.call("POST", "room", "participants/\(guest.uuid)/buzz", token: guest.token).json == Self.ok
            )
            let update = try await stream.next("participant_update")
            #expect(update.json?["uuid"]?.string == guest.uuid)
            #expect((update.json?["buzz_time"]?.number ?? 0) > 1_700_000_000)
            let other = try await h.call("POST", "room", "participants/\(carla.uuid)/buzz", token: guest.token)
            #expect(other.json == failed("Invalid role"))
            #expect(
                try await h.call("POST", "room", "participants/\(carla.uuid)/buzz", token: host.token).json == Self.ok
            )
            #expect(try await h.call("POST", "room", "clearallbuzz", token: guest.token).json == failed("Invalid role"))
            #expect(try await h.call("POST", "room", "clearallbuzz", token: host.token).json == Self.ok)
            #expect(h.sim.participants(alias: "room").allSatisfy { $0.handRaisedAt == nil })
            stream.close()
        }
    }

    @Test("role, video mute and overlay text change the participant object; an unknown role is Illegal value")
    func participantFields() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let carla = try self.carla(h)
            let stream = try await h.syncedEvents("room", token: host.token)
            let path = "participants/\(carla.uuid)"
            #expect(
                try await h.call("POST", "room", "\(path)/role", token: host.token, body: #"{"role":"chair"}"#).json
                    == Self.ok
            )
            #expect(try await stream.next("participant_update").json?["role"] == .string("chair"))
            let bad = try await h.call("POST", "room", "\(path)/role", token: host.token, body: #"{"role":"boss"}"#)
            #expect(bad.status == 400)
            #expect(bad.json == failed("Illegal value"))
            #expect(try await h.call("POST", "room", "\(path)/video_muted", token: host.token).json == Self.ok)
            #expect(try await stream.next("participant_update").json?["is_video_muted"] == .bool(true))
            let overlay = try await h.call(
                "POST",
                "room",
                "\(path)/overlaytext",
                token: host.token,
                body: #"{"text":"Left"}"#
            )
            #expect(overlay.json == Self.ok)
            #expect(try await stream.next("participant_update").json?["overlay_text"] == .string("Left"))
            let info = try self.carla(h)
            #expect(info.role == .host && info.isVideoMuted && info.overlayText == "Left")
            stream.close()
        }
    }

    @Test("available_layouts lists layouts; transform_layout emits layout, an unknown one is 400 Illegal value")
    func layouts() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let list = try await h.call("GET", "room", "available_layouts", token: host.token)
            #expect(list.result?.array?.compactMap(\.string) == InfinitySimulator.availableLayouts)
            let stream = try await h.syncedEvents("room", token: host.token)
            let body = #"{"transforms":{"layout":"5:7","guest_layout":"ac","enable_overlay_text":false}}"#
            #expect(try await h.call("POST", "room", "transform_layout", token: host.token, body: body).json == Self.ok)
            let event = try await stream.next("layout")
            #expect(event.json?["view"] == .string("5:7"))
            #expect(event.json?["requested_layout"]?["primary_screen"]?["guest_layout"] == .string("ac"))
            #expect(event.json?["overlay_text_enabled"] == .bool(false))
            let unknown = #"{"transforms":{"layout":"7:7"}}"#
            let refused = try await h.call("POST", "room", "transform_layout", token: host.token, body: unknown)
            #expect(refused.status == 400)
            #expect(refused.json == failed("Illegal value"))
            #expect(h.sim.layout(alias: "room")?.layout == "5:7")
            stream.close()
        }
    }

    @Test("dial adds an outgoing participant and answers its uuid; DTMF is recorded; captions reach only who asked")
    func dialDTMFAndCaptions() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let guest = try await h.join("room", name: "Guest", pin: "5678")
            let body =
                #"{"destination":"sip:desk@example.com","protocol":"sip","role":"GUEST","remote_display_name":"Desk"}"#
            let dialled = try await h.call("POST", "room", "dial", token: host.token, body: body)
            let uuid = try #require(dialled.result?.array?.first?.string)
            let desk = try #require(h.sim.participants(alias: "room").first { $0.uuid == uuid })
            #expect(desk.callDirection == "out" && desk.protocolName == "sip" && desk.displayName == "Desk")
            let fax = #"{"destination":"x","protocol":"fax","role":"GUEST"}"#
            #expect(
                try await h.call("POST", "room", "dial", token: host.token, body: fax).json == failed("Illegal value")
            )

            let dtmf = try await h.call(
                "POST",
                "room",
                "participants/\(uuid)/dtmf",
                token: host.token,
                body: #"{"digits":"42#"}"#
            )
            #expect(dtmf.json == Self.ok)
            #expect(h.sim.dtmfReceived(alias: "room") == [DTMFRecord(participantUUID: uuid, digits: "42#")])

            let hostStream = try await h.syncedEvents("room", token: host.token)
            let guestStream = try await h.syncedEvents("room", token: guest.token)
            let shown = try await h.call(
                "POST",
                "room",
                "participants/\(guest.uuid)/show_live_captions",
                token: guest.token
            )
            #expect(shown.status == 200)
            try h.sim.sendCaption(alias: "room", text: "hello", final: true)
            let caption = try await guestStream.next("live_captions")
            #expect(caption.json?["data"] == .string("hello") && caption.json?["is_final"] == .bool(true))
            // The host did not ask: a later event reaches it with no caption before it.
            try h.sim.setLocked(alias: "room", true)
            _ = try await hostStream.next("conference_update")
            #expect(await hostStream.log.events.allSatisfy { $0.name != "live_captions" })
            hostStream.close()
            guestStream.close()
        }
    }

    @Test("transfer moves a participant to another room with the role asked, needing that room's PIN")
    func transfer() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let carla = try self.carla(h)
            let path = "participants/\(carla.uuid)/transfer"
            let wrong = try await h.call(
                "POST",
                "room",
                path,
                token: host.token,
                body: #"{"conference_alias":"other","role":"guest","pin":"0000"}"#
            )
            #expect(wrong.status == 403)
            let nowhere = try await h.call(
                "POST",
                "room",
                path,
                token: host.token,
                body: #"{"conference_alias":"nowhere","role":"guest"}"#
            )
            #expect(nowhere.json == failed("Illegal value"))
            let moved = try await h.call(
                "POST",
                "room",
                path,
                token: host.token,
                body: #"{"conference_alias":"other","role":"guest","pin":"8765"}"#
            )
            #expect(moved.json == Self.ok)
            #expect(!h.sim.participants(alias: "room").contains { $0.uuid == carla.uuid })
            #expect(h.sim.participants(alias: "other").contains { $0.uuid == carla.uuid && $0.role == .guest })
            let record = try #require(h.sim.transfers(alias: "room").first)
            #expect(record.participantUUID == carla.uuid && record.toAlias == "other")
            #expect(record.role == .guest && record.pinGiven)
            #expect(h.sim.transfers(alias: "room").count == 1)
        }
    }

    @Test("stage lists the speakers first with vad 100")
    func stage() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let host = try await h.join("room", pin: "1234")
            let carla = try self.carla(h)
            let stream = try await h.syncedEvents("room", token: host.token)
            try h.sim.emitStage(alias: "room", speaking: [carla.uuid])
            let stage = try await stream.next("stage")
            #expect(stage.json?[0]?["participant_uuid"] == .string(carla.uuid))
            #expect(stage.json?[0]?["stage_index"] == .number(0))
            #expect(stage.json?[0]?["vad"] == .number(100))
            stream.close()
        }
    }
}
