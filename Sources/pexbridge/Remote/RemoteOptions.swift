import ArgumentParser
import BridgeServer
import Foundation
import NIOSSL

/// Where the bridge is and how to authenticate: the options every remote-control subcommand takes.
struct RemoteOptions: ParsableArguments {
    /// The default bridge address: the loopback listener of `pexbridge serve`.
    static let defaultURL =
        "ws://\(ListenAddress(host: ServerConfiguration.defaults.host, port: ServerConfiguration.defaults.port))/ws"
    /// The environment variable holding the client token.
    static let tokenEnvironmentVariable = "PEXBRIDGE_TOKEN"

    @Option(help: ArgumentHelp("The bridge's WebSocket URL (ws:// or wss://).", valueName: "URL"))
    var url = RemoteOptions.defaultURL

    @Option(
        help: ArgumentHelp(
            "Trust only the CA certificates in this PEM file for a wss:// bridge (private PKI); "
                + "without it the system's trust store is used.",
            valueName: "PEM"
        )
    )
    var caFile: String?

    @Option(
        help: ArgumentHelp(
            "The name in the bridge's certificate, verified and sent as SNI; needed when a wss:// URL names an IP address.",
            valueName: "NAME"
        )
    )
    var serverName: String?

    @Option(
        help: ArgumentHelp(
            "A file whose first line (blank lines and # comments skipped) is the client token. "
                + "Preferred, like PEXBRIDGE_TOKEN.",
            valueName: "FILE"
        )
    )
    var tokenFile: String?

    @Option(
        help: ArgumentHelp(
            "The client token. Visible to other users in ps: prefer --token-file or PEXBRIDGE_TOKEN.",
            valueName: "TOKEN"
        )
    )
    var token: ClientToken?

    @Option(help: ArgumentHelp("Seconds to wait for the connection and for each answer.", valueName: "SECONDS"))
    var timeout: Double = 30

    func validate() throws {
        let lower = url.lowercased()
        guard lower.hasPrefix("ws://") || lower.hasPrefix("wss://") else {
            throw ValidationError("--url must start with ws:// or wss://")
        }
        if caFile != nil && !lower.hasPrefix("wss://") { throw ValidationError("--ca-file needs a wss:// URL") }
        if serverName != nil && !lower.hasPrefix("wss://") { throw ValidationError("--server-name needs a wss:// URL") }
        if lower.hasPrefix("wss://") && serverName == nil, let host = URL(string: url)?.host, Self.isIPAddress(host) {
            throw ValidationError(
                "a wss:// URL with an IP address needs --server-name (the name in the bridge's certificate), "
                    + "or use that name in the URL"
            )
        }
        if token != nil && tokenFile != nil { throw ValidationError("give --token or --token-file, not both") }
        guard timeout > 0 && timeout <= 86_400 else {
            throw ValidationError("--timeout must be between 0 and 86400 seconds")
        }
    }

    /// True for an IPv4 or IPv6 literal (brackets allowed), which TLS cannot send as a server name.
    static func isIPAddress(_ host: String) -> Bool {
        var text = host
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// `--timeout` as a duration.
    var timeoutDuration: Duration { .milliseconds(Int((timeout * 1000).rounded(.up))) }

    /// The token from --token, --token-file or PEXBRIDGE_TOKEN (in that order), if any; refused when it would go
    /// over plain `ws://` to another machine (anyone on the path could read it).
    func resolvedToken(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RemoteFailure)
        -> ClientToken?
    {
        let token = try foundToken(environment: environment)
        if token != nil, url.lowercased().hasPrefix("ws://"), let host = URL(string: url)?.host,
            !Self.isLoopbackHost(host)
        {
            throw .input(
                "refusing to send the token over ws:// to \(host): it would cross the network in clear; use wss://"
            )
        }
        return token
    }

    /// True for names and addresses of this machine: localhost, 127.0.0.0/8 and ::1.
    static func isLoopbackHost(_ host: String) -> Bool {
        var text = host.lowercased()
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text == "localhost" || text == "::1" { return true }
        var v4 = in_addr()
        return inet_pton(AF_INET, text, &v4) == 1 && text.hasPrefix("127.")
    }

    private func foundToken(environment: [String: String]) throws(RemoteFailure) -> ClientToken? {
        if let token {
            guard !token.secret.isEmpty else { throw .input("--token is empty") }
            return token
        }
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw .input("cannot read --token-file \(tokenFile)")
            }
            let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .first { !$0.isEmpty && !$0.hasPrefix("#") }
            guard let line else { throw .input("--token-file \(tokenFile) holds no token") }
            return ClientToken(secret: line)
        }
        if let value = environment[Self.tokenEnvironmentVariable]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        {
            return ClientToken(secret: value)
        }
        return nil
    }

    /// The TLS settings for a wss:// bridge: only the --ca-file roots when given, else nil (the system's trust store).
    func tlsConfiguration() throws(RemoteFailure) -> TLSConfiguration? {
        guard let caFile else { return nil }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw .input("cannot read --ca-file \(caFile): \(error)")
        }
        guard !certificates.isEmpty else { throw .input("--ca-file \(caFile) holds no certificate") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(certificates)
        return configuration
    }
}
