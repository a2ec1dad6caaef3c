import Foundation

extension JSONDecoder {
    /// Decodes `type` from `bytes`, or nil when they do not hold one.
    static func decodeIfValid<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        try? JSONDecoder().decode(type, from: Data(bytes))
    }
}
