import BridgeClient
import BridgeProtocol
import Foundation
import Locking
import TestSpawn
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `pexbridge serve` with its output read on threads of its own, so a signal can go out the instant a line arrives.
private final class ServeProcess: Sendable {
    let process: Spawned
    private let stdoutFD: Int32
    private let stderrFD: Int32
    private let errText = Mutex("")
    private let outText = Mutex("")

    init(arguments: [String]) throws {
        var out: [Int32] = [0, 0]
        var err: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&err) == 0 else { throw POSIXError(.EMFILE) }
        process = try Spawned(
            executable: try pexbridgeExecutable().path,
            arguments: arguments,
            environment: ProcessInfo.processInfo.environment,
            stdout: out[1],
            stderr: err[1]
        )
        close(out[1])
        close(err[1])
        stdoutFD = out[0]
        stderrFD = err[0]
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        close(stdoutFD)
        close(stderrFD)
    }

    var stdout: String { outText.withLock { $0 } }
    var stderr: String { errText.withLock { $0 } }

    /// Blocks: reads stdout until a whole line starts with `prefix`, then runs `then` at once (on this thread).
    /// - Returns: False when stdout ended first.
    func readUntilLine(startingWith prefix: String, then: () -> Void = {}) -> Bool {
        while true {
            let text = stdout
            if text.split(separator: "\n", omittingEmptySubsequences: true).dropLast(text.hasSuffix("\n") ? 0 : 1)
                .contains(where: { $0.hasPrefix(prefix) })
            {
                then()
                return true
            }
            guard let chunk = Self.read(stdoutFD) else { return false }
            outText.withLock { $0 += chunk }
        }
    }

    /// Blocks: reads both streams to their end (the child has exited or closed them), then reaps the child.
    /// - Returns: The exit status.
    func readToEndAndReap() -> Int32 {
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { [self] in
            while let chunk = Self.read(stderrFD) { errText.withLock { $0 += chunk } }
        }
        while let chunk = Self.read(stdoutFD) { outText.withLock { $0 += chunk } }
        group.wait()
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func read(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count > 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
            if count < 0 && errno == EINTR { continue }
            return nil
        }
    }
}

/// Kills `process` if it has not ended by `ceiling` (so a broken build fails instead of hanging the suite).
private func watchdog(_ process: Spawned, ceiling: Duration = .seconds(60)) -> Task<Void, Never> {
    Task {
        guard (try? await Task.sleep(for: ceiling)) != nil else { return }
        if process.isRunning {
            Issue.record("pexbridge did not exit within \(ceiling) of the signal; killed")
            kill(process.processIdentifier, SIGKILL)
        }
    }
}

@Suite("Signals at any moment", .serialized)
struct SignalTests {
    /// The signal goes out from the thread that read `listening on`, before anything else is read: before
    /// signal handling was in place first, about one in ten such SIGTERMs was ignored or killed the process.
    @Test(arguments: Array(repeating: SIGTERM, count: 20) + Array(repeating: SIGINT, count: 5))
    func aSignalTheInstantAfterListeningOnShutsDownGracefully(signal: Int32) async throws {
        let serve = try ServeProcess(arguments: ["serve", "--simulate", "--listen", "127.0.0.1:0"])
        let guardTask = watchdog(serve.process)
        defer { guardTask.cancel() }
        let pid = serve.process.processIdentifier
        let (sawListening, status) = try await offThePool {
            let saw = serve.readUntilLine(startingWith: "listening on ") { kill(pid, signal) }
            return (saw, serve.readToEndAndReap())
        }
        #expect(sawListening, "no listening line; stderr: \(serve.stderr.suffix(2000))")
        #expect(status == 0, "exit status \(status); stderr: \(serve.stderr.suffix(2000))")
        #expect(serve.stderr.contains("shutting down"))
        #expect(serve.stderr.contains("bridge stopped"))
    }

    @Test func sigtermWithAClientInARoomTellsItBridgeShutdownAndReleasesTheSessionUpstream() async throws {
        let serve = try ServeProcess(
            arguments: ["serve", "--simulate", "--listen", "127.0.0.1:0", "--log-level", "debug"])
        let guardTask = watchdog(serve.process)
        defer { guardTask.cancel() }
        let ready = try await offThePool { serve.readUntilLine(startingWith: "web page: ") }
        try #require(ready, "no web page line; stderr: \(serve.stderr.suffix(2000))")
        let listening = try #require(serve.stdout.split(separator: "\n").first { $0.hasPrefix("listening on ") })
        let port = try #require(Int(listening.split(separator: ":").last ?? ""))

        let connection = try await BridgeConnection.connect(url: "ws://127.0.0.1:\(port)/ws", recordFrames: true)
        let joined = try await connection.request(
            .join(JoinParameters(node: "simulator", alias: "meet.open", displayName: "Signal test"))
        )
        guard case .success(.session(let session)) = joined, session.state == .connected else {
            Issue.record("expected a connected session, got \(joined)")
            return
        }

        kill(serve.process.processIdentifier, SIGTERM)
        let status = try await offThePool { serve.readToEndAndReap() }
        #expect(status == 0, "exit status \(status); stderr: \(serve.stderr.suffix(2000))")
        #expect(await connection.waitUntilClosed())
        #expect(connection.closeCode == 1001)
        let disconnected = connection.receivedFrames.filter {
            $0.contains(#""session":"\#(session.id)""#) && $0.contains(#""state":"disconnected""#)
        }
        #expect(disconnected.count == 1, "frames: \(connection.receivedFrames)")
        #expect(disconnected.allSatisfy { $0.contains(#""reason":"bridge_shutdown""#) })
        // The node answered the release (200) before the process ended: the simulator saw it.
        let released = serve.stderr.split(separator: "\n").filter {
            $0.contains("infinity response") && $0.contains("infinity.endpoint=release_token")
        }
        #expect(released.count == 1, "stderr: \(serve.stderr.suffix(4000))")
        #expect(released.allSatisfy { $0.contains("infinity.status=200") })
        #expect(serve.stderr.contains("bridge stopped"))
    }
}
