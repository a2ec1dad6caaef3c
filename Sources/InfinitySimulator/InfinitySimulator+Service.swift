import ServiceLifecycle

extension InfinitySimulator: Service {
    /// Serves until graceful shutdown (or cancellation), then stops: every event stream and the listener are
    /// closed. Binds first unless ``start()`` already did: a composition root that must pass the node's address
    /// on calls ``start()`` before the group runs.
    public func run() async throws {
        if port == nil {
            _ = try await start()
        }
        try? await gracefulShutdown()
        await stop()
    }
}
