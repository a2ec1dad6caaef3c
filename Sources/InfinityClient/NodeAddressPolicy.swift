import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which conference nodes a client may call, judged on the addresses a node's host resolves to.
///
/// Whoever controls a session's `node` could otherwise point the bridge at internal hosts and read refused /
/// TLS error / timeout apart (an internal port scanner), or at a cloud metadata service. By default only public
/// addresses are allowed; loopback needs `allowLoopback` (the bridge's `--allow-insecure-nodes` development
/// switch), and private, link-local, metadata and other special addresses need an entry in `allowedNodes`.
/// Nodes in `exemptNodes` (the embedded simulator) are always allowed.
public struct NodeAddressPolicy: Sendable, Equatable {
    /// What an address is, for the policy.
    public enum AddressClass: Sendable, Equatable {
        /// Routable on the internet.
        case global
        /// 127.0.0.0/8, ::1.
        case loopback
        /// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), fc00::/7.
        case privateNetwork
        /// 169.254/16, fe80::/10.
        case linkLocal
        /// Cloud instance metadata: 169.254.169.254, fd00:ec2::254.
        case metadata
        /// 0.0.0.0/8, ::.
        case unspecified
        /// Multicast, broadcast and reserved ranges (224/4, 240/4, ff00::/8).
        case reserved
    }

    /// Whether nodes on loopback addresses may be called (local development, tests).
    public var allowLoopback: Bool
    /// Nodes allowed whatever their addresses: "host" (any port) or "host:port" ("[v6]:port" for IPv6).
    public var allowedNodes: [String]
    /// Nodes always allowed, matched exactly (scheme aside): the embedded simulator.
    public var exemptNodes: Set<NodeAddress>

    /// - Parameters:
    ///   - allowLoopback: Allow nodes on loopback addresses (default: no).
    ///   - allowedNodes: "host" or "host:port" entries allowed whatever they resolve to (default: none).
    ///   - exemptNodes: Nodes always allowed, such as the embedded simulator (default: none).
    public init(allowLoopback: Bool = false, allowedNodes: [String] = [], exemptNodes: Set<NodeAddress> = []) {
        self.allowLoopback = allowLoopback
        self.allowedNodes = allowedNodes
        self.exemptNodes = exemptNodes
    }

    /// Whether `node` is allowed without looking at its addresses (exempt or on the allow-list).
    public func isListed(_ node: NodeAddress) -> Bool {
        if exemptNodes.contains(where: { $0.host == node.host && $0.effectivePort == node.effectivePort }) {
            return true
        }
        let host = node.host.contains(":") ? "[\(node.host)]" : node.host
        return allowedNodes.contains { entry in
            let entry = entry.lowercased()
            return entry == host || entry == node.host || entry == "\(host):\(node.effectivePort)"
        }
    }

    /// Whether an address of this class may be called when the node is not listed.
    public func permits(_ addressClass: AddressClass) -> Bool {
        switch addressClass {
        case .global: true
        case .loopback: allowLoopback
        case .privateNetwork, .linkLocal, .metadata, .unspecified, .reserved: false
        }
    }

    /// Classifies an IPv4 (4 bytes) or IPv6 (16 bytes) address; IPv4-mapped IPv6 addresses as their IPv4 address.
    public static func classify(_ bytes: [UInt8]) -> AddressClass {
        switch bytes.count {
        case 4: return classifyV4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: return classifyV6(bytes)
        default: return .reserved
        }
    }

    private static func classifyV4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressClass {
        switch (a, b) {
        case (169, 254) where c == 169 && d == 254: .metadata
        case (0, _): .unspecified
        case (127, _): .loopback
        case (10, _), (172, 16...31), (192, 168), (100, 64...127): .privateNetwork
        case (169, 254): .linkLocal
        case (224...255, _): .reserved
        default: .global
        }
    }

    private static func classifyV6(_ bytes: [UInt8]) -> AddressClass {
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return classifyV4(bytes[12], bytes[13], bytes[14], bytes[15])
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) {
            switch bytes[15] {
            case 0: return .unspecified
            case 1: return .loopback
            default: return .reserved
            }
        }
        let metadata: [UInt8] = [0xFD, 0x00, 0x0E, 0xC2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54]
        if bytes == metadata { return .metadata }
        switch bytes[0] {
        case 0xFE where bytes[1] & 0xC0 == 0x80: return .linkLocal
        case 0xFC, 0xFD: return .privateNetwork
        case 0xFF: return .reserved
        default: return .global
        }
    }

    /// Resolves `host` (numeric forms such as `2130706433` included, as the connection itself would) and returns
    /// the class of every address; empty when it does not resolve. Runs the blocking lookup off the task pool.
    static func resolve(_ host: String) async -> [AddressClass] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: resolveBlocking(host))
            }
        }
    }

    private static func resolveBlocking(_ host: String) -> [AddressClass] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var classes: [AddressClass] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if let address = info.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                    }
                    classes.append(classify(bytes))
                case AF_INET6:
                    let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                    }
                    classes.append(classify(bytes))
                default:
                    break
                }
            }
            next = info.pointee.ai_next
        }
        return classes
    }
}

extension NodeAddress {
    /// The port a connection uses: the explicit one, else the scheme's default.
    var effectivePort: Int { port ?? (isSecure ? 443 : 80) }
}
