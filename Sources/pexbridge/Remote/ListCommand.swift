import ArgumentParser
import BridgeProtocol
import Foundation

/// `pexbridge list`: the bridge's live sessions.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the bridge's live sessions.",
        discussion: """
            One line per session: id, state, alias, role (- until known), number of participants (the bridge's \
            own included). With --json, the array of session snapshots as the protocol defines them.

            \(RemoteExitCode.helpText)
            """
    )

    @Flag(help: "Print the JSON array of session snapshots.")
    var json = false

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func run() async throws {
        let json = self.json
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let sessions = try await client.list()
            if json {
                // Snapshots hold only strings, numbers, booleans, arrays and objects: encoding cannot fail.
                let data = (try? WireJSON.encoder.encode(sessions)) ?? Data("[]".utf8)
                printLine(String(decoding: data, as: UTF8.self))
                return
            }
            let widths = SessionSummary.ListWidths(sessions)
            for snapshot in sessions { printLine(SessionSummary.listLine(snapshot, widths: widths)) }
        }
    }
}
