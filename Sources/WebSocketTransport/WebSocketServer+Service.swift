import ServiceLifecycle

extension WebSocketServer: Service {
    /// Serves until graceful shutdown (or cancellation), then shuts down: queued frames are flushed and every
    /// connection is closed with 1001. Binds first unless ``start()`` already did: callers that need the port
    /// before the group runs call ``start()`` themselves.
    public func run() async throws {
        do {
            _ = try start()
        } catch .alreadyStarted {
            // Bound by the caller; serve what is running.
        }
        try? await gracefulShutdown()
        await shutdown()
    }
}
