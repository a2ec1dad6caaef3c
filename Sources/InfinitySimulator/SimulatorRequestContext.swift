import Hummingbird

/// Per-request context: lets an event stream end when its connection closes.
struct SimulatorRequestContext: InitializableFromSource {
    /// Runs the action once the request's connection has closed.
    let whenConnectionCloses: @Sendable (@escaping @Sendable () -> Void) -> Void

    init(source: ApplicationRequestContextSource) {
        let channel = source.channel
        self.whenConnectionCloses = { action in
            channel.closeFuture.whenComplete { _ in action() }
        }
    }
}
