import BridgeClient
import BridgeCore
import BridgeProtocol
import BridgeServer
import Foundation
import InfinitySimulator
import Locking
import TestSpawn
import Testing
import WebSocketTransport

/// A one-way channel (a socket pair used in one direction) whose ends are close-on-exec from the moment
/// they exist, so that no other child process started at the same time (tests run in parallel) inherits an
/// end and holds it open; the one child it is meant for gets its end by dup2 onto 0, 1 or 2, which clears
/// the flag. (Foundation's `Pipe` is not close-on-exec, and glibc's `pipe2` is not visible to Swift.)
struct ExclusivePipe {
    let reading: FileHandle
    let writing: FileHandle

    init() throws {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EMFILE)
        }
        reading = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        writing = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
    }
}

/// A `pexbridge` remote-control child process: arguments, a standard input to feed, output captured.
final class RemoteChild: @unchecked Sendable {
    // Safe: `process` and the pipes are set up in init and only read afterwards (FileHandle.close is
    // thread-safe); the captured text and end-of-file flags live in `output`, behind a Mutex.
    private struct Output {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var stdoutClosed = false
        var stderrClosed = false
    }

    private final class OutputBox: Sendable {
        let state = Mutex(Output())

        func withLock<R>(_ body: (inout Output) -> R) -> R { state.withLock { body(&$0) } }
    }

    let process: Spawned
    private let output = OutputBox()
    private let input: ExclusivePipe

    /// Starts `pexbridge arguments…` (or `launcher`, a whole command line, when given); `stdin` (when given)
    /// is written and closed at once, otherwise standard input stays open for `send` until the child ends.
    /// The environment is the test's, without any PEXBRIDGE_TOKEN, plus `environment`.
    init(
        _ arguments: [String],
        stdin: String? = nil,
        environment: [String: String] = [:],
        launcher: [String]? = nil
    )
        throws
    {
        var merged = ProcessInfo.processInfo.environment
        merged["PEXBRIDGE_TOKEN"] = nil
        input = try ExclusivePipe()
        let out = try ExclusivePipe()
        let err = try ExclusivePipe()
        process = try Spawned(
            executable: try launcher.map { $0[0] } ?? pexbridgeExecutable().path,
            arguments: launcher.map { Array($0.dropFirst()) } ?? arguments,
            environment: merged.merging(environment) { $1 },
            stdin: input.reading.fileDescriptor,
            stdout: out.writing.fileDescriptor,
            stderr: err.writing.fileDescriptor
        )
        // The child has its copies now; ours must go, or the output pipes never reach end of file.
        try out.writing.close()
        try err.writing.close()
        try input.reading.close()
        Self.drain(out.reading, into: output, isStandardError: false)
        Self.drain(err.reading, into: output, isStandardError: true)
        if let stdin {
            try input.writing.write(contentsOf: Data(stdin.utf8))
            try input.writing.close()
        }
    }

