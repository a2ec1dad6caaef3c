import Foundation
import Testing

@testable import InfinityClient

/// The whole-conference shapes of infinity-api.md §5–§6, read from recorded node payloads.
@Suite struct ConferenceMappingTests {
    private func event(_ name: String, _ data: String) -> InfinityEvent? {
        InfinityEvent(message: SSEMessage(event: name, data: data))
    }

    /// A SIP participant the conference dialled out, hand up, video muted, with overlay text (the schema's
    /// required fields, as a node sends them: YES/NO strings, float timestamps).
    static let dialledOut = """
        {"buzz_time":1765012399.5,"call_direction":"out","disconnect_supported":"YES","display_name":"Room 42",
        "encryption":"On","external_node_uuid":"","fecc_supported":"NO","has_media":true,"is_audio_only_call":"NO",
        "is_external":false,"is_muted":"NO","is_presenting":"YES","is_streaming_conference":false,
        "is_video_call":"YES","is_video_muted":true,"is_video_silent":false,"local_alias":"meet@example.com",
        "mute_supported":"YES","overlay_text":"Stage left","protocol":"sip","role":"chair",
        "rx_presentation_policy":"ALLOW","spotlight":0,"start_time":1765012345.25,"transfer_supported":"YES",
        "uuid":"3c4d5e6f","service_type":"conference","uri":"sip:room42@example.com"}
        """

    @Test func aParticipantsWholeConferenceFieldsAreMapped() throws {
        let json = try #require(decodeJSON(Self.dialledOut))
        let p = try #require(InfinityParticipant(json: json))
        #expect(p.role == .host)
        #expect(p.buzzTime == 1_765_012_399.5)
        #expect(p.startTime == 1_765_012_345.25)
        #expect(p.isVideoMuted == true)
        #expect(p.overlayText == "Stage left")
        #expect(p.callDirection == "out")
        #expect(p.isPresenting)
        #expect(p.protocolName == "sip")
    }

    @Test func zeroTimestampsMeanNotSet() throws {
        let json = try #require(decodeJSON(#"{"uuid":"p","buzz_time":0,"start_time":0,"overlay_text":""}"#))
        let p = try #require(InfinityParticipant(json: json))
        #expect(p.buzzTime == nil)
        #expect(p.startTime == nil)
        #expect(p.overlayText == "")
    }

    @Test func conferenceUpdateCarriesGuestsCanUnmuteAndPresentationAllowed() throws {
        let update = try #require(decodeJSON(Fixture.conferenceUpdate))
        let status = try #require(InfinityConferenceStatus(json: update))
        #expect(status.guestsCanUnmute == false)
        #expect(status.presentationAllowed == true)
        let locked = try #require(decodeJSON(#"{"locked":true}"#))
        let silent = try #require(InfinityConferenceStatus(json: locked))
        #expect(silent.presentationAllowed == nil)
    }

    @Test func stageIsReadInStageOrder() {
        let data = """
            [{"participant_uuid":"b","stage_index":1,"vad":0},{"participant_uuid":"a","stage_index":0,"vad":100},
            {"stage_index":2,"vad":100},{"participant_uuid":"c","stage_index":2,"vad":100}]
            """
        #expect(
            event("stage", data)
                == .stage([
                    InfinityStageEntry(participantUUID: "a", stageIndex: 0, vad: 100),
                    InfinityStageEntry(participantUUID: "b", stageIndex: 1, vad: 0),
                    InfinityStageEntry(participantUUID: "c", stageIndex: 2, vad: 100),
                ])
        )
        #expect(event("stage", #"{"not":"a list"}"#) == nil)
    }

    @Test func presentationStartStopAndRevoked() {
        let start = #"{"presenter_name":"Alice","presenter_uri":"alice@example.com","presenter_uuid":"p1"}"#
        #expect(
            event("presentation_start", start)
                == .presentationStart(InfinityPresenter(uuid: "p1", name: "Alice", uri: "alice@example.com"))
        )
        let revoked = #"{"presenter_name":"","presenter_uri":"","presenter_uuid":""}"#
        #expect(event("presentation_start", revoked) == .presentationStop)
        #expect(event("presentation_stop", "{}") == .presentationStop)
        #expect(event("presentation_ended", "null") == .presentationStop)
    }

    @Test func layoutReadsViewRequestedLayoutsAndOverlay() {
        let data = """
            {"view":"1:7","participants":["p1","p2"],"requested_layout":{"primary_screen":
            {"chair_layout":"1:7","guest_layout":"ac"}},"overlay_text_enabled":true}
            """
        #expect(
            event("layout", data)
                == .layout(
                    InfinityLayout(
                        view: "1:7",
                        hostLayout: "1:7",
                        guestLayout: "ac",
                        overlayTextEnabled: true,
                        participants: ["p1", "p2"]
                    )
                )
        )
        #expect(event("layout", #"{"view":"ac"}"#) == .layout(InfinityLayout(view: "ac")))
    }

    @Test func liveCaptions() {
        #expect(
            event("live_captions", #"{"data":"Good morning","is_final":true,"sent_time":1765012399.1}"#)
                == .liveCaptions(InfinityCaption(text: "Good morning", isFinal: true))
        )
        #expect(
            event("live_captions", #"{"data":"Good mor","is_final":false}"#)
                == .liveCaptions(InfinityCaption(text: "Good mor", isFinal: false))
        )
        #expect(event("live_captions", #"{"is_final":true}"#) == nil)
    }

    @Test func illegalValueIsItsOwnError() {
        #expect(InfinityClient.error(status: 400, message: "Illegal value") == .illegalValue("Illegal value"))
        #expect(InfinityClient.error(status: 400, message: "Bad") == .http(status: 400, message: "Bad"))
    }

    @Test func aTransferNeverShowsItsPIN() {
        let transfer = ParticipantTransfer(conferenceAlias: "meet.b", role: .guest, pin: "987654")
        #expect(!"\(transfer)".contains("987654"))
        #expect(!String(reflecting: transfer).contains("987654"))
        #expect(!"\(ParticipantCommand.transfer(transfer))".contains("987654"))
        var dumped = ""
        dump(ParticipantCommand.transfer(transfer), to: &dumped)
        #expect(!dumped.contains("987654"))
    }
}

