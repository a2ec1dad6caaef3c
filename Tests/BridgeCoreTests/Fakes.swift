import BridgeProtocol
import Clocks
import Foundation
import InfinityClient
import Locking
import Logging
import Testing

@testable import BridgeCore

/// A door a fake's call waits at until the test opens it: tests prove an order ("no result before the node
/// answered") by holding the fake, checking, then letting it go.
final class Gate: Sendable {
    private struct State {
        var open = false
        var arrived = 0
        var passWaiters: [(id: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var arrivalWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    init(open: Bool = false) {
        state = Mutex(State(open: open))
    }

    /// Called by the fake: returns once the gate is open, or when its task is cancelled (as a real upstream call
    /// gives up when the engine stops waiting for it).
    func pass() async {
        let id = UInt64.random(in: 0 ... .max)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let (resumeNow, arrivals) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                    s.arrived += 1
                    let ready = s.arrivalWaiters.filter { $0.count <= s.arrived }.map(\.continuation)
                    s.arrivalWaiters.removeAll { $0.count <= s.arrived }
                    if s.open || Task.isCancelled { return (true, ready) }
                    s.passWaiters.append((id, continuation))
                    return (false, ready)
                }
                for waiter in arrivals { waiter.resume() }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                let index = s.passWaiters.firstIndex { $0.id == id }
                return index.map { s.passWaiters.remove(at: $0).continuation }
            }
            waiter?.resume()
        }
    }

    /// Waits until `count` calls have reached the gate (passed or waiting).
    func arrivals(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s in
                if s.arrived >= count { return true }
                s.arrivalWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lets every waiting and future call through.
    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.passWaiters = [] }
            return s.passWaiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume() }
    }

    var waiting: Int { state.withLock { $0.passWaiters.count } }
}

/// A node that answers token requests like a PIN-protected room, and hands out controllable links.
final class FakeUpstream: Upstream {
    struct Room: Sendable {
        var hostPIN: String?
        var guestPIN: String?
        /// A Virtual Reception: asks for an extension, then answers as the room it names.
        var reception = false
        /// Identity providers before the door; `ssoToken` is the token they accept.
        var idps: [IdentityProvider] = []
        var ssoToken = "good-sso-token"
    }

    struct State {
        var rooms: [String: Room] = [:]
        var pinHeaders: [String?] = []
        /// The extras of every token request, in order.
        var extras: [TokenRequestExtras] = []
        /// The alias of every token request, in order.
        var aliases: [String] = []
        var links: [FakeLink] = []
        /// The grants links were made from (tokens included), in order.
        var grants: [TokenGrant] = []
        var failure: InfinityError?
        var answer: TokenRequestOutcome?
        var tokenGate: Gate?
        var releaseGate: Gate?
    }

    let state = Mutex(State())

    init(rooms: [String: Room]) {
        state.withLock { $0.rooms = rooms }
    }

    var pinHeaders: [String?] { state.withLock { $0.pinHeaders } }
    var extras: [TokenRequestExtras] { state.withLock { $0.extras } }
    var aliases: [String] { state.withLock { $0.aliases } }
    var links: [FakeLink] { state.withLock { $0.links } }
    var grants: [TokenGrant] { state.withLock { $0.grants } }

    func failNext(_ error: InfinityError) { state.withLock { $0.failure = error } }

    /// The next token request is answered with `outcome` instead of the room's rules.
    func answerNext(_ outcome: TokenRequestOutcome) { state.withLock { $0.answer = outcome } }

    /// Token requests wait at `gate` (after being recorded) until the test opens it.
    func holdTokenRequests(at gate: Gate?) { state.withLock { $0.tokenGate = gate } }

    /// Links made from now on hold their release at `gate` (an open gate just counts releases).
    func holdReleases(at gate: Gate?) { state.withLock { $0.releaseGate = gate } }

