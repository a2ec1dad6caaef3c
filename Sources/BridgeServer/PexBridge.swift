import BridgeCore
import BridgeProtocol
import InfinityClient
import Locking
import Logging
import Prometheus
import ServiceLifecycle
import WebSocketTransport

/// Why the bridge could not start.
public enum BridgeStartError: Error, CustomStringConvertible, Sendable {
    /// A listener other machines can reach, without tokens.
    case openToNetworkWithoutTokens(String)
    /// A listener other machines can reach, without TLS and without `allowPlaintext`.
    case plaintextOnNetwork(String)
    /// Browser origins besides the bridge's own page, without tokens: every page the user visits on those
    /// origins (any, for `*`) could drive the bridge.
    case originsWithoutTokens([String])
    /// The echo endpoint (no auth, large limits) on a listener others can reach or next to tokens.
    case echoEndpointInProduction
    case transport(String)

    public var description: String {
        switch self {
        case .openToNetworkWithoutTokens(let host):
            "refusing to listen on \(host) without authentication: anyone who can reach it could join and drive "
                + "conferences. Add --token SECRET:controller (and observer tokens as needed), or listen on 127.0.0.1."
        case .plaintextOnNetwork(let host):
            "refusing to listen on \(host) without TLS: client tokens and conference PINs would cross the network in "
                + "clear. Add --tls-cert and --tls-key, put a TLS proxy in front and listen on 127.0.0.1, or "
                + "accept the risk with --allow-plaintext."
        case .originsWithoutTokens(let origins):
            "refusing --allow-origin \(origins.joined(separator: " ")) without authentication: every web page on "
                + "\(origins.contains("*") ? "any site" : "those origins") the user opens could drive the bridge. "
                + "Add --token SECRET:controller, or drop --allow-origin (the bridge's own page is always allowed)."
        case .echoEndpointInProduction:
            "refusing --echo-endpoint: it is for conformance runs on a loopback bridge without tokens only."
        case .transport(let why): "cannot start the WebSocket server: \(why)"
        }
    }
}

/// The bridge: the WebSocket server, the core and the upstream client, as services for a `ServiceGroup`.
///
/// The composition root (the `serve` command, the tests' harness) decides what else runs (the embedded
/// simulator) and owns the group:
///
/// ```swift
/// let bridge = try PexBridge(configuration: configuration, logger: logger)
/// let port = try await bridge.bind()
/// let group = ServiceGroup(configuration: .init(services: bridge.services, logger: logger))
/// try await group.run()
/// ```
///
/// Binding before the group runs makes the port known (and a busy port an error) before anything is announced.
/// A bridge whose ``bind()`` failed holds nothing; a bound bridge must have its ``services`` run.
public final class PexBridge: Sendable {
    public let configuration: ServerConfiguration
    public let engine: BridgeEngine
    let server: WebSocketServer
    let client: InfinityClient
    let logger: Logger
    let metrics: BridgeMetrics
    private let boundPort = Mutex<Int?>(nil)

    /// Builds the parts; nothing listens or connects until ``bind()`` and the ``services`` run.
    ///
    /// - Parameters:
    ///   - configuration: What to serve and how; `embeddedNode` names a node the caller runs alongside.
    ///   - logger: Where every part logs.
    ///   - metrics: The registry `/metrics` shows and the parts record into; a fresh one when not given, so
    ///     bridges in one process do not share figures.
    /// - Throws: ``ServerConfiguration/refusal`` when the configuration must not start.
    public init(
        configuration: ServerConfiguration,
        logger: Logger,
        metrics registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) throws(BridgeStartError) {
        if let refusal = configuration.refusal { throw refusal }
        self.configuration = configuration
        self.logger = logger
        let metrics = BridgeMetrics(registry: registry)
        self.metrics = metrics
        var infinity = configuration.infinity
        // Nodes on loopback, link-local, private and metadata addresses are refused before anything is sent
        // (a controller could otherwise scan the bridge's network), unless allowed: loopback by the development
        // switch, any by --allow-node, the embedded simulator always.
        infinity.nodePolicy = NodeAddressPolicy(
            allowLoopback: configuration.core.allowInsecureNodes,
            allowedNodes: configuration.allowedNodes,
            exemptNodes: configuration.embeddedNode.map { [$0.address] } ?? []
        )
        infinity.requestObserver = { record in
            metrics.recordUpstream(endpoint: record.endpoint, outcome: record.outcome, duration: record.duration)
        }
        self.client = InfinityClient(configuration: infinity, logger: logger)
        var transport = TransportConfiguration(
            host: configuration.host,
            port: configuration.port,
            webSocketPath: "/ws",
            subprotocol: ProtocolInfo.subprotocol,
            maxMessageBytes: configuration.maxMessageBytes,
            outboxLimitBytes: configuration.outboxLimitBytes,
            tls: configuration.tls,
            allowedOrigins: configuration.allowedOrigins,
            pingInterval: configuration.pingInterval,
            idleTimeout: configuration.idleTimeout,
            maxConnections: configuration.maxConnections,
            maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
            echoPath: configuration.echoEndpoint ? "/echo" : nil
        )
        // Without tokens every client is a controller from the start (nothing to promote), and the bridge must
        // not be reachable through a proxy: the loopback-only promise holds only for direct connections.
        transport.promoteOnOpen = !configuration.core.authRequired
        transport.refuseProxiedRequests = !configuration.core.authRequired
        transport.trustedProxies = configuration.trustedProxies
        // Connections still in their HTTP phase (page loads, upgrades in progress) per address: as many as the
        // address may hold WebSockets, so a burst of observers from one host (a NAT, a load test) is not cut at
        // accept while a single address still cannot hold an unbounded number of sockets.
        transport.maxHTTPConnectionsPerAddress = configuration.maxConnectionsPerAddress
        transport.slowConsumerGraceSeconds = configuration.slowConsumerGraceSeconds
        let storeHealth = StoreHealthBoard()
        let site = StaticSite(
            embeddedNode: configuration.embeddedNode,
            authRequired: configuration.core.authRequired,
            webRoot: configuration.webRoot,
            metrics: metrics,
            metricsPublic: configuration.metricsPublic,
            storeHealth: storeHealth
        )
        let server = WebSocketServer(configuration: transport, logger: logger) { request in site.respond(to: request) }
        self.server = server
        metrics.readTransport { server.stats() }
        var core = configuration.core
        if let embedded = configuration.embeddedNode { core.embeddedNode = embedded.address }
        self.engine = BridgeEngine(
            configuration: core,
            upstream: InfinityUpstream(client: client, policy: configuration.connectionPolicy, logger: logger),
            sink: TransportSink(server: server),
            logger: logger,
            metricsFactory: metrics.factory,
            storeHealth: storeHealth
        )
    }

