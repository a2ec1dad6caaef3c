/// A room's conference flags as the simulator sees them.
public struct ConferenceInfo: Sendable, Hashable {
    /// Locked: new participants without the host PIN wait.
    public var locked: Bool
    /// Guests muted by a host.
    public var guestsMuted: Bool
    /// A host has joined (or `start_conference` was called).
    public var started: Bool
}