    func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?
    ) async throws(InfinityError) -> TokenRequestOutcome {
        try await requestToken(node: node, alias: alias, displayName: displayName, pin: pin, extras: .init())
    }

    func requestToken(
        node: NodeAddress,
        alias: String,
        displayName: String,
        pin: PINHeader?,
        extras: TokenRequestExtras
    ) async throws(InfinityError) -> TokenRequestOutcome {
        let header: String? =
            switch pin {
            case .none?: "none"
            case .pin(let p)?: p
            case nil: nil
            }
        let (room, failure, answer, gate) = state.withLock { s in
            s.pinHeaders.append(header)
            s.extras.append(extras)
            s.aliases.append(alias)
            defer {
                s.failure = nil
                s.answer = nil
            }
            return (s.rooms[alias], s.failure, s.answer, s.tokenGate)
        }
        if let gate { await gate.pass() }
        if let failure { throw failure }
        if let answer { return answer }
        guard var room else { return .conferenceNotFound(message: "Neither conference nor gateway found") }
        if room.reception {
            guard let target = extras.conferenceExtension else { return .extensionRequired(kind: "standard") }
            guard let targetRoom = state.withLock({ $0.rooms[target] }), !targetRoom.reception else {
                return .extensionNotFound(message: "Neither conference nor gateway found")
            }
            room = targetRoom
        }
        if !room.idps.isEmpty {
            guard let chosen = extras.chosenIdP else { return .identityProviders(room.idps) }
            guard let idp = room.idps.first(where: { $0.uuid == chosen }) else {
                return .ssoFailed(message: "SSO Authentication Failed")
            }
            guard let token = extras.ssoToken else { return .ssoRedirect(url: "https://idp.example/signin", idp: idp) }
            guard token == room.ssoToken else { return .ssoFailed(message: "SSO Authentication Failed") }
        }
        func grant(_ role: InfinityRole) -> TokenRequestOutcome {
            .granted(
                TokenGrant(
                    token: "tok-\(UUID().uuidString)",
                    expires: 120,
                    participantUUID: "self-\(alias)",
                    role: role,
                    displayName: displayName,
                    serviceType: "conference",
                    currentServiceType: "conference",
                    chatEnabled: true,
                    conferenceName: alias,
                    version: "36"
                )
            )
        }
        guard let hostPIN = room.hostPIN else { return grant(.host) }
        switch header {
        case nil: return .pinChallenge(hostPINRequired: true, guestPINRequired: room.guestPIN != nil)
        case hostPIN?: return grant(.host)
        case "none"? where room.guestPIN == nil: return grant(.guest)
        case let h? where h == room.guestPIN: return grant(.guest)
        default: return .invalidPIN
        }
    }

    func connect(node: NodeAddress, alias: String, grant: TokenGrant) -> any UpstreamLink {
        let link = FakeLink(role: grant.role)
        let gate = state.withLock { s in
            s.links.append(link)
            s.grants.append(grant)
            return s.releaseGate
        }
        if let gate { link.holdReleases(at: gate) }
        return link
    }
}

/// A held connection whose updates the test pushes; releases and commands can be held at gates.
final class FakeLink: UpstreamLink {
    struct State {
        var started = false
        var released = 0
        var closed = 0
        var commands: [String] = []
        var failWith: InfinityError?
        /// Fails only the commands whose record starts with this text.
        var failCommand: (prefix: String, error: InfinityError)?
        var releaseGate: Gate?
        var commandGate: Gate?
        var layouts = ["1:7", "ac", "5:7"]
        var dialed = ["d1a1-0000"]
    }

    let role: InfinityRole
    let updates: AsyncStream<ConnectionUpdate>
    let continuation: AsyncStream<ConnectionUpdate>.Continuation
    let state = Mutex(State())

    init(role: InfinityRole) {
        self.role = role
        (updates, continuation) = AsyncStream.makeStream()
    }

    var released: Int { state.withLock { $0.released } }
    var closed: Int { state.withLock { $0.closed } }
    var commands: [String] { state.withLock { $0.commands } }

    func push(_ update: ConnectionUpdate) { continuation.yield(update) }

    func holdReleases(at gate: Gate) { state.withLock { $0.releaseGate = gate } }
    func holdCommands(at gate: Gate) { state.withLock { $0.commandGate = gate } }

    func run() async { state.withLock { $0.started = true } }

    func perform(_ command: ConferenceCommand) async throws(InfinityError) {
        try await record("\(command)")
    }

    func perform(_ command: ParticipantCommand, participant: String) async throws(InfinityError) {
        try await record("\(command) \(participant)")
    }

    func availableLayouts() async throws(InfinityError) -> [String] {
        try await record("available_layouts")
        return state.withLock { $0.layouts }
    }

