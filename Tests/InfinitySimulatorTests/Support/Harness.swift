import AsyncHTTPClient
import Foundation
import InfinitySimulator
@_exported import TestSupport
import Testing

/// An HTTP answer.
struct Reply: Sendable {
    let status: Int
    let text: String

    var json: JSON? { JSON.parse(text) }

    /// `result` of the envelope.
    var result: JSON? { json?["result"] }
}

/// A granted `request_token`.
struct Grant: Sendable {
    let token: String
    let uuid: String
    let role: String
    let result: JSON
}

/// A running simulator and a plain HTTP client to talk to it.
struct Harness: Sendable {
    let sim: InfinitySimulator

    /// Starts a simulator, runs `body`, and always stops it.
    static func run(
        _ configuration: SimulatorConfiguration,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let sim = InfinitySimulator(configuration: configuration)
        _ = try await sim.start()
        do {
            try await body(Harness(sim: sim))
        } catch {
            await sim.stop()
            throw error
        }
        await sim.stop()
    }

    /// Starts a simulator with these rooms.
    static func run(
        rooms: [SimulatedRoom],
        _ body: (Harness) async throws -> Void
    ) async throws {
        try await run(SimulatorConfiguration(rooms: rooms), body)
    }

    /// One HTTP call under `/api/client/v2/conferences/<alias>/`.
    func call(
        _ method: String,
        _ alias: String,
        _ endpoint: String,
        token: String? = nil,
        tokenInQuery: Bool = false,
        pin: String? = nil,
        body: String? = nil
    ) async throws -> Reply {
        var url = sim.conferenceURL(alias: alias) + "/" + endpoint
        if let token, tokenInQuery {
            url += "?token=" + (token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method == "GET" ? .GET : .POST
        if let token, !tokenInQuery { request.headers.add(name: "token", value: token) }
        if let pin { request.headers.add(name: "pin", value: pin) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(Array(body.utf8))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var bytes: [UInt8] = []
        for try await chunk in response.body { bytes += chunk.readableBytesView }
        return Reply(status: Int(response.status.code), text: String(decoding: bytes, as: UTF8.self))
    }

    /// POST `request_token` with this display name.
    func requestToken(_ alias: String, name: String = "Tester", pin: String? = nil) async throws -> Reply {
        try await call("POST", alias, "request_token", pin: pin, body: #"{"display_name":"\#(name)"}"#)
    }

    /// Joins and expects a grant.
    func join(
        _ alias: String,
        name: String = "Tester",
        pin: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Grant {
        let reply = try await requestToken(alias, name: name, pin: pin)
        #expect(reply.status == 200, "request_token: \(reply.text)", sourceLocation: sourceLocation)
        let result = try #require(reply.result, sourceLocation: sourceLocation)
        return Grant(
            token: try #require(result["token"]?.string, sourceLocation: sourceLocation),
            uuid: try #require(result["participant_uuid"]?.string, sourceLocation: sourceLocation),
            role: try #require(result["role"]?.string, sourceLocation: sourceLocation),
            result: result
        )
    }

    /// Opens the room's event stream.
    func events(_ alias: String, token: String?, tokenInQuery: Bool = false) async throws -> SSEConnection {
        try await SSEConnection.open(
            url: sim.conferenceURL(alias: alias) + "/events",
            token: token,
            tokenInQuery: tokenInQuery
        )
    }

    /// Opens the event stream and reads past the sync burst and the first conference_update.
    func syncedEvents(_ alias: String, token: String) async throws -> SSEConnection {
        let stream = try await events(alias, token: token)
        #expect(stream.status == 200)
        _ = try await stream.next("participant_sync_end")
        _ = try await stream.next("conference_update")
        return stream
    }
}

/// `{"status":"failed","result":"<reason>"}`.
func failed(_ reason: String) -> JSON {
    .object(["status": .string("failed"), "result": .string(reason)])
}
