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
        commandName: "serve", abstract: "Run the bridge: WebSocket and web page on one port.")

    @Option(help: "Address to listen on (HOST:PORT; port 0 picks a free one).")
    var listen = ListenAddress(host: "127.0.0.1", port: 8080)

    @Flag(help: "Also run the embedded conference-node simulator with demo rooms (node name: simulator).")
    var simulate = false

    @Flag(help: "Allow conference nodes reached over plain HTTP.")
    var allowInsecureNodes = false

    @Option(name: .customLong("token"), help: ArgumentHelp(
        "A client secret and its role, SECRET:controller or SECRET:observer (repeatable). Prefer --token-file or PEXBRIDGE_TOKENS so secrets stay out of ps.",
        valueName: "SECRET:ROLE"))
    var tokens: [String] = []

    @Option(help: "A file with one SECRET:ROLE per line (# comments allowed).")
    var tokenFile: String?

    @Option(help: "Certificate (PEM) for WSS/HTTPS.")
    var tlsCert: String?

    @Option(help: "Private key (PEM) for WSS/HTTPS.")
    var tlsKey: String?

    @Option(name: .customLong("allow-origin"), help: "A browser Origin allowed to open the WebSocket (repeatable).")
    var allowedOrigins: [String] = []

    @Option(help: "Extra CA certificates (PEM) to trust for conference nodes with private PKI.")
    var nodeCaFile: String?

    @Option(help: "Largest accepted client message in bytes.")
    var maxMessageBytes = 64 * 1024

    @Option(help: "Wrong PINs in a row before a session is closed.")
    var pinAttempts = 5

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Flag(help: "Serve a WebSocket echo endpoint at /echo (for conformance test runs only).")
    var echoEndpoint = false

    @Option(help: ArgumentHelp("Development: serve the web page from this directory.", visibility: .hidden))
    var webRoot: String?

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if maxMessageBytes < 1024 { throw ValidationError("--max-message-bytes must be at least 1024") }
        if pinAttempts < 1 { throw ValidationError("--pin-attempts must be at least 1") }
    }

    func run() async throws {
        let logger = bootstrapLogging(level: logLevel)
        var configuration = ServerConfiguration()
        configuration.host = listen.host
        configuration.port = listen.port
        configuration.simulate = simulate
        configuration.core.allowInsecureNodes = allowInsecureNodes
        configuration.core.maxPINAttempts = pinAttempts
        configuration.core.authTokens = try TokenList.load(
            arguments: tokens, file: tokenFile, environment: ProcessInfo.processInfo.environment["PEXBRIDGE_TOKENS"])
        configuration.allowedOrigins = allowedOrigins
        configuration.maxMessageBytes = maxMessageBytes
        configuration.echoEndpoint = echoEndpoint
        configuration.webRoot = webRoot
        configuration.infinity.trustRootsPEMFile = nodeCaFile
        if let tlsCert, let tlsKey { configuration.tls = TLSFiles(certificatePath: tlsCert, privateKeyPath: tlsKey) }

        let bridge: PexBridge
        let port: Int
        do {
            bridge = try PexBridge(configuration: configuration, logger: logger)
            port = try await bridge.start()
        } catch {
            FileHandle.standardError.write(Data("pexbridge: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var lines = ["listening on \(ListenAddress.display(host: listen.host, port: port))"]
        if let url = bridge.simulatorURL {
            lines.append("simulator: node \"simulator\" (\(url)); demo rooms:")
            for room in configuration.simulator.rooms {
                lines.append("  \(room.alias.padding(toLength: 14, withPad: " ", startingAt: 0)) \(room.demoSummary)")
            }
        }
        let scheme = configuration.tls == nil ? "http" : "https"
        lines.append("web page: \(scheme)://\(ListenAddress.display(host: listen.host, port: port))/")
        printLine(lines.joined(separator: "\n"))

        let signal = await SignalWaiter.wait()
        logger.notice("shutting down", metadata: ["signal": "\(signal)"])
        await bridge.shutdown()
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
