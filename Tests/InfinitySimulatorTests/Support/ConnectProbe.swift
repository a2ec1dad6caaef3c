import Foundation

/// What a TCP connect to 127.0.0.1:`port` gets: 0 when something accepted it, else the errno (ECONNREFUSED when
/// nothing listens). Loopback connects finish at once, so this blocks only for a moment; it tells a closed listener
/// (refused) from one that accepts and then hangs, which an HTTP request with a timeout cannot.
func loopbackConnectResult(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return errno }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return result == 0 ? 0 : errno
}
