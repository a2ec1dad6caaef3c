import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import Testing
import WebSocketTransport

/// Whether this machine lets the test make its own network namespace (root and iproute2).
enum NetworkNamespace {
    static let available: Bool = {
        let name = "pxbprobe\(UInt16.random(in: 0...9999))"
        guard (try? run("/usr/bin/env", ["ip", "netns", "add", name])) == 0 else { return false }
        _ = try? run("/usr/bin/env", ["ip", "netns", "del", name])
        return true
    }()

    /// `PEXBRIDGE_REQUIRE_NETNS=1` (set by CI, whose image has root and iproute2): a machine that cannot make a
    /// namespace fails the test instead of skipping it, so CI cannot stop checking the remote watcher unnoticed.
    static let required = ProcessInfo.processInfo.environment["PEXBRIDGE_REQUIRE_NETNS"] == "1"
}

@Suite("Another machine, for real")
struct NetworkNamespaceTests {
    @Test(
        .enabled(
            if: NetworkNamespace.available || NetworkNamespace.required,
            "needs root and iproute2 to create a network namespace and a veth pair"
        )
    )
    func aWatcherInItsOwnNetworkNamespaceFollowsLiveStateOverTLSWithAToken() async throws {
        guard NetworkNamespace.available else {
            Issue.record(
                """
                PEXBRIDGE_REQUIRE_NETNS=1 but no network namespace can be made here \
                (needs root and iproute2: scripts/install-deps.sh --test installs iproute2)
                """
            )
            return
        }
        let tag = String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        let ns = "pxb\(tag)"
        let hostSide = "pxbh\(tag)"
        let nsSide = "pxbn\(tag)"
        let subnet = Int.random(in: 1...250)
        let bridgeIP = "10.213.\(subnet).1"
        let watcherIP = "10.213.\(subnet).2"
        func ip(_ args: String...) throws {
            let status = try run("/usr/bin/env", ["ip"] + args)
            if status != 0 { Issue.record("ip \(args.joined(separator: " ")) exited \(status)") }
        }
        try ip("netns", "add", ns)
        defer { _ = try? run("/usr/bin/env", ["ip", "netns", "del", ns]) }
        try ip("link", "add", hostSide, "type", "veth", "peer", "name", nsSide)
        defer { _ = try? run("/usr/bin/env", ["ip", "link", "del", hostSide]) }
        try ip("link", "set", nsSide, "netns", ns)
        try ip("addr", "add", "\(bridgeIP)/30", "dev", hostSide)
        try ip("link", "set", hostSide, "up")
        try ip("netns", "exec", ns, "ip", "addr", "add", "\(watcherIP)/30", "dev", nsSide)
        try ip("netns", "exec", ns, "ip", "link", "set", nsSide, "up")
        try ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")

        // Inside the namespace the bridge has a name (ip netns exec mounts /etc/netns/NS/hosts over /etc/hosts),
        // which its certificate carries; from outside, the controller names it with serverName.
        let hostsDirectory = URL(fileURLWithPath: "/etc/netns/\(ns)")
        try FileManager.default.createDirectory(at: hostsDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: hostsDirectory) }
        try "127.0.0.1 localhost\n\(bridgeIP) bridge.test\n".write(
            to: hostsDirectory.appendingPathComponent("hosts"),
            atomically: true,
            encoding: .utf8
        )
        let certificate = try await TestCertificate.make(ipAddresses: [bridgeIP], dnsNames: ["bridge.test"])
        defer { certificate.remove() }
        let controllerToken = "ns-controller-\(tag)-secret"
        let observerToken = "ns-observer-\(tag)-secret"
        let bridge = try await TestBridge.start {
            $0.host = bridgeIP
            $0.tls = TLSFiles(certificatePath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
            $0.core.authTokens = [
                .init(secret: controllerToken, role: .controller), .init(secret: observerToken, role: .observer),
            ]
        }
        let url = "wss://bridge.test:\(bridge.port)/ws"

        // The watcher runs inside the namespace: its only way to the bridge is the veth pair.
        let watcher = try ChildProcess(
            arguments: [],
            environment: ["PEXBRIDGE_TOKEN": observerToken],
            launcher: [
                "ip", "netns", "exec", ns, try pexbridgeExecutable().path, "watch", "--url", url,
                "--ca-file", certificate.certificatePath, "--json",
            ]
        )
        defer { watcher.stop() }
        // Joined only once the watcher is subscribed, so the session's events (not just a summary line of the
        // subscribe snapshot on stderr) reach its stdout.
        #expect(
            await eventually(timeout: .seconds(15)) { watcher.stderr.contains("watching all sessions") },
            "watcher stdout: \(watcher.stdout.suffix(1500)) stderr: \(watcher.stderr.suffix(1500))"
        )

        let controller = try await BridgeConnection.connect(
            url: "wss://\(bridgeIP):\(bridge.port)/ws",
            token: controllerToken,
            tlsConfiguration: try certificate.clientConfiguration(),
            serverName: "bridge.test"
        )
        let joined = try await controller.request(
            .join(JoinParameters(node: "simulator", alias: "t.open", displayName: "Desk"))
        )
        guard case .success(.session(let s)) = joined else {
            Issue.record("\(joined)")
            return
        }
        let name = "Visitor \(tag)"
        #expect(
            await eventually(timeout: .seconds(10)) { watcher.stdout.contains(s.id) },
            "watcher stdout: \(watcher.stdout.suffix(1500)) stderr: \(watcher.stderr.suffix(1500))"
        )
        _ = try bridge.simulator.addParticipant(alias: "t.open", displayName: name, role: .guest, muted: false)
        #expect(
            await eventually(timeout: .seconds(10)) { watcher.stdout.contains(name) },
            "watcher stdout: \(watcher.stdout.suffix(1500)) stderr: \(watcher.stderr.suffix(1500))"
        )
        let frames = watcher.stdout.split(separator: "\n")
        #expect(frames.contains { $0.contains(#""participant_joined""#) && $0.contains(name) })
        // The observer token never shows on the watcher's output, and the bridge saw a non-loopback peer.
        #expect(!watcher.stdout.contains(observerToken) && !watcher.stderr.contains(observerToken))
        #expect(bridge.logs.all.contains { $0.contains(watcherIP) })
        await controller.close()
        await bridge.stop()
    }
}
