import Foundation
import NIOCore
import NIOPosix

/// A small DNS client over UDP for SRV look-ups: one query, one answer, a timeout, and a cap on the answer's size.
public struct DNSResolver: Sendable {
    /// The server asked, as `host:port` (IPv6 in brackets).
    public var server: String
    /// How long one query may take.
    public var timeout: Duration
    /// Datagrams are read into a buffer of this size; anything longer is cut (and then fails to parse).
    public var maxAnswerBytes: Int
    /// The clock `timeout` runs on (a test clock in tests, so an answer that comes never races it).
    public var clock: any Clock<Duration>

    /// - Parameters:
    ///   - server: `HOST:PORT` of the DNS server (an IP address; IPv6 in brackets).
    ///   - timeout: How long one query may take.
    ///   - maxAnswerBytes: The largest answer read.
    ///   - clock: The clock `timeout` runs on.
    public init(
        server: String,
        timeout: Duration = .seconds(3),
        maxAnswerBytes: Int = 4096,
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.server = server
        self.timeout = timeout
        self.maxAnswerBytes = maxAnswerBytes
        self.clock = clock
    }

    /// The first `nameserver` of /etc/resolv.conf, port 53; nil when there is none.
    public static func system(resolvConf path: String = "/etc/resolv.conf") -> DNSResolver? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver" else { continue }
            let address = String(fields[1].split(separator: "%").first ?? fields[1])
            return DNSResolver(server: address.contains(":") ? "[\(address)]:53" : "\(address):53")
        }
        return nil
    }

    /// Splits `HOST:PORT` (`[v6]:PORT`); nil when it is not one.
    public static func split(_ text: String) -> (host: String, port: Int)? {
        var rest = Substring(text)
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            rest = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(rest), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// The SRV records for `name` (empty when there are none or the name does not exist).
    public func srv(_ name: String) async throws(InfinityError) -> [SRVRecord] {
        guard let (host, port) = Self.split(server) else { throw .unreachable("bad DNS server address \(server)") }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: host, port: port)
        } catch {
            throw .unreachable("the DNS server must be an IP address and port")
        }
        let id = UInt16.random(in: 0 ... .max)
        let query: [UInt8]
        do {
            query = try DNSMessage.query(id: id, name: name, type: DNSMessage.typeSRV)
        } catch {
            throw .badResponse("cannot ask DNS for \(name): \(error)")
        }
        let limit = maxAnswerBytes
        do {
            let answer = try await withTimeout(timeout, on: clock) {
                try await Self.exchange(query, id: id, with: address, limit: limit)
            }
            switch answer {
            case .records(let records): return records
            case .none: return []
            }
        } catch is TimeoutReached {
            throw .timeout
        } catch let failure as DNSMessage.Failure {
            throw .badResponse("DNS answer: \(failure)")
        } catch {
            throw InfinityClient.map(error)
        }
    }

    /// Sends the query and reads datagrams until the server's answer to it arrives.
    private static func exchange(
        _ query: [UInt8],
        id: UInt16,
        with server: SocketAddress,
        limit: Int
    ) async throws -> DNSMessage.Answer {
        let bind = server.protocol == .inet6 ? "::" : "0.0.0.0"
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: max(512, limit)))
            .bind(host: bind, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: query)))
            for try await envelope in inbound where envelope.remoteAddress == server {
                do throws(DNSMessage.Failure) {
                    return try DNSMessage.parseSRV(Array(envelope.data.readableBytesView), id: id)
                } catch .notOurs {
                    continue
                } catch {
                    throw error
                }
            }
            throw DNSMessage.Failure.malformed("no answer")
        }
    }
}
