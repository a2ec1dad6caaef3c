import BridgeClient
import BridgeProtocol
import Foundation
import TestSpawn
import Testing

/// The built `pexbridge` executable, next to the test bundle.
func pexbridgeExecutable() throws -> URL {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("pexbridge")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw CocoaError(.fileNoSuchFile)
}

/// A `pexbridge` child process with its output captured.
final class ChildProcess: @unchecked Sendable {
    // Safe: `process` and the pipes are set up in init and only read afterwards; `output` is guarded by `lock`.
    let process: Spawned
    /// The output pipes, kept for the child's lifetime: a Pipe that goes away closes its reading end.
    private let pipes: [Pipe]
    private let lock = NSLock()
    private var stdoutText = ""
    private var stderrText = ""
    private var openStreams = 2

    /// Runs `pexbridge ARGUMENTS`, or `launcher` (a full command line, found on PATH) when given.
    init(arguments: [String], environment: [String: String] = [:], launcher: [String]? = nil) throws {
        var arguments = arguments
        // The bridge's auth deadline is real time: under a sanitizer it stretches like the tests' own ceilings.
        if TestPatience.factor > 1, arguments.first == "serve", !arguments.contains("--auth-timeout") {
            arguments += ["--auth-timeout", "\(10 * TestPatience.factor)"]
        }
        let out = Pipe()
        let err = Pipe()
        pipes = [out, err]
        process = try Spawned(
            executable: launcher == nil ? try pexbridgeExecutable().path : "/usr/bin/env",
            arguments: launcher ?? arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
            stdout: out.fileHandleForWriting.fileDescriptor,
            stderr: err.fileHandleForWriting.fileDescriptor
        )
        // The child has its copies; ours must go, or the pipes never reach end of file.
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        collect(out) { $0.stdoutText += $1 }
        collect(err) { $0.stderrText += $1 }
    }

    /// Appends what the pipe delivers to one of the texts, and counts its end-of-file.
    private func collect(_ pipe: Pipe, append: @escaping @Sendable (ChildProcess, String) -> Void) {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.withLock {
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    self.openStreams -= 1
                } else {
                    append(self, String(decoding: data, as: UTF8.self))
                }
            }
        }
    }

    var stdout: String { lock.withLock { stdoutText } }
    var stderr: String { lock.withLock { stderrText } }

    /// Waits for a stdout line starting with `prefix`.
    func line(startingWith prefix: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record(
            "no line starting with \(prefix) (running: \(process.isRunning), status \(process.terminationStatus)); stdout: \(stdout) stderr: \(stderr.suffix(2000))"
        )
        throw CancellationError()
    }

    /// Waits for exit and for all its output (bounded); returns the status, or nil if still running.
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        // Another child started at the same moment may have inherited the pipes and hold them open:
        // wait for end-of-file only briefly after the exit.
        let outputDeadline = min(deadline, ContinuousClock.now + .seconds(3))
        while lock.withLock({ openStreams > 0 }) && ContinuousClock.now < outputDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}

