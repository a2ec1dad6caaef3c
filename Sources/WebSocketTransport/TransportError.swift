/// Why the transport could not start.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// ``WebSocketServer/start()`` was called before.
    case alreadyStarted
    /// A configuration value cannot work; the text says which.
    case invalidConfiguration(String)
    /// A TLS certificate or key file cannot be read.
    case tlsFileUnreadable(path: String)
    /// The listen socket could not bind (errno from bind, e.g. EADDRINUSE).
    case bindFailed(host: String, port: Int, errno: Int32)
    /// The TLS certificate or key was readable but rejected.
    case tlsSetupFailed
    /// libwebsockets refused to create the server for another reason.
    case contextCreationFailed
    /// The service thread could not be started.
    case threadStartFailed(errno: Int32)

    /// Stable machine-readable code.
    public var code: String {
        switch self {
        case .alreadyStarted: "already_started"
        case .invalidConfiguration: "invalid_configuration"
        case .tlsFileUnreadable: "tls_file_unreadable"
        case .bindFailed: "bind_failed"
        case .tlsSetupFailed: "tls_setup_failed"
        case .contextCreationFailed: "context_creation_failed"
        case .threadStartFailed: "thread_start_failed"
        }
    }

    public var description: String {
        switch self {
        case .alreadyStarted: "transport already started"
        case .invalidConfiguration(let why): "invalid transport configuration: \(why)"
        case .tlsFileUnreadable(let path): "TLS file not readable: \(path)"
        case .bindFailed(let host, let port, let errno): "cannot listen on \(host):\(port) (errno \(errno))"
        case .tlsSetupFailed: "TLS certificate or key rejected"
        case .contextCreationFailed: "libwebsockets context creation failed"
        case .threadStartFailed(let errno): "cannot start service thread (errno \(errno))"
        }
    }
}
