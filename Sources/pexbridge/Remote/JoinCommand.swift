import ArgumentParser
import BridgeProtocol

/// `pexbridge join`: opens a session in the bridge and prints its id.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a conference through the bridge; prints the session id on standard output.",
        discussion: """
            A summary goes to standard error. When the conference asks for a PIN, the session waits for one \
            (see `pexbridge pin`) unless --pin-prompt or --pin-stdin says where to read it now.

            \(RemoteExitCode.helpText)
            """
    )

    @Option(
        help: ArgumentHelp(
            "The conference node: host, host:port or URL (`simulator` for the embedded one); without it, an alias "
                + "name@domain finds the node by DNS.",
            valueName: "NODE"
        )
    )
    var node: String?

    @Option(help: ArgumentHelp("The conference alias.", valueName: "ALIAS"))
    var alias: String

    @Option(help: ArgumentHelp("The display name the bridge joins with.", valueName: "NAME"))
    var name: String

    @Option(
        name: .customLong("extension"),
        help: ArgumentHelp("The conference to ask a Virtual Reception for, sent with the join.", valueName: "TARGET")
    )
    var conferenceExtension: String?

    @Flag
    var pinSource: PINSource?

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if node?.isEmpty == true || alias.isEmpty || name.isEmpty || conferenceExtension?.isEmpty == true {
            throw ValidationError("--node, --alias, --name and --extension must not be empty")
        }
        if node == nil && !alias.contains("@") {
            throw ValidationError("without --node, --alias must be name@domain so that the node can be found")
        }
    }

    func run() async throws {
        let parameters = JoinParameters(node: node, alias: alias, displayName: name, extension: conferenceExtension)
        let source = pinSource
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let joined = try await client.session(.join(parameters))
            printLine(joined.id)
            printError(SessionSummary.sentence(joined))
            guard joined.state == .pinRequired || joined.state == .pinOptional else { return }
            guard let source else {
                printError("send the PIN with: pexbridge pin \(joined.id)")
                return
            }
            let pin = try await PINReader.read(prompt: PINPrompt.text(for: joined), terminalOnly: source == .pinPrompt)
            let pinned = try await client.session(.pin(session: joined.id, pin: pin.value))
            printError(SessionSummary.sentence(pinned))
        }
    }
}
