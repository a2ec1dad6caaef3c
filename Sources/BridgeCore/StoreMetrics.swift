import CoreMetrics

/// The store's figures (`serve --store`): leases held, takeovers and handovers, leases lost to another instance,
/// and how the store answers writes. Labels are constants; no session id, token or URL appears.
struct StoreMetrics: Sendable {
    let leasesHeld: Meter
    let takeovers: Counter
    let handovers: Counter
    let leasesLost: Counter
    let writeFailures: Counter
    /// One writer batch (events, token, snapshot) as the store took it, on the wall clock of the writer.
    let writes: Timer

    init(factory: any MetricsFactory) {
        leasesHeld = Meter(label: "pexbridge_store_leases", factory: factory)
        takeovers = Counter(label: "pexbridge_store_takeovers_total", factory: factory)
        handovers = Counter(label: "pexbridge_store_handovers_total", factory: factory)
        leasesLost = Counter(label: "pexbridge_store_leases_lost_total", factory: factory)
        writeFailures = Counter(label: "pexbridge_store_write_failures_total", factory: factory)
        writes = Timer(label: "pexbridge_store_write_duration_seconds", factory: factory)
    }
}
