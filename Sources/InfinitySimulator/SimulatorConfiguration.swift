/// Everything an `InfinitySimulator` is started with.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind.
    public var host: String
    /// Port to bind; 0 picks a free one (read it back from `start()`).
    public var port: Int
    /// The rooms served.
    public var rooms: [SimulatedRoom]
    /// Lifetime of a token that is not refreshed; `expires` is sent as a string of whole seconds.
    public var tokenExpiry: Duration
    /// Answer to a wrong PIN.
    public var wrongPINStyle: WrongPINStyle
    /// Wrong PINs allowed per display name and room before every further try is refused; nil = no limit.
    public var maxPINAttemptsPerParticipant: Int?
    /// Scripted participants join, leave, mute and chat in every room on their own.
    public var demoActivity: Bool
    /// Pause between two demo actions in one room.
    public var demoActivityInterval: Duration
    /// A comment line is written to an event stream idle for this long; nil = never.
    public var keepaliveInterval: Duration?
    /// Serve the control API under `/_simulator/` (inject participants, chat and faults by hand; emit stamped
    /// chat for benchmarks). Off by default; `demo()` turns it on. The simulator listens on loopback.
    public var adminAPI = false
    /// Where the simulator reads the time (token expiry, keepalives); tests advance it instead of sleeping.
    public var time = SimulatorTime()

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        rooms: [SimulatedRoom],
        tokenExpiry: Duration = .seconds(120),
        wrongPINStyle: WrongPINStyle = .invalidPINString,
        maxPINAttemptsPerParticipant: Int? = nil,
        demoActivity: Bool = false,
        demoActivityInterval: Duration = .seconds(4),
        keepaliveInterval: Duration? = .seconds(15)
    ) {
        self.host = host
        self.port = port
        self.rooms = rooms
        self.tokenExpiry = tokenExpiry
        self.wrongPINStyle = wrongPINStyle
        self.maxPINAttemptsPerParticipant = maxPINAttemptsPerParticipant
        self.demoActivity = demoActivity
        self.demoActivityInterval = demoActivityInterval
        self.keepaliveInterval = keepaliveInterval
    }

    /// The demo rooms (`InfinitySimulator.demoRooms`, then `waysInDemoRooms`) with demo activity on.
    public static func demo(host: String = "127.0.0.1", port: Int = 0) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration(
            host: host,
            port: port,
            rooms: InfinitySimulator.demoRooms + InfinitySimulator.waysInDemoRooms,
            demoActivity: true
        )
        configuration.adminAPI = true
        return configuration
    }
}
