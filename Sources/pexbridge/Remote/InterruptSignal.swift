import Dispatch
import Foundation

/// SIGINT and SIGTERM delivered as a stream, caught from the moment this is made until `cancel()`.
struct InterruptSignal {
    /// One element per signal received.
    let received: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.received = stream
        self.sources = sources
    }

    /// Stops catching; the signals stay ignored, as the command is about to exit.
    func cancel() {
        for source in sources { source.cancel() }
    }
}
