import BridgeProtocol
import Foundation
import Testing

/// Security review finding 13: names and chat come from other people; `watch` prints them escaped, so an escape
/// sequence in a display name cannot drive the operator's terminal (here OSC 52, a clipboard write).
@Suite("Escape sequences in names and chat are printed escaped")
struct TerminalEscapeTests {
    @Test func watchEscapesControlCharactersInNamesAndChat() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "W"] + url
            )
            let id = try #require(join.stdout.split(separator: "\n").first.map(String.init))
            let watch = try RemoteChild(["watch", id] + url)
            defer { watch.stop() }
            try await watch.waitFor("watching \(id)", inStderr: true)
            let hostile = "Eve\u{1B}]52;c;ZXZpbA==\u{07}\u{202E}gnp.exe"
            _ = try bridge.simulator.addParticipant(alias: "t.open", displayName: hostile, role: .guest, muted: false)
            try await watch.waitFor(#"Eve\u{1B}]52;c;ZXZpbA==\u{7}\u{202E}gnp.exe"#)
            #expect(
                !watch.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E }
            )
            watch.signal(SIGTERM)
            #expect(await watch.finish() == 0)
        }
    }
}
