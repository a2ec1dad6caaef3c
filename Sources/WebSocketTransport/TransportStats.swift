import Synchronization

/// Counters of one server, read with ``WebSocketServer/stats()``.
public struct TransportStats: Sendable, Equatable {
    /// Open WebSocket connections on ``TransportConfiguration/webSocketPath``.
    public var connections: Int
    /// Connections opened since start.
    public var connectionsOpened: Int
    /// Upgrades refused (bad path, origin, subprotocol, connection limits, shutting down).
    public var upgradesRefused: Int
    /// Frames handed to the socket.
    public var framesSent: Int
    /// Frames dropped unsent (slow consumer, connection closing or gone).
    public var framesDropped: Int
    /// Connections closed with 1008 because their outbox passed the bound.
    public var slowConsumerCloses: Int
    /// Connections closed with 1009 because a message passed the size limit.
    public var oversizeCloses: Int
    /// Bytes queued in outboxes and not yet handed to the socket.
    public var bytesQueued: Int
    /// Whole messages received (text and binary).
    public var messagesReceived: Int
    /// Plain HTTP requests answered.
    public var httpRequests: Int
    /// Times a connection's reads were paused because the core had not consumed its messages (or all messages).
    public var readsPausedForBacklog: Int
    /// Times a connection's reads were paused because it sent faster than ``TransportConfiguration/messageRate``.
    public var readsPausedForRate: Int
    /// Connections closed with 1008 because they kept exceeding the message rate.
    public var rateLimitCloses: Int
    /// TCP connections closed at accept because their address already held
    /// ``TransportConfiguration/maxHTTPConnectionsPerAddress``.
    public var httpConnectionsRefused: Int
    /// Open TCP connections that are not WebSocket connections (plain HTTP, upgrades in progress).
    public var httpConnections: Int
    /// Messages received and not yet consumed from ``WebSocketServer/events``.
    public var inboundBacklog: Int
    /// The largest ``inboundBacklog`` since start.
    public var inboundBacklogPeak: Int
}

/// Live counters, written by the service thread and read by anyone.
final class StatsCounters: Sendable {
    let connections = Atomic<Int>(0)
    let connectionsOpened = Atomic<Int>(0)
    let upgradesRefused = Atomic<Int>(0)
    let framesSent = Atomic<Int>(0)
    let framesDropped = Atomic<Int>(0)
    let slowConsumerCloses = Atomic<Int>(0)
    let oversizeCloses = Atomic<Int>(0)
    let bytesQueued = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    let httpRequests = Atomic<Int>(0)
    let readsPausedForBacklog = Atomic<Int>(0)
    let readsPausedForRate = Atomic<Int>(0)
    let rateLimitCloses = Atomic<Int>(0)
    let httpConnectionsRefused = Atomic<Int>(0)
    let httpConnections = Atomic<Int>(0)

    /// The counters, with the inbound backlog taken from the event queue.
    func snapshot(backlog: (current: Int, peak: Int)) -> TransportStats {
        TransportStats(
            connections: connections.load(ordering: .relaxed),
            connectionsOpened: connectionsOpened.load(ordering: .relaxed),
            upgradesRefused: upgradesRefused.load(ordering: .relaxed),
            framesSent: framesSent.load(ordering: .relaxed),
            framesDropped: framesDropped.load(ordering: .relaxed),
            slowConsumerCloses: slowConsumerCloses.load(ordering: .relaxed),
            oversizeCloses: oversizeCloses.load(ordering: .relaxed),
            bytesQueued: bytesQueued.load(ordering: .relaxed),
            messagesReceived: messagesReceived.load(ordering: .relaxed),
            httpRequests: httpRequests.load(ordering: .relaxed),
            readsPausedForBacklog: readsPausedForBacklog.load(ordering: .relaxed),
            readsPausedForRate: readsPausedForRate.load(ordering: .relaxed),
            rateLimitCloses: rateLimitCloses.load(ordering: .relaxed),
            httpConnectionsRefused: httpConnectionsRefused.load(ordering: .relaxed),
            httpConnections: httpConnections.load(ordering: .relaxed),
            inboundBacklog: backlog.current,
            inboundBacklogPeak: backlog.peak
        )
    }
}

extension Atomic where Value == Int {
    /// Adds `delta` (may be negative).
    func add(_ delta: Int) {
        _ = wrappingAdd(delta, ordering: .relaxed)
    }
}
