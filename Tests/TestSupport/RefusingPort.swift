import Locking

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port that refuses every connection until ``close()``: a socket bound to it that never listens.
///
/// Binding a port and closing it at once ("a closed port") does not keep it: in a parallel suite another test's
/// server can be given the same port meanwhile, and the connection meant to be refused reaches that server instead.
/// Keep the value until the test is done (`defer { port.close() }`).
public final class RefusingPort: Sendable {
    /// The port (127.0.0.1).
    public let port: Int
    private let socket = Mutex<Int32?>(nil)

    /// Binds a free port on 127.0.0.1 without listening on it.
    /// - Throws: ``RefusingPortError`` when the socket cannot be made or bound.
    public init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RefusingPortError(step: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else {
            let error = errno
            Glibc.close(fd)
            throw RefusingPortError(step: "bind", errno: error)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        socket.withLock { $0 = fd }
    }

    /// Frees the port (the test is done with it). Closing twice is harmless.
    public func close() {
        if let fd = socket.withLock({ fd -> Int32? in
            defer { fd = nil }
            return fd
        }) {
            Glibc.close(fd)
        }
    }

    deinit { close() }
}

/// A ``RefusingPort`` could not be made.
public struct RefusingPortError: Error, CustomStringConvertible {
    /// The call that failed.
    public let step: String
    /// Its errno.
    public let errno: Int32
    public var description: String { "\(step) failed with errno \(errno)" }
}
