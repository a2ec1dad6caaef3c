import Foundation
import TestSpawn

/// A throw-away certificate for 127.0.0.1 and localhost, made with the openssl command.
struct SelfSignedCertificate {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var privateKeyPath: String { directory.appendingPathComponent("key.pem").path }

    struct OpenSSLFailed: Error {
        let status: Int32
    }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wst-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path,
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        let process = try Spawned(
            executable: "/usr/bin/env",
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment
        )
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(status: process.terminationStatus) }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
