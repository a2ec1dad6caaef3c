import BridgeProtocol
import Foundation
import InfinityClient
import Synchronization
import Testing

@testable import BridgeCore

/// A node that answers token requests like a PIN-protected room, and hands out controllable links.
final class FakeUpstream: Upstream {
    struct Room: Sendable {
        var hostPIN: String?
        var guestPIN: String?
    }

    struct State {
        var rooms: [String: Room] = [:]
        var pinHeaders: [String?] = []
        var links: [FakeLink] = []
        var failure: InfinityError?
    }

    let state = Mutex(State())

    init(rooms: [String: Room]) {
        state.withLock { $0.rooms = rooms }
    }

    var pinHeaders: [String?] { state.withLock { $0.pinHeaders } }
    var links: [FakeLink] { state.withLock { $0.links } }

    func failNext(_ error: InfinityError) { state.withLock { $0.failure = error } }

    func requestToken(node: NodeAddress, alias: String, displayName: String, pin: PINHeader?) async throws(InfinityError)
        -> TokenRequestOutcome
    {
        let header: String? = switch pin {
        case .none?: "none"
        case .pin(let p)?: p
        case nil: nil
        }
        let (room, failure) = state.withLock { s in
            s.pinHeaders.append(header)
            defer { s.failure = nil }
            return (s.rooms[alias], s.failure)
        }
        if let failure { throw failure }
        guard let room else { return .conferenceNotFound(message: "Neither conference nor gateway found") }
        func grant(_ role: InfinityRole) -> TokenRequestOutcome {
            .granted(TokenGrant(
                token: "tok-\(UUID().uuidString)", expires: 120, participantUUID: "self-\(alias)", role: role,
                displayName: displayName, serviceType: "conference", currentServiceType: "conference",
                chatEnabled: true, conferenceName: alias, version: "36"))
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
        state.withLock { $0.links.append(link) }
        return link
    }
}

/// A held connection whose updates the test pushes.
final class FakeLink: UpstreamLink {
    struct State {
        var started = false
        var released = 0
        var closed = 0
        var commands: [String] = []
        var failWith: InfinityError?
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
    var commands: [String] { state.withLock { $0.commands } }

    func push(_ update: ConnectionUpdate) { continuation.yield(update) }

    func start() async { state.withLock { $0.started = true } }

    func perform(_ command: ConferenceCommand) async throws(InfinityError) {
        let failure = state.withLock { s in
            s.commands.append("\(command)")
            return s.failWith
        }
        if let failure { throw failure }
    }

    func perform(_ command: ParticipantCommand, participant: String) async throws(InfinityError) {
        let failure = state.withLock { s in
            s.commands.append("\(command) \(participant)")
            return s.failWith
        }
        if let failure { throw failure }
    }

    func release() async {
        state.withLock { $0.released += 1 }
        continuation.yield(.ended(.released))
        continuation.finish()
    }

    func close() async {
        state.withLock { $0.closed += 1 }
        continuation.finish()
    }
}

/// Records every frame the engine sends, per client.
final class RecordingSink: ClientSink {
    struct State {
        var frames: [ClientID: [[UInt8]]] = [:]
        var closed: [ClientID: UInt16] = [:]
    }

    let state = Mutex(State())

    func send(_ frame: [UInt8], to clients: [ClientID]) {
        state.withLock { s in for c in clients { s.frames[c, default: []].append(frame) } }
    }

    func close(_ client: ClientID, code: UInt16, reason: String) {
        state.withLock { $0.closed[client] = code }
    }

    func raw(_ client: ClientID) -> [[UInt8]] { state.withLock { $0.frames[client] ?? [] } }

    func messages(_ client: ClientID) -> [ServerMessage] {
        raw(client).compactMap { try? WireJSON.decodeServerMessage($0) }
    }

    func closeCode(_ client: ClientID) -> UInt16? { state.withLock { $0.closed[client] } }

    /// Waits (bounded) until a message matching `match` has arrived for `client`.
    func waitFor(
        _ client: ClientID, timeout: Duration = .seconds(5), _ match: (ServerMessage) -> Bool
    ) async throws -> ServerMessage {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let m = messages(client).first(where: match) { return m }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("timed out waiting for a message for client \(client)")
        throw CancellationError()
    }

    func result(_ client: ClientID, id: Int) async throws -> Result<ResultData, ErrorBody> {
        let m = try await waitFor(client) { if case .result(.int(id), _) = $0 { true } else { false } }
        guard case .result(_, let outcome) = m else { throw CancellationError() }
        return outcome
    }

    func events(_ client: ClientID) -> [SessionEvent] {
        messages(client).compactMap { if case .event(let e) = $0 { e } else { nil } }
    }
}

/// Sends a request object (as JSON text) to the engine.
func send(_ engine: BridgeEngine, _ client: ClientID, _ json: String) async {
    await engine.receive(client, text: Array(json.utf8))
}
