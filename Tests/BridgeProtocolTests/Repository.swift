import Foundation

/// Paths inside this repository, found from the test file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let protocolDirectory = root.appendingPathComponent("protocol")
    static let examples = protocolDirectory.appendingPathComponent("examples")
    static let schema = protocolDirectory.appendingPathComponent("schema.json")

    /// Every example file: (file name without .json, bytes).
    static func exampleFiles() throws -> [(name: String, bytes: [UInt8])] {
        try FileManager.default.contentsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { name in
                (String(name.dropLast(5)), Array(try Data(contentsOf: examples.appendingPathComponent(name))))
            }
    }
}
