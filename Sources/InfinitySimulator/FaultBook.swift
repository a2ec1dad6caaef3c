/// Pending injected faults: answers to fail and answers to delay.
struct FaultBook: Sendable {
    private struct Failure {
        let endpoint: String
        let alias: String?
        let status: Int
        var remaining: Int
    }

    private struct Delay {
        let endpoint: String
        let alias: String?
        let delay: Duration
        var remaining: Int
    }

    /// Upper bound on the count of one rule.
    static let maxCount = 10_000
    /// Upper bound on one delay.
    static let maxDelay: Duration = .seconds(60)
    /// Upper bound on pending rules of each kind.
    static let maxRules = 256

    private var failures: [Failure] = []
    private var delays: [Delay] = []

    /// Forgets every pending failure and delay.
    mutating func clear() {
        failures.removeAll()
        delays.removeAll()
    }

    mutating func addFailure(endpoint: String, alias: String?, status: Int, count: Int) {
        guard count > 0 else { return }
        if failures.count >= Self.maxRules { failures.removeFirst() }
        failures.append(
            Failure(
                endpoint: endpoint,
                alias: alias.map(EngineState.key),
                status: min(max(status, 100), 599),
                remaining: min(count, Self.maxCount)
            )
        )
    }

    mutating func addDelay(endpoint: String, alias: String?, delay: Duration, count: Int) {
        guard count > 0 else { return }
        if delays.count >= Self.maxRules { delays.removeFirst() }
        let bounded = min(max(delay, .zero), Self.maxDelay)
        delays.append(
            Delay(
                endpoint: endpoint,
                alias: alias.map(EngineState.key),
                delay: bounded,
                remaining: min(count, Self.maxCount)
            )
        )
    }

    /// Consumes one failure matching the call and returns its status.
    mutating func takeFailure(endpoint: String, alias: String) -> Int? {
        let key = EngineState.key(alias)
        guard
            let index = failures.firstIndex(where: { $0.endpoint == endpoint && ($0.alias == nil || $0.alias == key) })
        else { return nil }
        failures[index].remaining -= 1
        let status = failures[index].status
        if failures[index].remaining <= 0 { failures.remove(at: index) }
        return status
    }

    /// Consumes one delay matching the call and returns it.
    mutating func takeDelay(endpoint: String, alias: String) -> Duration? {
        let key = EngineState.key(alias)
        guard let index = delays.firstIndex(where: { $0.endpoint == endpoint && ($0.alias == nil || $0.alias == key) })
        else { return nil }
        delays[index].remaining -= 1
        let delay = delays[index].delay
        if delays[index].remaining <= 0 { delays.remove(at: index) }
        return delay
    }
}
