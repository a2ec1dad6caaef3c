import BridgeClient
import BridgeProtocol
import Foundation
import Testing

@Suite("Secrets never leave the bridge")
struct SecretsTests {
    @Test func noPINOrTokenAppearsInAnyFrameOrLogLine() async throws {
        let controllerSecret = "ctl-4f9a8b7c6d5e"
        let wrongSecret = "wrong-\(controllerSecret)"
        let bridge = try await TestBridge.start {
            $0.core.authTokens = [.init(secret: controllerSecret, role: .controller)]
            $0.core.authFailureCloseDelay = .milliseconds(50)
        }
        let client = try await bridge.client(token: controllerSecret)
        let watcher = try await bridge.client(token: controllerSecret)
        let subscribed = try await watcher.request(.subscribe(session: nil, sinceSeq: nil))
        #expect(subscribed == .success(.sessions([], replayed: nil)))

        // Every PIN path, each with its expected outcome (an early refusal would skip the code that handles PINs):
        // wrong PIN in join, wrong PIN, right guest PIN, right host PIN in join, optional host PIN, lockout.
        let a = try await client.join("t.pin", pin: TestPINs.wrong)
        #expect(a.state == .pinRequired)
        #expect(a.error?.code == .invalidPIN)
        #expect(try await client.failure(.pin(session: a.id, pin: TestPINs.wrong)).code == .invalidPIN)
        #expect(try await client.session(.pin(session: a.id, pin: TestPINs.guest)).role == .guest)
        let b = try await client.join("t.pin", pin: TestPINs.host)
        #expect(b.state == .connected)
        #expect(b.role == .host)
        let c = try await client.join("t.hostpin")
        #expect(c.state == .pinOptional)
        #expect(try await client.session(.pin(session: c.id, pin: TestPINs.optionalHost)).role == .host)
        let d = try await client.join("t.pin")
        for _ in 0..<4 {
            #expect(try await client.failure(.pin(session: d.id, pin: TestPINs.wrong)).code == .invalidPIN)
        }
        #expect(try await client.failure(.pin(session: d.id, pin: TestPINs.wrong)).code == .tooManyPINAttempts)
        #expect(bridge.simulator.pinHeadersReceived(alias: "t.pin").filter { $0 == TestPINs.wrong }.count == 7)

        // A wrong auth attempt on another connection: refused, then closed with 1008; its frames and close reason
        // are searched below. (A token accepted by mistake fails here.)
        let intruder = try await bridge.client()
        #expect(try await intruder.failure(.auth(token: wrongSecret)).code == .unauthorized)
        #expect(await intruder.connection.waitUntilClosed())
        #expect(intruder.connection.closeCode == 1008)

        // A token refresh: the node asks for one and the bridge gets a new token (which must not leak either).
        let refreshesBefore = bridge.simulator.refreshCount(alias: "t.pin")
        try bridge.simulator.requestRefresh(alias: "t.pin")
        #expect(await eventually { bridge.simulator.refreshCount(alias: "t.pin") > refreshesBefore })

        #expect(try await client.request(.leave(session: b.id)) == .success(.empty))
        await bridge.stop()
        #expect(await client.connection.waitUntilClosed())
        #expect(await watcher.connection.waitUntilClosed())

        let nodeTokens = bridge.simulator.issuedTokens()
        // One token per joined session (a, b, c) plus at least one from the refresh.
        #expect(nodeTokens.count >= 4)
        let pins = [TestPINs.wrong, TestPINs.guest, TestPINs.host, TestPINs.optionalHost]
        let secrets = pins + [controllerSecret, wrongSecret] + nodeTokens
        let connections = [client.connection, watcher.connection, intruder.connection]
        let frames = connections.flatMap(\.receivedFrames)
        let closeReasons = connections.compactMap(\.closeReason)
        // Each connection recorded its frames (at least hello and its results).
        for connection in connections { #expect(connection.receivedFrames.count >= 2) }
        let logs = bridge.logs.all
        // The capture holds trace-level lines, so secrets handled at the most verbose level are searched too.
        #expect(logs.contains { $0.hasPrefix("trace ") })
        for secret in secrets {
            #expect(!frames.contains { $0.contains(secret) }, "a frame carries a secret")
            #expect(!closeReasons.contains { $0.contains(secret) }, "a close reason carries a secret")
            #expect(!logs.contains { $0.contains(secret) }, "a log line carries a secret")
        }
        await client.close()
        await watcher.close()
        await intruder.close()
    }
}
