import Foundation
import TestSpawn
import NIOSSL

/// A self-signed certificate for the given IP addresses, made with openssl in a fresh temporary directory.
struct TestCertificate {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    init(ipAddresses: [String] = ["127.0.0.1"], dnsNames: [String] = ["localhost"]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pexbridge-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let san = (ipAddresses.map { "IP:\($0)" } + dnsNames.map { "DNS:\($0)" }).joined(separator: ",")
        let status = try run("/usr/bin/env", [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory.appendingPathComponent("key.pem").path,
            "-out", directory.appendingPathComponent("cert.pem").path, "-days", "2",
            "-subj", "/CN=pexbridge-test", "-addext", "subjectAltName=\(san)",
        ])
        guard status == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    /// Makes one off the cooperative thread pool (openssl runs as a child process).
    static func make(ipAddresses: [String] = ["127.0.0.1"], dnsNames: [String] = ["localhost"]) async throws -> TestCertificate {
        try await offThePool { try TestCertificate(ipAddresses: ipAddresses, dnsNames: dnsNames) }
    }

    /// A client TLS configuration that trusts only this certificate.
    func clientConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificatePath))
        return tls
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs a program to completion and returns its exit status (output discarded); blocks the calling thread.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let process = try Spawned(
        executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment)
    process.waitUntilExit()
    return process.terminationStatus
}
