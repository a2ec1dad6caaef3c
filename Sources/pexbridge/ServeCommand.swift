import ArgumentParser
import BridgeCore
import BridgeProtocol
import BridgeServer
import Foundation
import InfinityClient
import InfinitySimulator
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import WebSocketTransport

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the bridge: WebSocket and web page on one port.",
        discussion: """
            Every option can also come from a JSON file given with --config (keys are the option names \
            in snake_case, e.g. "listen", "token_file", "allow_origin": [...]); options on the command line win.
            """
    )

    /// The defaults, defined once in `ServerConfiguration` and the types it holds; help texts quote them.
    private static let defaults = ServerConfiguration.defaults
    private static let defaultListen = ListenAddress(host: defaults.host, port: defaults.port)
    /// The longest a graceful shutdown may take before the rest is cancelled.
    static let shutdownCeiling: Duration = .seconds(30)
    /// The demo rooms' activity when `--simulate` runs them, unless told otherwise.
    static let defaultDemoActivity = true

    @Option(help: "A JSON configuration file with the same settings as these options.")
    var config: String?

    @Option(help: "Address to listen on, HOST:PORT; port 0 picks a free one. (default: \(defaultListen))")
    var listen: ListenAddress?

    @Flag(
        inversion: .prefixedNo,
        help: "Also run the embedded conference-node simulator with demo rooms (node name: simulator)."
    )
    var simulate: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: """
            With --simulate: scripted participants in the demo rooms mute, present, chat, come and go. \
            (default: \(defaultDemoActivity ? "on" : "off"))
            """
    )
    var demoActivity: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "Allow conference nodes reached over plain HTTP, and nodes on loopback addresses (development)."
    )
    var allowInsecureNodes: Bool?

    @Option(
        name: .customLong("allow-node"),
        help: ArgumentHelp(
            """
            A conference node the bridge may call although its address is loopback, link-local, private or a \
            metadata service (repeatable). (default: none: such nodes are refused before anything is sent)
            """,
            valueName: "HOST[:PORT]"
        )
    )
    var allowedNodes: [String] = []

    @Option(
        name: .customLong("trusted-proxy"),
        help: ArgumentHelp(
            """
            A reverse proxy's address range whose X-Forwarded-For / Forwarded names the real client (repeatable). \
            (default: none: without tokens, proxied requests are refused)
            """,
            valueName: "CIDR"
        )
    )
    var trustedProxies: [String] = []

    @Option(
        name: .customLong("token"),
        help: ArgumentHelp(
            """
            A client secret and its role, SECRET:controller or SECRET:observer (repeatable). \
            Prefer --token-file or PEXBRIDGE_TOKENS so secrets stay out of ps.
            """,
            valueName: "SECRET:ROLE"
        )
    )
    var tokens: [TokenArgument] = []

    @Option(help: "A file with one SECRET:ROLE per line (# comments allowed).")
    var tokenFile: String?

    @Option(help: "Certificate chain (PEM) for WSS/HTTPS.")
    var tlsCert: String?

    @Option(help: "Private key (PEM) for WSS/HTTPS.")
    var tlsKey: String?

    @Option(
        name: .customLong("allow-origin"),
        help: """
            A browser Origin (scheme://host[:port]) allowed to open the WebSocket besides the bridge's own page \
            (repeatable; * allows any). (default: the bridge's own page only)
            """
    )
    var allowedOrigins: [String] = []

    @Option(help: "Extra CA certificates (PEM) to trust for conference nodes with a private PKI.")
    var nodeCaFile: String?

    @Option(
        help: """
            The DNS server (HOST:PORT, an IP address) asked for _pexapp._tcp SRV records when a join names no \
            node. (default: the first nameserver of /etc/resolv.conf)
            """
    )
    var dnsServer: String?

    @Option(help: "Largest accepted client message in bytes. (default: \(defaults.maxMessageBytes))")
    var maxMessageBytes: Int?

    @Option(help: "Wrong PINs in a row before a session is closed. (default: \(defaults.core.maxPINAttempts))")
    var pinAttempts: Int?

    @Option(
        help:
            "Most live sessions on the bridge; more joins get too_many_sessions. (default: \(defaults.core.maxSessions))"
    )
    var maxSessions: Int?

    @Option(
        help: "Most live sessions one client connection may create. (default: \(defaults.core.maxSessionsPerClient))"
    )
    var maxSessionsPerClient: Int?

    @Option(
        help: "Most live sessions in one conference (alias). (default: \(defaults.core.maxSessionsPerAlias))"
    )
    var maxSessionsPerConference: Int?

    @Option(
        help: """
            Seconds a session may wait for a PIN before it ends with session_expired. \
            (default: \(defaults.core.pinStateTimeout.components.seconds))
            """
    )
    var pinTimeout: Int?

    @Option(
        help: """
            Seconds a client has to send auth when tokens are required, before it is closed with 1008. \
            (default: \(defaults.core.authTimeout.components.seconds))
            """
    )
    var authTimeout: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. (default: info)")
    var logLevel: Logger.Level?

    @Option(help: "Most WebSocket connections in total. (default: \(defaults.maxConnections))")
    var maxConnections: Int?

    @Option(help: "Most WebSocket connections from one address. (default: \(defaults.maxConnectionsPerAddress))")
    var maxConnectionsPerAddress: Int?

    @Option(
        help: """
            Seconds between keepalive pings to an idle client; 0 turns them off. \
            (default: \(Self.seconds(defaults.pingInterval)))
            """
    )
    var pingInterval: Int?

    @Option(
        help: """
            Seconds without a pong or any traffic before a client is dropped; 0 never drops. \
            (default: \(Self.seconds(defaults.idleTimeout)))
            """
    )
    var idleTimeout: Int?

    @Option(
        help: """
            Bytes of unsent frames a client may have queued before it is closed as too slow. \
            (default: \(defaults.outboxLimitBytes))
            """
    )
    var outboxLimitBytes: Int?

    @Option(
        help: """
            Requests per second one connection may send on average. \
            (default: \(Self.number(defaults.core.requestRate)))
            """
    )
    var requestRate: Double?

    @Option(
        help: """
            Events kept per session for resuming clients (subscribe with since_seq). \
            (default: \(defaults.core.replayDepth))
            """
    )
    var replayDepth: Int?

    @Option(
        help: """
            Seconds an upstream event stream may stay silent (no event, no keepalive) before it is reopened; \
            0 waits forever. (default: \(Self.seconds(defaults.infinity.eventStreamIdleTimeout)))
            """
    )
    var upstreamIdleTimeout: Int?

    @Flag(
        help: ArgumentHelp(
            "Serve a WebSocket echo endpoint at /echo (conformance runs on a loopback bridge without tokens only).",
            visibility: .hidden
        )
    )
    var echoEndpoint = false

    @Flag(
        inversion: .prefixedNo,
        help: """
            Allow a listener other machines can reach without TLS (tokens and PINs then cross the network in \
            clear). (default: off: such a listener is refused)
            """
    )
    var allowPlaintext: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: "Serve /metrics to every peer, not only to this machine. (default: off)"
    )
    var metricsPublic: Bool?

    @Flag(
        inversion: .prefixedNo,
        help: """
            Refuse to start when the token file or the TLS key can be read by the group or others \
            (default: off: warn)
            """
    )
    var strictPermissions: Bool?

    @Option(help: ArgumentHelp("Development: serve the web page from this directory.", visibility: .hidden))
    var webRoot: String?

    @OptionGroup(title: "Sessions that outlive the process")
    var storeOptions: StoreOptions

    func run() async throws {
        MemoryPolicy.apply()
        let file = try config.map(ConfigFile.load) ?? ConfigFile()
        let fileLevel = try file.log_level.map {
            guard let level = Logger.Level(rawValue: $0) else {
                throw ValidationError(
                    "config: log_level must be one of trace, debug, info, notice, warning, error, critical"
                )
            }
            return level
        }
        let level = logLevel ?? fileLevel ?? .info
        let logger = bootstrapLogging(level: level)
        var configuration = try settings(file)
        for warning in try secretWarnings(file, configuration) {
            logger.warning("\(warning)")
        }
        let simulatorSettings = simulatorSettings(file)
        FileLimit.prepare(forConnections: configuration.maxConnections, logger: logger)
        // One registry for the process: libraries recording through the global factory land next to the bridge's
        // own figures on /metrics.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // Refused combinations end here, before anything is started (the bridge would refuse them too).
        if let refusal = configuration.refusal { try Self.fail(refusal) }
        // Bind everything before the group runs, so a busy port is an error (exit 2) and the ports are known.
        var services: [any Service] = []
        let simulator = simulatorSettings.map { InfinitySimulator(configuration: $0, logger: logger) }
        let bridge: PexBridge
        let port: Int
        let storeSettings: StoreSettings?
        do {
            storeSettings = try await storeOptions.open(file, logger: logger)
            if let simulator {
                configuration.embeddedNode = try await Self.startEmbedded(simulator)
                services.append(simulator)
            }
            bridge = try PexBridge(configuration: configuration, logger: logger, metrics: registry)
            port = try await bridge.bind()
        } catch {
            await simulator?.stop()
            try Self.fail(error)
        }
        if let storeSettings { await bridge.engine.attachStore(storeSettings) }
        services += bridge.services
        services.append(
            Announcement(lines: announcement(configuration, port: port, simulator: simulator), logger: logger)
        )
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // Ceilings only: the engine bounds its own shutdown; a part that hangs must not keep the process alive.
        groupConfiguration.maximumGracefulShutdownDuration = Self.shutdownCeiling
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: groupConfiguration).run()
        await storeSettings?.store.close()
        logger.notice("bridge stopped")
    }

    /// Says why the bridge cannot start and ends the command with status 2.
    private static func fail(_ error: any Error) throws -> Never {
        FileHandle.standardError.write(Data("pexbridge: \(error)\n".utf8))
        throw ExitCode(2)
    }

    /// Starts the simulator (binding its port) and describes it as the bridge's embedded node.
    private static func startEmbedded(_ simulator: InfinitySimulator) async throws -> EmbeddedNode {
        do {
            _ = try await simulator.start()
        } catch {
            throw StartFailure(description: "cannot start the embedded simulator: \(error)")
        }
        let rooms = simulator.configuration.rooms.map { room in
            EmbeddedNode.DemoRoom(
                alias: room.alias,
                name: room.name,
                access: room.waysInAccess
                    ?? (room.hostPIN == nil ? .open : room.guestPIN == nil ? .pinOptional : .pinRequired)
            )
        }
        return EmbeddedNode(address: try NodeAddress(parsing: simulator.baseURL), demoRooms: rooms)
    }

    private struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The lines scripts wait for, printed once signal handling is in place.
    private func announcement(
        _ configuration: ServerConfiguration,
        port: Int,
        simulator: InfinitySimulator?
    )
        -> [String]
    {
        let address = ListenAddress.display(host: configuration.host, port: port)
        var lines = ["listening on \(address)"]
        if let simulator {
            let url = simulator.baseURL
            lines.append("simulator: node \"simulator\" (\(url)); control API: \(url)/_simulator/rooms; demo rooms:")
            for room in simulator.configuration.rooms {
                lines.append("  \(room.alias.padding(toLength: 14, withPad: " ", startingAt: 0)) \(room.demoSummary)")
            }
        }
        lines.append("web page: \(configuration.tls == nil ? "http" : "https")://\(address)/")
        return lines
    }

    /// The embedded simulator's settings when `--simulate` is on.
    func simulatorSettings(_ file: ConfigFile) -> SimulatorConfiguration? {
        guard simulate ?? file.simulate ?? false else { return nil }
        var simulator = SimulatorConfiguration.demo()
        simulator.demoActivity = demoActivity ?? file.demo_activity ?? Self.defaultDemoActivity
        return simulator
    }

    /// The server's settings: command line first, then the config file, then the defaults of
    /// `ServerConfiguration`.
    func settings(_ file: ConfigFile) throws -> ServerConfiguration {
        var c = ServerConfiguration()
        let address =
            try listen
            ?? file.listen.map {
                guard let a = ListenAddress(argument: $0) else {
                    throw ValidationError("config: listen must be HOST:PORT")
                }
                return a
            } ?? Self.defaultListen
        c.host = address.host
        c.port = address.port
        set(&c.core.allowInsecureNodes, allowInsecureNodes ?? file.allow_insecure_nodes)
        set(&c.core.maxPINAttempts, pinAttempts ?? file.pin_attempts)
        set(&c.core.maxSessions, maxSessions ?? file.max_sessions)
        set(&c.core.maxSessionsPerClient, maxSessionsPerClient ?? file.max_sessions_per_client)
        set(&c.core.maxSessionsPerAlias, maxSessionsPerConference ?? file.max_sessions_per_conference)
        if let seconds = authTimeout ?? file.auth_timeout {
            guard seconds >= 1 else { throw ValidationError("--auth-timeout must be at least 1") }
            c.core.authTimeout = .seconds(seconds)
        }
        if let seconds = pinTimeout ?? file.pin_timeout {
            guard seconds >= 1 else { throw ValidationError("--pin-timeout must be at least 1") }
            c.core.pinStateTimeout = .seconds(seconds)
        }
        for (name, value) in [
            ("--max-sessions", c.core.maxSessions), ("--max-sessions-per-client", c.core.maxSessionsPerClient),
            ("--max-sessions-per-conference", c.core.maxSessionsPerAlias),
        ] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        c.core.authTokens = try TokenList.load(
            arguments: (tokens.isEmpty ? (file.tokens ?? []) : tokens).map(\.entry),
            file: tokenFile ?? file.token_file,
            environment: ProcessInfo.processInfo.environment["PEXBRIDGE_TOKENS"]
        )
        if let rate = requestRate ?? file.request_rate {
            c.core.requestRate = rate
            c.core.requestBurst = max(10, rate * 3)
        }
        set(&c.core.replayDepth, replayDepth ?? file.replay_depth)
        c.allowedOrigins = allowedOrigins.isEmpty ? (file.allow_origin ?? []) : allowedOrigins
        set(&c.maxMessageBytes, maxMessageBytes ?? file.max_message_bytes)
        set(&c.maxConnections, maxConnections ?? file.max_connections)
        set(&c.maxConnectionsPerAddress, maxConnectionsPerAddress ?? file.max_connections_per_address)
        setSeconds(&c.pingInterval, pingInterval ?? file.ping_interval)
        setSeconds(&c.idleTimeout, idleTimeout ?? file.idle_timeout)
        set(&c.outboxLimitBytes, outboxLimitBytes ?? file.outbox_limit_bytes)
        c.echoEndpoint = echoEndpoint || (file.echo_endpoint ?? false)
        set(&c.allowPlaintext, allowPlaintext ?? file.allow_plaintext)
        c.allowedNodes = allowedNodes.isEmpty ? (file.allow_node ?? []) : allowedNodes
        c.trustedProxies = try (trustedProxies.isEmpty ? (file.trusted_proxy ?? []) : trustedProxies).map { text in
            do {
                return try CIDR(text)
            } catch {
                throw ValidationError("--trusted-proxy \(text): \(error)")
            }
        }
        set(&c.metricsPublic, metricsPublic ?? file.metrics_public)
        c.webRoot = webRoot
        c.infinity.trustRootsPEMFile = nodeCaFile ?? file.node_ca_file
        if let server = dnsServer ?? file.dns_server {
            guard DNSResolver.split(server) != nil else { throw ValidationError("--dns-server must be HOST:PORT") }
            c.infinity.dnsServer = server
        }
        setSeconds(&c.infinity.eventStreamIdleTimeout, upstreamIdleTimeout ?? file.upstream_idle_timeout)
        let cert = tlsCert ?? file.tls_cert
        let key = tlsKey ?? file.tls_key
        if (cert == nil) != (key == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let cert, let key { c.tls = TLSFiles(certificatePath: cert, privateKeyPath: key) }
        guard c.maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        guard c.core.maxPINAttempts >= 1 else { throw ValidationError("--pin-attempts must be at least 1") }
        guard c.core.requestRate > 0 else { throw ValidationError("--request-rate must be positive") }
        return c
    }

    /// What to warn about secrets kept where others can read them; throws instead under `--strict-permissions`.
    func secretWarnings(_ file: ConfigFile, _ configuration: ServerConfiguration) throws -> [String] {
        var warnings: [String] = []
        if file.tokens != nil {
            warnings.append(
                "config: \"tokens\" puts client secrets in the configuration file; keep them in token_file or "
                    + "PEXBRIDGE_TOKENS (the configuration can then be readable by all)"
            )
        }
        // 128 bits: 22 characters of base64, 32 of hex. Shorter secrets still work (scripts and tests use them),
        // but a network bridge should not rely on them (security review, finding 8).
        let short = configuration.core.authTokens.filter { $0.secret.utf8.count < 22 }.count
        if short > 0 {
            warnings.append(
                "\(short) client token(s) shorter than 22 characters: use at least 128 random bits "
                    + "(openssl rand -hex 24)"
            )
        }
        let strict = strictPermissions ?? file.strict_permissions ?? false
        let secrets = [("token file", tokenFile ?? file.token_file), ("TLS key", configuration.tls?.privateKeyPath)]
        for case (let what, let path?) in secrets {
            guard let mode = SecretFile.exposedMode(path) else { continue }
            let message =
                "\(what) \(path) can be read by \(mode & 0o004 != 0 ? "every user" : "its group") (mode "
                + "\(String(mode & 0o777, radix: 8))): chmod 600 it"
            if strict { throw ValidationError(message + " (--strict-permissions)") }
            warnings.append(message)
        }
        return warnings
    }

    /// Overrides a default only when the command line or the file gave a value.
    private func set<Value>(_ setting: inout Value, _ given: Value?) {
        if let given { setting = given }
    }

    /// Whole seconds from the command line or file; 0 means off.
    private func setSeconds(_ setting: inout Duration?, _ given: Int?) {
        if let given { setting = given > 0 ? .seconds(given) : nil }
    }

    /// A default duration as the whole seconds the options take; 0 when off.
    private static func seconds(_ duration: Duration?) -> Int {
        Int(duration?.components.seconds ?? 0)
    }

    /// A default number without a needless ".0".
    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Prints the ready lines once the group runs (so its signal handlers are in place: a SIGTERM the instant
/// after `listening on` shuts down gracefully), then waits; logs when graceful shutdown begins.
struct Announcement: Service, CustomStringConvertible {
    let lines: [String]
    let logger: Logger
    /// The group logs services by description: never the lines, which hold the demo rooms' PINs.
    var description: String { "Announcement" }

    func run() async throws {
        printLine(lines.joined(separator: "\n"))
        try? await gracefulShutdown()
        logger.notice("shutting down")
    }
}

/// `pexbridge serve --config FILE`: the same settings as the options, in JSON.
struct ConfigFile: Decodable {
    var listen: String?
    var simulate: Bool?
    var demo_activity: Bool?
    var allow_insecure_nodes: Bool?
    var tokens: [TokenArgument]?
    var token_file: String?
    var tls_cert: String?
    var tls_key: String?
    var allow_origin: [String]?
    var node_ca_file: String?
    var dns_server: String?
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
    var allow_plaintext: Bool?
    var allow_node: [String]?
    var max_sessions: Int?
    var max_sessions_per_client: Int?
    var max_sessions_per_conference: Int?
    var pin_timeout: Int?
    var auth_timeout: Int?
    var trusted_proxy: [String]?
    var metrics_public: Bool?
    var strict_permissions: Bool?
    var store: String?
    var store_key_file: String?
    var store_password_file: String?
    var instance: String?
    var lease_seconds: Int?
    var on_exit: String?

    init() {}

    static func load(_ path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read --config \(path)")
        }
        // Unknown keys are mistakes (a typo would silently fall back to a default): refuse them.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let known = Set(Mirror(reflecting: ConfigFile()).children.compactMap(\.label))
            let unknown = object.keys.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty {
                throw ValidationError("config: unknown setting(s) \(unknown.joined(separator: ", "))")
            }
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
        case (nil, _): if waysInSummary.isEmpty { parts.append("open, no PIN") }
        case (let host?, let guest?): parts.append("host PIN \(host), guest PIN \(guest)")
        case (let host?, nil): parts.append("host PIN \(host), guests join without PIN")
        }
        if guestsWaitForHost { parts.append("guests wait for a host") }
        if locked { parts.append("locked") }
        parts += waysInSummary
        return parts.joined(separator: "; ")
    }
}

/// A `SECRET:ROLE` from `--token` or the config file: its description never shows the secret (ArgumentParser
/// and error messages may print parsed values).
struct TokenArgument: ExpressibleByArgument, Decodable, CustomStringConvertible, CustomReflectable, Sendable {
    let entry: String

    init?(argument: String) {
        entry = argument
    }

    init(from decoder: any Decoder) throws {
        entry = try decoder.singleValueContainer().decode(String.self)
    }

    var description: String { "<redacted>:\(entry.split(separator: ":").last ?? "")" }
    var customMirror: Mirror { Mirror(self, children: []) }
}

/// Permission checks for files holding secrets.
enum SecretFile {
    /// The file's mode when its group or others may read it, else nil (also when it cannot be examined: reading
    /// it reports that).
    static func exposedMode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o044 != 0 ? info.st_mode : nil
    }
}
