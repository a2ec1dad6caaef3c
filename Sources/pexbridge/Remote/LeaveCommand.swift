import ArgumentParser

/// `pexbridge leave`: ends a session.
struct LeaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leave",
        abstract: "Leave the conference of a session; the session ends.",
        discussion: RemoteExitCode.helpText
    )

    @Argument(help: "The session id.")
    var session: String

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func run() async throws {
        let session = self.session
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            _ = try await client.call(.leave(session: session))
            printError("\(session): left")
        }
    }
}
