import BridgeCore
import BridgeProtocol
import Prometheus
import Synchronization
import WebSocketTransport

/// The bridge's Prometheus metrics (`GET /metrics`); never labelled with anything secret.
final class BridgeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let clientsByRole: [String: Gauge]
    private let sessionsByState: [SessionState: Gauge]
    private let eventsPublished: Counter
    private let eventDeliveries: Counter
    private let pinFailures: Counter
    private let authFailures: Counter
    private let rateLimited: Counter
    private let framesDropped: Counter
    private let slowConsumerCloses: Counter
    private let connections: Gauge
    private let upstreamLatency = Mutex<[String: DurationHistogram]>([:])
    private let upstreamRequests = Mutex<[String: Counter]>([:])
    private let last = Mutex(Snapshot())

    private struct Snapshot {
        var eventsPublished = 0
        var eventDeliveries = 0
        var pinFailures = 0
        var authFailures = 0
        var rateLimited = 0
        var framesDropped = 0
        var slowConsumerCloses = 0
    }

    init() {
        let registry = self.registry
        clientsByRole = Dictionary(uniqueKeysWithValues: ["controller", "observer", "unauthenticated"].map { role in
            (role, registry.makeGauge(name: "pexbridge_clients", labels: [("role", role)], help: "Connected front ends by role"))
        })
        sessionsByState = Dictionary(uniqueKeysWithValues: SessionState.allCases.filter { !$0.isFinal }.map { state in
            (state, registry.makeGauge(name: "pexbridge_sessions", labels: [("state", state.rawValue)], help: "Live conference sessions by state"))
        })
        eventsPublished = registry.makeCounter(name: "pexbridge_events_total", help: "Session events published")
        eventDeliveries = registry.makeCounter(name: "pexbridge_event_deliveries_total", help: "Event frames fanned out to clients")
        pinFailures = registry.makeCounter(name: "pexbridge_pin_failures_total", help: "Wrong PINs (including lockouts)")
        authFailures = registry.makeCounter(name: "pexbridge_auth_failures_total", help: "Failed or held-back auth attempts")
        rateLimited = registry.makeCounter(name: "pexbridge_rate_limited_total", help: "Requests refused with rate_limited")
        framesDropped = registry.makeCounter(name: "pexbridge_frames_dropped_total", help: "Frames dropped for slow or closed clients")
        slowConsumerCloses = registry.makeCounter(name: "pexbridge_slow_consumer_closes_total", help: "Clients closed for not keeping up")
        connections = registry.makeGauge(name: "pexbridge_websocket_connections", help: "Open WebSocket connections")
    }

    /// Records one upstream request: its endpoint, outcome (e.g. `ok`, `http_503`, `timeout`) and latency.
    func recordUpstream(endpoint: String, outcome: String, duration: Duration) {
        let counter = upstreamRequests.withLock { counters in
            let key = "\(endpoint)|\(outcome)"
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "pexbridge_upstream_requests_total", labels: [("endpoint", endpoint), ("outcome", outcome)],
                help: "Requests to conference nodes by endpoint and outcome")
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = upstreamLatency.withLock { histograms in
            if let histogram = histograms[endpoint] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "pexbridge_upstream_request_duration_seconds", labels: [("endpoint", endpoint)],
                buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                          .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)],
                help: "Latency of requests to conference nodes")
            histograms[endpoint] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// Brings gauges and counters up to date from the engine's and the transport's figures.
    func update(engine: EngineCounters, transport: TransportStats) {
        for (role, gauge) in clientsByRole { gauge.set(Double(engine.clientsByRole[role] ?? 0)) }
        for (state, gauge) in sessionsByState { gauge.set(Double(engine.sessionsByState[state] ?? 0)) }
        connections.set(Double(transport.connections))
        last.withLock { previous in
            func advance(_ counter: Counter, _ now: Int, _ before: inout Int) {
                if now > before { counter.increment(by: Int64(now - before)) }
                before = max(before, now)
            }
            advance(eventsPublished, engine.eventsPublished, &previous.eventsPublished)
            advance(eventDeliveries, engine.eventDeliveries, &previous.eventDeliveries)
            advance(pinFailures, engine.pinFailures, &previous.pinFailures)
            advance(authFailures, engine.authFailures, &previous.authFailures)
            advance(rateLimited, engine.rateLimited, &previous.rateLimited)
            advance(framesDropped, transport.framesDropped, &previous.framesDropped)
            advance(slowConsumerCloses, transport.slowConsumerCloses, &previous.slowConsumerCloses)
        }
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