@Suite("The pexbridge command")
struct CLITests {
    @Test func serveWithSimulatePrintsItsAddressAndDemoRoomsAndShutsDownCleanlyOnSIGTERM() async throws {
        let child = try ChildProcess(arguments: [
            "serve", "--listen", "127.0.0.1:0", "--simulate", "--log-level", "trace",
        ])
        defer { child.stop() }
        let listening = try await child.line(startingWith: "listening on ")
        let address = listening.dropFirst("listening on ".count)
        #expect(address.hasPrefix("127.0.0.1:"))
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        #expect(port > 0)
        _ = try await child.line(startingWith: "web page: ")
        #expect(child.stdout.contains("meet.pin"))

        let connection: BridgeConnection
        do {
            connection = try await BridgeConnection.connect(url: "ws://127.0.0.1:\(port)/ws", recordFrames: true)
        } catch {
            // Say what the child said last (no secret was given to it here), e.g. a sanitizer's report.
            Issue.record("cannot connect: \(error); the bridge's stderr ends with: \(child.stderr.suffix(4000))")
            return
        }
        let joined = try await connection.request(
            .join(JoinParameters(node: "simulator", alias: "meet.pin", displayName: "CLI test"))
        )
        guard case .success(.session(let s)) = joined else {
            Issue.record("\(joined)")
            return
        }
        #expect(s.state == .pinRequired)
        let pinned = try await connection.request(.pin(session: s.id, pin: "5678"))
        guard case .success(.session(let connected)) = pinned else {
            Issue.record("\(pinned)")
            return
        }
        #expect(connected.role == .guest)

        kill(child.process.processIdentifier, SIGTERM)
        #expect(await child.waitForExit() == 0)
        #expect(await connection.waitUntilClosed())
        let frames = connection.receivedFrames
        #expect(frames.contains { $0.contains(#""reason":"bridge_shutdown""#) })
        // The demo PINs are printed on stdout by design; they must never reach the log (stderr) or a frame.
        #expect(!child.stderr.contains("5678"))
        #expect(!frames.contains { $0.contains("5678") })
        #expect(child.stderr.contains("session transition"))
    }

    @Test func serveKeepsEverySecretOutOfItsOutput() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A client secret from every source: --token, a token file named in the config file, the environment, the
        // config file's own list (overridden by --token, but read), and one that is wrong.
        let cliSecret = "cli-secret-7a1b2c3d4e"
        let fileSecret = "file-secret-4e5f6a7b9c"
        let envSecret = "env-secret-8c9d0e1f2a"
        let configSecret = "cfg-secret-1d2e3f4a5b"
        let wrongSecret = "bad-secret-6f7a8b9c0d"
        let wrongPIN = "917253"
        let tokenFile = dir.appendingPathComponent("tokens")
        try Data("\(fileSecret):observer\n".utf8).write(to: tokenFile)
        let config = dir.appendingPathComponent("pexbridge.json")
        let configText =
            #"{"simulate": true, "demo_activity": false, "token_file": "\#(tokenFile.path)", "#
            + #""tokens": ["\#(configSecret):controller"]}"#
        try Data(configText.utf8).write(to: config)
        let child = try ChildProcess(
            arguments: [
                "serve", "--config", config.path, "--listen", "127.0.0.1:0", "--log-level", "trace",
                "--token", "\(cliSecret):controller",
            ],
            environment: ["PEXBRIDGE_TOKENS": "\(envSecret):observer"]
        )
        defer { child.stop() }
        let listening = try await child.line(startingWith: "listening on ")
        let port = try #require(Int(listening.split(separator: ":").last ?? ""))
        let simulatorLine = try await child.line(startingWith: "simulator: ")
        let simulatorURL = try #require(simulatorLine.firstMatch(of: /\((http:\/\/[0-9.]+:([0-9]+))\)/))
        let simulatorPort = try #require(Int(simulatorURL.output.2))
        let url = "ws://127.0.0.1:\(port)/ws"

        // Every token source is in force, and the wrong one is refused.
        let controller = try await BridgeConnection.connect(url: url, token: cliSecret, recordFrames: true)
        let fileObserver = try await BridgeConnection.connect(url: url, token: fileSecret, recordFrames: true)
        let envObserver = try await BridgeConnection.connect(url: url, token: envSecret, recordFrames: true)
        #expect(try await envObserver.request(.subscribe(session: nil, sinceSeq: nil)) == .success(.sessions([])))
        do {
            _ = try await BridgeConnection.connect(url: url, token: wrongSecret)
            Issue.record("a wrong token was accepted")
        } catch BridgeClientError.closed(code: 1008, _) {
        } catch {
            Issue.record("a wrong token should end with 1008, got \(error)")
        }

