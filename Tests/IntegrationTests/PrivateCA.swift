import Foundation

/// A private certificate authority and one server certificate it signed (for 127.0.0.1 and localhost), made with
/// openssl in a fresh temporary directory. Unlike `TestCertificate` (self-signed), the server certificate is not
/// its own trust anchor: a client must be given the CA's file to verify it, as `--node-ca-file` does.
struct PrivateCA {
    let directory: URL
    /// The CA certificate (what `--node-ca-file` / `trustRootsPEMFile` names).
    var caCertificatePath: String { path("ca.pem") }
    /// The server's certificate, signed by the CA.
    var serverCertificatePath: String { path("server.pem") }
    var serverKeyPath: String { path("server.key") }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pexbridge-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let extensions = directory.appendingPathComponent("server.ext")
        try """
        basicConstraints = CA:FALSE
        keyUsage = critical, digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1, DNS:localhost

        """.write(to: extensions, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["openssl", "req", "-x509"] + curve + [
                "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=pexbridge test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ],
            ["openssl", "req"] + curve + [
                "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=pexbridge test node",
            ],
            [
                "openssl", "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", extensions.path,
            ],
        ]
        for step in steps {
            guard try run("/usr/bin/env", step) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    /// Makes one off the cooperative thread pool (openssl runs as child processes).
    static func make() async throws -> PrivateCA {
        try await offThePool { try PrivateCA() }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
