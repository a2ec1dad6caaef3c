import CLibWebSockets
import Synchronization

/// Immutable encoded text frame shared by many recipients (bytes stored once, with LWS_PRE headroom).
///
/// `@unchecked Sendable` is safe because:
/// - the payload bytes are written only in `init`, before the frame is published;
/// - the only later writes go to the headroom in front of the payload, where `lws_write` puts the
///   WebSocket header. A frame is claimed (atomically, in ``claim(by:)``) by the first server that sends
///   it, and only that server's single service thread ever passes it to `lws_write`; another server
///   sends its own copy instead. So the headroom has exactly one writer thread, and nobody reads it
///   from another thread.
public final class OutboundFrame: @unchecked Sendable {
    /// Payload size in bytes.
    public let count: Int
    /// Binary frames exist only for the echo endpoint.
    let isBinary: Bool
    private let storage: UnsafeMutableRawPointer
    private let owner = Atomic<UInt>(0)

    /// A text frame holding these UTF-8 bytes.
    public init(_ text: [UInt8]) {
        count = text.count
        isBinary = false
        storage = text.withUnsafeBytes { Self.allocate(copying: $0) }
    }

    /// A text frame holding this string's UTF-8 bytes.
    public init(_ text: String) {
        var text = text
        count = text.utf8.count
        isBinary = false
        storage = text.withUTF8 { Self.allocate(copying: UnsafeRawBufferPointer($0)) }
    }

    /// A text or binary frame holding a copy of `bytes`.
    init(copying bytes: UnsafeRawBufferPointer, binary: Bool) {
        count = bytes.count
        isBinary = binary
        storage = Self.allocate(copying: bytes)
    }

    private static func allocate(copying bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        let headroom = pb_lws_pre()
        let size = headroom + max(bytes.count, 1)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        storage.bindMemory(to: UInt8.self, capacity: size)
        if let base = bytes.baseAddress, bytes.count > 0 {
            (storage + headroom).copyMemory(from: base, byteCount: bytes.count)
        }
        return storage
    }

    deinit {
        storage.deallocate()
    }

    /// Start of the payload; LWS_PRE writable bytes precede it.
    var payload: UnsafeMutablePointer<UInt8> {
        (storage + pb_lws_pre()).assumingMemoryBound(to: UInt8.self)
    }

    /// Read-only view of the payload.
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + pb_lws_pre(), count: count)
    }

    /// Makes `server` the one server that may write this frame; false if another server owns it.
    func claim(by server: UInt) -> Bool {
        let (exchanged, original) = owner.compareExchange(expected: 0, desired: server, ordering: .relaxed)
        return exchanged || original == server
    }

    /// This frame if `server` may write it, else a private copy owned by `server`.
    func owned(by server: UInt) -> OutboundFrame {
        if claim(by: server) { return self }
        let copy = OutboundFrame(copying: bytes, binary: isBinary)
        _ = copy.claim(by: server)
        return copy
    }
}
