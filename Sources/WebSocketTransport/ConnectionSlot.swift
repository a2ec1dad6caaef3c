/// The bytes lws allocates (zeroed) per connection for this module: the key of the connection's
/// Swift state and, once a WebSocket is open, an unretained pointer to its ``Connection`` so the hot
/// writeable path needs no dictionary lookup. The pointer is valid exactly while the key is in
/// ``ServiceLoop/connections`` (which holds the strong reference); both are cleared together.
enum ConnectionSlot {
    static let size = MemoryLayout<UInt64>.size + MemoryLayout<UnsafeRawPointer?>.size
    private static let connectionOffset = MemoryLayout<UInt64>.size

    static func key(_ user: UnsafeMutableRawPointer) -> UInt64 {
        user.load(as: UInt64.self)
    }

    static func setKey(_ user: UnsafeMutableRawPointer, _ key: UInt64) {
        user.storeBytes(of: key, as: UInt64.self)
    }

    static func connection(_ user: UnsafeMutableRawPointer) -> Connection? {
        guard let pointer = user.load(fromByteOffset: connectionOffset, as: UnsafeRawPointer?.self) else { return nil }
        return Unmanaged<Connection>.fromOpaque(pointer).takeUnretainedValue()
    }

    static func setConnection(_ user: UnsafeMutableRawPointer, _ connection: Connection?) {
        let pointer = connection.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) }
        user.storeBytes(of: pointer, toByteOffset: connectionOffset, as: UnsafeRawPointer?.self)
    }
}
