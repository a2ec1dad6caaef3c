import BridgeClient
import BridgeProtocol
import Foundation
import Testing

@Suite("Secrets never leave the bridge")
struct SecretsTests {
    @Test func noPINOrTokenAppearsInAnyFrameOrLogLine() async throws {
        let controllerSecret = "ctl-4f9a8b7c6d5e"
        let bridge = try await TestBridge.start {
            $0.core.authTokens = [.init(secret: controllerSecret, role: .controller)]
            $0.simulator.tokenExpiry = .seconds(3)
        }
        let client = try await bridge.client(token: controllerSecret)
        let watcher = try await bridge.client(token: controllerSecret)
        _ = try await watcher.request(.subscribe(session: nil, sinceSeq: nil))

        // Every PIN path: wrong PIN in join, wrong PIN, right guest PIN, right host PIN, optional PIN, lockout.
        let a = try await client.join("t.pin", pin: TestPINs.wrong)
        _ = try await client.request(.pin(session: a.id, pin: TestPINs.wrong))
        _ = try await client.request(.pin(session: a.id, pin: TestPINs.guest))
        let b = try await client.join("t.pin", pin: TestPINs.host)
        #expect(b.state == .connected)
        let c = try await client.join("t.hostpin")
        _ = try await client.request(.pin(session: c.id, pin: TestPINs.optionalHost))
        let d = try await client.join("t.pin")
        for _ in 0..<5 { _ = try await client.request(.pin(session: d.id, pin: TestPINs.wrong)) }
        // A wrong auth attempt on another connection.
        _ = try? await BridgeConnection.connect(url: bridge.url, token: "wrong-\(controllerSecret)")
        // Let a token refresh happen (expiry 3 s → refresh after 1 s).
        try await Task.sleep(for: .milliseconds(1500))
        _ = try await client.request(.leave(session: b.id))
        await bridge.stop()

        let nodeTokens = bridge.simulator.issuedTokens()
        #expect(!nodeTokens.isEmpty)
        let secrets = [TestPINs.wrong, TestPINs.guest, TestPINs.host, TestPINs.optionalHost, controllerSecret] + nodeTokens
        let frames = client.connection.receivedFrames + watcher.connection.receivedFrames
        let logs = bridge.logs.all
        #expect(logs.count > 20)
        for secret in secrets {
            #expect(!frames.contains { $0.contains(secret) }, "a frame carries a secret")
            #expect(!logs.contains { $0.contains(secret) }, "a log line carries a secret")
        }
        await client.close()
        await watcher.close()
    }
}
