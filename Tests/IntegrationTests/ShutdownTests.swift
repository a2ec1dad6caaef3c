import BridgeProtocol
import BridgeServer
import Foundation
import Testing

@Suite("Shutdown")
struct ShutdownTests {
    @Test func shutdownReleasesEverySessionAndTellsEveryClient() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let watcher = try await bridge.client()
        _ = try await watcher.request(.subscribe(session: nil, sinceSeq: nil))
        let a = try await client.join("t.open")
        let b = try await client.join("t.pin", pin: TestPINs.guest)
        let c = try await client.join("t.hostpin")
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 1)
        #expect(bridge.simulator.liveTokenCount(alias: "t.pin") == 1)
        await bridge.stop()
        #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 0)
        #expect(bridge.simulator.liveTokenCount(alias: "t.pin") == 0)
        for session in [a.id, b.id, c.id] {
            for observer in [client, watcher] {
                let change = try await observer.waitForState(session, .disconnected)
                #expect(change.reason == .bridgeShutdown)
            }
        }
        #expect(await client.connection.waitUntilClosed())
        #expect(client.connection.closeCode == 1001)
        #expect(await bridge.bridge.engine.sessionCount == 0)
    }

    @Test func aBridgeThatCannotStartStopsWhatItStartedAndCanBeDropped() async throws {
        let first = try await TestBridge.start()
        // Same port: the simulator starts, the transport cannot bind. The simulator is stopped again and the
        // upstream client shut down (dropping a client that is still live traps in its deinit).
        let logs = LogCapture()
        let configuration = TestBridge.configuration { $0.port = first.port }
        await #expect(throws: BridgeStartError.self) { _ = try await BridgeHarness.bind(configuration, logs: logs) }
        let started = try #require(logs.all.first { $0.contains("Infinity simulator listening") })
        let simulatorPort = try #require(
            started.split(separator: "port=").last.flatMap { Int($0.prefix { $0.isNumber }) }
        )
        #expect(logs.all.contains { $0.contains("Infinity simulator stopped") })
        // Nothing listens there any more: the connection is refused at once (a listener that accepted and then
        // hung would end in a receive timeout, a different error).
        await #expect(throws: POSIXError(.ECONNREFUSED)) {
            try await httpRequest(port: simulatorPort, method: "GET", path: "/_simulator/rooms")
        }
        await first.stop()
    }
}
