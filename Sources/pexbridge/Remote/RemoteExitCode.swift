import ArgumentParser
import BridgeProtocol

/// The exit statuses of the remote-control subcommands, which scripts can rely on.
enum RemoteExitCode: Int32, CaseIterable, Sendable {
    /// The request succeeded.
    case ok = 0
    /// The bridge answered the request with `ok: false`.
    case refused = 1
    /// The bridge could not be reached, the connection was lost, or the bridge is shutting down.
    case connection = 3
    /// Authentication failed: no or wrong token, or the request was `unauthorized` or `forbidden`.
    case authentication = 4
    /// No answer in time (from the bridge, or the bridge's `upstream_timeout`).
    case timeout = 5
    /// Bad arguments or input: ArgumentParser's own usage errors exit with `EX_USAGE` (64) too.
    case usage = 64

    /// The exit status for a failed result with this error code; every code maps to exactly one status.
    static func of(_ code: ErrorCode) -> RemoteExitCode {
        switch code {
        case .unauthorized, .forbidden:
            .authentication
        case .upstreamTimeout:
            .timeout
        case .shuttingDown, .storeUnavailable:
            .connection
        case .badRequest, .unknownType, .unknownSession, .invalidState, .invalidPIN, .pinRequired,
            .tooManyPINAttempts, .conferenceNotFound, .insecureNode, .nodeUnreachable, .upstreamError,
            .unsupportedFrame, .rateLimited, .notHost, .unknownParticipant, .unsupportedChallenge, .refused,
            .tooManySessions, .sessionExpired, .nodeNotAllowed, .extensionNotFound, .ssoFailed, .invalidValue:
            .refused
        }
    }

    /// The `ExitCode` ArgumentParser exits with.
    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The exit-status table shown at the end of every remote subcommand's `--help`.
    static let helpText = """
        Exit status:
          0   ok
          1   the bridge refused the request: "error: <code>: <message>" on stderr
          3   cannot connect, connection lost, the bridge is shutting down, or its store is away
          4   authentication failed (no or wrong token, unauthorized, forbidden)
          5   timed out (no answer within --timeout, or the node's upstream_timeout)
          64  usage error (bad arguments), or no PIN could be read

        The token comes from --token-file FILE or the environment variable PEXBRIDGE_TOKEN; --token works too but shows the secret in ps. A PIN is never taken from the command line.
        """
}
