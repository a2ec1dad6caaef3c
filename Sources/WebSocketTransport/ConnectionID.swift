/// Identifies one WebSocket connection for the lifetime of its server.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number behind the id; unique within one server, never 0.
    public let rawValue: UInt64

    /// Wraps a raw id.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { "conn-\(rawValue)" }
}
