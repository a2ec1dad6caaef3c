import BridgeProtocol
import Foundation
import TestSpawn
import Testing

@Suite("protocol/ matches the BridgeProtocol module")
struct PublishedProtocolTests {
    @Test func checkedInSchemaIsTheGeneratedOne() throws {
        let onDisk = try String(contentsOf: Repository.schema, encoding: .utf8)
        #expect(
            onDisk == ProtocolSchema.document.renderedText(),
            "protocol/schema.json is stale: run `swift run pexbridge schema --output protocol/schema.json`"
        )
    }

    @Test func everyMessageTypeHasAnExample() throws {
        let names = Set(try Repository.exampleFiles().map(\.name))
        for type in RequestType.allCases {
            #expect(names.contains(ProtocolSchema.definitionName(type)), "no example for request \(type.rawValue)")
        }
        for type in ServerMessageType.allCases {
            #expect(names.contains(ProtocolSchema.definitionName(type)), "no example for \(type.rawValue)")
        }
    }

    @Test func everyExampleValidatesAgainstTheSchemaDefinitionItNames() throws {
        let document = ProtocolSchema.document
        for (name, bytes) in try Repository.exampleFiles() {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            let definition = name.split(separator: ".").prefix(2).joined(separator: ".")
            let node = try #require(document.definition(definition), "\(name): no schema definition \(definition)")
            #expect(document.validate(value, against: node) == [], "\(name)")
            #expect(document.validate(value) == [], "\(name) against the root")
        }
    }

    @Test func everyRequestExampleDecodesAndReencodesToItself() throws {
        for (name, bytes) in try Repository.exampleFiles() where name.hasPrefix("request.") {
            let envelope = try RequestCodec.decode(bytes).get()
            #expect(name.hasPrefix(ProtocolSchema.definitionName(envelope.request.type)), "\(name)")
            let original = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            #expect(JSONValue.object(RequestCodec.jsonObject(envelope)) == original, "\(name)")
        }
    }

    @Test func everyServerExampleDecodesAndReencodesToItself() throws {
        for (name, bytes) in try Repository.exampleFiles() where name.hasPrefix("server.") {
            let message = try WireJSON.decodeServerMessage(bytes)
            #expect(name.hasPrefix(ProtocolSchema.definitionName(message.type)), "\(name)")
            let original = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            let reencoded = try JSONDecoder().decode(JSONValue.self, from: Data(WireJSON.encode(message)))
            #expect(reencoded == original, "\(name)")
        }
    }

    @Test func theSchemaRejectsWhatTheProtocolForbids() throws {
        let document = ProtocolSchema.document
        let bad: [String] = [
            #"{"type":"join","id":1,"node":"n","alias":"a"}"#,
            #"{"type":"pin","id":true,"session":"s","pin":"1"}"#,
            #"{"type":"state","session":"s","seq":1,"state":"sleeping"}"#,
            #"{"type":"hello","protocol":1,"server":"x","auth_required":false,"extra":1}"#,
            #"{"type":"result","id":1,"ok":false,"error":{"code":"no_such_code","message":"x"}}"#,
        ]
        for text in bad {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(!document.validate(value).isEmpty, "\(text) should not validate")
        }
    }

    @Test func theSchemaIsValidForAStandardValidatorToo() async throws {
        // Cross-check with an independent JSON Schema implementation (Python's jsonschema, installed by .ci/run).
        let script = """
            import json, sys, glob, os
            import jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            v = jsonschema.Draft202012Validator(schema)
            bad = 0
            for path in sorted(glob.glob(os.path.join(sys.argv[2], '*.json'))):
                for e in v.iter_errors(json.load(open(path))):
                    bad += 1; print(os.path.basename(path), e.message)
            sys.exit(1 if bad else 0)
            """
        let (status, text) = try await offThePool { () throws -> (Int32, String) in
            let output = Pipe()
            let process = try Spawned(
                executable: "/usr/bin/env",
                arguments: ["python3", "-c", script, Repository.schema.path, Repository.examples.path],
                environment: ProcessInfo.processInfo.environment,
                stdout: output.fileHandleForWriting.fileDescriptor,
                stderr: output.fileHandleForWriting.fileDescriptor
            )
            try output.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        #expect(status == 0, "python jsonschema: \(text)")
    }
}
