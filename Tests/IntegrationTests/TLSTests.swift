import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import Testing
import WebSocketTransport

@Suite("WSS and HTTPS on the bridge's port")
struct TLSTests {
    @Test func aTLSBridgeSpeaksWSSToAClientThatTrustsItsCertificate() async throws {
        let certificate = try await TestCertificate.make()
        defer { certificate.remove() }
        let bridge = try await TestBridge.start {
            $0.tls = TLSFiles(certificatePath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        }
        let connection = try await BridgeConnection.connect(
            url: "wss://127.0.0.1:\(bridge.port)/ws",
            tlsConfiguration: try certificate.clientConfiguration(),
            serverName: "localhost"
        )
        let joined = try await connection.request(
            .join(JoinParameters(node: "simulator", alias: "t.open", displayName: "TLS"))
        )
        guard case .success(.session(let s)) = joined else {
            Issue.record("\(joined)")
            return
        }
        #expect(s.state == .connected)
        await connection.close()
        // A client that does not trust the certificate is refused by its own verification, not by a timeout.
        await expectRefused(containing: "CERTIFICATE_VERIFY_FAILED") {
            _ = try await BridgeConnection.connect(
                url: "wss://127.0.0.1:\(bridge.port)/ws",
                serverName: "localhost",
                timeout: TestPatience.stretch(.seconds(10))
            )
        }
        // Plain ws:// on a TLS port does not work either.
        await expectRefused {
            _ = try await BridgeConnection.connect(
                url: "ws://127.0.0.1:\(bridge.port)/ws",
                timeout: TestPatience.stretch(.seconds(10))
            )
        }
        await bridge.stop()
    }
}