    /// Binds the listener and returns the bound port. When it cannot, the upstream client is shut down before
    /// the error is thrown, so a bridge that failed to bind holds nothing and can be dropped.
    @discardableResult
    public func bind() async throws(BridgeStartError) -> Int {
        do {
            let port = try server.start()
            boundPort.withLock { $0 = port }
            logger.info(
                "bridge listening",
                metadata: [
                    "host": "\(configuration.host)", "port": "\(port)",
                    "auth_required": "\(configuration.core.authRequired)", "tls": "\(configuration.tls != nil)",
                ]
            )
            return port
        } catch {
            try? await client.shutdown()
            throw .transport("\(error)")
        }
    }

    /// The bound port, once bound.
    public var port: Int? { boundPort.withLock { $0 } }

    /// The bridge's services in start order (each describes itself by name only: a `ServiceGroup` logs them).
    ///
    /// A `ServiceGroup` shuts them down in reverse: the engine first (it tells every client `bridge_shutdown` and
    /// releases every session upstream while the rest still runs), then the pump, then the upstream client, and
    /// last the transport (queued frames flushed, sockets closed).
    public var services: [any Service] {
        [
            server,
            UpstreamClientService(client: client),
            TransportPump(events: server.events, engine: engine),
            engine,
        ]
    }
}

/// Hands the transport's events to the engine, in order, until graceful shutdown or the transport ends.
struct TransportPump: Service, CustomStringConvertible {
    let events: TransportEvents
    let engine: BridgeEngine
    var description: String { "TransportPump" }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await event in events {
                switch event {
                case .opened(let id, let info): await engine.clientConnected(id.rawValue, peer: info.peerAddress)
                case .text(let id, let bytes): await engine.receive(id.rawValue, text: bytes)
                case .binary(let id): await engine.receiveBinary(id.rawValue)
                case .closed(let id): await engine.clientDisconnected(id.rawValue)
                }
            }
        }
    }
}

/// Owns the upstream HTTP client's lifetime: shut down once the engine (which releases sessions through it)
/// has stopped.
struct UpstreamClientService: Service, CustomStringConvertible {
    let client: InfinityClient
    var description: String { "UpstreamClient" }

    func run() async throws {
        try? await gracefulShutdown()
        try? await client.shutdown()
    }
}

/// Hands the core's frames to the transport, one shared frame per fan-out.
struct TransportSink: ClientSink {
    let server: WebSocketServer

    func send(_ frame: [UInt8], to clients: [ClientID]) {
        let outbound = OutboundFrame(frame)
        if clients.count == 1 {
            server.send(outbound, to: ConnectionID(rawValue: clients[0]))
        } else {
            server.send(outbound, to: clients.map { ConnectionID(rawValue: $0) })
        }
    }

    func close(_ client: ClientID, code: UInt16, reason: String) {
        server.close(ConnectionID(rawValue: client), code: code, reason: reason)
    }

    func promote(_ client: ClientID) {
        server.promote(ConnectionID(rawValue: client))
    }
}
