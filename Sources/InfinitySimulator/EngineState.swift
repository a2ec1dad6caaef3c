/// Everything the simulator knows, guarded by the engine's lock.
struct EngineState: Sendable {
    let settings: SimulatorConfiguration
    var rooms: [String: RoomState]
    private(set) var calls: [RecordedCall] = []
    var faults = FaultBook()
    var nextStreamID = 1
    var stopped = false
    /// Tokens minted by the simulated identity provider's sign-in page.
    var ssoTokens: [String: SSOGrant] = [:]

    /// Upper bound on recorded calls (the oldest are dropped).
    static let maxRecordedCalls = 20_000

    init(settings: SimulatorConfiguration, wallClock: Double) {
        self.settings = settings
        var rooms: [String: RoomState] = [:]
        for room in settings.rooms {
            rooms[Self.key(room.alias)] = RoomState(config: room, wallClock: wallClock)
        }
        self.rooms = rooms
    }

    /// Room aliases are matched case-insensitively.
    static func key(_ alias: String) -> String {
        alias.lowercased()
    }

    func room(_ alias: String) -> RoomState? {
        rooms[Self.key(alias)]
    }

    mutating func record(_ call: RecordedCall) {
        if calls.count >= Self.maxRecordedCalls {
            calls.removeFirst(calls.count - Self.maxRecordedCalls + 1)
        }
        calls.append(call)
    }

    /// Takes the streams every room parked for closing.
    mutating func drainFinishing() -> [AsyncStream<String>.Continuation] {
        var all: [AsyncStream<String>.Continuation] = []
        for key in rooms.keys where !(rooms[key]?.finishing.isEmpty ?? true) {
            all += rooms[key]?.finishing ?? []
            rooms[key]?.finishing = []
        }
        return all
    }
}
