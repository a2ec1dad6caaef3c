/// Why a node address string could not be parsed.
public enum NodeAddressError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case unsupportedScheme
    case userInfoNotAllowed
    case pathNotAllowed
    case queryNotAllowed
    case fragmentNotAllowed
    case invalidHost
    case invalidPort

    public var description: String {
        switch self {
        case .empty: "node address is empty"
        case .unsupportedScheme: "node address scheme must be http or https"
        case .userInfoNotAllowed: "node address must not contain user info"
        case .pathNotAllowed: "node address must not contain a path"
        case .queryNotAllowed: "node address must not contain a query"
        case .fragmentNotAllowed: "node address must not contain a fragment"
        case .invalidHost: "node address host is invalid"
        case .invalidPort: "node address port is invalid"
        }
    }
}

/// A conference node's origin: scheme, host and optional port.
public struct NodeAddress: Sendable, Hashable, CustomStringConvertible {
    /// "https" or "http".
    public var scheme: String
    /// Host name or IP address (IPv6 without brackets), lower-cased.
    public var host: String
    /// Explicit port, or nil for the scheme's default.
    public var port: Int?

    /// Whether the scheme is https.
    public var isSecure: Bool { scheme == "https" }

    /// "scheme://host[:port]" with IPv6 hosts in brackets.
    public var baseURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        if let port { return "\(scheme)://\(hostPart):\(port)" }
        return "\(scheme)://\(hostPart)"
    }

    public var description: String { baseURL }

    /// Creates an address from its parts, validating host and port.
    public init(scheme: String = "https", host: String, port: Int? = nil) throws(NodeAddressError) {
        let scheme = scheme.lowercased()
        guard scheme == "https" || scheme == "http" else { throw .unsupportedScheme }
        let host = host.lowercased()
        guard Self.isValidHost(host) else { throw .invalidHost }
        if let port, !(1...65535).contains(port) { throw .invalidPort }
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses "host", "host:port", "[v6]:port", "https://host[:port][/]" or "http://host[:port][/]"; bare forms mean
    /// https.
    public init(parsing text: String) throws(NodeAddressError) {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { throw .empty }

        var scheme = "https"
        if let range = rest.firstRange(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "https" || scheme == "http" else { throw .unsupportedScheme }
            rest = rest[range.upperBound...]
        }

        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let tail = rest[authorityEnd...]
        if tail.contains("#") { throw .fragmentNotAllowed }
        if tail.contains("?") { throw .queryNotAllowed }
        guard tail.isEmpty || tail == "/" else { throw .pathNotAllowed }
        guard !authority.contains("@") else { throw .userInfoNotAllowed }
        guard !authority.isEmpty else { throw .empty }

        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidHost }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let afterBracket = authority[authority.index(after: close)...]
            if afterBracket.isEmpty {
                portPart = nil
            } else if afterBracket.hasPrefix(":") {
                portPart = afterBracket.dropFirst()
            } else {
                throw .invalidHost
            }
            guard hostPart.contains(":") else { throw .invalidHost }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else { throw .invalidHost }
            if let colon = authority.firstIndex(of: ":") {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
                portPart = nil
            }
        }

        var port: Int?
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portPart), (1...65535).contains(value)
            else { throw .invalidPort }
            port = value
        }
        try self.init(scheme: scheme, host: String(hostPart), port: port)
    }

    private static func isValidHost(_ host: String) -> Bool {
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        if host.contains(":") {
            return host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                    UInt8(ascii: ":"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
        }
        guard host.first != "." && host.first != "-" else { return false }
        return host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                true
            default: false
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
