import Foundation

/// Makes opaque identifiers like a node's.
enum TokenGenerator {
    /// A long random base64url token, 160 characters with one `=` of padding, like a node's.
    static func token() -> String {
        var generator = SimulatorRandom()
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

/// The system's random numbers, in a generator that is not zero-sized.
///
/// Why: ThreadSanitizer instruments an `inout` access to a local `SystemRandomNumberGenerator`, a type with no
/// stored properties and so no real address, and crashed writing shadow memory for whatever address it was
/// given (`serve --simulate` under TSan died in the demo activity within seconds). One stored byte gives the
/// value a place on the stack.
struct SimulatorRandom: RandomNumberGenerator {
    private var system = SystemRandomNumberGenerator()
    private var draws: UInt8 = 0

    mutating func next() -> UInt64 {
        draws &+= 1
        return system.next()
    }
}
