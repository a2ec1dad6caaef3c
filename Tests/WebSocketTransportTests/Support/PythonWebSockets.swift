import Foundation
import TestSpawn

/// Runs Python's `websockets` client (17.x) in a child process, for the refusal tests.
///
/// The interpreter is `$PEXBRIDGE_WEBSOCKETS_PYTHON`, else `/tmp/pexbridge-websockets-venv/bin/python3`, else
/// `python3` on the PATH, whichever can import `websockets`. Make one with
/// `python3 -m venv /tmp/pexbridge-websockets-venv && /tmp/pexbridge-websockets-venv/bin/pip install websockets`.
enum PythonWebSockets {
    static let interpreter: String? = {
        var candidates = ["/tmp/pexbridge-websockets-venv/bin/python3", "/usr/bin/python3", "/usr/local/bin/python3"]
        if let configured = ProcessInfo.processInfo.environment["PEXBRIDGE_WEBSOCKETS_PYTHON"] {
            candidates.insert(configured, at: 0)
        }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path)
                && (try? run(path, ["-c", "import websockets.sync.client"])).map { $0.status == 0 } == true
        }
    }()

    private static let script = """
        import sys
        from websockets.sync.client import connect
        from websockets.exceptions import InvalidStatus
        url, origin, protocols = sys.argv[1], sys.argv[2] or None, [p for p in sys.argv[3].split(",") if p]
        try:
            with connect(url, origin=origin, subprotocols=protocols or None, open_timeout=10) as ws:
                sys.stdout.write("connected %s" % ws.subprotocol)
        except InvalidStatus as error:
            sys.stdout.write("InvalidStatus %d %s" % (error.response.status_code, error.response.body.decode()))
        """

    /// Connects to `ws://127.0.0.1:port/ws`; returns "InvalidStatus <status> <body>" or "connected <subprotocol>",
    /// or throws with whatever else the client printed (e.g. "did not receive a valid HTTP response").
    static func connect(port: Int, origin: String? = nil, subprotocols: [String] = []) throws -> String {
        guard let interpreter else { throw Failed(output: "no interpreter with websockets") }
        let result = try run(
            interpreter,
            [
                "-c", script, "ws://127.0.0.1:\(port)/ws", origin ?? "", subprotocols.joined(separator: ","),
            ]
        )
        guard result.status == 0 else { throw Failed(output: result.output) }
        return result.output
    }

    struct Failed: Error, CustomStringConvertible {
        let output: String
        var description: String { "python websockets client failed: \(output)" }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pyws-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw Failed(output: "cannot create \(output.path)")
        }
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = try Spawned(
            executable: executable,
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: handle.fileDescriptor,
            stderr: handle.fileDescriptor
        )
        try handle.close()
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
