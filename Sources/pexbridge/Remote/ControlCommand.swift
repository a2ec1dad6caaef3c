import ArgumentParser
import BridgeProtocol

/// `pexbridge control`: a host control on a connected session.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Run a host control on a session (the session must be connected as host).",
        discussion: """
            PARTICIPANT (for mute, unmute, spotlight-on, spotlight-off, admit, disconnect-participant) is a \
            participant's uuid or its display name when that is unique in the session.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "What to do.")
    var action: ControlAction

    @Argument(help: "The participant (uuid or display name), for the actions on one participant.")
    var participant: String?

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if action.needsParticipant && (participant ?? "").isEmpty {
            throw ValidationError("\(action.rawValue) needs a PARTICIPANT")
        }
        if !action.needsParticipant && participant != nil {
            throw ValidationError("\(action.rawValue) takes no PARTICIPANT")
        }
    }

    func run() async throws {
        let (session, action, participant) = (self.session, self.action, self.participant)
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            var uuid = ""
            if let participant {
                let snapshot = try await client.list().first { $0.id == session }
                uuid = try ParticipantLookup.uuid(for: participant, in: snapshot)
            }
            _ = try await client.call(.control(session: session, action.control(participant: uuid)))
            printError("\(session): \(action.rawValue) done")
        }
    }
}
