import Foundation
import Locking

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the raw test client.
enum RawClientError: Error, Equatable {
    case connectFailed(Int32)
    case timedOut
    case closedByPeer
    case malformed(String)
    case ioError(Int32)
}

/// A blocking TCP client on 127.0.0.1 for tests that need byte-level control (a client that never
/// reads, hand-made fragments, raw HTTP). Every blocking call has a timeout. Call it from
/// ``background(_:)`` so it never blocks Swift's cooperative threads.
final class RawClient: Sendable {
    let fd: Int32
    private let pending = Mutex<[UInt8]>([])

    /// Connects to `port`; `receiveBuffer` shrinks SO_RCVBUF (set before connecting, so the window stays small).
    /// `sendTimeoutMilliseconds` shortens the send timeout (default: `timeout` seconds), for clients that want to
    /// see that the server stopped reading.
    init(port: Int, receiveBuffer: Int32? = nil, timeout: Int = 10, sendTimeoutMilliseconds: Int? = nil) throws {
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let fd = socket(AF_INET, stream, 0)
        guard fd >= 0 else { throw RawClientError.connectFailed(errno) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        if let milliseconds = sendTimeoutMilliseconds {
            time = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw RawClientError.connectFailed(error)
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }

    /// Sends all bytes.
    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw errno == EAGAIN ? RawClientError.timedOut : RawClientError.ioError(errno) }
            offset += sent
        }
    }

    /// One `send` call: the bytes sent, or -errno (EAGAIN when the send timeout passed with nothing sent).
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent >= 0 ? sent : -Int(errno)
    }

    /// Sends a string as UTF-8.
    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Half-closes (FIN) the sending side.
    func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads exactly `count` bytes.
    func read(count: Int) throws -> [UInt8] {
        while pending.withLock({ $0.count }) < count {
            try fill()
        }
        return pending.withLock { buffer in
            let bytes = Array(buffer[..<count])
            buffer.removeFirst(count)
            return bytes
        }
    }

    /// Reads up to and including `marker`.
    func read(through marker: [UInt8]) throws -> [UInt8] {
        while true {
            let found = pending.withLock { buffer -> [UInt8]? in
                guard let range = buffer.firstRange(of: marker) else { return nil }
                let bytes = Array(buffer[..<range.upperBound])
                buffer.removeFirst(range.upperBound)
                return bytes
            }
            if let found { return found }
            try fill()
        }
    }

    /// Reads until the peer closes; returns everything received.
    func readToEnd() throws -> [UInt8] {
        while true {
            do {
                try fill()
            } catch RawClientError.closedByPeer {
                return pending.withLock { buffer in
                    defer { buffer = [] }
                    return buffer
                }
            }
        }
    }

    /// Whether the peer has closed (EOF or reset), discarding data meanwhile; throws on the read timeout.
    func waitForPeerClose() throws -> Bool {
        do {
            _ = try readToEnd()
            return true
        } catch RawClientError.ioError(ECONNRESET) {
            return true
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let received = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if received == 0 { throw RawClientError.closedByPeer }
        if received < 0 {
            throw errno == EAGAIN || errno == EWOULDBLOCK ? RawClientError.timedOut : RawClientError.ioError(errno)
        }
        pending.withLock { $0.append(contentsOf: chunk[..<received]) }
    }
}

/// Runs blocking work on a thread of its own, never on a cooperative one. (Dispatch's global queue
/// is no good here: on Linux it has one thread per core, and a few blocked readers starve it.)
func background<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}
