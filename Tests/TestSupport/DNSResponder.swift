import Locking
import NIOCore
import NIOPosix

/// A tiny authoritative DNS server on 127.0.0.1 (UDP, port 0) for tests of node discovery: it answers SRV
/// queries from its table and NXDOMAIN for every other name, so no test ever asks the machine's resolver.
public final class DNSResponder: Sendable {
    /// One SRV answer.
    public struct Record: Sendable {
        public var priority: UInt16
        public var weight: UInt16
        public var port: UInt16
        public var target: String

        public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
            self.priority = priority
            self.weight = weight
            self.port = port
            self.target = target
        }
    }

    /// The port it answers on.
    public let port: Int
    /// `HOST:PORT` for `--dns-server`.
    public var address: String { "127.0.0.1:\(port)" }
    /// The records and the questions, shared with the answering task.
    private final class Book: Sendable {
        let table = Mutex<[String: [Record]]>([:])
        let asked = Mutex<[String]>([])
    }

    private let book = Book()
    private let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    private let task: Task<Void, Never>

    public init() async throws {
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        port = channel.channel.localAddress?.port ?? 0
        let (channel, book) = (self.channel, self.book)
        task = Task {
            try? await channel.executeThenClose { inbound, outbound in
                for try await query in inbound {
                    let bytes = Array(query.data.readableBytesView)
                    guard let (name, questionEnd) = Self.question(bytes) else { continue }
                    book.asked.withLock { $0.append(name) }
                    let records = book.table.withLock { $0[name.lowercased()] }
                    let answer = Self.answer(to: bytes, questionEnd: questionEnd, records: records)
                    try await outbound.write(
                        AddressedEnvelope(remoteAddress: query.remoteAddress, data: ByteBuffer(bytes: answer))
                    )
                }
            }
        }
    }

    /// Sets the SRV records of `name` (e.g. `_pexapp._tcp.example.com`); nil removes them (NXDOMAIN).
    public func set(_ name: String, _ records: [Record]?) {
        book.table.withLock { $0[name.lowercased()] = records }
    }

    /// Every name asked, in order.
    public var questions: [String] { book.asked.withLock { $0 } }

    public func stop() async {
        task.cancel()
        try? await channel.channel.close()
    }

    /// The question's name and where the question ends.
    private static func question(_ bytes: [UInt8]) -> (String, Int)? {
        guard bytes.count > 12 else { return nil }
        var labels: [String] = []
        var position = 12
        while position < bytes.count {
            let length = Int(bytes[position])
            if length == 0 {
                let end = position + 1 + 4
                return end <= bytes.count ? (labels.joined(separator: "."), end) : nil
            }
            guard length < 64, position + 1 + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
            position += 1 + length
        }
        return nil
    }

    private static func answer(to query: [UInt8], questionEnd: Int, records: [Record]?) -> [UInt8] {
        var out = Array(query[0..<2])
        out += [0x84, records == nil ? 0x03 : 0x00]  // QR, AA; NXDOMAIN when unknown
        out += [0, 1] + u16(UInt16(records?.count ?? 0)) + [0, 0, 0, 0]
        out += query[12..<questionEnd]
        for record in records ?? [] {
            var rdata = u16(record.priority) + u16(record.weight) + u16(record.port)
            for label in record.target.split(separator: ".") {
                rdata.append(UInt8(label.utf8.count))
                rdata += Array(label.utf8)
            }
            rdata.append(0)
            out += [0xC0, 0x0C] + u16(33) + u16(1) + [0, 0, 0, 60] + u16(UInt16(rdata.count)) + rdata
        }
        return out
    }

    private static func u16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}
