import AsyncHTTPClient
import Foundation

/// One server-sent event as read off the wire.
struct SSEEvent: Sendable {
    let name: String
    let data: String
    let id: String?

    var json: JSON? { JSON.parse(data) }
}

/// Splits an SSE byte stream into events and comment lines.
struct SSEParser {
    private var pending: [UInt8] = []
    private var name: String?
    private var data: [String] = []
    private var id: String?

    /// Feeds bytes; returns the events completed and the comment lines seen.
    mutating func feed(_ bytes: [UInt8]) -> (events: [SSEEvent], comments: Int) {
        pending += bytes
        var events: [SSEEvent] = []
        var comments = 0
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeSubrange(...newline)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if name != nil || !data.isEmpty {
                    events.append(SSEEvent(name: name ?? "message", data: data.joined(separator: "\n"), id: id))
                }
                name = nil
                data = []
                id = nil
            } else if line.hasPrefix(":") {
                comments += 1
            } else {
                let (field, value) = Self.split(line)
                switch field {
                case "event": name = value
                case "data": data.append(value)
                case "id": id = value
                default: break
                }
            }
        }
        return (events, comments)
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.hasPrefix(" ") { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}

/// What a reader has seen so far.
actor SSELog {
    private(set) var events: [SSEEvent] = []
    private(set) var comments = 0
    private(set) var ended = false
    /// Why the response ended badly (a reset, a truncated body), when it did; nil after a clean end.
    private(set) var failure: String?
    private var cursor = 0

    func append(_ batch: (events: [SSEEvent], comments: Int)) {
        events += batch.events
        comments += batch.comments
    }

    func end(failure: String?) {
        ended = true
        self.failure = failure
    }

    /// The first event at or after the cursor that matches; moves the cursor past it.
    func take(_ matches: @Sendable (SSEEvent) -> Bool) -> SSEEvent? {
        guard let index = events[cursor...].firstIndex(where: matches) else { return nil }
        cursor = index + 1
        return events[index]
    }
}

/// A `GET events` request read in the background.
final class SSEConnection: Sendable {
    let status: Int
    let contentType: String?
    /// The response's `connection` header.
    let connectionHeader: String?
    /// The body of a non-200 answer.
    let errorBody: String?
    let log = SSELog()
    private let reader: Task<Void, Never>?

    private init(status: Int, contentType: String?, errorBody: String?, response: HTTPClientResponse?) {
        self.status = status
        self.contentType = contentType
        self.errorBody = errorBody
        self.connectionHeader = response?.headers.first(name: "connection")
        if let response {
            let log = log
            reader = Task {
                var parser = SSEParser()
                var failure: String?
                do {
                    for try await chunk in response.body {
                        await log.append(parser.feed(Array(chunk.readableBytesView)))
                    }
                } catch {
                    // Kept: a reset or truncated response is not a clean end (`waitForEnd` fails on it).
                    failure = Task.isCancelled ? "closed by the test" : "\(error)"
                }
                await log.end(failure: failure)
            }
        } else {
            reader = nil
        }
    }

    /// Opens the stream; the token goes in the `token` header or, with `tokenInQuery`, in `?token=`.
    static func open(url: String, token: String?, tokenInQuery: Bool = false) async throws -> SSEConnection {
        var target = url
        if let token, tokenInQuery {
            target += "?token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
        }
        var request = HTTPClientRequest(url: target)
        if let token, !tokenInQuery {
            request.headers.add(name: "token", value: token)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let status = Int(response.status.code)
        let contentType = response.headers.first(name: "content-type")
        guard status == 200 else {
            var bytes: [UInt8] = []
            for try await chunk in response.body { bytes += chunk.readableBytesView }
            return SSEConnection(
                status: status,
                contentType: contentType,
                errorBody: String(decoding: bytes, as: UTF8.self),
                response: nil
            )
        }
        return SSEConnection(status: status, contentType: contentType, errorBody: nil, response: response)
    }

    /// Stops reading (closes the connection).
    func close() {
        reader?.cancel()
    }

    /// The next event named `name` (matching `predicate`) after the last one taken.
    func next(
        _ name: String,
        timeout: Duration = .seconds(5),
        where predicate: @escaping @Sendable (SSEEvent) -> Bool = { _ in true }
    ) async throws -> SSEEvent {
        try await eventually("event \(name)", timeout: timeout) {
            await log.take { $0.name == name && predicate($0) }
        }
    }

    /// Waits until the server ends the response cleanly; throws when it ended with an error (reset, truncated).
    func waitForEnd(timeout: Duration = .seconds(5)) async throws {
        try await waitUntil("end of stream", timeout: timeout) { await log.ended }
        if let failure = await log.failure { throw StreamEndedBadly(reason: failure) }
    }

    /// Waits until `count` events have arrived and returns the first `count`.
    func firstEvents(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [SSEEvent] {
        try await eventually("\(count) events", timeout: timeout) {
            let events = await log.events
            return events.count >= count ? Array(events.prefix(count)) : nil
        }
    }
}

/// An event stream that ended with an error instead of a clean end of the response.
struct StreamEndedBadly: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the event stream ended with an error: \(reason)" }
}
