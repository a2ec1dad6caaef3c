import BridgeClient
import BridgeProtocol
import Foundation
import InfinitySimulator
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: instances on one PostgreSQL as one bridge, through the real transport: two `pexbridge serve`
/// processes, the simulator in this process (so killing or pausing an instance never touches the node), and the
/// simulator's side checked each time (one `request_token`, no release, no ghost participant).
@Suite("Several instances as one bridge", .postgres)
struct StoreClusterTests {
    /// Two instances on a fresh database, and a simulator.
    struct Cluster {
        let server: PostgresServer
        let database: String
        let place: StoreRestartTests.Place
        let simulator: InfinitySimulator
        /// A server of its own (stopped by ``remove()``): tests that pause PostgreSQL must not pause the suite's.
        let ownsServer: Bool

        init(_ prefix: String, tokenExpiry: Duration? = nil, ownServer: Bool = false) async throws {
            ownsServer = ownServer
            server = ownServer ? try await PostgresServer.start() : try PostgresServer.required()
            database = try await server.createDatabase(prefix: prefix)
            place = try StoreRestartTests.Place()
            var configuration = SimulatorConfiguration(rooms: TestBridge.rooms)
            configuration.demoActivity = false
            if let tokenExpiry { configuration.tokenExpiry = tokenExpiry }
            simulator = InfinitySimulator(configuration: configuration, logger: Logger(label: "simulator"))
            _ = try await simulator.start()
        }

        /// An instance; `nil` leaves `--instance` to its default (the host name).
        func serve(_ instance: String?, leaseSeconds: Int = 2) throws -> ChildProcess {
            try ChildProcess(
                arguments: [
                    "serve", "--listen", "127.0.0.1:0", "--allow-insecure-nodes", "--log-level", "debug",
                    "--store", server.url(database: database), "--store-key-file", place.key,
                    "--lease-seconds", "\(leaseSeconds)",
                ] + (instance.map { ["--instance", $0] } ?? []),
                environment: ["PEXBRIDGE_STORE_PASSWORD": server.password]
            )
        }

        func join(_ client: TestClient, _ alias: String, name: String, pin: String? = nil) async throws -> String {
            let result = try await client.request(
                .join(JoinParameters(node: simulator.baseURL, alias: alias, displayName: name, pin: pin))
            )
            guard case .success(.session(let snapshot)) = result else {
                Issue.record("join: \(result)")
                throw CancellationError()
            }
            return snapshot.id
        }

