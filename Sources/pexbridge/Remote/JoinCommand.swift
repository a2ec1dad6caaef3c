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
            "The conference node: host, host:port or URL (`simulator` for the embedded one).",
            valueName: "NODE"
        )
    )
    var node: String

    @Option(help: ArgumentHelp("The conference alias.", valueName: "ALIAS"))
    var alias: String

    @Option(help: ArgumentHelp("The display name the bridge joins with.", valueName: "NAME"))
    var name: String

    @Flag
    var pinSource: PINSource?

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if node.isEmpty || alias.isEmpty || name.isEmpty {
            throw ValidationError("--node, --alias and --name must not be empty")
        }
    }

    func run() async throws {
        let parameters = JoinParameters(node: node, alias: alias, displayName: name)
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