    /// Reads on a thread of its own until end of file (FileHandle's readabilityHandler never reports the
    /// end of file of a socket), then closes the handle.
    private static func drain(_ handle: FileHandle, into output: OutputBox, isStandardError: Bool) {
        let descriptor = handle.fileDescriptor
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                let bytes = buffer[..<count]
                output.withLock { if isStandardError { $0.stderr += bytes } else { $0.stdout += bytes } }
            }
            output.withLock { if isStandardError { $0.stderrClosed = true } else { $0.stdoutClosed = true } }
            try? handle.close()
        }.start()
    }

    /// Writes to the child's standard input (when it was not given at start).
    func send(_ text: String) throws {
        try input.writing.write(contentsOf: Data(text.utf8))
    }

    var stdout: String { String(decoding: output.withLock { $0.stdout }, as: UTF8.self) }
    var stderr: String { String(decoding: output.withLock { $0.stderr }, as: UTF8.self) }
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Waits (bounded) for the exit and for both output pipes to reach end of file; nil if still running.
    func finish(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
        while ContinuousClock.now < deadline {
            let drained = output.withLock { $0.stdoutClosed && $0.stderrClosed }
            if !process.isRunning && drained { return process.terminationStatus }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Waits (bounded) until `text` appears in standard output or standard error.
    func waitFor(_ text: String, inStderr: Bool = false, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
        while ContinuousClock.now < deadline {
            if (inStderr ? stderr : stdout).contains(text) { return }
            if !process.isRunning && output.withLock({ $0.stdoutClosed && $0.stderrClosed }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("\"\(text)\" never appeared; stdout: \(stdout) stderr: \(stderr)")
        throw CancellationError()
    }

    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}

/// One finished `pexbridge` run.
struct RemoteRun {
    var status: Int32?
    var stdout: String
    var stderr: String
}

/// Runs `pexbridge arguments…` to completion (bounded) and returns its status and output.
func runPexbridge(
    _ arguments: [String],
    stdin: String? = nil,
    environment: [String: String] = [:],
    timeout: Duration = .seconds(30)
) async throws -> RemoteRun {
    let child = try RemoteChild(arguments, stdin: stdin, environment: environment)
    defer { child.stop() }
    let status = await child.finish(timeout: timeout)
    return RemoteRun(status: status, stdout: child.stdout, stderr: child.stderr)
}

/// A loopback socket that accepts TCP connections (in the kernel's backlog) and never answers.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func release() { _ = Glibc.close(fd) }
}

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("remote-\(UUID().uuidString)")
    try Data(text.utf8).write(to: url)
    return url.path
}

/// True when no PIN of the test rooms appears in the text.
func free(ofPINs text: String) -> Bool {
    ![TestPINs.host, TestPINs.guest, TestPINs.optionalHost, TestPINs.wrong].contains { text.contains($0) }
}

/// Runs `body` against a fresh test bridge and stops the bridge afterwards, also when `body` throws.
func withRemoteBridge(
    _ configure: (inout TestBridge.Configuration) -> Void = { _ in },
    _ body: (TestBridge) async throws -> Void
) async throws {
    let bridge = try await TestBridge.start(configure)
    do {
        try await body(bridge)
    } catch {
        await bridge.stop()
        throw error
    }
    await bridge.stop()
}

@Suite("The remote-control subcommands")
struct RemoteControlTests {
    @Test func joinPINListWatchControlSayAndLeaveDriveARealSession() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]
            var outputs: [String] = []

            // join without a PIN source: the id on stdout, the PIN state on stderr, exit 0.
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.pin", "--name", "Desk 3"] + url
            )
            outputs += [join.stdout, join.stderr]
            #expect(join.status == 0, "\(join.stderr)")
            let lines = join.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 1)
            let id = try #require(lines.first)
            #expect(id.hasPrefix("s-"))
            #expect(join.stderr.contains("pin_required"))
            #expect(join.stderr.contains("pexbridge pin \(id)"))

            // pin, from standard input (not a terminal): the host PIN connects as host.
            let pin = try await runPexbridge(["pin", id] + url, stdin: TestPINs.host + "\n")
            outputs += [pin.stdout, pin.stderr]
            #expect(pin.status == 0, "\(pin.stderr)")
            #expect(pin.stderr.contains("connected"))
            #expect(pin.stderr.contains("role host"))

            // list: one line with id, state, alias, role and the participant count; once the node's roster has
            // arrived (it follows the connection), the count includes the bridge's own participant.
            var row: [[String]] = []
            let listed = try await eventually {
                let list = try await runPexbridge(["list"] + url)
                outputs += [list.stdout, list.stderr]
                row = list.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
                return list.status == 0 && row == [[id, "connected", "t.pin", "host", "1"]]
            }
            #expect(listed, "\(row)")

            let listJSON = try await runPexbridge(["list", "--json"] + url)
            outputs += [listJSON.stdout, listJSON.stderr]
            #expect(listJSON.status == 0)
            let snapshots = try JSONDecoder().decode([SessionSnapshot].self, from: Data(listJSON.stdout.utf8))
            #expect(snapshots.map(\.id) == [id])
            #expect(snapshots.first?.role == .host)
            #expect(snapshots.first?.participants.contains { $0.isSelf } == true)

            // Two watchers: this session in human lines, every session as JSON.
            let watchOne = try RemoteChild(["watch", id] + url)
            defer { watchOne.stop() }
            let watchAll = try RemoteChild(["watch", "--json"] + url)
            defer { watchAll.stop() }
            try await watchOne.waitFor("watching \(id)", inStderr: true)
            try await watchAll.waitFor("watching all sessions (1 live)", inStderr: true)

            let alice = try bridge.simulator.addParticipant(alias: "t.pin", displayName: "Alice Remote")
            try await watchOne.waitFor("participant_joined  Alice Remote (guest)")
            let joinedLine = try #require(watchOne.stdoutLines.first { $0.contains("participant_joined") })
            #expect(
                joinedLine.wholeMatch(of: /\d\d:\d\d:\d\d s-[a-z0-9]+  #\d+ participant_joined  Alice Remote \(guest\)/)
                    != nil,
                "\(joinedLine)"
            )
            #expect(joinedLine.contains(" \(id)  #"))
            try await watchAll.waitFor("participant_joined")
            let jsonLine = try #require(watchAll.stdoutLines.first { $0.contains("participant_joined") })
            let decoded = try WireJSON.decodeServerMessage(Array(jsonLine.utf8))
            guard case .event(let event) = decoded, case .participantJoined(let participant) = event.payload else {
                Issue.record("not a participant_joined event: \(jsonLine)")
                return
            }
            #expect(event.session == id)
            #expect(participant.uuid == alice)

            // Host controls: lock, and mute a participant named by display name.
            let lock = try await runPexbridge(["control", id, "lock"] + url)
            outputs += [lock.stdout, lock.stderr]
            #expect(lock.status == 0, "\(lock.stderr)")
            #expect(bridge.simulator.conference(alias: "t.pin")?.locked == true)
            try await watchOne.waitFor("conference  locked")

            let mute = try await runPexbridge(["control", id, "mute", "Alice Remote"] + url)
            outputs += [mute.stdout, mute.stderr]
            #expect(mute.status == 0, "\(mute.stderr)")
            #expect(bridge.simulator.participants(alias: "t.pin").first { $0.uuid == alice }?.isMuted == true)
            try await watchOne.waitFor("participant_updated  Alice Remote (guest, muted)")

            let say = try await runPexbridge(["say", id, "hello", "from", "the", "shell"] + url)
            outputs += [say.stdout, say.stderr]
            #expect(say.status == 0, "\(say.stderr)")
            // The node got exactly the words, from this session's participant.
            #expect(bridge.simulator.chatMessages(alias: "t.pin").map(\.text) == ["hello from the shell"])
            let me = bridge.simulator.participants(alias: "t.pin").first { $0.isAPI }
            #expect(bridge.simulator.chatMessages(alias: "t.pin").first?.senderUUID == me?.uuid)

            // leave: the single-session watcher prints the end and exits 0; the session is gone from list.
            let leave = try await runPexbridge(["leave", id] + url)
            outputs += [leave.stdout, leave.stderr]
            #expect(leave.status == 0, "\(leave.stderr)")
            #expect(await watchOne.finish() == 0)
            #expect(watchOne.stdoutLines.last?.contains("state  disconnected (left)") == true, "\(watchOne.stdout)")
            let after = try await runPexbridge(["list"] + url)
            #expect(after.status == 0)
            #expect(after.stdout.isEmpty)

            // The all-sessions watcher runs until interrupted; SIGINT ends it with 0.
            try await watchAll.waitFor(#""state":"disconnected""#)
            watchAll.signal(SIGINT)
            #expect(await watchAll.finish() == 0)

            outputs += [watchOne.stdout, watchOne.stderr, watchAll.stdout, watchAll.stderr]
            for text in outputs { #expect(free(ofPINs: text)) }
        }
    }

    @Test func joinReadsThePINFromStandardInputAndAnEmptyLineJoinsAsGuestWhereAllowed() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]

            let guest = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.pin", "--name", "Guest desk", "--pin-stdin"] + url,
                stdin: TestPINs.guest + "\n"
            )
            #expect(guest.status == 0, "\(guest.stderr)")
            #expect(guest.stdout.split(separator: "\n").count == 1)
            #expect(guest.stderr.contains("connected"))
            #expect(guest.stderr.contains("role guest"))

            let noPIN = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.hostpin", "--name", "No PIN", "--pin-stdin"] + url,
                stdin: "\n"
            )
            #expect(noPIN.status == 0, "\(noPIN.stderr)")
            #expect(noPIN.stderr.contains("pin_optional"))
            #expect(noPIN.stderr.contains("role guest"))
            #expect(bridge.simulator.pinHeadersReceived(alias: "t.hostpin").contains("none"))

            // A room without a PIN never reads standard input.
            let open = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "Open desk", "--pin-stdin"] + url
            )
            #expect(open.status == 0, "\(open.stderr)")
            #expect(open.stderr.contains("connected"))

            for text in [guest.stdout, guest.stderr, noPIN.stdout, noPIN.stderr] { #expect(free(ofPINs: text)) }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalThePINIsPromptedForWithoutEcho() async throws {
        try await withRemoteBridge { bridge in
            let executable = try pexbridgeExecutable().path
            let url = ["--url", bridge.url]
            // `script` runs the command on a pseudo-terminal and copies everything the terminal shows to its
            // standard output, so an echoed PIN would be seen there.
            func onTerminal(_ arguments: [String]) throws -> RemoteChild {
                let command = ([executable] + arguments).map { "'\($0)'" }.joined(separator: " ")
                return try RemoteChild([], launcher: ["/usr/bin/script", "-qfec", command, "/dev/null"])
            }

            let join = try onTerminal(
                ["join", "--node", "simulator", "--alias", "t.pin", "--name", "Tty", "--pin-prompt"] + url
            )
            defer { join.stop() }
            try await join.waitFor("PIN for t.pin: ")
            try join.send(TestPINs.guest + "\n")
            #expect(await join.finish() == 0)
            #expect(join.stdout.contains("role guest"), "\(join.stdout)")

            let waiting = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.pin", "--name", "Tty 2"] + url
            )
            let id = try #require(waiting.stdout.split(separator: "\n").first.map(String.init))
            let pin = try onTerminal(["pin", id] + url)
            defer { pin.stop() }
            try await pin.waitFor("PIN for \(id) (empty for none): ")
            try pin.send(TestPINs.host + "\n")
            #expect(await pin.finish() == 0)
            #expect(pin.stdout.contains("role host"), "\(pin.stdout)")

            for text in [join.stdout, join.stderr, pin.stdout, pin.stderr] { #expect(free(ofPINs: text)) }
        }
    }

    @Test func aWrongPINExitsOneWithTheErrorCodeAndNeverEchoesThePIN() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]

            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.pin", "--name", "Wrong", "--pin-stdin"] + url,
                stdin: TestPINs.wrong + "\n"
            )
            #expect(join.status == 1)
            let id = try #require(join.stdout.split(separator: "\n").first.map(String.init))
            #expect(id.hasPrefix("s-"))
            #expect(join.stderr.contains("error: invalid_pin: "))
            #expect(join.stderr.contains("attempts left"))

            // The session waits in its PIN state; `pin` with another wrong PIN fails the same way.
            let pin = try await runPexbridge(["pin", id] + url, stdin: TestPINs.wrong + "\n")
            #expect(pin.status == 1)
            #expect(pin.stderr.contains("error: invalid_pin: "))

            // The PIN state needs a PIN: an empty line is refused with pin_required (also exit 1).
            let empty = try await runPexbridge(["pin", id] + url, stdin: "\n")
            #expect(empty.status == 1)
            #expect(empty.stderr.contains("error: pin_required: "))

            for text in [join.stdout, join.stderr, pin.stdout, pin.stderr, empty.stdout, empty.stderr] {
                #expect(free(ofPINs: text))
            }
        }
    }

    @Test func tokensComeFromAFileOrTheEnvironmentAndAFailedAuthExitsFour() async throws {
        let controller = "controller-secret-7a9f3e"
        let observer = "observer-secret-4c2d8b"
        try await withRemoteBridge({
            $0.core.authTokens = [
                AuthToken(secret: controller, role: .controller), AuthToken(secret: observer, role: .observer),
            ]
        }) { bridge in
            let url = ["--url", bridge.url]
            let wrongFile = try temporaryFile("# a comment\n\nnot-the-right-token-123\n")
            let rightFile = try temporaryFile(controller + "\n")
            defer {
                try? FileManager.default.removeItem(atPath: wrongFile)
                try? FileManager.default.removeItem(atPath: rightFile)
            }

            let wrong = try await runPexbridge(["list", "--token-file", wrongFile] + url)
            #expect(wrong.status == 4)
            #expect(wrong.stderr.contains("error: authentication failed: unauthorized"))

            let missing = try await runPexbridge(["list"] + url)
            #expect(missing.status == 4)
            #expect(missing.stderr.contains("requires a token"))

            let fromFile = try await runPexbridge(["list", "--token-file", rightFile] + url)
            #expect(fromFile.status == 0, "\(fromFile.stderr)")

            let fromEnvironment = try await runPexbridge(["list"] + url, environment: ["PEXBRIDGE_TOKEN": controller])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")

            // An observer may list but not join: forbidden is an authentication failure too (4).
            let observerJoin = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "Obs"] + url,
                environment: ["PEXBRIDGE_TOKEN": observer]
            )
            #expect(observerJoin.status == 4)
            #expect(observerJoin.stderr.contains("error: forbidden: "))
            #expect(observerJoin.stdout.isEmpty)

            for run in [wrong, missing, fromFile, fromEnvironment, observerJoin] {
                #expect(!run.stdout.contains(controller) && !run.stderr.contains(controller))
                #expect(!run.stdout.contains(observer) && !run.stderr.contains(observer))
                #expect(!run.stderr.contains("not-the-right-token-123"))
            }
        }
    }

    @Test func connectionFailuresTimeoutsAndUsageErrorsHaveTheirOwnExitCodes() async throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let closed = refusing.port
        let refused = try await runPexbridge(["list", "--url", "ws://127.0.0.1:\(closed)/ws"])
        #expect(refused.status == 3)
        #expect(refused.stderr.hasPrefix("error: cannot connect to the bridge"))

        let silent = try SilentListener()
        defer { silent.release() }
        let started = ContinuousClock.now
        let timedOut = try await runPexbridge(["list", "--url", "ws://127.0.0.1:\(silent.port)/ws", "--timeout", "1"])
        #expect(timedOut.status == 5)
        #expect(timedOut.stderr.contains("did not answer in time"))
        #expect(ContinuousClock.now - started < .seconds(20))

        // Usage errors are ArgumentParser's EX_USAGE, 64, as are unreadable PIN input and unknown actions.
        let noParticipant = try await runPexbridge(["control", "s-x", "mute", "--url", "ws://127.0.0.1:\(closed)/ws"])
        #expect(noParticipant.status == 64)
        #expect(noParticipant.stderr.contains("mute needs a PARTICIPANT"))
        let badAction = try await runPexbridge(["control", "s-x", "explode"])
        #expect(badAction.status == 64)
        let noPIN = try await runPexbridge(["pin", "s-x", "--url", "ws://127.0.0.1:\(closed)/ws"], stdin: "")
        #expect(noPIN.status == 64)
        #expect(noPIN.stderr.contains("no PIN on standard input"))
        let badURL = try await runPexbridge(["list", "--url", "http://127.0.0.1:1/"])
        #expect(badURL.status == 64)
    }

    @Test func requestFailuresMapToExitCodes() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]

            let unknown = try await runPexbridge(["leave", "s-doesnotexist"] + url)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("error: unknown_session: "))

            let notFound = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.nope", "--name", "X"] + url
            )
            #expect(notFound.status == 1)
            #expect(notFound.stderr.contains("error: conference_not_found: "))
            #expect(notFound.stdout.isEmpty)

            // A guest session cannot lock: not_host.
            let guest = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.hostpin", "--name", "G", "--pin-stdin"] + url,
                stdin: "\n"
            )
            let id = try #require(guest.stdout.split(separator: "\n").first.map(String.init))
            let lock = try await runPexbridge(["control", id, "lock"] + url)
            #expect(lock.status == 1)
            #expect(lock.stderr.contains("error: not_host: "))
            let mute = try await runPexbridge(["control", id, "unmute", "Nobody Here"] + url)
            #expect(mute.status == 1)
            #expect(mute.stderr.contains("error: "))
        }
    }

    @Test func watchExitsThreeWhenTheBridgeGoesAway() async throws {
        let bridge = try await TestBridge.start()
        let watch: RemoteChild
        do {
            watch = try RemoteChild(["watch", "--url", bridge.url])
            try await watch.waitFor("watching all sessions", inStderr: true)
        } catch {
            await bridge.stop()
            throw error
        }
        defer { watch.stop() }
        await bridge.stop()
        #expect(await watch.finish() == 3)
        #expect(watch.stderr.contains("error: connection lost"))
    }

    @Test func watchResumesFromASeq() async throws {
        try await withRemoteBridge { bridge in
            let url = ["--url", bridge.url]
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.open", "--name", "R"] + url
            )
            let id = try #require(join.stdout.split(separator: "\n").first.map(String.init))
            let watch = try RemoteChild(["watch", id, "--json", "--resume-from", "0"] + url)
            defer { watch.stop() }
            try await watch.waitFor("watching \(id)", inStderr: true)
            try await watch.waitFor(#""state":"connected""#)
            let seqs = watch.stdoutLines.compactMap { line -> Int? in
                guard case .event(let e)? = try? WireJSON.decodeServerMessage(Array(line.utf8)) else { return nil }
                return e.seq
            }
            #expect(seqs.first == 1)
            #expect(seqs == Array(1...(seqs.last ?? 0)))
            watch.signal(SIGTERM)
            #expect(await watch.finish() == 0)
        }
    }

    @Test func wssWithAPrivateCAFile() async throws {
        // Only a DNS name: NIOSSL would also accept an IP SAN matching the peer's address, whatever the name.
        let certificate = try TestCertificate(ipAddresses: [], dnsNames: ["localhost"])
        defer { certificate.remove() }
        try await withRemoteBridge({
            $0.tls = TLSFiles(certificatePath: certificate.certificatePath, privateKeyPath: certificate.keyPath)
        }) { bridge in
            let url = "wss://127.0.0.1:\(bridge.port)/ws"
            let name = ["--server-name", "localhost"]

            let trusted = try await runPexbridge(
                [
                    "join", "--node", "simulator", "--alias", "t.open", "--name", "TLS", "--url", url,
                    "--ca-file", certificate.certificatePath,
                ] + name
            )
            #expect(trusted.status == 0, "\(trusted.stderr)")
            #expect(trusted.stdout.hasPrefix("s-"))

            // The certificate names localhost, so the name in the URL works as well.
            let byName = try await runPexbridge(
                ["list", "--url", "wss://localhost:\(bridge.port)/ws", "--ca-file", certificate.certificatePath])
            #expect(byName.status == 0, "\(byName.stderr)")
            #expect(byName.stdout.contains("t.open"))

            // Without the CA the system's trust store decides, and it does not know this certificate.
            let untrusted = try await runPexbridge(["list", "--url", url] + name)
            #expect(untrusted.status == 3)
            #expect(untrusted.stderr.hasPrefix("error: cannot connect to the bridge"))

            // A name the certificate does not carry fails verification.
            let wrongName = try await runPexbridge(
                ["list", "--url", url, "--ca-file", certificate.certificatePath, "--server-name", "bridge.example"])
            #expect(wrongName.status == 3)

            // TLS cannot send an IP address as the server name: the command says what to do instead.
            let noName = try await runPexbridge(["list", "--url", url, "--ca-file", certificate.certificatePath])
            #expect(noName.status == 64)
            #expect(noName.stderr.contains("--server-name"))
        }
    }

    @Test func helpDocumentsTheExitCodes() async throws {
        for command in ["join", "pin", "leave", "list", "watch", "control", "say"] {
            let help = try await runPexbridge([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Exit status:"), "\(command)")
            #expect(help.stdout.contains("64  usage error"), "\(command)")
        }
    }
}
