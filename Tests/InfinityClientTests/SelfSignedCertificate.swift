import Foundation
import NIOSSL
import TestSpawn

/// A throwaway self-signed certificate for 127.0.0.1/localhost, made with `openssl req -x509`.
struct SelfSignedCertificate {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    struct GenerationFailed: Error {
        var status: Int32
        var output: String
    }

    static func make() throws -> SelfSignedCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "infclient-tls-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = SelfSignedCertificate(directory: directory)
        let arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certificate.keyPath, "-out", certificate.certificatePath, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
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
        return certificate
    }

    /// A server TLS context presenting this certificate.
    func serverContext() throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        return try NIOSSLContext(
            configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        )
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
