import BridgeClient
import BridgeProtocol

/// Why a remote-control command failed; each case decides the exit status. Never holds a secret.
enum RemoteFailure: Error, Sendable, CustomStringConvertible {
    /// The bridge answered `ok: false`.
    case rejected(ErrorBody)
    /// The connection could not be opened or was lost.
    case connection(String)
    /// The token was missing or refused.
    case authentication(String)
    /// The bridge did not answer in time.
    case timeout(String)
    /// Bad arguments or unreadable input.
    case input(String)

    /// The exit status this failure ends the command with.
    var exitCode: RemoteExitCode {
        switch self {
        case .rejected(let error): RemoteExitCode.of(error.code)
        case .connection: .connection
        case .authentication: .authentication
        case .timeout: .timeout
        case .input: .usage
        }
    }

    /// The text after `error: ` on standard error.
    var description: String {
        switch self {
        case .rejected(let error):
            "\(error.code.rawValue): \(error.message)" + (error.attemptsLeft.map { " (\($0) attempts left)" } ?? "")
        case .connection(let text), .authentication(let text), .timeout(let text), .input(let text):
            text
        }
    }

    /// Maps a client-library error to a failure.
    init(_ error: BridgeClientError) {
        switch error {
        case .connectFailed(let why): self = .connection("cannot connect to the bridge: \(why)")
        case .closed: self = .connection("connection lost: \(error)")
        case .timeout: self = .timeout("the bridge did not answer in time")
        case .protocolViolation(let why): self = .connection("not a pexbridge (\(why))")
        }
    }
}
