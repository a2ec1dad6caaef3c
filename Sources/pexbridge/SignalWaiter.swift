import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM.
enum SignalWaiter {
    /// Returns the name of the first termination signal received.
    static func wait() async -> String {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        var iterator = stream.makeAsyncIterator()
        let name = await iterator.next() ?? "end"
        for source in sources { source.cancel() }
        return name
    }
}
