import Logging
import NIOCore
import NIOPosix

/// Finds a conference node for a domain as Pexip's clients do: DNS SRV `_pexapp._tcp.<domain>`, lowest priority
/// first and weighted within a priority (RFC 2782), then the domain itself.
public enum NodeDiscovery {
    /// RFC 2782's order: by priority; within one priority, a weighted random draw without replacement (records of
    /// weight 0 first in the running sum, so they are drawn with a small chance, as the RFC asks).
    ///
    /// - Parameters:
    ///   - records: The SRV records.
    ///   - generator: The randomness of the weighted draw (tests pass a seeded one).
    /// - Returns: The records in the order to try them.
    public static func order(_ records: [SRVRecord], using generator: inout some RandomNumberGenerator) -> [SRVRecord] {
        let priorities = Set(records.map(\.priority)).sorted()
        var ordered: [SRVRecord] = []
        for priority in priorities {
            var pool = records.filter { $0.priority == priority }.sorted {
                ($0.weight == 0 ? 0 : 1) < ($1.weight == 0 ? 0 : 1)
            }
            while !pool.isEmpty {
                let total = pool.reduce(0) { $0 + Int($1.weight) }
                let pick = Int.random(in: 0...total, using: &generator)
                var running = 0
                var chosen = pool.count - 1
                for (index, record) in pool.enumerated() {
                    running += Int(record.weight)
                    if running >= pick {
                        chosen = index
                        break
                    }
                }
                ordered.append(pool.remove(at: chosen))
            }
        }
        return ordered
    }

    /// The nodes to try for `domain`, in order: the SRV targets (a target "." means no service and is skipped),
    /// then the domain itself on `fallbackPort`. A failed look-up only leaves the domain.
    ///
    /// - Parameters:
    ///   - domain: The part after `@` of an alias.
    ///   - resolver: The DNS client; nil skips SRV.
    ///   - fallbackPort: The port for the domain itself (443 for HTTPS).
    ///   - logger: Where the look-up is told.
    public static func candidates(
        for domain: String,
        resolver: DNSResolver?,
        fallbackPort: Int,
        logger: Logger
    ) async -> [NodeAddress] {
        var nodes: [NodeAddress] = []
        if let resolver {
            do {
                var generator = SystemRandomNumberGenerator()
                let records = order(try await resolver.srv("_pexapp._tcp.\(domain)"), using: &generator)
                for record in records where !record.target.isEmpty && record.port != 0 {
                    let port = record.port == 443 ? nil : Int(record.port)
                    if let node = try? NodeAddress(host: record.target, port: port) { nodes.append(node) }
                }
                logger.debug(
                    "node discovery: SRV answer",
                    metadata: ["discovery.domain": "\(domain)", "discovery.targets": "\(nodes.count)"]
                )
            } catch {
                logger.info(
                    "node discovery: SRV look-up failed",
                    metadata: ["discovery.domain": "\(domain)", "discovery.error": "\(error)"]
                )
            }
        }
        if let itself = try? NodeAddress(host: domain, port: fallbackPort == 443 ? nil : fallbackPort),
            !nodes.contains(itself)
        {
            nodes.append(itself)
        }
        return nodes
    }

    /// Whether a TCP connection to `node` opens within `timeout` (the node answers at all).
    static func accepts(_ node: NodeAddress, timeout: Duration) async -> Bool {
        let port = node.port ?? (node.isSecure ? 443 : 80)
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .connect(host: node.host, port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }
}

extension InfinityClient {
    /// The node for `domain`: the first of `NodeDiscovery.candidates` that the node policy allows and that
    /// accepts a connection. A refused candidate is never connected to.
    ///
    /// - Parameter domain: The part after `@` of an alias.
    /// - Returns: The node to join through.
    public func discoverNode(domain: String) async throws(InfinityError) -> NodeAddress {
        var resolver = configuration.dnsServer.map { DNSResolver(server: $0) } ?? DNSResolver.system()
        resolver?.timeout = configuration.dnsTimeout
        let candidates = await NodeDiscovery.candidates(
            for: domain,
            resolver: resolver,
            fallbackPort: configuration.discoveryFallbackPort,
            logger: logger
        )
        var refused = 0
        for node in candidates {
            do {
                try await checkNode(node)
            } catch {
                refused += 1
                continue
            }
            if await NodeDiscovery.accepts(node, timeout: configuration.connectTimeout) {
                logger.info(
                    "node discovery: found",
                    metadata: ["discovery.domain": "\(domain)", "infinity.node": "\(node)"]
                )
                return node
            }
        }
        if refused == candidates.count && refused > 0 { throw .nodeNotAllowed }
        throw .unreachable("no conference node answers for \(domain)")
    }
}
