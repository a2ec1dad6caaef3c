/// One chat message the room passed on (from a participant's `message` call or injected), for tests that need to
/// see the exact text a client sent, not just that some call was made.
public struct ChatRecord: Sendable, Hashable {
    /// The sender's display name.
    public var origin: String
    /// The sender's participant UUID.
    public var senderUUID: String
    /// The message text (`payload`).
    public var text: String

    /// Creates a record.
    public init(origin: String, senderUUID: String, text: String) {
        self.origin = origin
        self.senderUUID = senderUUID
        self.text = text
    }

    /// How many a room keeps (the oldest are dropped): benchmarks chat for minutes.
    static let kept = 1000
}
