import NIOCore
import NIOPosix
import Testing

@testable import InfinityClient

@Suite struct TransportTests {
    @Test func unansweredRequestTimesOut() async throws {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.requestTimeout = .milliseconds(300)
        try await withStub({ _, _ in .hang }) { server in
            try await withClient(configuration) { client in
                await #expect(throws: InfinityError.timeout) {
                    _ = try await client.participants(node: server.node, alias: "meet", token: "t")
                }
            }
        }
    }

    @Test func stalledBodyTimesOut() async throws {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.requestTimeout = .milliseconds(300)
        try await withStub({ _, _ in .headThenHang }) { server in
            try await withClient(configuration) { client in
                await #expect(throws: InfinityError.timeout) {
                    _ = try await client.conferenceStatus(node: server.node, alias: "meet", token: "t")
                }
            }
        }
    }

    @Test func eventStreamWithoutHeadTimesOut() async throws {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.requestTimeout = .milliseconds(300)
        try await withStub({ _, _ in .hang }) { server in
            try await withClient(configuration) { client in
                await #expect(throws: InfinityError.timeout) {
                    for try await _ in client.events(node: server.node, alias: "meet", token: "t") {}
                }
            }
        }
    }

    @Test func closedPortIsUnreachable() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        try await withClient { client in
            let node = try NodeAddress(scheme: "http", host: "127.0.0.1", port: port)
            let error = await #expect(throws: InfinityError.self) {
                _ = try await client.requestToken(node: node, alias: "meet", displayName: "B", pin: .pin("1234"))
            }
            guard case .unreachable(let message)? = error else {
                Issue.record("expected unreachable, got \(String(describing: error))")
                return
            }
            #expect(!message.contains("1234"))
            // Refused at once, not after a timeout: `unreachable` (a timeout maps to `.timeout`), checked above
            // without timing the wall clock.
        }
    }

    @Test func selfSignedCertificateFailsVerificationByDefault() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try await StubServer.start(tls: certificate.serverContext()) { _, _ in .json(200, Fixture.ok) }
        #expect(server.node.isSecure)
        try await withClient { client in
            let error = await #expect(throws: InfinityError.self) {
                try await client.releaseToken(node: server.node, alias: "meet", token: "secret-tls-token")
            }
            guard case .unreachable(let message)? = error else {
                Issue.record("expected unreachable, got \(String(describing: error))")
                return
            }
            #expect(message.contains("TLS"))
            #expect(!message.contains("secret-tls-token"))
        }
        #expect(server.requests.isEmpty)
        await server.stop()
    }

    @Test func trustRootsFileLetsAPrivateCAThrough() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try await StubServer.start(tls: certificate.serverContext()) { _, _ in .json(200, Fixture.ok) }
        var configuration = InfinityClientConfiguration.fastTests
        configuration.trustRootsPEMFile = certificate.certificatePath
        do {
            try await withClient(configuration) { client in
                try await client.releaseToken(node: server.node, alias: "meet", token: "t")
            }
            #expect(server.requests.map(\.endpoint) == ["release_token"])
        } catch {
            Issue.record("expected success, got \(error)")
        }
        await server.stop()
    }

    @Test func unreadableTrustRootsFileFailsEveryCall() async throws {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.trustRootsPEMFile = "/nonexistent/ca.pem"
        try await withStub({ _, _ in .json(200, Fixture.ok) }) { server in
            try await withClient(configuration) { client in
                let error = await #expect(throws: InfinityError.self) {
                    try await client.releaseToken(node: server.node, alias: "meet", token: "t")
                }
                guard case .unreachable? = error else {
                    Issue.record("expected unreachable, got \(String(describing: error))")
                    return
                }
                #expect(server.requests.isEmpty)
            }
        }
    }

    @Test func manyOpenEventStreamsDoNotStarveOtherCalls() async throws {
        let streams = 12
        try await withStub({ request, _ in
            request.endpoint == "events"
                ? .events([StubChunk(Fixture.syncBurst(selfUUID: "me"))], close: false)
                : .json(200, #"{"status":"success","result":[]}"#)
        }) { server in
            try await withClient { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<streams {
                        group.addTask {
                            for try await event in client.events(node: server.node, alias: "meet", token: "t\(index)") {
                                // Hold the stream open (not reading further) until the test cancels the group.
                                if event == .participantSyncEnd { await waitUntilCancelled() }
                            }
                        }
                    }
                    try await waitUntil("\(streams) streams open") { server.requests(to: "events").count == streams }
                    // A starved call would wait for a pooled connection until its own 60 s request timeout; this
                    // ceiling only fails it sooner, so it stretches with the run's patience (sanitizers).
                    let participants = try await withTimeout(TestPatience.stretch(.seconds(5))) {
                        try await client.participants(node: server.node, alias: "meet", token: "t")
                    }
                    #expect(participants.isEmpty)
                    group.cancelAll()
                }
            }
        }
    }
}
