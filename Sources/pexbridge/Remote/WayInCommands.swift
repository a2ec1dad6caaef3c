import ArgumentParser
import BridgeProtocol

/// `pexbridge extension`: tells a Virtual Reception which conference to join.
struct ExtensionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extension",
        abstract: "Send the target conference for a session waiting in extension_required (a Virtual Reception).",
        discussion: """
            A summary goes to standard error. An unknown target fails with extension_not_found and the session \
            keeps waiting; the target may then ask for a PIN (see `pexbridge pin`).

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id (from join or list).")
    var session: String

    @Argument(help: ArgumentHelp("The conference to join behind the reception.", valueName: "TARGET"))
    var target: String

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if target.isEmpty { throw ValidationError("the target must not be empty") }
    }

    func run() async throws {
        let (session, target) = (self.session, self.target)
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let snapshot = try await client.session(.wayIn(session: session, .conferenceExtension(target)))
            printError(SessionSummary.sentence(snapshot))
        }
    }
}

/// `pexbridge idp`: chooses the identity provider for a session waiting in idp_required.
struct IdPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idp",
        abstract: "Choose the identity provider for a session waiting in idp_required.",
        discussion: """
            The uuid is one of the session's idps (see `pexbridge list`). The session then waits in \
            sso_required: sign in at its redirect_url and send the token with `pexbridge sso-token`.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id (from join or list).")
    var session: String

    @Argument(help: ArgumentHelp("The identity provider's uuid.", valueName: "UUID"))
    var idp: String

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func validate() throws {
        if idp.isEmpty { throw ValidationError("the uuid must not be empty") }
    }

    func run() async throws {
        let (session, idp) = (self.session, self.idp)
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let snapshot = try await client.session(.wayIn(session: session, .idp(idp)))
            printError(SessionSummary.sentence(snapshot))
        }
    }
}

/// `pexbridge sso-token`: sends the identity provider's token for a session waiting in sso_required.
struct SSOTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sso-token",
        abstract: "Send the sign-in token for a session waiting in sso_required.",
        discussion: """
            The token is a secret and is never taken from the command line: on a terminal it is prompted for \
            without echo, otherwise the first line of standard input is the token. A refused token fails with \
            sso_failed and the session keeps waiting.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id (from join or list).")
    var session: String

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    func run() async throws {
        let token: SecretPIN
        do {
            token = try await PINReader.read(
                prompt: "Sign-in token for \(session): ",
                terminalOnly: false,
                limit: RequestCodec.maxSSOTokenBytes
            )
        } catch {
            throw RemoteRunner.exit(error)
        }
        guard !token.value.isEmpty else {
            printError("error: no token given")
            throw RemoteExitCode.usage.exitCode
        }
        let session = self.session
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            let snapshot = try await client.session(.wayIn(session: session, .ssoToken(token.value)))
            printError(SessionSummary.sentence(snapshot))
        }
    }
}
