import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Testing

/// The bridge's leg to a node over HTTPS with a private CA (`--node-ca-file`, `infinity.trustRootsPEMFile`): the
/// embedded simulator behind a TLS front door whose certificate only that CA vouches for.
@Suite("HTTPS to a node with a private CA")
struct NodeTLSTests {
    /// A bridge, its simulator behind TLS, and the CA; `trustCA` decides whether the bridge is given the CA file.
    func withNodeBehindTLS(trustCA: Bool, _ body: (TestBridge, TLSFrontDoor) async throws -> Void) async throws {
        let ca = try await PrivateCA.make()
        defer { ca.remove() }
        let bridge = try await TestBridge.start {
            if trustCA { $0.infinity.trustRootsPEMFile = ca.caCertificatePath }
            // The front door is on loopback: an internal address the bridge calls only when allowed.
            $0.allowedNodes = ["127.0.0.1"]
        }
        let simulatorPort = try #require(bridge.simulator.port)
        let door = try await TLSFrontDoor(
            certificatePath: ca.serverCertificatePath,
            keyPath: ca.serverKeyPath,
            upstreamPort: simulatorPort
        )
        do {
            try await body(bridge, door)
        } catch {
            await door.stop()
            await bridge.stop()
            throw error
        }
        await door.stop()
        await bridge.stop()
    }

    @Test func aNodeWhoseCertificateTheGivenCASignedIsJoinedWithVerificationOn() async throws {
        try await withNodeBehindTLS(trustCA: true) { bridge, door in
            let client = try await bridge.client()
            let node = "https://127.0.0.1:\(door.port)"
            let snapshot = try await client.session(
                .join(JoinParameters(node: node, alias: "t.open", displayName: "TLS"))
            )
            #expect(snapshot.state == .connected)
            #expect(snapshot.node == node)
            // The event stream runs over the same TLS: a participant the node adds reaches the client.
            _ = try bridge.simulator.addParticipant(
                alias: "t.open",
                displayName: "Over TLS",
                role: .guest,
                muted: false
            )
            try await client.waitFor {
                if case .event(let e) = $0, e.session == snapshot.id, case .participantJoined(let p) = e.payload {
                    p.displayName == "Over TLS"
                } else {
                    false
                }
            }
            // The node saw the calls (through the front door, so over HTTPS).
            #expect(
                bridge.simulator.calls(alias: "t.open").contains {
                    $0.endpoint == "request_token" && $0.status == 200
                }
            )
            #expect(try await client.request(.leave(session: snapshot.id)) == .success(.empty))
            #expect(bridge.simulator.liveTokenCount(alias: "t.open") == 0)
            await client.close()
        }
    }

    @Test func aNodeWhoseCAIsNotTrustedIsUnreachableAndTheLogNamesTheCertificate() async throws {
        try await withNodeBehindTLS(trustCA: false) { bridge, door in
            let client = try await bridge.client()
            let error = try await client.failure(
                .join(
                    JoinParameters(
                        node: "https://127.0.0.1:\(door.port)",
                        alias: "t.open",
                        displayName: "TLS"
                    )
                )
            )
            #expect(error.code == .nodeUnreachable)
            // The client gets the code only (security review finding 4); the bridge's log says why.
            #expect(error.message == "cannot reach the conference node")
            #expect(bridge.logs.all.contains { $0.contains("infinity request failed") && $0.contains("CERTIFICATE") })
            // Verification failed before any HTTP: the node never answered a call.
            #expect(bridge.simulator.calls(alias: "t.open").isEmpty)
            await client.close()
        }
    }
}
