/// Everything the transport needs to listen: address, paths, limits, TLS, keepalive.
public struct TransportConfiguration: Sendable {
    /// Bind address: an IPv4 or IPv6 literal ("127.0.0.1", "0.0.0.0", "::") or an interface name.
    public var host: String
    /// Listen port; 0 picks a free one (``WebSocketServer/start()`` returns it).
    public var port: Int
    /// The one path that upgrades to the bridge's WebSocket protocol.
    public var webSocketPath: String
    /// Subprotocol accepted and echoed when a client offers it; clients offering none are accepted too.
    public var subprotocol: String
    /// Largest (reassembled) incoming message; a bigger one closes the connection with 1009.
    public var maxMessageBytes: Int
    /// Largest amount of queued, unsent bytes per connection; more closes it with 1008 "slow consumer".
    public var outboxLimitBytes: Int
    /// Seconds a slow consumer gets to make room in its socket for the 1008 close frame before it is dropped
    /// without it. Once the frame is in the socket, lws gives the peer a fixed 5 s to answer it and then closes
    /// the socket; the kernel still delivers what was queued, but answers anything the peer sends after that with
    /// a reset.
    public var slowConsumerGraceSeconds: Int32 = Self.defaultSlowConsumerGraceSeconds
    /// The default of ``slowConsumerGraceSeconds``.
    public static let defaultSlowConsumerGraceSeconds: Int32 = 5
    /// When set, the port speaks only TLS (WSS and HTTPS).
    public var tls: TLSFiles?
    /// Browser origins allowed to upgrade besides the bridge's own page; `*` allows any (see ``OriginPolicy``).
    /// A refused browser Origin gets HTTP 403; non-browser clients (no Origin, or a ws/wss one) are not checked.
    public var allowedOrigins: [String]
    /// Idle time after which the server pings a client; nil disables pings.
    public var pingInterval: Duration?
    /// Time without a pong (after a ping) after which a client is dropped; nil disables the check.
    public var idleTimeout: Duration?
    /// Most open WebSocket connections; further upgrades get HTTP 503.
    public var maxConnections: Int
    /// Most open WebSocket connections from one peer address; further upgrades get HTTP 503.
    public var maxConnectionsPerAddress: Int
    /// Test-only echo endpoint (for Autobahn): echoes text and binary messages up to 16 MiB, emits no events.
    public var echoPath: String?
    /// Unconsumed messages of one connection: its reads pause at `high` and resume at `low`.
    public var perConnectionBacklog: InboundWatermarks
    /// Unconsumed messages of all connections together: past `high`, every connection that delivers a message
    /// pauses, until the total is back at `low`.
    public var totalBacklog: InboundWatermarks
    /// Incoming message rate per connection, charged before a message is queued; nil: unlimited.
    public var messageRate: MessageRateLimit?
    /// Treat every connection as authenticated from its upgrade (no pre-auth limits); set when the bridge requires
    /// no tokens. Otherwise the core calls ``WebSocketServer/promote(_:)`` after a good `auth`.
    public var promoteOnOpen: Bool
    /// Most open connections not yet promoted; further upgrades get HTTP 503.
    public var maxUnauthenticatedConnections: Int
    /// Most open connections not yet promoted from one peer address; further upgrades get HTTP 503.
    public var maxUnauthenticatedConnectionsPerAddress: Int
    /// Largest incoming message before promotion (an `auth` request is small); bigger closes with 1009.
    public var unauthenticatedMaxMessageBytes: Int
    /// HTTP methods passed to the handler; any other is answered 405 as soon as its headers are read.
    public var httpMethods: Set<String>
    /// Largest declared request body; a bigger Content-Length is answered 413 as soon as the headers are read.
    public var maxRequestBodyBytes: Int
    /// Most TCP connections from one peer address that are not (yet) WebSocket connections (plain HTTP, or an
    /// upgrade in progress); more are closed at accept. Trusted proxies are exempt.
    public var maxHTTPConnectionsPerAddress: Int
    /// Refuse (403) requests that carry `Forwarded`, `X-Forwarded-For` or `X-Real-IP`: set when the bridge
    /// requires no tokens, so that a reverse proxy cannot make a loopback-only bridge public.
    public var refuseProxiedRequests: Bool
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` / `X-Real-IP` name the real client; the peer address
    /// given to the core (``ConnectionInfo/peerAddress``, ``HTTPRequest/peerAddress``) is that client's.
    public var trustedProxies: [CIDR]

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        webSocketPath: String = "/ws",
        subprotocol: String = "pexbridge.v1",
        maxMessageBytes: Int = 64 * 1024,
        outboxLimitBytes: Int = 1 << 20,
        tls: TLSFiles? = nil,
        allowedOrigins: [String] = [],
        pingInterval: Duration? = .seconds(20),
        idleTimeout: Duration? = .seconds(60),
        maxConnections: Int = 20_000,
        maxConnectionsPerAddress: Int = 20_000,
        echoPath: String? = nil,
        perConnectionBacklog: InboundWatermarks = .init(low: 4, high: 16),
        totalBacklog: InboundWatermarks = .init(low: 1024, high: 4096),
        messageRate: MessageRateLimit? = .init(perSecond: 100, burst: 200, closeAfter: .seconds(30)),
        promoteOnOpen: Bool = false,
        maxUnauthenticatedConnections: Int = 1_000,
        maxUnauthenticatedConnectionsPerAddress: Int = 32,
        unauthenticatedMaxMessageBytes: Int = 4 * 1024,
        httpMethods: Set<String> = ["GET", "HEAD"],
        maxRequestBodyBytes: Int = HTTPRequest.maxBodyBytes,
        maxHTTPConnectionsPerAddress: Int = 256,
        refuseProxiedRequests: Bool = false,
        trustedProxies: [CIDR] = []
    ) {
        self.host = host
        self.port = port
        self.webSocketPath = webSocketPath
        self.subprotocol = subprotocol
        self.maxMessageBytes = maxMessageBytes
        self.outboxLimitBytes = outboxLimitBytes
        self.tls = tls
        self.allowedOrigins = allowedOrigins
        self.pingInterval = pingInterval
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.echoPath = echoPath
        self.perConnectionBacklog = perConnectionBacklog
        self.totalBacklog = totalBacklog
        self.messageRate = messageRate
        self.promoteOnOpen = promoteOnOpen
        self.maxUnauthenticatedConnections = maxUnauthenticatedConnections
        self.maxUnauthenticatedConnectionsPerAddress = maxUnauthenticatedConnectionsPerAddress
        self.unauthenticatedMaxMessageBytes = unauthenticatedMaxMessageBytes
        self.httpMethods = httpMethods
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxHTTPConnectionsPerAddress = maxHTTPConnectionsPerAddress
        self.refuseProxiedRequests = refuseProxiedRequests
        self.trustedProxies = trustedProxies
    }
}

extension TransportConfiguration {
    /// Largest message the echo endpoint accepts.
    static let echoMaxMessageBytes = 16 << 20
    /// Outbox bound of an echo connection (Autobahn pushes many large messages at once).
    static let echoOutboxLimitBytes = 64 << 20
    /// Largest single frame let through an empty outbox even when it is over ``outboxLimitBytes``.
    public static let oversizeFrameHardCapBytes = 16 << 20

    /// Throws when a value cannot work.
    func validate() throws(TransportError) {
        guard (0...65_535).contains(port) else { throw .invalidConfiguration("port \(port) out of range") }
        guard webSocketPath.hasPrefix("/") else { throw .invalidConfiguration("webSocketPath must start with /") }
        if let echoPath {
            guard echoPath.hasPrefix("/"), echoPath != webSocketPath else {
                throw .invalidConfiguration("echoPath must start with / and differ from webSocketPath")
            }
            // A test endpoint with big limits and no authentication: never reachable from another machine.
            guard isLoopback else { throw .invalidConfiguration("echoPath needs a loopback listener") }
        }
        guard !subprotocol.isEmpty, subprotocol.utf8.count < 64,
            subprotocol.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") })
        else { throw .invalidConfiguration("subprotocol must be a short token") }
        guard maxMessageBytes > 0 else { throw .invalidConfiguration("maxMessageBytes must be positive") }
        guard outboxLimitBytes > 0 else { throw .invalidConfiguration("outboxLimitBytes must be positive") }
        guard maxConnections > 0, maxConnectionsPerAddress > 0 else {
            throw .invalidConfiguration("connection limits must be positive")
        }
        if let pingInterval, pingInterval < .seconds(1) {
            throw .invalidConfiguration("pingInterval must be at least 1 s")
        }
        if let idleTimeout, idleTimeout < .seconds(1) {
            throw .invalidConfiguration("idleTimeout must be at least 1 s")
        }
        guard maxUnauthenticatedConnections > 0, maxUnauthenticatedConnectionsPerAddress > 0,
            unauthenticatedMaxMessageBytes > 0, maxHTTPConnectionsPerAddress > 0, maxRequestBodyBytes >= 0
        else { throw .invalidConfiguration("pre-auth and HTTP limits must be positive") }
        guard httpMethods.isSubset(of: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            httpMethods.contains("GET")
        else { throw .invalidConfiguration("httpMethods must include GET and name only standard methods") }
        _ = try OriginPolicy(allowed: allowedOrigins, loopbackListener: isLoopback)
        guard perConnectionBacklog.isValid, totalBacklog.isValid else {
            throw .invalidConfiguration("backlog watermarks need 0 <= low < high")
        }
        if let messageRate {
            guard messageRate.perSecond > 0, messageRate.perSecond.isFinite, messageRate.burst >= 1 else {
                throw .invalidConfiguration("messageRate needs a positive rate and a burst of at least 1")
            }
            if let closeAfter = messageRate.closeAfter, closeAfter <= .zero {
                throw .invalidConfiguration("messageRate.closeAfter must be positive")
            }
        }
    }
}

extension TransportConfiguration {
    /// True when the bind address is reachable only from this machine (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        OriginPolicy.isLoopbackAddress(host)
    }

    /// True when ``allowedOrigins`` lets every web page open the WebSocket (`*`): a bridge without tokens must
    /// refuse to start so.
    public var allowsAnyOrigin: Bool {
        allowedOrigins.contains("*")
    }
}
