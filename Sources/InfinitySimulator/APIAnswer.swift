/// What the simulator answers one call with.
enum APIAnswer: Sendable {
    /// A JSON body with this status.
    case json(status: Int, body: JSONValue)
    /// An SSE stream; finishing the continuation ends the response.
    case eventStream(AsyncStream<String>, AsyncStream<String>.Continuation)

    /// `{"status":"success","result":<result>}` with HTTP 200.
    static func success(_ result: JSONValue) -> APIAnswer {
        .json(status: 200, body: .object([("status", .string("success")), ("result", result)]))
    }

    /// `{"status":"failed","result":"<reason>"}` with the given status.
    static func failed(_ status: Int, _ reason: String) -> APIAnswer {
        .json(status: status, body: .object([("status", .string("failed")), ("result", .string(reason))]))
    }

    /// HTTP status of the answer.
    var status: Int {
        switch self {
        case .json(let status, _): status
        case .eventStream: 200
        }
    }
}
