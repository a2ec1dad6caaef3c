// libFuzzer target (b): bytes of an event stream through `SSEParser.feed`, the way the node's body arrives.
//
// Oracles beyond "no crash, no ASan report": the parser promises chunk boundaries anywhere, so feeding the
// input byte by byte, whole, and in pseudo-random chunks (seeded by the input) must yield the same events, the
// same `lastEventID`/`retry`, and a failure at the same byte; no event's data exceeds the limit. Each input runs
// with the default limit and with a small one, so the `eventTooLarge` path is reached too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSEParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    for limit in [4 << 20, 64] {
        check(input, limit: limit)
    }
    return 0
}

/// What feeding a stream led to: the events completed, the parser's final state, and whether it threw.
private struct Outcome: Equatable {
    var messages: [SSEMessage] = []
    var lastEventID: String?
    var retry: Int?
    var failed = false
}

private func check(_ input: [UInt8], limit: Int) {
    // Byte by byte is the reference: every event completed before a failure is seen.
    var reference = Outcome()
    var failedAt: Int?
    var parser = SSEParser(maxEventBytes: limit)
    for (index, byte) in input.enumerated() {
        do {
            reference.messages += try parser.feed(CollectionOfOne(byte))
        } catch {
            expect(error == .eventTooLarge(limit: limit), "unexpected error \(error)")
            reference.failed = true
            failedAt = index
            break
        }
    }
    reference.lastEventID = parser.lastEventID
    reference.retry = parser.retry
    for message in reference.messages {
        expect(message.data.utf8.count <= limit, "event data of \(message.data.utf8.count) bytes > \(limit)")
        expect(!message.event.isEmpty, "event without a name")
    }

    // Whole: the same outcome, except that a throwing feed returns none of the events before the failure.
    var whole = SSEParser(maxEventBytes: limit)
    var wholeOutcome = Outcome()
    do {
        wholeOutcome.messages = try whole.feed(input)
    } catch {
        wholeOutcome.failed = true
    }
    expect(wholeOutcome.failed == reference.failed, "whole input and byte-by-byte disagree on failure")
    if !reference.failed {
        wholeOutcome.lastEventID = whole.lastEventID
        wholeOutcome.retry = whole.retry
        expect(wholeOutcome == reference, "whole input and byte-by-byte disagree")
    }

    // Chunks of 1...64 bytes from an xorshift seeded by the input: the events before a failing chunk must be a
    // prefix of the reference, and the failing chunk must hold the byte where the reference failed.
    var seed = UInt64(truncatingIfNeeded: input.count) &* 0x9E37_79B9_7F4A_7C15 | 1
    for byte in input.prefix(16) { seed = (seed ^ UInt64(byte)) &* 0x100_0000_01B3 | 1 }
    var chunked = SSEParser(maxEventBytes: limit)
    var messages: [SSEMessage] = []
    var start = 0
    var chunkFailed = false
    while start < input.count {
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        let end = min(input.count, start + 1 + Int(seed % 64))
        do {
            messages += try chunked.feed(input[start..<end])
        } catch {
            chunkFailed = true
            expect(failedAt.map { (start..<end).contains($0) } ?? false, "chunked input fails elsewhere")
            break
        }
        start = end
    }
    expect(chunkFailed == reference.failed, "chunked input and byte-by-byte disagree on failure")
    expect(
        messages.count <= reference.messages.count && Array(reference.messages.prefix(messages.count)) == messages,
        "chunked events differ from byte-by-byte events"
    )
    if !chunkFailed {
        expect(messages == reference.messages, "chunked input lost events")
        expect(chunked.lastEventID == reference.lastEventID, "chunked input: another last event id")
        expect(chunked.retry == reference.retry, "chunked input: another retry")
    }
}

/// An oracle: stops the run with `message` when `condition` is false. `precondition` drops its message in
/// release builds (the fuzzers are -O), `fatalError` keeps it, so a crash report says which property broke.
private func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
