import CoreMetrics
import Locking
import Metrics
import Prometheus
import WebSocketTransport

/// The bridge's Prometheus metrics (`GET /metrics`); never labelled with anything secret.
///
/// Each bridge has its own registry (tests run many bridges in one process, so nothing relies on the global
/// `MetricsSystem`); the parts record through ``factory`` with swift-metrics. The transport's counters are
/// read when `/metrics` is scraped: nothing polls.
final class BridgeMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory writing into ``registry``; hand it to the parts that record metrics.
    let factory: PrometheusMetricsFactory
    private let connections: Prometheus.Gauge
    private let framesDropped: Prometheus.Counter
    private let slowConsumerCloses: Prometheus.Counter
    /// The transport's figures, once it exists, and what was last copied into the counters.
    private let transport = Mutex<TransportReading>(TransportReading())

    private struct TransportReading {
        var stats: (@Sendable () -> TransportStats)?
        var framesDropped = 0
        var slowConsumerCloses = 0
    }

    /// - Parameter registry: Where the metrics live; the executable passes the one it bootstrapped
    ///   `MetricsSystem` with, tests a fresh one per bridge.
    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        connections = registry.makeGauge(
            descriptor: .init(
                metricName: "pexbridge_websocket_connections",
                unitName: "",
                helpText: "Open WebSocket connections"
            )
        )
        framesDropped = registry.makeCounter(
            descriptor: .init(
                metricName: "pexbridge_frames_dropped",
                unitName: "total",
                helpText: "Frames dropped for slow or closed clients"
            )
        )
        slowConsumerCloses = registry.makeCounter(
            descriptor: .init(
                metricName: "pexbridge_slow_consumer_closes",
                unitName: "total",
                helpText: "Clients closed for not keeping up"
            )
        )
    }

    /// Where the transport's counters are read from at each scrape.
    func readTransport(from stats: @escaping @Sendable () -> TransportStats) {
        transport.withLock { $0.stats = stats }
    }

    /// Records one upstream request: its endpoint, outcome (e.g. `ok`, `http_503`, `timeout`) and latency.
    func recordUpstream(endpoint: String, outcome: String, duration: Duration) {
        Metrics.Counter(
            label: "pexbridge_upstream_requests_total",
            dimensions: [("endpoint", endpoint), ("outcome", outcome)],
            factory: factory
        ).increment()
        Metrics.Timer(
            label: "pexbridge_upstream_request_duration_seconds",
            dimensions: [("endpoint", endpoint)],
            factory: factory
        ).record(duration: duration)
    }

    /// The Prometheus text exposition, with the transport's counters brought up to date first.
    func render() -> [UInt8] {
        transport.withLock { reading in
            guard let stats = reading.stats?() else { return }
            connections.set(Double(stats.connections))
            func advance(_ counter: Prometheus.Counter, to now: Int, from before: inout Int) {
                if now > before { counter.increment(by: Int64(now - before)) }
                before = max(before, now)
            }
            advance(framesDropped, to: stats.framesDropped, from: &reading.framesDropped)
            advance(slowConsumerCloses, to: stats.slowConsumerCloses, from: &reading.slowConsumerCloses)
        }
        return registry.emitToBuffer()
    }
}
