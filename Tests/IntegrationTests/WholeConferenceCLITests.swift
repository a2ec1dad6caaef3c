import BridgeProtocol
import Foundation
import InfinitySimulator
import Testing

@Suite("pexbridge control and watch: the whole conference")
struct WholeConferenceCLITests {
    @Test func everyNewControlRunsFromTheCommandLineAndATransferPINComesOnlyFromStandardInput() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]
            var outputs: [String] = []
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "Desk"] + url
            )
            #expect(join.status == 0, "\(join.stderr)")
            let id = try #require(join.stdout.split(separator: "\n").first.map(String.init))
            let yara = try bridge.simulator.addParticipant(alias: "t.open", displayName: "Yara", protocolName: "sip")
            // The bridge's roster has Yara once `list` shows two participants.
            #expect(
                try await eventually {
                    let rows = (try await runPexbridge(["list"] + url)).stdout.split(separator: "\n").map {
                        $0.split(separator: " ").map(String.init)
                    }
                    return rows == [[id, "connected", "t.open", "host", "2"]]
                }
            )
            func run(_ arguments: [String], stdin: String? = nil) async throws -> RemoteRun {
                let result = try await runPexbridge(["control", id] + arguments + url, stdin: stdin)
                outputs += [result.stdout, result.stderr]
                return result
            }
            let me = { bridge.simulator.participants(alias: "t.open").first { $0.isAPI } }

            #expect(try await run(["raise-hand"]).status == 0)
            #expect(me()?.handRaisedAt != nil)
            #expect(try await run(["lower-hand"]).status == 0)
            #expect(me()?.handRaisedAt == nil)

            let layouts = try await run(["layouts"])
            #expect(layouts.status == 0)
            #expect(layouts.stdout.split(separator: "\n").map(String.init) == InfinitySimulator.availableLayouts)
            #expect(try await run(["set-layout", "--layout", "ac", "--overlay-text", "off"]).status == 0)
            #expect(bridge.simulator.layout(alias: "t.open")?.layout == "ac")
            #expect(bridge.simulator.layout(alias: "t.open")?.overlayTextEnabled == false)

            #expect(try await run(["set-role", "Yara", "--role", "host"]).status == 0)
            #expect(bridge.simulator.participants(alias: "t.open").first { $0.uuid == yara }?.role == .host)
            #expect(try await run(["video-mute", "Yara"]).status == 0)
            #expect(bridge.simulator.participants(alias: "t.open").first { $0.uuid == yara }?.isVideoMuted == true)

            let dial = try await run([
                "dial", "--destination", "sip:room9@example.com", "--protocol", "sip", "--role", "guest",
            ])
            #expect(dial.status == 0, "\(dial.stderr)")
            #expect(
                dial.stdout.split(separator: "\n").map(String.init)
                    == bridge.simulator.dials(alias: "t.open").flatMap(\.participantUUIDs)
            )

            #expect(try await run(["dtmf", "Yara", "--digits", "123#"]).status == 0)
            #expect(
                bridge.simulator.dtmfReceived(alias: "t.open") == [DTMFRecord(participantUUID: yara, digits: "123#")]
            )
            let bad = try await run(["dtmf", "Yara", "--digits", "12x"])
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("invalid_value"))

            // No --pin option exists: a PIN on the command line is a usage error.
            let argv = try await run([
                "transfer", "Yara", "--alias", "t.pin", "--role", "guest", "--pin", TestPINs.guest,
            ])
            #expect(argv.status == 64)
            let transfer = try await run(
                ["transfer", "Yara", "--alias", "t.pin", "--role", "guest", "--pin-stdin"],
                stdin: TestPINs.guest + "\n"
            )
            #expect(transfer.status == 0, "\(transfer.stderr)")
            #expect(bridge.simulator.participants(alias: "t.pin").contains { $0.uuid == yara })
            #expect(bridge.simulator.transfers(alias: "t.open").first?.pinGiven == true)

            #expect(try await run(["captions-on"]).status == 0)
            #expect(me()?.showsLiveCaptions == true)
            #expect(try await run(["lower-all-hands"]).status == 0)
            #expect(try await run(["clear-spotlights"]).status == 0)
            #expect(try await run(["guests-cannot-unmute"]).status == 0)
            #expect(try await run(["set-role", "Yara"]).status == 64)
            for output in outputs {
                #expect(free(ofPINs: output), "the output carries a PIN")
            }
        }
    }

    @Test func watchPrintsPresentationLayoutAndWithIncludeSpeakersAndCaptions() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "Desk"] + url
            )
            let id = try #require(join.stdout.split(separator: "\n").first.map(String.init))
            let yara = try bridge.simulator.addParticipant(alias: "t.open", displayName: "Yara", protocolName: "sip")
            let plain = try RemoteChild(["watch", id] + url)
            defer { plain.stop() }
            let opted = try RemoteChild(["watch", id, "--include", "speakers,captions"] + url)
            defer { opted.stop() }
            try await plain.waitFor("watching \(id)", inStderr: true)
            try await opted.waitFor("watching \(id)", inStderr: true)

            #expect(try await runPexbridge(["control", id, "captions-on"] + url).status == 0)
            try bridge.simulator.emitStage(alias: "t.open", speaking: [yara])
            try await opted.waitFor("speakers  Yara")
            try bridge.simulator.sendCaption(alias: "t.open", text: "Hello room", final: true)
            try await opted.waitFor("captions  Hello room")
            try bridge.simulator.setPresenting(alias: "t.open", uuid: yara, true)
            try await plain.waitFor("presentation  started by Yara")
            try await opted.waitFor("presentation  started by Yara")
            #expect(!plain.stdout.contains(" speakers ") && !plain.stdout.contains(" captions "))

            let wrong = try await runPexbridge(["watch", id, "--include", "video"] + url)
            #expect(wrong.status == 64)
        }
    }
}
