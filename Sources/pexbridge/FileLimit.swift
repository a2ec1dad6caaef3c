import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The open-file limit: every WebSocket client, upstream connection and listener is a descriptor, and the
/// usual soft default (1,024) is far below what a bridge with thousands of observers needs. Like most
/// servers, `serve` raises the soft limit to the hard one at start and says when it is still short.
enum FileLimit {
    /// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the limit now in force (nil if unknown).
    @discardableResult
    static func raiseToHardLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    /// Raises the limit and warns when it cannot hold `connections` clients plus the bridge's own descriptors.
    static func prepare(forConnections connections: Int, logger: Logger) {
        guard let limit = raiseToHardLimit() else { return }
        let needed = UInt64(connections) + 256
        if limit < needed {
            logger.warning(
                "open-file limit is below what max-connections needs",
                metadata: [
                    "nofile": "\(limit)", "max_connections": "\(connections)", "needed": "\(needed)",
                ]
            )
        } else {
            logger.debug("open-file limit", metadata: ["nofile": "\(limit)"])
        }
    }
}
