#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The `{"status": …, "result": …}` wrapper every Infinity JSON response uses.
struct Envelope: Sendable, Equatable {
    /// "success", "failed" or "failure" (nil when absent).
    var status: String?
    var result: JSONValue

    /// The result when it is a string (the usual error shape).
    var message: String? { result.stringValue }

    /// Decodes an envelope, or nil when the body is not a JSON object with a `result` member.
    static func decode(_ bytes: [UInt8]) -> Envelope? {
        guard let value = decodeJSON(bytes), let members = value.objectValue, let result = members["result"] else {
            return nil
        }
        return Envelope(status: members["status"]?.stringValue, result: result)
    }
}

/// Decodes any JSON document, or nil when it is not valid JSON.
func decodeJSON(_ bytes: [UInt8]) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
}

/// Decodes JSON text, or nil when it is not valid JSON.
func decodeJSON(_ text: String) -> JSONValue? {
    decodeJSON(Array(text.utf8))
}

/// Encodes a JSON request body.
func encodeJSON(_ value: some Encodable) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Encoding plain structs of strings and booleans cannot fail.
    return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
}