    func dial(_ request: DialRequest) async throws(InfinityError) -> [String] {
        try await record("dial \(request.destination) \(request.callProtocol.rawValue)")
        return state.withLock { $0.dialed }
    }

    private func record(_ text: String) async throws(InfinityError) {
        let (failure, gate) = state.withLock { s -> (InfinityError?, Gate?) in
            s.commands.append(text)
            var failure = s.failWith
            if let only = s.failCommand, text.hasPrefix(only.prefix) { failure = only.error }
            return (failure, s.commandGate)
        }
        if let gate { await gate.pass() }
        if let failure { throw failure }
    }

    func release() async {
        let gate = state.withLock { $0.releaseGate }
        if let gate { await gate.pass() }
        state.withLock { $0.released += 1 }
        continuation.yield(.ended(.released))
        continuation.finish()
    }

    func close() async {
        state.withLock { $0.closed += 1 }
        continuation.finish()
    }
}

/// Records every frame the engine sends, per client; tests wait for frames without polling.
final class RecordingSink: ClientSink {
    struct State {
        var frames: [ClientID: [[UInt8]]] = [:]
        var closed: [ClientID: UInt16] = [:]
        var version = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let state = Mutex(State())

    func send(_ frame: [UInt8], to clients: [ClientID]) {
        let waiters = state.withLock { s in
            for c in clients { s.frames[c, default: []].append(frame) }
            return s.changed()
        }
        for waiter in waiters { waiter.resume() }
    }

    func close(_ client: ClientID, code: UInt16, reason: String) {
        let waiters = state.withLock { s in
            s.closed[client] = code
            return s.changed()
        }
        for waiter in waiters { waiter.resume() }
    }

    func raw(_ client: ClientID) -> [[UInt8]] { state.withLock { $0.frames[client] ?? [] } }

    func messages(_ client: ClientID) -> [ServerMessage] {
        raw(client).compactMap { try? WireJSON.decodeServerMessage($0) }
    }

    func closeCode(_ client: ClientID) -> UInt16? { state.withLock { $0.closed[client] } }

    /// Waits until `condition` holds; it is checked again after every frame and close. The suites' time limits
    /// end a test that waits for something that never comes.
    func until<T>(_ condition: () -> T?) async -> T {
        while true {
            let version = state.withLock { $0.version }
            if let value = condition() { return value }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    if s.version != version { return true }
                    s.waiters.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Waits until a message matching `match` has arrived for `client`.
    @discardableResult
    func waitFor(_ client: ClientID, _ match: (ServerMessage) -> Bool) async -> ServerMessage {
        await until { messages(client).first(where: match) }
    }

    /// Waits until the client was closed; returns the close code.
    func waitForClose(_ client: ClientID) async -> UInt16 {
        await until { closeCode(client) }
    }

    /// The result of request `id`, once it arrived.
    func result(_ client: ClientID, id: Int) async -> Result<ResultData, ErrorBody> {
        await until { resultNow(client, id: id) }
    }

    /// The result of request `id` if it has arrived.
    func resultNow(_ client: ClientID, id: Int) -> Result<ResultData, ErrorBody>? {
        for message in messages(client) {
            if case .result(.int(id), let outcome) = message { return outcome }
        }
        return nil
    }

    func events(_ client: ClientID) -> [SessionEvent] {
        messages(client).compactMap { if case .event(let e) = $0 { e } else { nil } }
    }
}

extension RecordingSink.State {
    mutating func changed() -> [CheckedContinuation<Void, Never>] {
        version += 1
        defer { waiters = [] }
        return waiters
    }
}

/// Sends a request object (as JSON text) to the engine.
func send(_ engine: BridgeEngine, _ client: ClientID, _ json: String) async {
    await engine.receive(client, text: Array(json.utf8))
}

/// Runs `body` against an engine whose `run()` is running, and always stops it (gracefully, through
/// `shutdown()`) before returning, so no child work outlives the test.
func withEngine<T>(
    _ engine: BridgeEngine,
    _ body: (BridgeEngine) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await engine.run() }
        do {
            let value = try await body(engine)
            await engine.shutdown()
            try await group.waitForAll()
            return value
        } catch {
            await engine.shutdown()
            try? await group.waitForAll()
            throw error
        }
    }
}
