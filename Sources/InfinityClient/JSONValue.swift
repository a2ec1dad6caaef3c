/// A decoded JSON value, read tolerantly by the Infinity response decoders.
enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The string, or nil for any other type.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A string, or a number rendered without a trailing ".0" when integral.
    var textValue: String? {
        switch self {
        case .string(let text): return text
        case .number(let number):
            if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        default: return nil
        }
    }

    /// Booleans, "YES"/"NO", "true"/"false", "1"/"0" and numbers (non-zero is true).
    var boolValue: Bool? {
        switch self {
        case .bool(let flag): return flag
        case .number(let number): return number != 0
        case .string(let text):
            switch text.trimmingWhitespace().lowercased() {
            case "yes", "true", "1", "on": return true
            case "no", "false", "0", "off", "": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// Numbers or numeric strings.
    var doubleValue: Double? {
        switch self {
        case .number(let number): return number
        case .string(let text): return Double(text.trimmingWhitespace())
        default: return nil
        }
    }

    /// Integral numbers or integer strings (a fractional value is truncated).
    var intValue: Int? {
        guard let number = doubleValue, number.isFinite, abs(number) < 1e15 else { return nil }
        return Int(number)
    }

    /// A short name of the JSON type, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