        /// The node's side of a session that was held all along: one token request, no release, one participant.
        func expectHeldThroughout(_ alias: String, name: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let calls = simulator.calls(alias: alias)
            #expect(calls.filter { $0.endpoint == "request_token" }.count == 1, sourceLocation: sourceLocation)
            #expect(!calls.contains { $0.endpoint == "release_token" }, sourceLocation: sourceLocation)
            #expect(
                simulator.participants(alias: alias).filter { $0.displayName == name }.count == 1,
                "no ghost participant",
                sourceLocation: sourceLocation
            )
            #expect(
                !calls.contains { $0.endpoint == "refresh_token" && $0.status != 200 },
                "no refresh with a token the node no longer takes",
                sourceLocation: sourceLocation
            )
        }

        /// Two instances and a client on each. The caller defers `stop()` on both children.
        func twoInstances(
            _ names: (String?, String?) = ("a", "b"),
            leaseSeconds: Int = 2
        ) async throws -> (a: ChildProcess, b: ChildProcess, onA: TestClient, onB: TestClient) {
            let a = try serve(names.0, leaseSeconds: leaseSeconds)
            let b = try serve(names.1, leaseSeconds: leaseSeconds)
            do {
                return (a, b, try await StoreRestartTests.connect(a), try await StoreRestartTests.connect(b))
            } catch {
                a.stop()
                b.stop()
                throw error
            }
        }

        /// Closes the clients, stops the children (each must exit 0) and removes the cluster.
        func finish(
            _ clients: [TestClient],
            _ children: [ChildProcess],
            sourceLocation: SourceLocation = #_sourceLocation
        ) async {
            for client in clients { await client.close() }
            for child in children { child.stop() }
            for child in children { #expect(await child.waitForExit() == 0, sourceLocation: sourceLocation) }
            await remove()
        }

        func remove() async {
            await simulator.stop()
            place.remove()
            if ownsServer { await server.stop() }
        }
    }

    /// The port a child serves on, from its `listening on` line.
    static func port(_ child: ChildProcess) async throws -> Int {
        let listening = try await child.line(startingWith: "listening on ")
        return try #require(Int(listening.split(separator: ":").last ?? ""))
    }

    static func subscribe(
        _ client: TestClient,
        _ session: String,
        since: Int? = nil
    ) async throws -> (snapshot: SessionSnapshot, replayed: Bool?) {
        let result = try await client.request(.subscribe(session: session, sinceSeq: since))
        guard case .success(.sessions(let snapshots, let replayed)) = result, let snapshot = snapshots.first else {
            Issue.record("subscribe: \(result)")
            throw CancellationError()
        }
        return (snapshot, replayed)
    }

    /// The seqs a client received for a session, in arrival order.
    static func seqs(_ client: TestClient, _ session: String) -> [Int] {
        client.events.filter { $0.session == session }.map(\.seq)
    }

    static func chats(_ client: TestClient, _ session: String) -> [String] {
        client.events.compactMap { event in
            guard event.session == session, case .message(let message) = event.payload else { return nil }
            return message.text
        }
    }

    /// Waits until a client has the chat message `text` of a session.
    static func waitForChat(
        _ client: TestClient,
        _ session: String,
        _ text: String,
        timeout: Duration = .seconds(20)
    )
        async throws
    {
        try await client.waitFor(timeout: timeout) {
            if case .event(let e) = $0, e.session == session, case .message(let m) = e.payload {
                m.text == text
            } else {
                false
            }
        }
    }

    static func upstreamStatuses(_ client: TestClient, _ session: String) -> [UpstreamStatus.Status] {
        client.events.compactMap { event in
            guard event.session == session, case .upstream(let status) = event.payload else { return nil }
            return status.status
        }
    }

    /// Seqs that go up by exactly one, starting right after `after`.
    static func expectGapFree(
        _ seqs: [Int],
        after: Int,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(seqs == Array((after + 1)..<(after + 1 + seqs.count)), comment, sourceLocation: sourceLocation)
    }

    // MARK: requests and events on any instance

    @Test func requestsOnTheOtherInstanceAreActedOnByTheHolderAndAnsweredWhereTheyWereSent() async throws {
        let cluster = try await Cluster("forward")
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }

        // Joined on A without the PIN: the PIN is sent on B, forwarded to A (sealed on the way), and answered on B.
        let s = try await cluster.join(onA, "t.pin", name: "Forwarded")
        try await onA.waitForState(s, .pinRequired)
        let pinned = try await onB.request(.pin(session: s, pin: TestPINs.host))
        guard case .success(.session(let snapshot)) = pinned else {
            Issue.record("pin on B: \(pinned)\n\(b.stderr.suffix(3000))")
            return
        }
        #expect(snapshot.id == s)
        try await onA.waitForState(s, .connected)
        #expect(!a.stderr.contains(TestPINs.host) && !b.stderr.contains(TestPINs.host), "no PIN in either log")

        // A host control and a chat message sent on B reach the node through A.
        #expect(try await onB.request(.control(session: s, .lock)) == .success(.empty))
        #expect(await eventually { cluster.simulator.conference(alias: "t.pin")?.locked == true })
        #expect(try await onB.request(.control(session: s, .sendMessage(text: "via B"))) == .success(.empty))
        #expect(cluster.simulator.chatMessages(alias: "t.pin").contains { $0.text == "via B" })
        // Ephemeral events cross too, to the clients that asked for them: captions turned on from B, heard on B.
        let captioned = try await StoreRestartTests.connect(b)
        guard case .success = try await captioned.request(.subscribe(session: s, sinceSeq: nil, include: [.captions]))
        else {
            Issue.record("subscribe with include on B")
            return
        }
        #expect(try await onB.request(.control(session: s, .captions(on: true))) == .success(.empty))
        try cluster.simulator.sendCaption(alias: "t.pin", text: "hello from the node")
        try await captioned.waitFor {
            if case .ephemeral(let e) = $0, e.session == s, case .captions(let c) = e.payload {
                c.text == "hello from the node"
            } else {
                false
            }
        }
        await captioned.close()
        // A refusal comes back as the holder gave it.
        let refused = try await onB.request(.control(session: s, .mute(participant: "no-such-participant")))
        #expect(refused.failure?.code == .unknownParticipant)
        // No such session anywhere: said at once.
        #expect(try await onB.request(.leave(session: "s-nosuchthing")).failure?.code == .unknownSession)

        // `leave` on B ends it on A: the token is released upstream.
        #expect(try await onB.request(.leave(session: s)) == .success(.empty))
        try await onA.waitForState(s, .disconnected)
        #expect(cluster.simulator.calls(alias: "t.pin").filter { $0.endpoint == "release_token" }.count == 1)

        await cluster.finish([onA, onB], [a, b])
    }

    @Test func eventsReachSubscribersOnEveryInstanceWithTheSameSeqAndResumeAnywhere() async throws {
        let cluster = try await Cluster("events")
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }
        let everythingOnB = try await StoreRestartTests.connect(b)

        let s = try await cluster.join(onA, "t.open", name: "Watched")
        let (onBSnapshot, _) = try await Self.subscribe(onB, s)
        // B shows what A last stored (perhaps still `connecting`), and the events after it.
        if onBSnapshot.state != .connected { try await onB.waitForState(s, .connected) }
        let all = try await everythingOnB.request(.subscribe(session: nil, sinceSeq: nil))
        guard case .success(.sessions(let listed, _)) = all, let listedSeq = listed.first(where: { $0.id == s })?.seq
        else {
            Issue.record("subscribe-all on B: \(all)")
            return
        }

        for n in 1...20 { try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "m\(n)") }
        try await Self.waitForChat(onA, s, "m20")
        try await Self.waitForChat(onB, s, "m20")
        try await Self.waitForChat(everythingOnB, s, "m20")

        // The same events with the same seqs on both instances, each gap-free from its subscription on.
        let seqsOnB = Self.seqs(onB, s)
        Self.expectGapFree(seqsOnB, after: onBSnapshot.seq, "B's subscriber")
        Self.expectGapFree(Self.seqs(everythingOnB, s), after: listedSeq, "B's subscribe-all client")
        let onAByseq = Dictionary(
            onA.events.filter { $0.session == s }.map { ($0.seq, $0) },
            uniquingKeysWith: { x, _ in x }
        )
        for event in onB.events where event.session == s { #expect(onAByseq[event.seq] == event, "seq \(event.seq)") }
        #expect(Self.chats(onB, s) == (1...20).map { "m\($0)" })

        // A client that saw up to the 10th message resumes on B: the rest, replayed, in order.
        let tenth = try #require(
            onB.events.first { if case .message(let m) = $0.payload { m.text == "m10" } else { false } }?.seq
        )
        let resumer = try await StoreRestartTests.connect(b)
        let (_, replayed) = try await Self.subscribe(resumer, s, since: tenth)
        #expect(replayed == true)
        try await Self.waitForChat(resumer, s, "m20")
        #expect(Self.seqs(resumer, s) == Array((tenth + 1)...seqsOnB.last!))
        #expect(Self.chats(resumer, s) == (11...20).map { "m\($0)" })
        // And on a fresh instance that never followed the session: from the store.
        let c = try cluster.serve("c")
        defer { c.stop() }
        let onC = try await StoreRestartTests.connect(c)
        let (_, replayedOnC) = try await Self.subscribe(onC, s, since: tenth)
        #expect(replayedOnC == true)
        try await Self.waitForChat(onC, s, "m20")
        #expect(Self.chats(onC, s) == (11...20).map { "m\($0)" })
        cluster.expectHeldThroughout("t.open", name: "Watched")

        await cluster.finish([onA, onB, everythingOnB, resumer, onC], [a, b, c])
    }

    @Test func twoProcessesWithTheDefaultInstanceNameOnOneMachineAreStillTwoInstances() async throws {
        let cluster = try await Cluster("samename")
        let (a, b, onA, onB) = try await cluster.twoInstances((nil, nil))
        defer {
            a.stop()
            b.stop()
        }
        let s = try await cluster.join(onA, "t.open", name: "Twin")
        let (snapshot, _) = try await Self.subscribe(onB, s)
        #expect(try await onB.request(.control(session: s, .sendMessage(text: "from B"))) == .success(.empty))
        #expect(cluster.simulator.chatMessages(alias: "t.open").contains { $0.text == "from B" })
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "to both")
        try await Self.waitForChat(onB, s, "to both")
        Self.expectGapFree(Self.seqs(onB, s), after: snapshot.seq)
        #expect(!b.stderr.contains("session taken over"))
        cluster.expectHeldThroughout("t.open", name: "Twin")
        await cluster.finish([onA, onB], [a, b])
    }

    // MARK: an instance dies, is paused, or its store is

    @Test func whenTheHolderIsKilledTheOtherTakesOverAndBothClientsSeqsStayGapFree() async throws {
        let cluster = try await Cluster("killed")
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }
        let s = try await cluster.join(onA, "t.open", name: "Survivor")
        let (snapshotOnB, _) = try await Self.subscribe(onB, s)
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "before")
        try await Self.waitForChat(onB, s, "before")
        let seqOnA = try #require(Self.seqs(onA, s).last)

        kill(a.process.processIdentifier, SIGKILL)
        #expect(await a.waitForExit() == SIGKILL)
        let killed = ContinuousClock.now
        let mark = b.stderr.count
        try await b.logLine(containing: "session taken over", timeout: .seconds(30))
        // Within the lease (2 s) plus 2 s, measured here only to report it: the test waits for the event.
        let takeover = ContinuousClock.now - killed
        // The node drops what happens while nobody follows the token's event stream: said once B follows it.
        try await b.logLine(containing: "infinity.endpoint=events", after: mark)
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "after")
        try await Self.waitForChat(onB, s, "after")

        // The client on A comes back on B and resumes from its last seq: nothing missed, nothing twice.
        await onA.close()
        let back = try await StoreRestartTests.connect(b)
        let (_, replayed) = try await Self.subscribe(back, s, since: seqOnA)
        #expect(replayed == true)
        try await Self.waitForChat(back, s, "after")
        Self.expectGapFree(Self.seqs(onA, s) + Self.seqs(back, s), after: 0, "A's client, then resumed on B")
        Self.expectGapFree(Self.seqs(onB, s), after: snapshotOnB.seq, "B's client throughout")
        #expect(Self.chats(onB, s) == ["before", "after"])
        cluster.expectHeldThroughout("t.open", name: "Survivor")
        print("takeover after SIGKILL with a 2 s lease: \(takeover)")

        await onB.close()
        await back.close()
        b.stop()
        #expect(await b.waitForExit() == 0)
        await cluster.remove()
    }

    @Test func aPausedHolderIsFencedOffWhenItWakes() async throws {
        // Tokens of 30 s: the holder refreshes every 10 s, so its refresh is overdue by the time it wakes (after
        // B's first refresh), and a pause never lands on a refresh in flight (a holder stopped between the node's
        // new token and its store write leaves a token nobody can use: the README says so).
        let cluster = try await Cluster("stale", tokenExpiry: .seconds(30))
        let (a, b, onA, onB) = try await cluster.twoInstances()
        defer {
            a.stop()
            b.stop()
        }
        let s = try await cluster.join(onA, "t.open", name: "Fenced")
        let (snapshotOnB, _) = try await Self.subscribe(onB, s)
        // Paused right after a refreshed token reached the store: the node drops a token it replaced, so a pause
        // between its refresh and that write would leave nothing anyone can hold (see the README).
        let before = a.stderr.count
        try await a.logLine(containing: "infinity token refreshed", after: before, timeout: .seconds(30))
        try await a.logLine(containing: "session token stored", after: before, timeout: .seconds(20))
        kill(a.process.processIdentifier, SIGSTOP)
        try await b.logLine(containing: "session taken over", timeout: .seconds(30))
        // B holds it and refreshes the token: past A's own next refresh time (A paused before B took over).
        let refreshes = cluster.simulator.refreshCount(alias: "t.open")
        #expect(
            await eventually(timeout: .seconds(20)) { cluster.simulator.refreshCount(alias: "t.open") > refreshes }
        )
        let mark = a.stderr.count
        kill(a.process.processIdentifier, SIGCONT)

        // A wakes, asks the store before acting, and lets go without a refresh or a command.
        try await a.logLine(containing: "lease", after: mark, timeout: .seconds(20)) { line in
            line.contains("lease lost to another instance") || line.contains("lease moved to another instance")
        }
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "after the wake")
        try await Self.waitForChat(onB, s, "after the wake")
        // A's client goes on hearing the session, now from B, with B's seqs.
        try await Self.waitForChat(onA, s, "after the wake")
        let woke = String(a.stderr.dropFirst(mark))
        #expect(!woke.contains("infinity token refreshed"), "the fenced holder refreshed:\n\(woke.suffix(3000))")
        #expect(!woke.contains("session token stored"))
        Self.expectGapFree(Self.seqs(onB, s), after: snapshotOnB.seq, "B's client")
        Self.expectGapFree(Self.seqs(onA, s), after: 0, "A's client, through the pause and the move")
        cluster.expectHeldThroughout("t.open", name: "Fenced")

        await cluster.finish([onA, onB], [a, b])
    }

    @Test func postgreSQLPausedForFiveSecondsLosesNothingAndClientsAreTold() async throws {
        let cluster = try await Cluster("paused", ownServer: true)
        // The default lease (10 s) outlasts the pause: nobody takes over, the holder keeps the session.
        let (a, b, onA, onB) = try await cluster.twoInstances(leaseSeconds: 10)
        defer {
            a.stop()
            b.stop()
        }
        let s = try await cluster.join(onA, "t.open", name: "Paused")
        let (snapshotOnB, _) = try await Self.subscribe(onB, s)
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "p0")
        try await Self.waitForChat(onB, s, "p0")

        let portA = try await Self.port(a)
        let healthy = try await httpGet(port: portA, path: "/healthz")
        #expect(healthy.status == 200)
        #expect(healthy.body.contains(#""status":"ok""#) && healthy.body.contains(#""instance":"a""#))
        #expect(healthy.body.contains(#""kind":"postgres""#) && healthy.body.contains(#""bus":"listening""#))
        #expect(healthy.body.contains(#""leases_held":1"#), "\(healthy.body)")

        try cluster.server.pause()
        let paused = ContinuousClock.now
        // A's clients are told the store is away (a probe unanswered for two seconds) and keep hearing events.
        try await onA.waitFor(timeout: .seconds(15)) {
            if case .event(let e) = $0, case .upstream(let u) = e.payload {
                u.status == .storeUnavailable
            } else {
                false
            }
        }
        let degraded = try await httpGet(port: portA, path: "/healthz")
        #expect(degraded.status == 200, "an instance whose store is away still serves what it holds")
        #expect(degraded.body.contains(#""status":"degraded""#) && degraded.body.contains(#""unavailable_since_ms""#))
        for n in 1...5 { try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "p\(n)") }
        try await Self.waitForChat(onA, s, "p5")
        let rest = Duration.seconds(5) - (ContinuousClock.now - paused)
        if rest > .zero { try await Task.sleep(for: rest) }  // the pause itself, not a wait for the code under test
        try cluster.server.resume()

        // Everything reaches B after the pause, in order, once; A's clients hear the store is back.
        try await onA.waitFor(timeout: .seconds(20)) {
            if case .event(let e) = $0, case .upstream(let u) = e.payload { u.status == .storeRestored } else { false }
        }
        try await Self.waitForChat(onB, s, "p5", timeout: .seconds(30))
        try cluster.simulator.sendChat(alias: "t.open", fromDisplayName: "Guest", text: "p6")
        try await Self.waitForChat(onB, s, "p6")
        try await Self.waitForChat(onA, s, "p6")
        #expect(Self.chats(onB, s) == (0...6).map { "p\($0)" })
        #expect(Self.chats(onA, s) == (0...6).map { "p\($0)" })
        Self.expectGapFree(Self.seqs(onB, s), after: snapshotOnB.seq, "B's client")
        Self.expectGapFree(Self.seqs(onA, s), after: 0, "A's client")
        let storeStatuses: Set<UpstreamStatus.Status> = [.storeUnavailable, .storeRestored]
        #expect(Self.upstreamStatuses(onB, s).filter(storeStatuses.contains) == [.storeUnavailable, .storeRestored])
        #expect(Self.upstreamStatuses(onA, s).filter(storeStatuses.contains) == [.storeUnavailable, .storeRestored])
        #expect(!b.stderr.contains("session taken over"), "the holder kept the session")
        #expect(try await httpGet(port: portA, path: "/healthz").body.contains(#""status":"ok""#))
        let list = try await onB.request(.list)
        guard case .success(.sessions(let sessions, _)) = list else {
            Issue.record("list: \(list)")
            return
        }
        #expect(sessions.first { $0.id == s }?.state == .connected)
        cluster.expectHeldThroughout("t.open", name: "Paused")

        await cluster.finish([onA, onB], [a, b])
    }

    @Test func aStoreAwayPastTheLeaseStopsTheHolderActingAndTheSessionEndsWithItsToken() async throws {
        // Lease 2 s, tokens of 6 s, the store away for 15 s: the holder cannot prove its lease, so it refreshes
        // nothing and sends no command; the node's token lapses and the session ends as `token_expired`.
        let cluster = try await Cluster("away", tokenExpiry: .seconds(6), ownServer: true)
        let a = try cluster.serve("a")
        defer { a.stop() }
        let onA = try await StoreRestartTests.connect(a)
        let s = try await cluster.join(onA, "t.open", name: "Stranded")
        try await a.logLine(containing: "session token stored", timeout: .seconds(20))

        try cluster.server.pause()
        try await onA.waitFor(timeout: .seconds(15)) {
            if case .event(let e) = $0, case .upstream(let u) = e.payload {
                u.status == .storeUnavailable
            } else {
                false
            }
        }
        // Past the lease: a command is refused, with a code that says why.
        try await a.logLine(containing: "refresh was not permitted", timeout: .seconds(20))
        let refused = try await onA.request(.control(session: s, .lock))
        #expect(refused.failure?.code == .storeUnavailable)
        let ended = try await onA.waitForState(s, .disconnected, timeout: .seconds(30))
        #expect(ended.reason == .tokenExpired)
        #expect(cluster.simulator.conference(alias: "t.open")?.locked == false)
        try cluster.server.resume()

        // Back: the ended session leaves the store.
        #expect(
            await eventually(timeout: .seconds(20)) {
                guard case .success(.sessions(let all, _))? = try? await onA.request(.list) else { return false }
                return all.isEmpty
            }
        )
        #expect(!cluster.simulator.calls(alias: "t.open").contains { $0.endpoint == "lock" })

        await cluster.finish([onA], [a])
    }
}

extension ChildProcess {
    /// Waits for a stderr (log) line containing `text` (and matching `match`), written after `offset` characters.
    @discardableResult
    func logLine(
        containing text: String,
        after offset: Int = 0,
        timeout: Duration = .seconds(20),
        where match: (Substring) -> Bool = { _ in true }
    ) async throws -> String {
        let deadline = ContinuousClock.now + TestPatience.stretch(timeout)
        while ContinuousClock.now < deadline {
            let log = stderr.dropFirst(offset)
            if let line = log.split(separator: "\n").first(where: { $0.contains(text) && match($0) }) {
                return String(line)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no log line with \(text) (running: \(process.isRunning)); stderr: \(stderr.suffix(3000))")
        throw CancellationError()
    }
}

extension Result where Failure == ErrorBody {
    var failure: ErrorBody? {
        if case .failure(let error) = self { error } else { nil }
    }
}
