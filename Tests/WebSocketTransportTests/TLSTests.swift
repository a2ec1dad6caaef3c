import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing
import WSClient
import WebSocketTransport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct TLSTests {
    private func clientTLS(trusting certificate: TestCertificate) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate.certificatePath))
        return tls
    }

    @Test func secureWebSocketRoundTripWithSelfSignedCertificate() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try TestServer.start {
            $0.tls = TLSFiles(certificatePath: certificate.certificatePath, privateKeyPath: certificate.privateKeyPath)
        }
        let core = Task {
            let (id, _) = try await server.log.opened()
            let text = try await server.log.text(from: id)
            server.server.send(OutboundFrame("secure " + text), to: id)
        }
        let received = Locked<String?>(nil)
        let port = server.port
        let tls = try clientTLS(trusting: certificate)
        _ = try await withDeadline("secure round trip") {
            try await WebSocketClient.connect(
                url: "wss://127.0.0.1:\(port)/ws",
                configuration: .init(sniHostname: "localhost"),
                tlsConfiguration: tls,
                logger: testLogger
            ) { inbound, outbound, _ in
                try await outbound.write(.text("hello"))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message {
                        received.mutate { $0 = text }
                        return
                    }
                }
            }
        }
        try await core.value
        #expect(received.value == "secure hello")
        await server.stop()
    }

    @Test func httpsRequestOnTheSamePort() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try TestServer.start(
            {
                $0.tls = TLSFiles(
                    certificatePath: certificate.certificatePath,
                    privateKeyPath: certificate.privateKeyPath
                )
            },
            httpHandler: { request in HTTPResponse(text: "secure \(request.path)") }
        )
        let tls = try clientTLS(trusting: certificate)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let context = try NIOSSLContext(configuration: tls)
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: "localhost")
                    )
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        var response = ByteBuffer()
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    ByteBuffer(string: "GET /page HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                )
                for try await chunk in inbound {
                    response.writeImmutableBuffer(chunk)
                }
            }
        } catch let error as NIOSSLError where error == .uncleanShutdown {
            // The server may close TCP without close_notify after "Connection: close"; the bytes are in.
        }
        let text = String(buffer: response)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.hasSuffix("secure /page"))
        await server.stop()
    }

    @Test func plainWebSocketOnTheTLSPortFails() async throws {
        let certificate = try await TestCertificate.shared()
        let server = try TestServer.start {
            $0.tls = TLSFiles(certificatePath: certificate.certificatePath, privateKeyPath: certificate.privateKeyPath)
        }
        let port = server.port
        let error = await #expect(throws: (any Error).self) {
            try await withDeadline("plain client on TLS port") {
                try await WebSocketClient.connect(
                    url: "ws://127.0.0.1:\(port)/ws",
                    configuration: .init(closeTimeout: .seconds(2)),
                    logger: testLogger
                ) { _, _, _ in }
            }
        }
        // Refused by the TLS listener, not a server that took the connection and hung.
        #expect(!(error is TimedOut), "timed out instead of being refused: \(String(describing: error))")
        // The TLS listener fails the handshake on the plain request and resets the connection (or closes it).
        let refused =
            (error as? IOError).map { [ECONNRESET, EPIPE].contains($0.errnoCode) } == true
            || error is ChannelError || error as? WebSocketClientError == .webSocketUpgradeFailed
        #expect(refused, "unexpected error \(String(describing: error))")
        #expect(server.server.stats().connectionsOpened == 0)
        await server.stop()
    }
}
