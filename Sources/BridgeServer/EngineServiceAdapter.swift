import BridgeCore
import BridgeProtocol
import Logging
import Metrics
import ServiceLifecycle
import WebSocketTransport

/// TEMPORARY: runs today's `BridgeEngine` as a `Service` until the core's own `run()` is merged; the lead
/// replaces this file at merge (the engine then records its metrics through the factory itself).
///
/// Runs until graceful shutdown, then does the engine's shutdown (every client told `bridge_shutdown`, every
/// session released upstream) while the transport and upstream client are still up (they come before it in
/// ``PexBridge/services``, so the group stops them after it).
struct EngineServiceAdapter: Service, CustomStringConvertible {
    let engine: BridgeEngine
    let metrics: BridgeMetrics
    let logger: Logger
    var description: String { "BridgeEngine" }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await mirrorEngineFigures() }
            try? await gracefulShutdown()
            await engine.shutdown()
            group.cancelAll()
        }
    }

    /// Interim, goes with this file: copies the engine's counters into swift-metrics once a second, because
    /// today's engine only offers a snapshot (`statistics`). The reshaped core records them as they happen.
    private func mirrorEngineFigures() async {
        let factory = metrics.factory
        let clients = Dictionary(
            uniqueKeysWithValues: ["controller", "observer", "unauthenticated"].map { role in
                (role, Metrics.Gauge(label: "pexbridge_clients", dimensions: [("role", role)], factory: factory))
            })
        let sessions = Dictionary(
            uniqueKeysWithValues: SessionState.allCases.filter { !$0.isFinal }.map { state in
                let gauge = Metrics.Gauge(
                    label: "pexbridge_sessions", dimensions: [("state", state.rawValue)], factory: factory)
                return (state, gauge)
            })
        let counters: [(Metrics.Counter, KeyPath<EngineCounters, Int>)] = [
            (Metrics.Counter(label: "pexbridge_events_total", factory: factory), \.eventsPublished),
            (Metrics.Counter(label: "pexbridge_event_deliveries_total", factory: factory), \.eventDeliveries),
            (Metrics.Counter(label: "pexbridge_pin_failures_total", factory: factory), \.pinFailures),
            (Metrics.Counter(label: "pexbridge_auth_failures_total", factory: factory), \.authFailures),
            (Metrics.Counter(label: "pexbridge_rate_limited_total", factory: factory), \.rateLimited),
        ]
        var previous: EngineCounters?
        while !Task.isCancelled {
            let now = await engine.statistics
            for (role, gauge) in clients { gauge.record(now.clientsByRole[role] ?? 0) }
            for (state, gauge) in sessions { gauge.record(now.sessionsByState[state] ?? 0) }
            for (counter, figure) in counters {
                let before = previous?[keyPath: figure] ?? 0
                if now[keyPath: figure] > before { counter.increment(by: now[keyPath: figure] - before) }
            }
            previous = now
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
