#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Explains a failed context creation: tries to bind the configured address like lws does.
enum BindProbe {
    /// errno of binding `host:port`, or nil when that works (or the host is an interface name).
    static func failure(host: String, port: Int) -> Int32? {
        let listen = ListenAddress(host: host)
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let family = listen.ipv6 ? AF_INET6 : AF_INET
        let fd = socket(family, stream, 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        let result: Int32
        if listen.ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            if let interface = listen.interface {
                guard inet_pton(AF_INET6, interface, &address.sin6_addr) == 1 else { return nil }
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            if let interface = listen.interface {
                guard inet_pton(AF_INET, interface, &address.sin_addr) == 1 else { return nil }
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return result == 0 ? nil : errno
    }
}
