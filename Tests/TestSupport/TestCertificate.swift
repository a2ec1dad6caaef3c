import Foundation
import Locking
import NIOSSL
import TestSpawn

/// A self-signed certificate for the given IP addresses and names, made with openssl in a fresh temporary
/// directory. Tests that only need "a certificate for 127.0.0.1 and localhost" share ``shared()``, made once per
/// test process.
public struct TestCertificate: Sendable {
    public let directory: URL
    public var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    public var keyPath: String { directory.appendingPathComponent("key.pem").path }
    /// The same as ``keyPath``, under the name the transport's `TLSFiles` uses.
    public var privateKeyPath: String { keyPath }

    /// What openssl said when it could not make one.
    public struct GenerationFailed: Error, CustomStringConvertible {
        public var status: Int32
        public var output: String
        public var description: String { "openssl exited with \(status): \(output)" }
    }

    /// Makes one; blocks the calling thread (openssl runs as a child process). From async code use ``make``.
    ///
    /// - Parameters:
    ///   - ipAddresses: IP subject alternative names.
    ///   - dnsNames: DNS subject alternative names.
    public init(ipAddresses: [String] = ["127.0.0.1"], dnsNames: [String] = ["localhost"]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pexbridge-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let san = (ipAddresses.map { "IP:\($0)" } + dnsNames.map { "DNS:\($0)" }).joined(separator: ",")
        let arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path, "-days", "2",
            "-subj", "/CN=pexbridge-test", "-addext", "subjectAltName=\(san)",
        ]
        let pipe = Pipe()
        let process = try Spawned(
            executable: "/usr/bin/env",
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: pipe.fileHandleForWriting.fileDescriptor,
            stderr: pipe.fileHandleForWriting.fileDescriptor
        )
        try pipe.fileHandleForWriting.close()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GenerationFailed(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
        }
    }

    /// Makes one off the cooperative thread pool.
    ///
    /// - Parameters:
    ///   - ipAddresses: IP subject alternative names.
    ///   - dnsNames: DNS subject alternative names.
    public static func make(
        ipAddresses: [String] = ["127.0.0.1"],
        dnsNames: [String] = ["localhost"]
    ) async throws -> TestCertificate {
        try await offThePool { try TestCertificate(ipAddresses: ipAddresses, dnsNames: dnsNames) }
    }

    private static let made = Mutex<TestCertificate?>(nil)

    /// The process's certificate for 127.0.0.1 and localhost, made on first use and never removed while the
    /// tests run (do not call ``remove()`` on it).
    public static func shared() async throws -> TestCertificate {
        if let certificate = made.withLock({ $0 }) { return certificate }
        let certificate = try await make()
        return made.withLock { existing in
            if let existing {
                certificate.remove()
                return existing
            }
            existing = certificate
            return certificate
        }
    }

    /// A client TLS configuration that trusts only this certificate.
    public func clientConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        return tls
    }

    /// A server TLS context presenting this certificate.
    public func serverContext() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        return try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        )
    }

    /// Deletes the files.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
