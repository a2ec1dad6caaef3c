/// Which browser pages may open the WebSocket.
///
/// A browser always sends the page's `Origin`. Without a list, only the bridge's own page may connect (the
/// Origin names the host the request was sent to), and on a loopback listener only under a loopback name, so
/// neither a web site the user happens to visit nor a DNS-rebinding one can drive a bridge on 127.0.0.1.
/// Listed origins are allowed as well; `*` allows every origin. Clients that are not browsers (no Origin, or a
/// `ws://`/`wss://` one as client libraries send) are not subject to it: they authenticate with tokens.
public struct OriginPolicy: Sendable, Equatable {
    /// Origins allowed besides the bridge's own page, normalised (`scheme://host[:port]`, lower case, no default
    /// port, no trailing slash), or `*`.
    public let allowed: [String]
    /// True when the listener is on a loopback address.
    public let loopbackListener: Bool

    /// Normalises and checks the configured origins.
    /// - Parameters:
    ///   - allowed: `*` or origins of the form `http[s]://host[:port]` (a trailing `/` is tolerated).
    ///   - loopbackListener: whether the listener is on a loopback address.
    /// - Throws: ``TransportError/invalidConfiguration(_:)`` naming the first origin that is not of that form.
    public init(allowed: [String], loopbackListener: Bool) throws(TransportError) {
        var normalised: [String] = []
        for origin in allowed {
            if origin == "*" {
                normalised.append("*")
                continue
            }
            guard let value = Self.normalisedOrigin(origin) else {
                throw .invalidConfiguration("allowed origin \"\(origin)\" is not http[s]://host[:port]")
            }
            normalised.append(value)
        }
        self.allowed = normalised
        self.loopbackListener = loopbackListener
    }

    /// True when every web page may connect (`*` is listed): a bridge without tokens must not run so.
    public var allowsAnyOrigin: Bool { allowed.contains("*") }

    /// Whether an upgrade with this `Origin` (nil: none) sent to this `Host` header may proceed.
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let lower = origin.lowercased()
        if lower.hasPrefix("ws://") || lower.hasPrefix("wss://") { return true }
        if allowsAnyOrigin { return true }
        if let normalised = Self.normalisedOrigin(origin), allowed.contains(normalised) { return true }
        return isSameOrigin(lower, host: host?.lowercased())
    }

    /// `scheme://host[:port]` in lower case without the scheme's default port, or nil when `origin` is not an
    /// http(s) origin (paths, queries, user info, empty hosts and bad ports are refused).
    static func normalisedOrigin(_ origin: String) -> String? {
        let lower = origin.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") {
            scheme = "http"
        } else if lower.hasPrefix("https://") {
            scheme = "https"
        } else {
            return nil
        }
        var authority = String(lower.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority.removeLast() }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ \t\\".contains($0) }) else { return nil }
        let (host, port) = splitAuthority(authority)
        guard let host, !host.isEmpty else { return nil }
        let bracketed = host.contains(":") ? "[\(host)]" : host
        guard let port else { return "\(scheme)://\(bracketed)" }
        guard let number = Int(port), (1...65_535).contains(number) else { return nil }
        let isDefault = (scheme == "http" && number == 80) || (scheme == "https" && number == 443)
        return isDefault ? "\(scheme)://\(bracketed)" : "\(scheme)://\(bracketed):\(number)"
    }

    private func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, !host.isEmpty else { return false }
        let scheme: String
        if origin.hasPrefix("http://") {
            scheme = "http"
        } else if origin.hasPrefix("https://") {
            scheme = "https"
        } else {
            return false
        }
        var authority = String(origin.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority.removeLast() }
        // Browsers leave the default port out of Origin, and so do most out of Host.
        let defaultPort = scheme == "https" ? ":443" : ":80"
        func normalised(_ value: String) -> String {
            value.hasSuffix(defaultPort) ? String(value.dropLast(defaultPort.count)) : value
        }
        guard normalised(authority) == normalised(host) else { return false }
        return !loopbackListener || Self.isLoopbackName(Self.hostName(of: authority))
    }

    /// The host (without brackets) and the port text of `host[:port]` or `[v6][:port]`; nil host when malformed.
    static func splitAuthority(_ authority: String) -> (host: String?, port: String?) {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return (nil, nil) }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":") else { return (nil, nil) }
            return (host, String(rest.dropFirst()))
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (authority, nil)
        case 2: return (String(parts[0]), String(parts[1]))
        default: return (nil, nil)  // a bare IPv6 address without brackets
        }
    }

    /// The host part of `host[:port]` or `[v6]:port`.
    static func hostName(of authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
        return authority
    }

    /// True for a bind or host address reachable only from this machine: localhost, ::1 (bracketed or not),
    /// 127.0.0.0/8, in any letter case.
    public static func isLoopbackAddress(_ address: String) -> Bool {
        isLoopbackName(String(address.filter { $0 != "[" && $0 != "]" }).lowercased())
    }

    /// True for exactly `localhost`, `::1` and 127.0.0.0/8 literals (lower case, no brackets). Not `*.localhost`:
    /// only a resolver's promise makes those loopback, and the bridge cannot check it.
    static func isLoopbackName(_ name: String) -> Bool {
        if name == "localhost" || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { $0.count <= 3 && UInt8($0) != nil }
    }
}
