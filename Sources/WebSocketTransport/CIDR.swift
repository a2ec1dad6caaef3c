#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address range (`10.0.0.0/8`, `::1/128`; a bare address is one host), for trusted proxies.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// The network address in 16 bytes (IPv4 as an IPv4-mapped IPv6 address).
    private let network: [UInt8]
    /// Prefix length over those 16 bytes.
    private let prefix: Int
    public let description: String

    /// Parses `address[/prefix]`.
    /// - Parameter text: an IPv4 or IPv6 literal, optionally followed by `/` and a prefix length.
    /// - Throws: ``TransportError/invalidConfiguration(_:)`` when it is not one.
    public init(_ text: String) throws(TransportError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let (bytes, isIPv4) = Self.parse(String(parts[0])) else {
            throw .invalidConfiguration("\"\(text)\" is not an address range (CIDR)")
        }
        let maximum = isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else {
                throw .invalidConfiguration("\"\(text)\" has an invalid prefix length")
            }
            length = value
        }
        prefix = isIPv4 ? 96 + length : length
        network = Self.masked(bytes, prefix)
        description = text
    }

    /// Whether `address` (an IPv4 or IPv6 literal, brackets allowed) is in the range.
    public func contains(_ address: String) -> Bool {
        guard let (bytes, _) = Self.parse(address) else { return false }
        return Self.masked(bytes, prefix) == network
    }

    /// 16 bytes of an address literal (IPv4 mapped into IPv6) and whether it was IPv4.
    static func parse(_ literal: String) -> ([UInt8], Bool)? {
        let bare = literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            let value = UInt32(bigEndian: v4.s_addr)
            return (
                [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]
                    + [
                        UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
                        UInt8(value & 0xFF),
                    ],
                true
            )
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        return (bytes, mapped)
    }

    private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(max(prefix - index * 8, 0), 8)
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}

/// Where a request really comes from when it passed through reverse proxies.
enum ForwardedClient {
    /// The client address named by the proxy headers, walking from the nearest hop back past trusted proxies;
    /// nil when no header names one. `forwarded` is the `Forwarded` header, preferred over `X-Forwarded-For`,
    /// then `X-Real-IP`.
    static func address(
        forwarded: String?,
        forwardedFor: String?,
        realIP: String?,
        trusted: [CIDR]
    ) -> String? {
        let hops: [String]
        if let forwarded {
            hops = forwarded.split(separator: ",").compactMap { element in
                element.split(separator: ";").lazy
                    .map { $0.trimmingWhitespace() }
                    .first { $0.lowercased().hasPrefix("for=") }
                    .map { unquoteNode(String($0.dropFirst(4))) }
            }
        } else if let forwardedFor {
            hops = forwardedFor.split(separator: ",").map { String($0.trimmingWhitespace()) }
        } else if let realIP {
            hops = [String(realIP.trimmingWhitespace())]
        } else {
            return nil
        }
        // The nearest hop is last; skip the trusted proxies on the way back to the client.
        for hop in hops.reversed() where CIDR.parse(hop) != nil {
            if !trusted.contains(where: { $0.contains(hop) }) { return hop }
        }
        return hops.first { CIDR.parse($0) != nil }
    }

    /// `"[2001:db8::1]:4711"` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`.
    private static func unquoteNode(_ value: String) -> String {
        var node = value
        if node.hasPrefix("\""), node.hasSuffix("\""), node.count >= 2 { node = String(node.dropFirst().dropLast()) }
        if node.hasPrefix("["), let close = node.firstIndex(of: "]") {
            return String(node[node.index(after: node.startIndex)..<close])
        }
        if node.filter({ $0 == ":" }).count == 1, let colon = node.firstIndex(of: ":") {
            return String(node[..<colon])
        }
        return node
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> SubSequence {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
