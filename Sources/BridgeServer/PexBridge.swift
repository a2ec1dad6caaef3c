import BridgeCore
import BridgeProtocol
import Foundation
import InfinityClient
import InfinitySimulator
import Logging
import WebSocketTransport

/// Why the bridge could not start.
public enum BridgeStartError: Error, CustomStringConvertible, Sendable {
    case openToNetworkWithoutTokens(String)
    case transport(String)
    case simulator(String)

    public var description: String {
        switch self {
        case .openToNetworkWithoutTokens(let host):
            "refusing to listen on \(host) without authentication: anyone who can reach it could join and drive conferences. Add --token SECRET:controller (and observer tokens as needed), or listen on 127.0.0.1."
        case .transport(let why): "cannot start the WebSocket server: \(why)"
        case .simulator(let why): "cannot start the embedded simulator: \(why)"
        }
    }
}

/// A running bridge: the WebSocket server, the core, the upstream client and, optionally, the simulator.
public final class PexBridge: Sendable {
    public let configuration: ServerConfiguration
    public let engine: BridgeEngine
    public let simulator: InfinitySimulator?
    let server: WebSocketServer
    let client: InfinityClient
    let logger: Logger
    let metrics = BridgeMetrics()
    private let poller: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let pump: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let boundPort: Mutex<Int?> = Mutex(nil)
    private let stopped = Mutex(false)

    public init(configuration: ServerConfiguration, logger: Logger) throws(BridgeStartError) {
        if !configuration.isLoopback && !configuration.core.authRequired {
            throw .openToNetworkWithoutTokens(configuration.host)
        }
        self.configuration = configuration
        self.logger = logger
        var infinity = configuration.infinity
        let metrics = self.metrics
        infinity.requestObserver = { record in
            metrics.recordUpstream(endpoint: record.endpoint, outcome: record.outcome, duration: record.duration)
        }
        self.client = InfinityClient(configuration: infinity, logger: logger)
        self.simulator = configuration.simulate
            ? InfinitySimulator(configuration: configuration.simulator, logger: logger) : nil
        let transport = TransportConfiguration(
            host: configuration.host, port: configuration.port, webSocketPath: "/ws",
            subprotocol: ProtocolInfo.subprotocol, maxMessageBytes: configuration.maxMessageBytes,
            outboxLimitBytes: configuration.outboxLimitBytes, tls: configuration.tls,
            allowedOrigins: configuration.allowedOrigins, pingInterval: configuration.pingInterval,
            idleTimeout: configuration.idleTimeout, maxConnections: configuration.maxConnections,
            maxConnectionsPerAddress: configuration.maxConnectionsPerAddress,
            echoPath: configuration.echoEndpoint ? "/echo" : nil)
        let site = StaticSite(
            simulate: configuration.simulate, authRequired: configuration.core.authRequired,
            demoRooms: configuration.simulator.rooms, webRoot: configuration.webRoot, metrics: metrics)
        self.server = WebSocketServer(configuration: transport, logger: logger) { request in site.respond(to: request) }
        self.engine = BridgeEngine(
            configuration: configuration.core,
            upstream: InfinityUpstream(client: client, policy: configuration.connectionPolicy, logger: logger),
            sink: TransportSink(server: server), logger: logger)
    }

    /// Starts everything; returns the bound port. When a part cannot start, whatever did start is stopped
    /// (and the upstream client shut down) before the error is thrown, so a failed bridge holds nothing.
    @discardableResult
    public func start() async throws(BridgeStartError) -> Int {
        do {
            return try await startParts()
        } catch {
            await shutdown()
            throw error
        }
    }

    private func startParts() async throws(BridgeStartError) -> Int {
        if let simulator {
            let port: Int
            do {
                port = try await simulator.start()
            } catch {
                throw .simulator("\(error)")
            }
            var core = configuration.core
            core.embeddedNode = try? NodeAddress(parsing: "http://127.0.0.1:\(port)")
            await engine.setEmbeddedNode(core.embeddedNode)
        }
        let port: Int
        do {
            port = try server.start()
        } catch {
            throw .transport("\(error)")
        }
        boundPort.withLock { $0 = port }
        let engine = self.engine
        let events = server.events
        pump.withLock {
            $0 = Task {
                // The engine's upstream work runs as child tasks of `run()`; `shutdown()` ends it gracefully.
                async let engineRunning: Void = engine.run()
                for await event in events {
                    switch event {
                    case .opened(let id, let info): await engine.clientConnected(id.rawValue, peer: info.peerAddress)
                    case .text(let id, let bytes): await engine.receive(id.rawValue, text: bytes)
                    case .binary(let id): await engine.receiveBinary(id.rawValue)
                    case .closed(let id): await engine.clientDisconnected(id.rawValue)
                    }
                }
                await engineRunning
            }
        }
        let metrics = self.metrics
        let server = self.server
        poller.withLock {
            $0 = Task {
                while !Task.isCancelled {
                    metrics.update(engine: await engine.statistics, transport: server.stats())
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        logger.info("bridge listening", metadata: [
            "host": "\(configuration.host)", "port": "\(port)", "auth_required": "\(configuration.core.authRequired)",
            "tls": "\(configuration.tls != nil)",
        ])
        return port
    }

    /// The bound port, once started.
    public var port: Int? { boundPort.withLock { $0 } }

    /// The base URL of the embedded simulator, when running.
    public var simulatorURL: String? { simulator?.baseURL }

    /// Releases every session upstream, tells clients `bridge_shutdown`, closes every socket and stops.
    public func shutdown() async {
        guard stopped.withLock({ s in defer { s = true }; return !s }) else { return }
        poller.withLock { $0 }?.cancel()
        await engine.shutdown()
        await server.shutdown()
        pump.withLock { $0 }?.cancel()
        if let simulator { await simulator.stop() }
        try? await client.shutdown()
        logger.info("bridge stopped")
    }
}

import Synchronization

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
}