        // PINs: a wrong one, the guest PIN, the optional host PIN; then a token refresh.
        let joined = try await controller.request(
            .join(
                JoinParameters(
                    node: "simulator",
                    alias: "meet.pin",
                    displayName: "Secrets",
                    pin: wrongPIN
                )
            )
        )
        guard case .success(.session(let s)) = joined else {
            Issue.record("\(joined)")
            return
        }
        #expect(s.error?.code == .invalidPIN)
        guard case .success(.session(let guest)) = try await controller.request(.pin(session: s.id, pin: "5678")) else {
            Issue.record("the guest PIN did not connect")
            return
        }
        #expect(guest.role == .guest)
        let optional = try await controller.request(
            .join(
                JoinParameters(
                    node: "simulator",
                    alias: "meet.hostpin",
                    displayName: "Secrets",
                    pin: "4321"
                )
            )
        )
        guard case .success(.session(let host)) = optional else {
            Issue.record("\(optional)")
            return
        }
        #expect(host.role == .host)
        _ = try await httpRequest(port: simulatorPort, method: "POST", path: "/_simulator/rooms/meet.pin/refresh")
        #expect(
            await eventually {
                let rooms = (try? await httpGet(port: simulatorPort, path: "/_simulator/rooms").body) ?? ""
                return rooms.contains(#""refresh_count":1"#) || rooms.contains(#""refresh_count" : 1"#)
            }
        )

