import BridgeProtocol
import InfinityClient

/// A client auth secret and the role it grants; the secret never prints.
public struct AuthToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var secret: String
    public var role: ClientRole

    public init(secret: String, role: ClientRole) {
        self.secret = secret
        self.role = role
    }

    public var description: String { "AuthToken(<redacted>, \(role.rawValue))" }
    public var debugDescription: String { description }
    /// `dump()` and debuggers show the role only.
    public var customMirror: Mirror { Mirror(self, children: ["role": role]) }
}

/// How the core behaves.
public struct BridgeConfiguration: Sendable {
    /// Client secrets; any makes `auth_required` true.
    public var authTokens: [AuthToken] = []
    /// Accept `http://` nodes.
    public var allowInsecureNodes = false
    /// Wrong PINs in a row before a session is closed.
    public var maxPINAttempts = 5
    /// The embedded simulator, always allowed and reachable as node `simulator`.
    public var embeddedNode: NodeAddress?
    /// Shown in `hello.server`.
    public var serverName = "pexbridge \(ProtocolInfo.bridgeVersion)"
    /// Delay between a failed `auth` and closing the connection.
    public var authFailureCloseDelay: Duration = .milliseconds(300)
    /// When auth is required: a connection that has not authenticated within this time is closed (1008), so
    /// connections without a token cannot hold connection slots by answering pings.
    public var authTimeout: Duration = .seconds(10)
    /// Before `auth` succeeds, frames longer than this are refused without being decoded (an `auth` is small).
    public var maxFrameBytesBeforeAuth = 4096
    /// Events kept per session for `subscribe` with `since_seq`.
    public var replayDepth = 512
    /// Requests per second each connection may send on average, and its burst.
    public var requestRate: Double = 20
    public var requestBurst: Double = 60
    /// Failed `auth` attempts per address within `authFailureWindow` before the address is held back.
    public var authFailureLimit = 5
    public var authFailureWindow: Duration = .seconds(60)
    /// Wrong PINs per conference (from any client, any session) within the window before PINs for it are throttled.
    public var conferencePINFailureLimit = 10
    public var conferencePINFailureWindow: Duration = .seconds(300)
    /// Wrong PINs per node (every conference on it) within the same window before PINs for it are throttled.
    public var nodePINFailureLimit = 30
    /// Wrong PINs per client address (IPv6 by /64) within the same window before its PINs are throttled.
    public var clientPINFailureLimit = 10
    /// Repeated PIN lockouts double (2 × window, 4 × window, ...) up to this long.
    public var maxPINLockout: Duration = .seconds(86_400)
    /// Failed `auth` attempts from all addresses together within `authFailureWindow` before every address is held
    /// back; repeated global lockouts double up to `maxAuthLockout`.
    public var authGlobalFailureLimit = 200
    /// Repeated auth lockouts (per address and global) double up to this long.
    public var maxAuthLockout: Duration = .seconds(3600)
    /// Live sessions the bridge holds at most; a `join` over it is refused with `too_many_sessions`.
    public var maxSessions = 1000
    /// Live sessions one connection may have made at most.
    public var maxSessionsPerClient = 50
    /// Live sessions in one conference (alias, case-folded) at most.
    public var maxSessionsPerAlias = 100
    /// How long a session may wait in `pin_required`/`pin_optional` before it ends in `error`
    /// (`session_expired`); it holds nothing upstream meanwhile, but it holds memory and a PIN budget.
    public var pinStateTimeout: Duration = .seconds(300)
    /// The longest a graceful shutdown waits for sessions to be released upstream.
    public var shutdownTimeout: Duration = .seconds(5)

    public init() {}

    /// True when clients must authenticate.
    public var authRequired: Bool { !authTokens.isEmpty }
}
