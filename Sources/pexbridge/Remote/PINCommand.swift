import ArgumentParser
import BridgeProtocol

/// `pexbridge pin`: answers a session's PIN challenge with a PIN typed or piped in.
struct PINCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Send the PIN for a session waiting in pin_required or pin_optional.",
        discussion: """
            The PIN is never taken from the command line: on a terminal it is prompted for without echo, \
            otherwise the first line of standard input is the PIN. An empty line means "no PIN" (join as a \
            guest where the conference allows it). A summary goes to standard error.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id (from join or list).")
    var session: String

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func run() async throws {
        // Read first, so no connection idles while someone types.
        let pin: SecretPIN
        do {
            pin = try await PINReader.read(prompt: "PIN for \(session) (empty for none): ", terminalOnly: false)
        } catch {
            throw RemoteRunner.exit(error)
        }
        let session = self.session
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let snapshot = try await client.session(.pin(session: session, pin: pin.value))
            printError(SessionSummary.sentence(snapshot))
        }
    }
}
