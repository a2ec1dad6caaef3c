import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import InfinityClient

@Suite struct ConferenceCallTests {
    @Test func refreshTokenSendsTheTokenHeaderAndReadsTheAnswer() async throws {
        let old = Fixture.newToken("old")
        let new = Fixture.newToken("new")
        try await withStub({ _, _ in .json(200, Fixture.refresh(token: new, expires: "90", role: "GUEST")) }) {
            server in
            try await withClient { client in
                let refresh = try await client.refreshToken(node: server.node, alias: "meet", token: old)
                #expect(refresh == TokenRefresh(token: new, expires: 90, role: .guest))
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.endpoint == "refresh_token")
                #expect(request.header("token") == old)
                #expect(request.body.isEmpty)
            }
        }
    }

    @Test func refreshWithoutRoleLeavesItNil() async throws {
        try await withStub({ _, _ in .json(200, Fixture.refresh(token: "n")) }) { server in
            try await withClient { client in
                let refresh = try await client.refreshToken(node: server.node, alias: "meet", token: "o")
                #expect(refresh.role == nil)
                #expect(refresh.expires == 120)
            }
        }
    }

    @Test func refreshWithInvalidToken() async throws {
        try await withStub({ _, _ in .json(403, Fixture.invalidToken) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.invalidToken) {
                    _ = try await client.refreshToken(node: server.node, alias: "meet", token: "dead")
                }
            }
        }
    }

    @Test func refreshIsRetriedOnServiceUnavailable() async throws {
        try await withStub({ _, count in
            count < 3 ? .json(503, Fixture.failed("Resource unavailable")) : .json(200, Fixture.refresh(token: "n"))
        }) { server in
            try await withClient { client in
                let refresh = try await client.refreshToken(node: server.node, alias: "meet", token: "o")
                #expect(refresh.token == "n")
                #expect(server.requests(to: "refresh_token").count == 3)
            }
        }
    }

    @Test func releaseToken() async throws {
        let token = Fixture.newToken()
        try await withStub({ _, _ in .json(200, Fixture.ok) }) { server in
            try await withClient { client in
                try await client.releaseToken(node: server.node, alias: "meet", token: token)
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.endpoint == "release_token")
                #expect(request.header("token") == token)
            }
        }
    }

    @Test func releaseWithInvalidToken() async throws {
        try await withStub({ _, _ in .json(403, Fixture.invalidToken) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.invalidToken) {
                    try await client.releaseToken(node: server.node, alias: "meet", token: "dead")
                }
            }
        }
    }

    @Test func participantsAreDecodedTolerantly() async throws {
        let roster =
            "[" + Fixture.participant(uuid: "p1", name: "Host", role: "chair", muted: "NO", spotlight: "1700000000.5")
            + ","
            + Fixture.participant(uuid: "p2", name: "Guest", muted: "YES", serviceType: "waiting_room") + ","
            + #"{"uuid":"p3","display_name":"Minimal","role":"guest"}"# + "]"
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":\#(roster)}"#) }) { server in
            try await withClient { client in
                let participants = try await client.participants(node: server.node, alias: "meet", token: "t")
                #expect(participants.map(\.uuid) == ["p1", "p2", "p3"])
                #expect(participants[0].role == .host && participants[0].isSpotlight && !participants[0].isMuted)
                #expect(
                    participants[1].role == .guest && participants[1].isMuted
                        && participants[1].serviceType == "waiting_room"
                )
                #expect(
                    participants[2].hasMedia == nil && participants[2].startTime == nil
                        && participants[2].protocolName == nil
                )
                let request = try #require(server.requests.first)
                #expect(request.method == .GET)
                #expect(request.endpoint == "participants")
                #expect(request.header("token") == "t")
            }
        }
    }

    @Test func participantsThatAreNotAnArrayAreABadResponse() async throws {
        try await withStub({ _, _ in .json(200, Fixture.ok) }) { server in
            try await withClient { client in
                let error = await #expect(throws: InfinityError.self) {
                    _ = try await client.participants(node: server.node, alias: "meet", token: "t")
                }
                guard case .badResponse? = error else {
                    Issue.record("expected badResponse, got \(String(describing: error))")
                    return
                }
            }
        }
    }

    @Test func conferenceStatus() async throws {
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":\#(Fixture.conferenceUpdate)}"#) }) {
            server in
            try await withClient { client in
                let status = try await client.conferenceStatus(node: server.node, alias: "meet", token: "t")
                #expect(status.started && !status.locked && status.presentationAllowed == true)
                #expect(server.requests.first?.endpoint == "conference_status")
            }
        }
    }

    @Test(arguments: [
        (ConferenceCommand.lock, "lock"), (.unlock, "unlock"), (.muteGuests, "muteguests"),
        (.unmuteGuests, "unmuteguests"), (.startConference, "start_conference"), (.disconnectAll, "disconnect"),
        (.message("hi there"), "message"),
    ])
    func conferenceCommandPaths(command: ConferenceCommand, path: String) async throws {
        try await withStub({ _, _ in .json(200, Fixture.ok) }) { server in
            try await withClient { client in
                try await client.perform(command, node: server.node, alias: "meet", token: "tok")
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.endpoint == path)
                #expect(request.header("token") == "tok")
                if case .message(let text) = command {
                    let body = try #require(
                        try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String]
                    )
                    #expect(body == ["type": "text/plain", "payload": text])
                }
            }
        }
    }

    @Test(arguments: [
        (ParticipantCommand.mute, "mute"), (.unmute, "unmute"), (.spotlightOn, "spotlighton"),
        (.spotlightOff, "spotlightoff"), (.admit, "unlock"), (.disconnect, "disconnect"),
    ])
    func participantCommandPaths(command: ParticipantCommand, path: String) async throws {
        try await withStub({ _, _ in .json(200, #"{"status":"success","result":null}"#) }) { server in
            try await withClient { client in
                try await client.perform(command, participant: "p 1", node: server.node, alias: "meet", token: "tok")
                let request = try #require(server.requests.first)
                #expect(request.method == .POST)
                #expect(request.uri == "/api/client/v2/conferences/meet/participants/p%201/\(path)")
                #expect(request.header("token") == "tok")
            }
        }
    }

    @Test func aConnectionClosedUnderAReadIsRetriedOnAFreshOne() async throws {
        try await withStub({ _, count in
            count == 1 ? .hangUp : .json(200, #"{"status":"success","result":\#(Fixture.conferenceUpdate)}"#)
        }) { server in
            try await withClient { client in
                let status = try await client.conferenceStatus(node: server.node, alias: "meet", token: "t")
                #expect(status.started)
                #expect(server.requests(to: "conference_status").count == 2)
            }
        }
    }

    @Test func aConnectionClosedUnderARefreshIsNotRepeatedAsTheNodeMayHaveReplacedTheToken() async throws {
        try await withStub({ _, count in
            count == 1 ? .hangUp : .json(200, Fixture.refresh(token: "n"))
        }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.unreachable("the node closed the connection")) {
                    try await client.refreshToken(node: server.node, alias: "meet", token: "o")
                }
                #expect(server.requests(to: "refresh_token").count == 1)
            }
        }
    }

    @Test func aConnectionClosedUnderACommandIsNotRetriedAsTheNodeMayHaveActed() async throws {
        try await withStub({ _, _ in .hangUp }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.unreachable("the node closed the connection")) {
                    try await client.perform(.lock, node: server.node, alias: "meet", token: "t")
                }
                #expect(server.requests.count == 1)
            }
        }
    }

    @Test func aWriteOnAClosedPooledConnectionCountsAsNothingSent() {
        #expect(InfinityClient.staleConnection(ChannelError.ioOnClosedChannel)?.nothingSent == true)
        #expect(InfinityClient.staleConnection(HTTPClientError.remoteConnectionClosed)?.nothingSent == false)
        #expect(InfinityClient.staleConnection(HTTPClientError.readTimeout) == nil)
    }

    @Test func commandsThatActOnceAreNotRetried() async throws {
        try await withStub({ _, _ in .json(502, Fixture.failed("Bad Gateway")) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.http(status: 502, message: "Bad Gateway")) {
                    try await client.perform(.message("hi"), node: server.node, alias: "meet", token: "t")
                }
                await #expect(throws: InfinityError.http(status: 502, message: "Bad Gateway")) {
                    try await client.perform(
                        .disconnect,
                        participant: "p",
                        node: server.node,
                        alias: "meet",
                        token: "t"
                    )
                }
                #expect(server.requests.count == 2)
            }
        }
    }

    @Test func repeatableCommandsAreRetriedOnTransientErrors() async throws {
        try await withStub({ _, count in
            count <= 2 ? .json(count == 1 ? 503 : 529, Fixture.failed("Busy")) : .json(200, Fixture.ok)
        }) { server in
            try await withClient { client in
                try await client.perform(.lock, node: server.node, alias: "meet", token: "t")
                #expect(server.requests(to: "lock").count == 3)
            }
        }
    }

    @Test func errorStringsMapToTypedErrors() async throws {
        try await withStub({ request, _ in
            switch request.endpoint {
            case "lock": .json(403, Fixture.invalidRole)
            case "unlock": .json(403, Fixture.invalidToken)
            case "muteguests": .json(404, Fixture.notFound)
            case "unmuteguests": .json(400, Fixture.failed("Illegal value"))
            default: .json(400, Fixture.failed("Bad request"))
            }
        }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.invalidRole) {
                    try await client.perform(.lock, node: server.node, alias: "meet", token: "t")
                }
                await #expect(throws: InfinityError.invalidToken) {
                    try await client.perform(.unlock, node: server.node, alias: "meet", token: "t")
                }
                await #expect(throws: InfinityError.notFound("Neither conference nor gateway found")) {
                    try await client.perform(.muteGuests, node: server.node, alias: "meet", token: "t")
                }
                // "Illegal value" has its own error (the core answers it with invalid_value); other 400s stay HTTP.
                await #expect(throws: InfinityError.illegalValue("Illegal value")) {
                    try await client.perform(.unmuteGuests, node: server.node, alias: "meet", token: "t")
                }
                await #expect(throws: InfinityError.http(status: 400, message: "Bad request")) {
                    try await client.perform(.startConference, node: server.node, alias: "meet", token: "t")
                }
            }
        }
    }

    @Test func failedStatusOn200IsAnError() async throws {
        try await withStub({ _, _ in .json(200, Fixture.failed("Disabled")) }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.http(status: 200, message: "Disabled")) {
                    try await client.perform(.lock, node: server.node, alias: "meet", token: "t")
                }
            }
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await withStub({ request, _ in
            request.endpoint == "participants" ? .redirect(location: "/elsewhere") : .json(200, Fixture.ok)
        }) { server in
            try await withClient { client in
                await #expect(throws: InfinityError.http(status: 302, message: "Found")) {
                    _ = try await client.participants(node: server.node, alias: "meet", token: "t")
                }
                #expect(server.requests.map(\.uri) == ["/api/client/v2/conferences/meet/participants"])
            }
        }
    }
}
