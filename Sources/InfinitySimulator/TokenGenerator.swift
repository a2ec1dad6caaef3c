import Foundation

/// Makes opaque identifiers like a node's.
enum TokenGenerator {
    /// A long random base64url token, 160 characters with one `=` of padding, like a node's.
    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<119).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    /// A lower-case UUID string.
    static func uuid() -> String {
        UUID().uuidString.lowercased()
    }

    /// Seconds since 1970, as the node writes `start_time`.
    static func wallClock() -> Double {
        Date().timeIntervalSince1970
    }
}
