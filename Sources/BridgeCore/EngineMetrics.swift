import BridgeProtocol
import CoreMetrics

/// The engine's metrics through swift-metrics, made once from the injected factory. The names are the ones the
/// `/metrics` page has always shown; every label value is a constant (a role, a state, an error code), never
/// anything a client or a node wrote, and never a secret.
struct EngineMetrics: Sendable {
    let eventsPublished: Counter
    let eventDeliveries: Counter
    let pinFailures: Counter
    let authFailures: Counter
    let rateLimited: Counter
    let clientsByRole: [String: Meter]
    let sessionsByState: [SessionState: Meter]
    let requestFailures: [ErrorCode: Counter]
    /// How long the node takes to answer a token request, as the engine sees it (on the injected clock).
    let tokenRequests: Timer

    /// The role labels of `pexbridge_clients`.
    static let roles = ["controller", "observer", "unauthenticated"]

    init(factory: any MetricsFactory) {
        eventsPublished = Counter(label: "pexbridge_events_total", factory: factory)
        eventDeliveries = Counter(label: "pexbridge_event_deliveries_total", factory: factory)
        pinFailures = Counter(label: "pexbridge_pin_failures_total", factory: factory)
        authFailures = Counter(label: "pexbridge_auth_failures_total", factory: factory)
        rateLimited = Counter(label: "pexbridge_rate_limited_total", factory: factory)
        clientsByRole = Dictionary(
            uniqueKeysWithValues: Self.roles.map { role in
                (role, Meter(label: "pexbridge_clients", dimensions: [("role", role)], factory: factory))
            }
        )
        sessionsByState = Dictionary(
            uniqueKeysWithValues: SessionState.allCases.filter { !$0.isFinal }.map { state in
                (state, Meter(label: "pexbridge_sessions", dimensions: [("state", state.rawValue)], factory: factory))
            }
        )
        requestFailures = Dictionary(
            uniqueKeysWithValues: ErrorCode.allCases.map { code in
                let label = "pexbridge_request_failures_total"
                return (code, Counter(label: label, dimensions: [("code", code.rawValue)], factory: factory))
            }
        )
        tokenRequests = Timer(label: "pexbridge_token_request_duration_seconds", factory: factory)
    }

    /// A client changed role label (`nil` = it came or went).
    func client(from old: String?, to new: String?) {
        if let old { clientsByRole[old]?.decrement() }
        if let new { clientsByRole[new]?.increment() }
    }

    /// A session moved between wire states (`nil` = it was made or retired); final states are not gauged.
    func session(from old: SessionState?, to new: SessionState?) {
        guard old != new else { return }
        if let old { sessionsByState[old]?.decrement() }
        if let new { sessionsByState[new]?.increment() }
    }
}
