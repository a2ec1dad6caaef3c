import ArgumentParser
import BridgeProtocol
import Foundation

/// `pexbridge say`: sends a chat message into a session's conference.
struct SayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "say",
        abstract: "Send a chat message to the conference of a session.",
        discussion: """
            The words are joined with single spaces. Put -- before text that starts with a dash.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "The message text.")
    var text: [String]

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if text.joined().trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("the message is empty") }
    }

    func run() async throws {
        let (session, message) = (self.session, text.joined(separator: " "))
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            _ = try await client.call(.control(session: session, .sendMessage(text: message)))
        }
    }
}
