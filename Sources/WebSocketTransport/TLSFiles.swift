/// PEM files for a TLS listener.
public struct TLSFiles: Sendable, Equatable {
    /// Certificate chain (PEM).
    public var certificatePath: String
    /// Private key (PEM, unencrypted).
    public var privateKeyPath: String

    /// Names the certificate and key files.
    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}
