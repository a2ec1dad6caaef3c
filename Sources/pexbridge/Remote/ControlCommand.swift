import ArgumentParser
import BridgeProtocol

/// `pexbridge control`: a control on a connected session.
struct ControlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Run a control on a session (most need the session connected as host).",
        discussion: """
            PARTICIPANT (for mute, unmute, spotlight-on, spotlight-off, admit, disconnect-participant, set-role, \
            video-mute, video-unmute, overlay-text, transfer, dtmf, and optionally lower-hand) is a \
            participant's uuid or its display name when that is unique in the session. lower-hand without one \
            lowers the session's own hand.

            Values: set-role --role; set-layout --layout/--host-layout/--guest-layout/--overlay-text on|off; \
            overlay-text --text; dial --destination --protocol --role [--display-name] [--streaming]; \
            transfer --alias --role [--pin-prompt | --pin-stdin]; dtmf --digits. `layouts` prints one layout \
            per line; `dial` prints the new participants' uuids. A transfer PIN is never taken from the command \
            line: it is prompted for without echo, or read from the first line of standard input.

            \(RemoteExitCode.helpText)
            """
    )

    @Argument(help: "The session id.")
    var session: String

    @Argument(help: "What to do.")
    var action: ControlAction

    @Argument(help: "The participant (uuid or display name), for the actions on one participant.")
    var participant: String?

    @Option(help: "set-role, dial, transfer: host or guest.")
    var role: Role?

    @Option(help: "set-layout: the layout for everyone (see `control SESSION layouts`).")
    var layout: String?

    @Option(help: "set-layout: the layout hosts see.")
    var hostLayout: String?

    @Option(help: "set-layout: the layout guests see.")
    var guestLayout: String?

    @Option(name: .customLong("overlay-text"), help: "set-layout: show names over video (on or off).")
    var overlayTextSwitch: OnOff?

    @Option(help: "overlay-text: the text shown over the participant's video.")
    var text: String?

    @Option(help: "dial: what to call (a SIP URI, an H.323 address, an RTMP URL, ...).")
    var destination: String?

    @Option(name: .customLong("protocol"), help: "dial: sip, h323, rtmp, mssip or auto.")
    var callProtocol: DialProtocol?

    @Option(help: "dial: the new participant's name in the roster.")
    var displayName: String?

    @Flag(help: "dial: a streaming or recording participant.")
    var streaming = false

    @Option(help: "transfer: the alias of the conference to move the participant to.")
    var alias: String?

    @Option(help: "dtmf: the digits to send (1 to 32 of 0-9 * # A-D).")
    var digits: String?

    @Flag(help: "transfer: where the target conference's PIN comes from (never the command line).")
    var pinSource: PINSource?

    @OptionGroup(title: "Connection")
    var remote: RemoteOptions

    enum OnOff: String, ExpressibleByArgument, Sendable {
        case on, off
    }

    var values: ControlValues {
        ControlValues(
            role: role,
            layout: layout,
            hostLayout: hostLayout,
            guestLayout: guestLayout,
            overlayText: overlayTextSwitch.map { $0 == .on },
            text: text,
            destination: destination,
            callProtocol: callProtocol,
            displayName: displayName,
            streaming: streaming,
            alias: alias,
            digits: digits
        )
    }

    func validate() throws {
        switch action.participantUse {
        case .required where (participant ?? "").isEmpty:
            throw ValidationError("\(action.rawValue) needs a PARTICIPANT")
        case .none where participant != nil:
            throw ValidationError("\(action.rawValue) takes no PARTICIPANT")
        case .required, .none, .optional: break
        }
        if let problem = values.problem(for: action) { throw ValidationError(problem) }
        if pinSource != nil && action != .transfer { throw ValidationError("only transfer takes a PIN") }
    }

    func run() async throws {
        var values = self.values
        if action == .transfer, pinSource != nil {
            // Read first, so no connection idles while someone types.
            do {
                let pin = try await PINReader.read(
                    prompt: "PIN of the target conference (empty for none): ",
                    terminalOnly: pinSource == .pinPrompt
                )
                values.pin = pin.value.isEmpty ? nil : pin.value
            } catch {
                throw RemoteRunner.exit(error)
            }
        }
        let (session, action, participant, given) = (self.session, self.action, self.participant, values)
        try await RemoteRunner(options: remote).run { client throws(RemoteFailure) in
            var uuid: String?
            if let participant {
                let snapshot = try await client.list().first { $0.id == session }
                uuid = try ParticipantLookup.uuid(for: participant, in: snapshot)
            }
            let data = try await client.call(.control(session: session, action.control(participant: uuid, given)))
            switch data {
            case .layouts(let layouts): for layout in layouts { printLine(layout) }
            case .dialed(let uuids): for uuid in uuids { printLine(uuid) }
            case .empty, .role, .session, .sessions: break
            }
            printError("\(session): \(action.rawValue) done")
        }
    }
}
