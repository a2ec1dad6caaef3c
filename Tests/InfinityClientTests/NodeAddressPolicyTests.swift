import Testing

@testable import InfinityClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Security review finding 4: a session's `node` must not turn the bridge into a scanner of internal hosts.
@Suite struct NodeAddressPolicyTests {
    typealias Class = NodeAddressPolicy.AddressClass

    static func bytes(_ text: String) -> [UInt8] {
        if text.contains(":") {
            var address = in6_addr()
            #expect(inet_pton(AF_INET6, text, &address) == 1, "\(text)")
            return withUnsafeBytes(of: address) { Array($0) }
        }
        var address = in_addr()
        #expect(inet_pton(AF_INET, text, &address) == 1, "\(text)")
        return withUnsafeBytes(of: address) { Array($0) }
    }

    @Test(arguments: [
        ("127.0.0.1", Class.loopback), ("127.255.1.2", .loopback), ("10.0.0.5", .privateNetwork),
        ("172.16.0.1", .privateNetwork), ("172.31.255.255", .privateNetwork), ("172.32.0.1", .global),
        ("192.168.1.1", .privateNetwork), ("100.64.0.1", .privateNetwork), ("100.128.0.1", .global),
        ("169.254.169.254", .metadata), ("169.254.1.1", .linkLocal), ("0.0.0.0", .unspecified),
        ("0.1.2.3", .unspecified), ("8.8.8.8", .global), ("224.0.0.1", .reserved), ("255.255.255.255", .reserved),
        ("::1", .loopback), ("::", .unspecified), ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("fc00::1", .privateNetwork), ("fd12:3456::1", .privateNetwork), ("fd00:ec2::254", .metadata),
        ("::ffff:10.0.0.1", .privateNetwork), ("::ffff:127.0.0.1", .loopback), ("::ffff:169.254.169.254", .metadata),
        ("2001:db8::1", .global), ("2a00:1450::1", .global), ("ff02::1", .reserved),
    ])
    func classifiesAddresses(address: String, expected: Class) {
        #expect(NodeAddressPolicy.classify(Self.bytes(address)) == expected, "\(address)")
    }

    @Test func numericFormsResolveToWhatTheConnectionWouldReach() async {
        #expect(await NodeAddressPolicy.resolve("2130706433") == [.loopback])
        #expect(await NodeAddressPolicy.resolve("127.1") == [.loopback])
        #expect(await NodeAddressPolicy.resolve("0x7f000001") == [.loopback])
        #expect(await NodeAddressPolicy.resolve("169.254.169.254") == [.metadata])
        #expect(await NodeAddressPolicy.resolve("0") == [.unspecified])
        #expect(await NodeAddressPolicy.resolve("no-such-host.invalid").isEmpty)
    }

    @Test func theDefaultsAllowOnlyGlobalAddresses() {
        let strict = NodeAddressPolicy()
        #expect(strict.permits(.global))
        for refused: Class in [.loopback, .privateNetwork, .linkLocal, .metadata, .unspecified, .reserved] {
            #expect(!strict.permits(refused), "\(refused)")
        }
        let development = NodeAddressPolicy(allowLoopback: true)
        #expect(development.permits(.loopback))
        for refused: Class in [.privateNetwork, .linkLocal, .metadata, .unspecified, .reserved] {
            #expect(!development.permits(refused), "\(refused)")
        }
    }

    @Test func theAllowListMatchesHostOrHostAndPort() throws {
        let policy = NodeAddressPolicy(
            allowedNodes: ["pexip.internal", "10.0.0.5:8443", "[fd00::5]:443"],
            exemptNodes: [try NodeAddress(scheme: "http", host: "127.0.0.1", port: 9000)]
        )
        #expect(policy.isListed(try NodeAddress(host: "pexip.internal")))
        #expect(policy.isListed(try NodeAddress(host: "pexip.internal", port: 8443)))
        #expect(policy.isListed(try NodeAddress(host: "10.0.0.5", port: 8443)))
        #expect(!policy.isListed(try NodeAddress(host: "10.0.0.5", port: 22)))
        #expect(!policy.isListed(try NodeAddress(host: "10.0.0.5")))
        #expect(policy.isListed(try NodeAddress(host: "fd00::5")))
        #expect(policy.isListed(try NodeAddress(scheme: "http", host: "127.0.0.1", port: 9000)))
        #expect(!policy.isListed(try NodeAddress(scheme: "http", host: "127.0.0.1", port: 9001)))
    }

    static func configuration(_ policy: NodeAddressPolicy) -> InfinityClientConfiguration {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.nodePolicy = policy
        return configuration
    }

    @Test func aNodeOnARefusedAddressIsRefusedBeforeAnythingIsSent() async throws {
        try await withStub({ _, _ in .json(200, Fixture.requestToken(token: "t")) }) { server in
            try await withClient(Self.configuration(NodeAddressPolicy())) { client in
                await #expect(throws: InfinityError.nodeNotAllowed) {
                    _ = try await client.requestToken(node: server.node, alias: "meet", displayName: "B", pin: nil)
                }
                await #expect(throws: InfinityError.nodeNotAllowed) {
                    for try await _ in client.events(node: server.node, alias: "meet", token: "t") {}
                }
                let numeric = try NodeAddress(scheme: "http", host: "2130706433", port: server.port)
                await #expect(throws: InfinityError.nodeNotAllowed) {
                    _ = try await client.requestToken(node: numeric, alias: "meet", displayName: "B", pin: nil)
                }
                #expect(server.requests.isEmpty)
                // A private address is refused without a network call (which would time out or be unreachable).
                for host in ["10.0.0.5", "169.254.169.254", "fd00:ec2::254", "0.0.0.0"] {
                    await #expect(throws: InfinityError.nodeNotAllowed) {
                        _ = try await client.requestToken(
                            node: try NodeAddress(scheme: "http", host: host, port: 22),
                            alias: "meet",
                            displayName: "B",
                            pin: nil
                        )
                    }
                }
                #expect(!InfinityError.nodeNotAllowed.description.contains("127"))
            }
        }
    }

    @Test func loopbackNeedsTheDevelopmentSwitchAndPrivateNeedsTheAllowList() async throws {
        try await withStub({ _, _ in .json(200, Fixture.requestToken(token: "t")) }) { server in
            let development = NodeAddressPolicy(allowLoopback: true)
            try await withClient(Self.configuration(development)) { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                guard case .granted = outcome else {
                    Issue.record("expected granted on loopback with allowLoopback, got \(outcome)")
                    return
                }
                // The development switch does not open private or metadata addresses.
                await #expect(throws: InfinityError.nodeNotAllowed) {
                    _ = try await client.requestToken(
                        node: try NodeAddress(scheme: "http", host: "169.254.169.254", port: 80),
                        alias: "meet",
                        displayName: "B",
                        pin: nil
                    )
                }
            }
            let listed = NodeAddressPolicy(allowedNodes: ["127.0.0.1:\(server.port)"])
            try await withClient(Self.configuration(listed)) { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                guard case .granted = outcome else {
                    Issue.record("expected granted for an allow-listed node, got \(outcome)")
                    return
                }
            }
            try await withClient(Self.configuration(NodeAddressPolicy())) { client in
                client.exempt(server.node)
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                guard case .granted = outcome else {
                    Issue.record("expected granted for the exempt (embedded) node, got \(outcome)")
                    return
                }
            }
            #expect(server.requests.count == 3)
        }
    }
}
