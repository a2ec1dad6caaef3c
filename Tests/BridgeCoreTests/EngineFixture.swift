import BridgeProtocol
import Clocks
import CoreMetrics
import Logging

@testable import BridgeCore

/// What an engine suite holds: a fake upstream, a recording sink and a test clock. Suites conform and get the
/// engine factory and the frame helpers below, so each suite declares only its rooms (and metrics, if it reads
/// them).
protocol EngineFixture {
    var upstream: FakeUpstream { get }
    var sink: RecordingSink { get }
    var clock: TestClock<Duration> { get }
    /// Where the engine's metrics go; `nil` keeps the process-wide factory.
    var metricsFactory: (any MetricsFactory)? { get }
}

extension EngineFixture {
    var metricsFactory: (any MetricsFactory)? { nil }

    /// An engine on this fixture's upstream, sink and clock, with the default configuration changed by
    /// `configure`.
    func engine(_ configure: (inout BridgeConfiguration) -> Void = { _ in }) -> BridgeEngine {
        var configuration = BridgeConfiguration()
        configure(&configuration)
        if let metricsFactory {
            return BridgeEngine(
                configuration: configuration,
                upstream: upstream,
                sink: sink,
                logger: Logger(label: "test"),
                clock: clock,
                metricsFactory: metricsFactory
            )
        }
        return BridgeEngine(
            configuration: configuration,
            upstream: upstream,
            sink: sink,
            logger: Logger(label: "test"),
            clock: clock
        )
    }

    /// A `join` request for `alias` on a public node name, as the display name "Bot".
    func joinFrame(id: Int, alias: String) -> String {
        #"{"type":"join","id":\#(id),"node":"node.example.com","alias":"\#(alias)","display_name":"Bot"}"#
    }

    /// The session of a successful `join` (or `resume`) result, nil otherwise.
    func session(_ r: Result<ResultData, ErrorBody>) -> SessionSnapshot? {
        if case .success(.session(let s)) = r { return s }
        return nil
    }
}
