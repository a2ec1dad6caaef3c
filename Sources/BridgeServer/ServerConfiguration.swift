import BridgeCore
import InfinityClient
import InfinitySimulator
import WebSocketTransport

/// Everything `pexbridge serve` can be told.
public struct ServerConfiguration: Sendable {
    /// Address to listen on; port 0 picks a free port.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Start the embedded simulator (and make it the node `simulator`).
    public var simulate = false
    /// The simulator's rooms and behaviour when `simulate` is on.
    public var simulator = SimulatorConfiguration.demo()
    /// The core's settings (auth tokens, insecure nodes, PIN attempts, replay depth).
    public var core = BridgeConfiguration()
    /// Upstream HTTP settings (timeouts, extra CA).
    public var infinity = InfinityClientConfiguration()
    /// Upstream token refresh and reconnect policy.
    public var connectionPolicy = ConnectionPolicy()
    /// WSS/HTTPS certificate and key.
    public var tls: TLSFiles?
    /// Browser origins allowed to open the WebSocket (empty: any).
    public var allowedOrigins: [String] = []
    /// Largest accepted client message.
    public var maxMessageBytes = 64 * 1024
    /// Largest per-client backlog of unsent bytes before the client is dropped as too slow.
    public var outboxLimitBytes = 1 << 20
    /// WebSocket keepalive: ping idle clients this often, and drop them after `idleTimeout` of silence.
    public var pingInterval: Duration? = .seconds(20)
    public var idleTimeout: Duration? = .seconds(60)
    /// Connection limits.
    public var maxConnections = 20_000
    public var maxConnectionsPerAddress = 1000
    /// Serve the test-only echo endpoint `/echo` (WebSocket conformance runs).
    public var echoEndpoint = false
    /// Development: serve the web page from this directory instead of the built-in copy.
    public var webRoot: String?

    public init() {}

    /// True when the listen address is reachable only from this machine.
    public var isLoopback: Bool {
        OriginPolicy.isLoopbackAddress(host)
    }
}

import Foundation
