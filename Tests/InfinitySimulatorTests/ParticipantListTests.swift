import Foundation
import InfinitySimulator
import Testing

@Suite("participants and conference_status")
struct ParticipantListTests {
    static let rooms = [
        SimulatedRoom(
            alias: "room",
            hostPIN: "1234",
            guestPIN: "5678",
            initialParticipants: [
                ScriptedParticipant(displayName: "Room 4.12", role: .host, protocolName: "sip", isMuted: true),
                ScriptedParticipant(displayName: "Phone", role: .guest, protocolName: "sip", isAudioOnly: true),
            ]
        )
    ]

    @Test("participants carries every required field with the exact JSON types")
    func fieldTypes() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", name: "Bridge", pin: "5678")
            let reply = try await h.call("GET", "room", "participants", token: me.token)
            #expect(reply.status == 200)
            let list = try JSONDecoder().decode(Envelope<[ParticipantObject]>.self, from: Data(reply.text.utf8))
            #expect(list.status == "success")
            #expect(list.result.count == 3)
            let yesNo: Set<String> = ["YES", "NO"]
            for p in list.result {
                for value in [
                    p.is_muted, p.is_presenting, p.is_video_call, p.is_audio_only_call, p.fecc_supported,
                    p.mute_supported, p.transfer_supported, p.disconnect_supported, p.presentation_supported,
                ] {
                    #expect(yesNo.contains(value))
                }
                #expect(["chair", "guest"].contains(p.role))
                #expect(["On", "Off"].contains(p.encryption))
                #expect(["ALLOW", "DENY"].contains(p.rx_presentation_policy))
                #expect(["in", "out"].contains(p.call_direction))
                #expect(p.api_url == "/participants/\(p.uuid)")
                #expect(p.start_time > 1_600_000_000)
                #expect(p.spotlight == 0 && p.buzz_time == 0)
            }
            let bridge = try #require(list.result.first { $0.uuid == me.uuid })
            #expect(bridge.protocol == "api")
            #expect(bridge.has_media == false)
            #expect(bridge.is_video_call == "NO" && bridge.is_audio_only_call == "NO")
            #expect(bridge.role == "guest")
            #expect(bridge.service_type == "conference")
            let sip = try #require(list.result.first { $0.display_name == "Room 4.12" })
            #expect(sip.protocol == "sip" && sip.role == "chair" && sip.is_muted == "YES" && sip.has_media)
            #expect(sip.is_video_call == "YES")
            let phone = try #require(list.result.first { $0.display_name == "Phone" })
            #expect(phone.is_audio_only_call == "YES" && phone.is_video_call == "NO")
            // Timestamps are floats on the wire, as the node's Python server writes them.
            #expect(reply.text.contains(#""buzz_time":0.0"#))
            #expect(reply.text.contains(#""spotlight":0.0"#))
            #expect(!reply.text.contains(#""is_muted":true"#) && !reply.text.contains(#""is_muted":false"#))
        }
    }

    @Test("conference_status carries locked, guests_muted and started as booleans")
    func conferenceStatus() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "5678")
            let reply = try await h.call("GET", "room", "conference_status", token: me.token)
            #expect(reply.status == 200)
            let status = try #require(reply.result)
            #expect(status["locked"] == .bool(false))
            #expect(status["guests_muted"] == .bool(false))
            #expect(status["started"] == .bool(true))
            #expect(status["all_muted"] == .bool(false))
            #expect(status["presentation_allowed"] == .bool(true))
            #expect(status["guests_can_unmute"]?.bool != nil)
            #expect(
                try await h.call("GET", "room", "conference_status", token: "bogus").json == failed("Invalid token")
            )
        }
    }

    @Test("wrong methods answer 405 and unknown paths 404")
    func methodsAndPaths() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("room", pin: "1234")
            #expect(try await h.call("GET", "room", "request_token").status == 405)
            #expect(try await h.call("POST", "room", "participants", token: me.token).status == 405)
            #expect(try await h.call("POST", "room", "no_such_thing", token: me.token).status == 404)
        }
    }
}
