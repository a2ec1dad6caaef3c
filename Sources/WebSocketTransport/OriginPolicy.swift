/// Which browser pages may open the WebSocket.
///
/// A browser always sends the page's `Origin`. Without a list, only the bridge's own page may connect (the
/// Origin names the host the request was sent to), and on a loopback listener only under a loopback name, so
/// neither a web site the user happens to visit nor a DNS-rebinding one can drive a bridge on 127.0.0.1.
/// Listed origins are allowed as well; `*` allows every origin. Clients that are not browsers (no Origin, or a
/// `ws://`/`wss://` one as client libraries send) are not subject to it: they authenticate with tokens.
public struct OriginPolicy: Sendable, Equatable {
    /// Origins allowed besides the bridge's own page (exact `scheme://host[:port]`), or `*`.
    public var allowed: [String]
    /// True when the listener is on a loopback address.
    public var loopbackListener: Bool

    public init(allowed: [String], loopbackListener: Bool) {
        self.allowed = allowed
        self.loopbackListener = loopbackListener
    }

    /// Whether an upgrade with this `Origin` (nil: none) sent to this `Host` header may proceed.
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let lower = origin.lowercased()
        if lower.hasPrefix("ws://") || lower.hasPrefix("wss://") { return true }
        if allowed.contains("*") || allowed.contains(origin) { return true }
        return isSameOrigin(lower, host: host?.lowercased())
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

    /// True for localhost, *.localhost, ::1 and 127.0.0.0/8 literals (lower case, no brackets).
    static func isLoopbackName(_ name: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
