// libFuzzer target (c): the decoding of what a conference node sends, through InfinityClient's own entry points.
//
// An input is a header line and a body, so seeds stay readable and the fuzzer mutates both:
//   request_token <status> [reason]\n<body>    `InfinityClient.tokenOutcome` (status and result type together)
//   refresh_token <status> [reason]\n<body>    `result(of:endpoint:)` then `TokenRefresh(result:)`
//   participants <status> [reason]\n<body>     `result(of:endpoint:)` then `InfinityParticipant(json:)` per item
//   conference_status <status> [reason]\n<body> `result(of:endpoint:)` then `InfinityConferenceStatus(json:)`
//   <anything else>\n<body>                    `InfinityEvent(message:)` with the first line as the SSE event name
// Oracles beyond "no crash, no ASan report": the printed forms of a token grant or refresh (description,
// debugDescription, dump) do not depend on the token, so a token never reaches a log line through them.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInfinityJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.count
    let header = String(decoding: input[..<newline], as: UTF8.self)
    let body = Array(input[min(newline + 1, input.count)...])
    let words = header.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
    let kind = words.first.map(String.init) ?? ""
    let status = words.count > 1 ? Int(words[1]) ?? 200 : 200
    let reason = words.count > 2 ? String(words[2]) : "Reason"
    let response = InfinityClient.RawResponse(status: status, reason: reason, body: body)

    switch kind {
    case "request_token":
        do {
            let outcome = try InfinityClient.tokenOutcome(response)
            _ = outcome.logName
            if case .granted(let grant) = outcome {
                checkRedacted(grant) { $0.token += "x" }
            }
        } catch {
            _ = error.description
        }
    case "refresh_token":
        if let result = try? InfinityClient.result(of: response, endpoint: kind),
            let refresh = TokenRefresh(result: result)
        {
            checkRedacted(refresh) { $0.token += "x" }
        }
    case "participants":
        if let items = (try? InfinityClient.result(of: response, endpoint: kind))?.arrayValue {
            for participant in items.compactMap(InfinityParticipant.init(json:)) {
                expect(!participant.uuid.isEmpty, "a participant without a uuid was accepted")
            }
        }
    case "conference_status":
        if let result = try? InfinityClient.result(of: response, endpoint: kind) {
            let status = InfinityConferenceStatus(json: result)
            expect((status != nil) == (result.objectValue != nil), "status decoded from a non-object")
        }
    default:
        let message = SSEMessage(event: header, data: String(decoding: body, as: UTF8.self), id: nil)
        if case .other(let name)? = InfinityEvent(message: message) {
            expect(name == header, "an unknown event lost its name")
        }
    }
    return 0
}

/// Fails when changing only the token (through `changeToken`) changes any printed form of `value`.
private func checkRedacted<T>(_ value: T, changeToken: (inout T) -> Void) {
    var other = value
    changeToken(&other)
    expect(String(describing: value) == String(describing: other), "description shows the token")
    expect(String(reflecting: value) == String(reflecting: other), "debugDescription shows the token")
    var dumped = ""
    var dumpedOther = ""
    dump(value, to: &dumped)
    dump(other, to: &dumpedOther)
    expect(dumped == dumpedOther, "dump() shows the token")
}

/// An oracle: stops the run with `message` when `condition` is false. `precondition` drops its message in
/// release builds (the fuzzers are -O), `fatalError` keeps it, so a crash report says which property broke.
private func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
