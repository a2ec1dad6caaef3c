import Foundation

/// A JSON Schema (draft 2020-12) subset, rich enough to describe the protocol and to validate against.
public indirect enum SchemaNode: Sendable {
    case string(
        description: String? = nil,
        oneOfValues: [String]? = nil,
        constant: String? = nil,
        minLength: Int? = nil
    )
    case integer(description: String? = nil, minimum: Int? = nil)
    case boolean(description: String? = nil)
    /// Any JSON number (integer or not).
    case number(description: String? = nil)
    case null
    case array(SchemaNode, description: String? = nil)
    case object(ObjectSchema)
    case anyOf([SchemaNode], description: String? = nil)
    case ref(String)

    /// `T | null`.
    ///
    /// - Parameter node: The schema of the non-null value.
    /// - Returns: A schema that also accepts `null`.
    public static func nullable(_ node: SchemaNode) -> SchemaNode { .anyOf([node, .null]) }
}

/// An object's properties; `closed` forbids members that are not listed.
public struct ObjectSchema: Sendable {
    public var description: String?
    public var properties: [(name: String, schema: SchemaNode)]
    public var required: [String]
    public var closed: Bool

    public init(
        description: String? = nil,
        properties: [(name: String, schema: SchemaNode)],
        required: [String],
        closed: Bool
    ) {
        self.description = description
        self.properties = properties
        self.required = required
        self.closed = closed
    }
}

/// A named set of definitions with a root, rendered as one JSON Schema document.
public struct SchemaDocument: Sendable {
    public var id: String
    public var title: String
    public var description: String
    public var definitions: [(name: String, schema: SchemaNode)]
    public var root: SchemaNode

    /// The definition named `name`.
    ///
    /// - Parameter name: A definition's name, e.g. `request.join`.
    /// - Returns: Its schema, or nil when there is none by that name.
    public func definition(_ name: String) -> SchemaNode? {
        definitions.first { $0.name == name }?.schema
    }

    /// The document as a JSON value.
    public var json: JSONValue {
        var defs: [String: JSONValue] = [:]
        for (name, schema) in definitions { defs[name] = schema.json }
        var o = root.json.objectValue ?? [:]
        o["$schema"] = .string("https://json-schema.org/draft/2020-12/schema")
        o["$id"] = .string(id)
        o["title"] = .string(title)
        o["description"] = .string(description)
        o["$defs"] = .object(defs)
        return .object(o)
    }

    /// Pretty, key-sorted JSON text ending in a newline: the exact content of `protocol/schema.json`.
    public func renderedText() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(json)) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Problems found validating `value` against `node` (the root by default); empty when valid.
    ///
    /// - Parameters:
    ///   - value: The JSON to check.
    ///   - node: The schema to check it against; nil means the document's root.
    ///   - path: How the problems name the place of `value` (a JSONPath-like prefix).
    /// - Returns: One line per problem, each starting with the path of the offending value.
    public func validate(_ value: JSONValue, against node: SchemaNode? = nil, path: String = "$") -> [String] {
        validate(value, node ?? root, path: path, depth: 0)
    }

    private func validate(_ value: JSONValue, _ node: SchemaNode, path: String, depth: Int) -> [String] {
        guard depth < 64 else { return ["\(path): schema nesting too deep"] }
        switch node {
        case .string(_, let values, let constant, let minLength):
            guard case .string(let s) = value else { return ["\(path): expected string, got \(value.typeName)"] }
            if let values, !values.contains(s) { return ["\(path): \"\(s)\" is not one of \(values)"] }
            if let constant, s != constant { return ["\(path): expected \"\(constant)\""] }
            if let minLength, s.count < minLength { return ["\(path): shorter than \(minLength)"] }
            return []
        case .integer(_, let minimum):
            guard case .int(let i) = value else { return ["\(path): expected integer, got \(value.typeName)"] }
            if let minimum, i < minimum { return ["\(path): \(i) is below \(minimum)"] }
            return []
        case .number:
            switch value {
            case .int, .double: return []
            default: return ["\(path): expected number, got \(value.typeName)"]
            }
        case .boolean:
            return value.boolValue == nil ? ["\(path): expected boolean, got \(value.typeName)"] : []
        case .null:
            return value == .null ? [] : ["\(path): expected null, got \(value.typeName)"]
        case .array(let items, _):
            guard case .array(let elements) = value else { return ["\(path): expected array, got \(value.typeName)"] }
            return elements.enumerated().flatMap { validate($1, items, path: "\(path)[\($0)]", depth: depth + 1) }
        case .object(let schema):
            guard case .object(let members) = value else {
                return ["\(path): expected object, got \(value.typeName)"]
            }
            var problems: [String] = []
            for name in schema.required where members[name] == nil {
                problems.append("\(path): missing required member '\(name)'")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = schema.properties.first(where: { $0.name == name }) {
                    problems += validate(member, property.schema, path: "\(path).\(name)", depth: depth + 1)
                } else if schema.closed {
                    problems.append("\(path): unexpected member '\(name)'")
                }
            }
            return problems
        case .anyOf(let options, _):
            var all: [String] = []
            for option in options {
                let problems = validate(value, option, path: path, depth: depth + 1)
                if problems.isEmpty { return [] }
                all += problems
            }
            return ["\(path): matches none of \(options.count) alternatives (\(all.prefix(4).joined(separator: "; ")))"]
        case .ref(let name):
            guard let target = definition(name) else { return ["\(path): unknown definition \(name)"] }
            return validate(value, target, path: path, depth: depth + 1)
        }
    }
}

extension SchemaNode {
    /// The node as JSON Schema.
    public var json: JSONValue {
        func with(_ o: [String: JSONValue], _ description: String?) -> JSONValue {
            var o = o
            if let description { o["description"] = .string(description) }
            return .object(o)
        }
        switch self {
        case .string(let description, let values, let constant, let minLength):
            var o: [String: JSONValue] = ["type": .string("string")]
            if let values { o["enum"] = .array(values.map { .string($0) }) }
            if let constant { o["const"] = .string(constant) }
            if let minLength { o["minLength"] = .int(minLength) }
            return with(o, description)
        case .integer(let description, let minimum):
            var o: [String: JSONValue] = ["type": .string("integer")]
            if let minimum { o["minimum"] = .int(minimum) }
            return with(o, description)
        case .boolean(let description):
            return with(["type": .string("boolean")], description)
        case .number(let description):
            return with(["type": .string("number")], description)
        case .null:
            return .object(["type": .string("null")])
        case .array(let items, let description):
            return with(["type": .string("array"), "items": items.json], description)
        case .object(let schema):
            var properties: [String: JSONValue] = [:]
            for (name, node) in schema.properties { properties[name] = node.json }
            var o: [String: JSONValue] = [
                "type": .string("object"), "properties": .object(properties),
                "additionalProperties": .bool(!schema.closed),
            ]
            if !schema.required.isEmpty { o["required"] = .array(schema.required.map { .string($0) }) }
            return with(o, schema.description)
        case .anyOf(let options, let description):
            return with(["anyOf": .array(options.map(\.json))], description)
        case .ref(let name):
            return .object(["$ref": .string("#/$defs/\(name)")])
        }
    }
}
