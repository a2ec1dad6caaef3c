/// Errors of the simulator's own API (not HTTP answers).
public enum SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No room with this alias.
    case unknownRoom(String)
    /// No participant with this UUID in the room.
    case unknownParticipant(String)
    /// `start()` was called twice, or after `stop()`.
    case alreadyStarted
    /// The listener could not be set up.
    case couldNotStart(String)

    /// Stable code and details.
    public var description: String {
        switch self {
        case .unknownRoom(let alias): "unknown_room: \(alias)"
        case .unknownParticipant(let uuid): "unknown_participant: \(uuid)"
        case .alreadyStarted: "already_started"
        case .couldNotStart(let reason): "could_not_start: \(reason)"
        }
    }
}
