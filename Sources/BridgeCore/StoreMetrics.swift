import CoreMetrics

/// The store's figures (`serve --store`): leases held, takeovers and handovers, leases lost to another instance,
/// requests forwarded and events relayed between instances, and how the store answers (writes, probes). Labels are constants; no session id, token or URL appears.
struct StoreMetrics: Sendable {
    let leasesHeld: Meter
    let takeovers: Counter
    let handovers: Counter
    let leasesLost: Counter
    let writeFailures: Counter
    /// One writer batch (events, token, snapshot) as the store took it, on the wall clock of the writer.
    let writes: Timer
    /// Requests sent to the instance holding their session.
    let forwarded: Counter
    /// Events of sessions other instances hold, received over the store's bus.
    let eventsRelayed: Counter
    /// The store's answer to a health probe (`SELECT 1`) every second.
    let probe: Timer
    /// 1 while the store answers, 0 while it does not.
    let available: Meter

    init(factory: any MetricsFactory) {
        leasesHeld = Meter(label: "pexbridge_store_leases", factory: factory)
        takeovers = Counter(label: "pexbridge_store_takeovers_total", factory: factory)
        handovers = Counter(label: "pexbridge_store_handovers_total", factory: factory)
        leasesLost = Counter(label: "pexbridge_store_leases_lost_total", factory: factory)
        writeFailures = Counter(label: "pexbridge_store_write_failures_total", factory: factory)
        writes = Timer(label: "pexbridge_store_write_duration_seconds", factory: factory)
        forwarded = Counter(label: "pexbridge_store_forwarded_requests_total", factory: factory)
        eventsRelayed = Counter(label: "pexbridge_store_events_relayed_total", factory: factory)
        probe = Timer(label: "pexbridge_store_probe_duration_seconds", factory: factory)
        available = Meter(label: "pexbridge_store_available", factory: factory)
    }
}
