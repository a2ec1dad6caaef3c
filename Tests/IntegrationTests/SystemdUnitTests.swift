import Foundation
import TestSpawn
import Testing

/// contrib/, as shipped.
private let contrib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("contrib")
/// contrib/pexbridge.service.
private let unitPath = contrib.appendingPathComponent("pexbridge.service").path
/// Both shipped units: one bridge, and one instance of several on a store.
private let units = ["pexbridge.service", "pexbridge-instance.service"]

private let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// The unit's directives as (key, value) lines of its [Service] section.
private func serviceDirectives(_ path: String = unitPath) throws -> [(key: String, value: String)] {
    // A trailing backslash continues a line.
    let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\\\n", with: " ")
    var inService = false
    var directives: [(String, String)] = []
    for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
        if line.hasPrefix("[") {
            inService = line == "[Service]"
            continue
        }
        guard inService, !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
        directives.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
    }
    return directives
}

@Suite("The systemd unit")
struct SystemdUnitTests {
    @Test func itIsHardenedAsTheReadmeSays() throws {
        let directives = try serviceDirectives()
        func values(_ key: String) -> [String] { directives.filter { $0.key == key }.map(\.value) }
        #expect(values("DynamicUser") == ["yes"])
        #expect(values("LimitCORE") == ["0"])
        #expect(values("IPAddressDeny") == ["any"])
        #expect(values("IPAddressAllow").first?.contains("localhost") == true)
        #expect(values("SocketBindDeny") == ["any"])
        #expect(values("SocketBindAllow") == ["tcp:8443"])
        // Secrets come as credentials, not as files the transient user would have to read.
        #expect(
            Set(values("LoadCredential").compactMap { $0.split(separator: ":").first.map(String.init) })
                == ["tokens", "tls.crt", "tls.key"]
        )
        let exec = values("ExecStart").joined()
        #expect(exec.contains("${CREDENTIALS_DIRECTORY}/tokens"))
        #expect(exec.contains("${CREDENTIALS_DIRECTORY}/tls.key"))
        // The documented install leaves the configuration readable by the transient user.
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        #expect(text.contains("install -m 0644 contrib/pexbridge.json /etc/pexbridge/pexbridge.json"))
        #expect(text.contains("install -d -m 0755 /etc/pexbridge"))
        // The port the unit may bind is the one the shipped configuration listens on.
        let config = try String(
            contentsOfFile: URL(fileURLWithPath: unitPath).deletingLastPathComponent()
                .appendingPathComponent("pexbridge.json").path,
            encoding: .utf8
        )
        #expect(config.contains(#""listen": "0.0.0.0:8443""#))
    }

    @Test func theInstanceUnitIsHardenedTheSameAndGetsTheStoreSecretsAsCredentials() throws {
        let base = try serviceDirectives()
        let instance = try serviceDirectives(contrib.appendingPathComponent("pexbridge-instance.service").path)
        func values(_ directives: [(key: String, value: String)], _ key: String) -> [String] {
            directives.filter { $0.key == key }.map(\.value)
        }
        // Every hardening line of the base unit is there, unchanged.
        for key in Set(base.map(\.key)).subtracting(["ExecStart", "LoadCredential"]) {
            #expect(values(instance, key) == values(base, key), "\(key)")
        }
        #expect(
            Set(values(instance, "LoadCredential").compactMap { $0.split(separator: ":").first.map(String.init) })
                == ["tokens", "tls.crt", "tls.key", "store.key", "store-password"]
        )
        let exec = values(instance, "ExecStart").joined()
        #expect(exec.contains("--store-key-file ${CREDENTIALS_DIRECTORY}/store.key"))
        #expect(exec.contains("--store-password-file ${CREDENTIALS_DIRECTORY}/store-password"))
        let config = try String(contentsOf: contrib.appendingPathComponent("pexbridge-instance.json"), encoding: .utf8)
        #expect(config.contains(#""store": "postgres://"#) && config.contains(#""on_exit": "handover""#))
        #expect(config.contains(#""listen": "0.0.0.0:8443""#))
    }

    @Test(
        .enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed (apt-get install systemd)"),
        arguments: units
    )
    func systemdAnalyzeVerifiesItWithoutAComplaint(name: String) async throws {
        let analyze = try #require(systemdAnalyze)
        // verify wants the ExecStart binary to exist: point it at the one just built.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let unit = directory.appendingPathComponent(name)
        let text = try String(contentsOfFile: contrib.appendingPathComponent(name).path, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/pexbridge", with: try pexbridgeExecutable().path)
        try text.write(to: unit, atomically: true, encoding: .utf8)

        let (status, output) = try await offThePool { () throws -> (Int32, String) in
            let pipe = Pipe()
            let process = try Spawned(
                executable: analyze,
                arguments: ["verify", "--man=no", unit.path],
                environment: ProcessInfo.processInfo.environment,
                stdout: pipe.fileHandleForWriting.fileDescriptor,
                stderr: pipe.fileHandleForWriting.fileDescriptor
            )
            try pipe.fileHandleForWriting.close()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
        #expect(status == 0, "\(output)")
        // verify exits 0 on unknown keys and bad values too, saying so per line: there must be no such line.
        #expect(!output.contains("\(name):"), "\(output)")
    }
}