@Suite struct ConferenceControlCallTests {
    @Test(
        arguments: [
            (ConferenceCommand.clearAllBuzz, "clearallbuzz", nil), (.clearSpotlights, "clearspotlights", nil),
            (.setGuestsCanUnmute(true), "set_guests_can_unmute", #"{"setting":true}"#),
            (
                .transformLayout(LayoutTransform(layout: "1:7", guestLayout: "ac", enableOverlayText: false)),
                "transform_layout", #"{"transforms":{"enable_overlay_text":false,"guest_layout":"ac","layout":"1:7"}}"#
            ),
        ] as [(ConferenceCommand, String, String?)]
    )
    func conferenceCommands(command: ConferenceCommand, path: String, body: String?) async throws {
        try await withStub({ _, _ in .json(200, Fixture.ok) }) { server in
            try await withClient { client in
                try await client.perform(command, node: server.node, alias: "meet", token: "tok")
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.uri == "/api/client/v2/conferences/meet/\(path)")
                #expect(String(decoding: request.body, as: UTF8.self) == (body ?? ""))
            }
        }
    }

    @Test(
        arguments: [
            (ParticipantCommand.buzz, "buzz", nil), (.clearBuzz, "clearbuzz", nil),
            (.role(.host), "role", #"{"role":"chair"}"#), (.role(.guest), "role", #"{"role":"guest"}"#),
            (.videoMute, "video_muted", nil), (.videoUnmute, "video_unmuted", nil),
            (.overlayText("Stage left"), "overlaytext", #"{"text":"Stage left"}"#),
            (.dtmf("12#*"), "dtmf", #"{"digits":"12#*"}"#),
            (
                .transfer(ParticipantTransfer(conferenceAlias: "meet.b", role: .guest, pin: "4321")), "transfer",
                #"{"conference_alias":"meet.b","pin":"4321","role":"guest"}"#
            ),
            (
                .transfer(ParticipantTransfer(conferenceAlias: "meet.b", role: .host)), "transfer",
                #"{"conference_alias":"meet.b","role":"host"}"#
            ),
            (.showLiveCaptions, "show_live_captions", nil), (.hideLiveCaptions, "hide_live_captions", nil),
        ] as [(ParticipantCommand, String, String?)]
    )
    func participantCommands(command: ParticipantCommand, path: String, body: String?) async throws {
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":null}"#) }) { server in
            try await withClient { client in
                try await client.perform(command, participant: "p 1", node: server.node, alias: "meet", token: "tok")
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.uri == "/api/client/v2/conferences/meet/participants/p%201/\(path)")
                #expect(String(decoding: request.body, as: UTF8.self) == (body ?? ""))
            }
        }
    }

    @Test func dialSendsTheNodesShapeAndReturnsTheNewUUIDs() async throws {
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":["n1","n2"]}"#) }) { server in
            try await withClient { client in
                let request = DialRequest(
                    destination: "rtmp://live.example.com/app/key",
                    callProtocol: .rtmp,
                    role: .guest,
                    displayName: "Stream",
                    streaming: true
                )
                let uuids = try await client.dial(request, node: server.node, alias: "meet", token: "tok")
                #expect(uuids == ["n1", "n2"])
                let sent = try #require(server.requests.first)
                #expect(sent.uri == "/api/client/v2/conferences/meet/dial")
                #expect(
                    String(decoding: sent.body, as: UTF8.self)
                        == #"{"destination":"rtmp:\/\/live.example.com\/app\/key","protocol":"rtmp","#
                        + #""remote_display_name":"Stream","role":"GUEST","streaming":"yes"}"#
                )
            }
        }
    }

    @Test func availableLayoutsIsAGetOfStrings() async throws {
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":["1:7","ac",3,"5:7"]}"#) }) { server in
            try await withClient { client in
                let layouts = try await client.availableLayouts(node: server.node, alias: "meet", token: "tok")
                #expect(layouts == ["1:7", "ac", "5:7"])
                #expect(server.requests.first?.method == .GET)
                #expect(server.requests.first?.uri == "/api/client/v2/conferences/meet/available_layouts")
            }
        }
    }

    @Test func anUnknownLayoutIsAnIllegalValue() async throws {
        try await withStub({ _, _ in .json(400, #"{"status":"failed","result":"Illegal value"}"#) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.illegalValue("Illegal value")) {
                    try await client.perform(
                        .transformLayout(LayoutTransform(layout: "nope")),
                        node: server.node,
                        alias: "meet",
                        token: "tok"
                    )
                }
                // A refused value is not retried.
                #expect(server.requests.count == 1)
            }
        }
    }
}
