/// A chat message from a `message_received` event.
public struct InfinityChatMessage: Sendable, Equatable {
    /// The sender's display name.
    public var origin: String
    /// The sender's participant uuid.
    public var senderUUID: String
    /// "text/plain" or "application/json".
    public var type: String
    /// The message text.
    public var payload: String
    /// Whether it was sent to this participant only.
    public var direct: Bool?

    public init(origin: String, senderUUID: String, type: String = "text/plain", payload: String, direct: Bool? = nil) {
        self.origin = origin
        self.senderUUID = senderUUID
        self.type = type
        self.payload = payload
        self.direct = direct
    }

    init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
        self.origin = json["origin"]?.stringValue ?? ""
        self.senderUUID = json["uuid"]?.stringValue ?? ""
        self.type = json["type"]?.stringValue ?? "text/plain"
        self.payload = json["payload"]?.stringValue ?? ""
        self.direct = json["direct"]?.boolValue
    }
}
