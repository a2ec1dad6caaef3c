import NIOCore
import NIOPosix
import NIOSSL

/// HTTPS in front of a plain-HTTP server on loopback: terminates TLS with the given certificate and passes the
/// bytes both ways to `127.0.0.1:upstreamPort`. It puts the embedded simulator behind a node's TLS (with a private
/// CA) without changing the simulator, so the bridge's real HTTPS path to a node is what the test exercises.
final class TLSFrontDoor: Sendable {
    /// The port it listens on (127.0.0.1).
    let port: Int
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let task: Task<Void, Never>

    /// Starts listening on an ephemeral port.
    /// - Parameters:
    ///   - certificatePath: the server certificate (PEM), e.g. one signed by a `PrivateCA`.
    ///   - keyPath: its private key (PEM).
    ///   - upstreamPort: the plain-HTTP server to pass the bytes to.
    init(certificatePath: String, keyPath: String, upstreamPort: Int) async throws {
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        )
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        port = server.channel.localAddress?.port ?? 0
        let server = self.server
        task = Task {
            try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await Self.pass(connection, upstreamPort: upstreamPort) }
                    }
                }
            }
        }
    }

    /// Copies bytes both ways between one TLS client and a fresh connection to the upstream, until either ends.
    private static func pass(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, upstreamPort: Int) async {
        do {
            let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: upstreamPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await client.executeThenClose { clientIn, clientOut in
                try await upstream.executeThenClose { upstreamIn, upstreamOut in
                    try await withThrowingTaskGroup(of: Void.self) { pair in
                        pair.addTask {
                            for try await bytes in clientIn { try await upstreamOut.write(bytes) }
                        }
                        pair.addTask {
                            for try await bytes in upstreamIn { try await clientOut.write(bytes) }
                        }
                        // Either side ending ends the pair (an HTTP connection has no half-close to keep).
                        try await pair.next()
                        pair.cancelAll()
                    }
                }
            }
        } catch {
            // A client that went away, a refused handshake: that connection ends, the listener goes on.
        }
    }

    /// Closes the listener and every connection.
    func stop() async {
        try? await server.channel.close()
        task.cancel()
        await task.value
    }
}
