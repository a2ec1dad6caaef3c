/// One server-sent event before it gets its id.
struct ServerEvent: Sendable {
    /// The `event:` name.
    let name: String
    /// The `data:` payload (`null` for events without one).
    let data: JSONValue

    /// The event as SSE lines, ending with the blank line.
    func frame(id: Int) -> String {
        "event: \(name)\ndata: \(data.serialized)\nid: \(id)\n\n"
    }

    /// The comment line written to idle streams.
    static let keepaliveFrame = ": keepalive\n\n"
}
