import ArgumentParser
import BridgeCore
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Logging
import WebSocketTransport

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the bridge: WebSocket and web page on one port.",
        discussion: """
            Every option can also come from a JSON file given with --config (keys are the option names \
            in snake_case, e.g. "listen", "token_file", "allow_origin": [...]); options on the command line win.
            """)

    @Option(help: "A JSON configuration file with the same settings as these options.")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT; port 0 picks a free one. (default: 127.0.0.1:8080)")
    var listen: ListenAddress?

    @Flag(inversion: .prefixedNo, help: "Also run the embedded conference-node simulator with demo rooms (node name: simulator).")
    var simulate: Bool?

    @Flag(inversion: .prefixedNo, help: "With --simulate: scripted participants in the demo rooms mute, present, chat, come and go. (default: on)")
    var demoActivity: Bool?

    @Flag(inversion: .prefixedNo, help: "Allow conference nodes reached over plain HTTP.")
    var allowInsecureNodes: Bool?

    @Option(name: .customLong("token"), help: ArgumentHelp(
        "A client secret and its role, SECRET:controller or SECRET:observer (repeatable). Prefer --token-file or PEXBRIDGE_TOKENS so secrets stay out of ps.",
        valueName: "SECRET:ROLE"))
    var tokens: [String] = []

    @Option(help: "A file with one SECRET:ROLE per line (# comments allowed).")
    var tokenFile: String?

    @Option(help: "Certificate chain (PEM) for WSS/HTTPS.")
    var tlsCert: String?

    @Option(help: "Private key (PEM) for WSS/HTTPS.")
    var tlsKey: String?

    @Option(name: .customLong("allow-origin"), help: "A browser Origin (scheme://host[:port]) allowed to open the WebSocket besides the bridge's own page (repeatable; * allows any). (default: the bridge's own page only)")
    var allowedOrigins: [String] = []

    @Option(help: "Extra CA certificates (PEM) to trust for conference nodes with a private PKI.")
    var nodeCaFile: String?

    @Option(help: "Largest accepted client message in bytes. (default: 65536)")
    var maxMessageBytes: Int?

    @Option(help: "Wrong PINs in a row before a session is closed. (default: 5)")
    var pinAttempts: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    var logLevel: Logger.Level?

    @Option(help: "Most WebSocket connections in total. (default: 20000)")
    var maxConnections: Int?

    @Option(help: "Most WebSocket connections from one address. (default: 1000)")
    var maxConnectionsPerAddress: Int?

    @Option(help: "Seconds between keepalive pings to an idle client; 0 turns them off. (default: 20)")
    var pingInterval: Int?

    @Option(help: "Seconds without a pong or any traffic before a client is dropped. (default: 60)")
    var idleTimeout: Int?

    @Option(help: "Bytes of unsent frames a client may have queued before it is closed as too slow. (default: 1048576)")
    var outboxLimitBytes: Int?

    @Option(help: "Requests per second one connection may send on average. (default: 20)")
    var requestRate: Double?

    @Option(help: "Events kept per session for resuming clients (subscribe with since_seq). (default: 512)")
    var replayDepth: Int?

    @Option(help: "Seconds an upstream event stream may stay silent (no event, no keepalive) before it is reopened; 0 waits forever. (default: 120)")
    var upstreamIdleTimeout: Int?

    @Flag(help: "Serve a WebSocket echo endpoint at /echo (for conformance test runs only).")
    var echoEndpoint = false

    @Option(help: ArgumentHelp("Development: serve the web page from this directory.", visibility: .hidden))
    var webRoot: String?

    func run() async throws {
        let file = try config.map(ConfigFile.load) ?? ConfigFile()
        let fileLevel = try file.log_level.map {
            guard let level = Logger.Level(rawValue: $0) else {
                throw ValidationError("config: log_level must be one of trace, debug, info, notice, warning, error, critical")
            }
            return level
        }
        let level = logLevel ?? fileLevel ?? .info
        let logger = bootstrapLogging(level: level)
        let settings = try settings(file)
        FileLimit.prepare(forConnections: settings.maxConnections, logger: logger)
        let bridge: PexBridge
        let port: Int
        do {
            bridge = try PexBridge(configuration: settings, logger: logger)
            port = try await bridge.start()
        } catch {
            FileHandle.standardError.write(Data("pexbridge: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let address = ListenAddress.display(host: settings.host, port: port)
        var lines = ["listening on \(address)"]
        if let url = bridge.simulatorURL {
            lines.append("simulator: node \"simulator\" (\(url)); control API: \(url)/_simulator/rooms; demo rooms:")
            for room in settings.simulator.rooms {
                lines.append("  \(room.alias.padding(toLength: 14, withPad: " ", startingAt: 0)) \(room.demoSummary)")
            }
        }
        lines.append("web page: \(settings.tls == nil ? "http" : "https")://\(address)/")
        printLine(lines.joined(separator: "\n"))

        let signal = await SignalWaiter.wait()
        logger.notice("shutting down", metadata: ["signal": "\(signal)"])
        await bridge.shutdown()
    }

    /// The server's settings: command line first, then the config file, then defaults.
    func settings(_ file: ConfigFile) throws -> ServerConfiguration {
        var c = ServerConfiguration()
        let address = try listen ?? file.listen.map {
            guard let a = ListenAddress(argument: $0) else { throw ValidationError("config: listen must be HOST:PORT") }
            return a
        } ?? ListenAddress(host: "127.0.0.1", port: 8080)
        c.host = address.host
        c.port = address.port
        c.simulate = simulate ?? file.simulate ?? false
        c.simulator.demoActivity = demoActivity ?? file.demo_activity ?? true
        c.core.allowInsecureNodes = allowInsecureNodes ?? file.allow_insecure_nodes ?? false
        c.core.maxPINAttempts = pinAttempts ?? file.pin_attempts ?? 5
        c.core.authTokens = try TokenList.load(
            arguments: tokens.isEmpty ? (file.tokens ?? []) : tokens, file: tokenFile ?? file.token_file,
            environment: ProcessInfo.processInfo.environment["PEXBRIDGE_TOKENS"])
        c.core.requestRate = requestRate ?? file.request_rate ?? 20
        c.core.requestBurst = max(10, c.core.requestRate * 3)
        c.core.replayDepth = replayDepth ?? file.replay_depth ?? 512
        c.allowedOrigins = allowedOrigins.isEmpty ? (file.allow_origin ?? []) : allowedOrigins
        c.maxMessageBytes = maxMessageBytes ?? file.max_message_bytes ?? 64 * 1024
        c.maxConnections = maxConnections ?? file.max_connections ?? 20_000
        c.maxConnectionsPerAddress = maxConnectionsPerAddress ?? file.max_connections_per_address ?? 1000
        let ping = pingInterval ?? file.ping_interval ?? 20
        c.pingInterval = ping > 0 ? .seconds(ping) : nil
        let idle = idleTimeout ?? file.idle_timeout ?? 60
        c.idleTimeout = idle > 0 ? .seconds(idle) : nil
        c.outboxLimitBytes = outboxLimitBytes ?? file.outbox_limit_bytes ?? 1 << 20
        c.echoEndpoint = echoEndpoint || (file.echo_endpoint ?? false)
        c.webRoot = webRoot
        c.infinity.trustRootsPEMFile = nodeCaFile ?? file.node_ca_file
        if let upstreamIdle = upstreamIdleTimeout ?? file.upstream_idle_timeout {
            c.infinity.eventStreamIdleTimeout = upstreamIdle > 0 ? .seconds(upstreamIdle) : nil
        }
        let cert = tlsCert ?? file.tls_cert
        let key = tlsKey ?? file.tls_key
        if (cert == nil) != (key == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let cert, let key { c.tls = TLSFiles(certificatePath: cert, privateKeyPath: key) }
        guard c.maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        guard c.core.maxPINAttempts >= 1 else { throw ValidationError("--pin-attempts must be at least 1") }
        guard c.core.requestRate > 0 else { throw ValidationError("--request-rate must be positive") }
        return c
    }
}

/// `pexbridge serve --config FILE`: the same settings as the options, in JSON.
struct ConfigFile: Decodable {
    var listen: String?
    var simulate: Bool?
    var demo_activity: Bool?
    var allow_insecure_nodes: Bool?
    var tokens: [String]?
    var token_file: String?
    var tls_cert: String?
    var tls_key: String?
    var allow_origin: [String]?
    var node_ca_file: String?
    var max_message_bytes: Int?
    var pin_attempts: Int?
    var log_level: String?
    var max_connections: Int?
    var max_connections_per_address: Int?
    var ping_interval: Int?
    var idle_timeout: Int?
    var outbox_limit_bytes: Int?
    var request_rate: Double?
    var replay_depth: Int?
    var upstream_idle_timeout: Int?
    var echo_endpoint: Bool?

    init() {}

    static func load(_ path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read --config \(path)")
        }
        // Unknown keys are mistakes (a typo would silently fall back to a default): refuse them.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let known = Set(Mirror(reflecting: ConfigFile()).children.compactMap(\.label))
            let unknown = object.keys.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty { throw ValidationError("config: unknown setting(s) \(unknown.joined(separator: ", "))") }
        }
        do {
            return try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch {
            throw ValidationError("config: \(path) is not valid: \(error)")
        }
    }
}

extension SimulatedRoom {
    /// One line for people; the simulator's demo PINs are the only PINs the bridge ever prints.
    var demoSummary: String {
        var parts: [String] = []
        switch (hostPIN, guestPIN) {
        case (nil, _): parts.append("open, no PIN")
        case (let host?, let guest?): parts.append("host PIN \(host), guest PIN \(guest)")
        case (let host?, nil): parts.append("host PIN \(host), guests join without PIN")
        }
        if guestsWaitForHost { parts.append("guests wait for a host") }
        if locked { parts.append("locked") }
        return parts.joined(separator: "; ")
    }
}
