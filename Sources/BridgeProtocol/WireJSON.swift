import Foundation

/// The JSON encoding rules of the wire protocol: UTF-8, snake_case keys (spelled by each type), keys sorted so
/// the same message always has the same bytes, no escaped slashes.
public enum WireJSON {
    /// An encoder configured for the wire.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    /// Encodes a server message to the bytes of one text frame.
    ///
    /// - Parameter message: The message.
    /// - Returns: UTF-8 JSON with sorted keys.
    public static func encode(_ message: ServerMessage) -> [UInt8] {
        // Every type here encodes without failing: only strings, numbers, booleans, arrays and objects.
        (try? Array(encoder.encode(message)))
            ?? Array(#"{"type":"error","error":{"code":"bad_request","message":"encoding failed"}}"#.utf8)
    }

    /// Decodes a server message, as a Swift client receives it.
    ///
    /// - Parameter bytes: One text frame's payload.
    /// - Returns: The decoded message.
    /// - Throws: `DecodingError` when the frame is not a known server message.
    public static func decodeServerMessage(_ bytes: [UInt8]) throws -> ServerMessage {
        try JSONDecoder().decode(ServerMessage.self, from: Data(bytes))
    }
}
