import BridgeCore
import InfinityClient
import WebSocketTransport

/// Everything `pexbridge serve` can be told.
///
/// The initial values below are the defaults, defined here once: the CLI's help text and config-file handling
/// read them from ``defaults`` instead of repeating the numbers.
public struct ServerConfiguration: Sendable {
    /// The defaults, for help texts and documentation.
    public static let defaults = ServerConfiguration()

    /// Address to listen on; port 0 picks a free port.
    public var host = "127.0.0.1"
    public var port = 8080
    /// The conference node the composition root runs next to the bridge (the embedded simulator), if any.
    /// It answers to the node name `simulator` and is exempt from the insecure-node rule.
    public var embeddedNode: EmbeddedNode?
    /// The core's settings (auth tokens, insecure nodes, PIN attempts, replay depth).
    public var core = BridgeConfiguration()
    /// Upstream HTTP settings (timeouts, extra CA).
    public var infinity = InfinityClientConfiguration()
    /// Upstream token refresh and reconnect policy.
    public var connectionPolicy = ConnectionPolicy()
    /// WSS/HTTPS certificate and key.
    public var tls: TLSFiles?
    /// Browser origins allowed to open the WebSocket besides the bridge's own page (`*`: any).
    public var allowedOrigins: [String] = []
    /// Largest accepted client message.
    public var maxMessageBytes = 64 * 1024
    /// Largest per-client backlog of unsent bytes before the client is dropped as too slow.
    public var outboxLimitBytes = 1 << 20
    /// How long a client closed as too slow has to answer the close before its socket goes (seconds).
    public var slowConsumerGraceSeconds: Int32 = TransportConfiguration.defaultSlowConsumerGraceSeconds
    /// WebSocket keepalive: ping idle clients this often, and drop them after `idleTimeout` of silence.
    public var pingInterval: Duration? = .seconds(20)
    public var idleTimeout: Duration? = .seconds(60)
    /// Connection limits.
    public var maxConnections = 20_000
    public var maxConnectionsPerAddress = 1000
    /// Serve the test-only echo endpoint `/echo` (WebSocket conformance runs): loopback and token-less only.
    public var echoEndpoint = false
    /// Let a listener reachable from other machines run without TLS (tokens and PINs then cross the network in
    /// clear). Off: such a listener is refused at start.
    public var allowPlaintext = false
    /// Conference nodes (`host` or `host:port`) the bridge may call although their address is loopback, link-local,
    /// private or a metadata service (`--allow-node`). Loopback nodes are also allowed by `allowInsecureNodes`; the
    /// embedded simulator always is.
    public var allowedNodes: [String] = []
    /// Reverse proxies whose forwarding headers name the real client address (`--trusted-proxy`).
    public var trustedProxies: [CIDR] = []
    /// Serve `/metrics` to every peer. Off: only to loopback peers (figures about sessions and clients are not
    /// for whoever reaches the port).
    public var metricsPublic = false
    /// Development: serve the web page from this directory instead of the built-in copy.
    public var webRoot: String?

    public init() {}

    /// True when the listen address is reachable only from this machine.
    public var isLoopback: Bool {
        OriginPolicy.isLoopbackAddress(host)
    }

    /// Why this configuration must not start, if it must not: the combinations that would hand the bridge to
    /// someone it was not meant for. Checked by ``PexBridge/init(configuration:logger:metrics:)``.
    public var refusal: BridgeStartError? {
        if !isLoopback && !core.authRequired { return .openToNetworkWithoutTokens(host) }
        if !isLoopback && tls == nil && !allowPlaintext { return .plaintextOnNetwork(host) }
        // `*` hands the bridge to every site the user visits. A named origin is the operator's explicit choice
        // (a front end in development on localhost:3000, a dashboard's site) and stays allowed without tokens.
        if allowedOrigins.contains("*") && !core.authRequired { return .originsWithoutTokens(allowedOrigins) }
        if echoEndpoint && (!isLoopback || core.authRequired) { return .echoEndpointInProduction }
        return nil
    }
}

/// The embedded conference node as the bridge sees it: where it listens and which demo rooms it offers
/// (shown on `/bridge.json` for the page's room picker). The bridge does not run it; the composition root does.
public struct EmbeddedNode: Sendable {
    /// One demo room, without its PINs.
    public struct DemoRoom: Sendable {
        public enum Access: String, Sendable {
            case open
            case pinOptional = "pin_optional"
            case pinRequired = "pin_required"
            /// A Virtual Reception: the target conference is asked for.
            case reception
            /// Behind an identity provider: sign-in first.
            case sso
        }

        public var alias: String
        public var name: String
        public var access: Access

        /// - Parameters:
        ///   - alias: The conference alias to join.
        ///   - name: The room's display name.
        ///   - access: Whether a PIN is asked for.
        public init(alias: String, name: String, access: Access) {
            self.alias = alias
            self.name = name
            self.access = access
        }
    }

    public var address: NodeAddress
    public var demoRooms: [DemoRoom]

    /// - Parameters:
    ///   - address: The node's base address (plain HTTP on loopback).
    ///   - demoRooms: The rooms the page offers.
    public init(address: NodeAddress, demoRooms: [DemoRoom] = []) {
        self.address = address
        self.demoRooms = demoRooms
    }
}