        kill(child.process.processIdentifier, SIGTERM)
        #expect(await child.waitForExit() == 0)
        let frames = [controller, fileObserver, envObserver].flatMap(\.receivedFrames)
        let (stdout, stderr) = (child.stdout, child.stderr)
        // The log really ran at trace level (upstream requests are logged there).
        #expect(stderr.contains("infinity request"))
        // Booleans first, so a failure names the place without printing the whole log (or the secret) again.
        for secret in [cliSecret, fileSecret, envSecret, configSecret, wrongSecret, wrongPIN] {
            let (inStdout, inStderr) = (stdout.contains(secret), stderr.contains(secret))
            let inFrames = frames.contains { $0.contains(secret) }
            #expect(!inStdout, "stdout carries a secret")
            #expect(!inStderr, "stderr carries a secret")
            #expect(!inFrames, "a frame carries a secret")
        }
        // The demo PINs are printed on stdout by design; never in the log or a frame (as a whole number, so a
        // port such as 45678 does not count).
        for pin in ["5678", "4321"] {
            let standalone = try Regex("(?:^|[^0-9A-Za-z])\(pin)(?:[^0-9A-Za-z]|$)")
            let inStderr = stderr.firstMatch(of: standalone) != nil
            let inFrames = frames.contains { $0.firstMatch(of: standalone) != nil }
            #expect(!inStderr, "the log carries the PIN \(pin)")
            #expect(!inFrames, "a frame carries the PIN \(pin)")
        }
        // Node tokens (160 base64url characters) never appear: no long run of token characters anywhere.
        let tokenLike = /[A-Za-z0-9_\-]{100,}/
        let tokenInStdout = stdout.firstMatch(of: tokenLike) != nil
        let tokenInStderr = stderr.firstMatch(of: tokenLike) != nil
        if let match = stderr.firstMatch(of: tokenLike) {
            // Where it sits, without the run itself (it may be a secret).
            let line = stderr[..<match.range.lowerBound].split(separator: "\n").last ?? ""
            Issue.record("token-like run of \(match.output.count) characters after: \(line.suffix(160))")
        }
        let tokenInFrames = frames.contains { $0.firstMatch(of: tokenLike) != nil }
        #expect(!tokenInStdout, "stdout carries something like a node token")
        #expect(!tokenInStderr, "stderr carries something like a node token")
        #expect(!tokenInFrames, "a frame carries something like a node token")
        for connection in [controller, fileObserver, envObserver] { await connection.close() }
    }

    @Test func aConfigFileSetsWhatTheOptionsSetAndTheCommandLineWins() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("pexbridge.json")
        try Data(
            #"{"listen": "127.0.0.1:1", "simulate": true, "demo_activity": false, "tokens": ["config-secret-1:observer"]}"#
                .utf8
        )
        .write(to: config)
        let child = try ChildProcess(arguments: ["serve", "--config", config.path, "--listen", "127.0.0.1:0"])
        defer { child.stop() }
        let listening = try await child.line(startingWith: "listening on ")
        let port = try #require(Int(listening.split(separator: ":").last ?? ""))
        #expect(port != 1)
        _ = try await child.line(startingWith: "web page: ")
        #expect(child.stdout.contains("meet.pin"))
        // The file's token applies: auth is required and the token is an observer's.
        let connection = try await BridgeConnection.connect(url: "ws://127.0.0.1:\(port)/ws", token: "config-secret-1")
        #expect(
            try await connection.request(.join(JoinParameters(node: "simulator", alias: "meet.open", displayName: "x")))
                == .failure(ErrorBody(.forbidden, "observers may only list, subscribe, unsubscribe and ping"))
        )
        await connection.close()
        kill(child.process.processIdentifier, SIGTERM)
        #expect(await child.waitForExit() == 0)
    }

    @Test(arguments: [
        (#"{"listn": "127.0.0.1:0"}"#, "unknown setting"),
        (#"{"log_level": "chatty"}"#, "log_level"),
        (#"{"listen": 8080}"#, "not valid"),
    ])
    func aConfigFileWithAMistakeIsRefused(content: String, complaint: String) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
        try Data(content.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await runPexbridge(["serve", "--config", file.path, "--listen", "127.0.0.1:0"])
        #expect(run.status == 64, "\(run)")
        #expect(run.stderr.contains(complaint), "\(run.stderr)")
    }

    @Test func versionIsPrinted() async throws {
        let run = try await runPexbridge(["--version"])
        #expect(run.status == 0)
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ProtocolInfo.bridgeVersion)
    }

    @Test func refusesANetworkAddressWithoutTokens() async throws {
        let child = try ChildProcess(arguments: ["serve", "--listen", "0.0.0.0:0"])
        defer { child.stop() }
        #expect(await child.waitForExit() == 2)
        #expect(child.stderr.contains("--token"))
    }

    @Test(.enabled(if: (CLITests.hardOpenFileLimit() ?? 0) > 512, "needs a finite hard open-file limit above 512"))
    func serveLiftsTheSoftOpenFileLimitToTheHardOne() async throws {
        let hard = try #require(Self.hardOpenFileLimit())
        // A shell lowers the soft limit (the usual default is 1,024) and then becomes the bridge.
        let executable = try pexbridgeExecutable().path
        let child = try ChildProcess(
            arguments: [],
            launcher: [
                "sh", "-c", "ulimit -Sn 512 && exec \"$0\" serve --listen 127.0.0.1:0 --log-level warning", executable,
            ]
        )
        defer { child.stop() }
        _ = try await child.line(startingWith: "listening on ")
        let limits = try String(contentsOfFile: "/proc/\(child.process.processIdentifier)/limits", encoding: .utf8)
        let row = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let numbers = row.split(separator: " ").compactMap { UInt64($0) }
        #expect(numbers == [hard, hard], "\(row)")
        kill(child.process.processIdentifier, SIGTERM)
        #expect(await child.waitForExit() == 0)
    }

    static func hardOpenFileLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max != rlim_t.max else { return nil }
        return UInt64(limit.rlim_max)
    }

    @Test func schemaCommandWritesTheSchema() async throws {
        // Through --output: a file, unlike a pipe, cannot be held open by a sibling child process.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString).json")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let child = try ChildProcess(arguments: ["schema", "--output", path])
        #expect(await child.waitForExit() == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == ProtocolSchema.document.renderedText())
    }
}
