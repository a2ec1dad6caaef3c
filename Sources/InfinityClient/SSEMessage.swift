/// One dispatched server-sent event.
public struct SSEMessage: Sendable, Equatable {
    /// The `event:` field, "message" when the event had none.
    public var event: String
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last event id seen on the stream so far (ids persist across events), nil if none.
    public var id: String?

    public init(event: String, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}
