/// What an `InfinityConnection` reports, in order.
public enum ConnectionUpdate: Sendable, Equatable {
    /// Every event-stream event, in order (the sync burst comes again after each reconnect).
    case event(InfinityEvent)
    /// Upstream health changes.
    case health(UpstreamHealth)
    /// The participant's role changed (from a refresh answer or the own roster entry).
    case roleChanged(InfinityRole)
    /// The connection is over; always the last update, exactly once.
    case ended(ConnectionEndReason)
}

/// Health of the link to the node.
public enum UpstreamHealth: Sendable, Equatable {
    /// The event stream is (re)established.
    case ok
    /// The event stream was lost; attempt `attempt` starts after `delay`.
    case reconnecting(attempt: Int, delay: Duration)
    /// Refresh attempt `attempt` failed; it is retried until the token expires.
    case tokenRefreshFailed(attempt: Int)
}

/// Why an `InfinityConnection` ended.
public enum ConnectionEndReason: Sendable, Equatable {
    /// The node disconnected us (`disconnect` event with its reason, "Invalid token", or the conference vanished).
    case remoteDisconnect(String)
    /// The token could not be refreshed before it expired.
    case tokenExpired
    /// No event stream could be opened for `giveUpAfter`.
    case upstreamLost
    /// `release()` was called.
    case released
    /// `close()` was called (the token was not released).
    case closed
}
