import Foundation
import Testing

@testable import InfinityClient

@Suite struct RequestTokenTests {
    private func outcome(
        for response: StubResponse,
        pin: PINHeader? = nil,
        configuration: InfinityClientConfiguration = .fastTests
    ) async throws -> (TokenRequestOutcome, [RecordedRequest]) {
        try await withStub({ _, _ in response }) { server in
            try await withClient(configuration) { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet.alice",
                    displayName: "Bridge",
                    pin: pin
                )
                return (outcome, server.requests)
            }
        }
    }

    @Test func grantedFromAndroidShapedResult() async throws {
        let token = Fixture.newToken()
        let (outcome, requests) = try await outcome(for: .json(200, Fixture.requestToken(token: token, role: "GUEST")))
        guard case .granted(let grant) = outcome else {
            Issue.record("expected granted, got \(outcome)")
            return
        }
        #expect(grant.token == token)
        #expect(grant.expires == 120)
        #expect(grant.role == .guest)
        #expect(grant.version == "36")
        #expect(requests.count == 1)
        #expect(requests[0].method == .POST)
        #expect(requests[0].uri == "/api/client/v2/conferences/meet.alice/request_token")
    }

    @Test func requestBodyCarriesTheBridgeFields() async throws {
        let (_, requests) = try await outcome(for: .json(200, Fixture.requestToken(token: Fixture.newToken())))
        let request = try #require(requests.first)
        #expect(request.header("content-type") == "application/json")
        #expect(request.header("token") == nil)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["display_name"] as? String == "Bridge")
        #expect(body["call_tag"] as? String == "")
        #expect(body["chosen_idp"] as? String == "none")
        #expect(body["sso_token"] as? String == "none")
        #expect(body["direct_media"] as? Bool == false)
        #expect(body["client_id"] as? String == "pexbridge")
        #expect(body.count == 6)
    }

    @Test func pinHeaderIsSentAsGiven() async throws {
        let (_, withPIN) = try await outcome(for: .json(200, Fixture.requestToken(token: "t")), pin: .pin(" 4321 "))
        #expect(withPIN.first?.header("pin") == "4321")
        let (_, withNone) = try await outcome(for: .json(200, Fixture.requestToken(token: "t")), pin: PINHeader.none)
        #expect(withNone.first?.header("pin") == "none")
        let (_, blank) = try await outcome(for: .json(200, Fixture.requestToken(token: "t")), pin: .pin("  "))
        #expect(blank.first?.header("pin") == "none")
        let (_, absent) = try await outcome(for: .json(200, Fixture.requestToken(token: "t")), pin: nil)
        #expect(absent.first?.headers.contains(name: "pin") == false)
    }

    @Test func pinWithControlCharactersIsInvalidWithoutAsking() async throws {
        let (outcome, requests) = try await outcome(
            for: .json(200, Fixture.requestToken(token: "t")),
            pin: .pin("12\r\n34")
        )
        #expect(outcome == .invalidPIN)
        #expect(requests.isEmpty)
    }

    @Test func hostPINChallenge() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.pinChallenge(pin: "required", guestPIN: "none")))
        #expect(outcome == .pinChallenge(hostPINRequired: true, guestPINRequired: false))
    }

    @Test func bothPINsChallenge() async throws {
        let (outcome, _) = try await outcome(
            for: .json(403, Fixture.pinChallenge(pin: "required", guestPIN: "required"))
        )
        #expect(outcome == .pinChallenge(hostPINRequired: true, guestPINRequired: true))
    }

    @Test func pinChallengeOn415() async throws {
        let (outcome, _) = try await outcome(for: .json(415, Fixture.pinChallenge(pin: "required", guestPIN: "none")))
        #expect(outcome == .pinChallenge(hostPINRequired: true, guestPINRequired: false))
    }

    @Test func invalidPINWithFailedStatus() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.invalidPINFailed), pin: .pin("1111"))
        #expect(outcome == .invalidPIN)
    }

    @Test func invalidPINWithSuccessStatus() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.invalidPINSuccess), pin: .pin("1111"))
        #expect(outcome == .invalidPIN)
    }

    @Test func conferenceNotFound() async throws {
        let (outcome, _) = try await outcome(for: .json(404, Fixture.notFound))
        #expect(outcome == .conferenceNotFound(message: "Neither conference nor gateway found"))
    }

    @Test func notFoundWithoutEnvelopeIsABadResponse() async throws {
        let error = await #expect(throws: InfinityError.self) {
            _ = try await outcome(for: .raw(404, contentType: "text/html", body: "<h1>Not Found</h1>"))
        }
        guard case .badResponse? = error else {
            Issue.record("expected badResponse, got \(String(describing: error))")
            return
        }
    }

    @Test func unsupportedMediaTypeString() async throws {
        let (outcome, _) = try await outcome(for: .json(415, Fixture.failed("Unsupported Media Type")))
        #expect(outcome == .refused(status: 415, message: "Unsupported Media Type"))
    }

    @Test func otherForbiddenStringIsRefused() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.failed("Participant limit reached")))
        #expect(outcome == .refused(status: 403, message: "Participant limit reached"))
    }

    @Test func idpChoiceIsDecoded() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.idpChoice))
        #expect(
            outcome
                == .identityProviders([IdentityProvider(uuid: "5e3c0a1e-2b5f-4b0c-9d7e-1a2b3c4d5e6f", name: "Okta")])
        )
    }

    @Test func ssoRedirectIsDecoded() async throws {
        let (outcome, _) = try await outcome(for: .json(403, Fixture.ssoRedirect))
        #expect(
            outcome
                == .ssoRedirect(
                    url: "https://idp.example.com/sso?x=1",
                    idp: IdentityProvider(uuid: "5e3c0a1e-2b5f-4b0c-9d7e-1a2b3c4d5e6f", name: "Okta")
                )
        )
    }

    @Test(arguments: [Fixture.extensionSchemaShape, Fixture.extensionSwiftShape])
    func conferenceExtensionIsDecoded(body: String) async throws {
        let (outcome, _) = try await outcome(for: .json(403, body))
        #expect(outcome == .extensionRequired(kind: "standard"))
    }

    @Test func badGatewayIsRetriedThenGranted() async throws {
        let token = Fixture.newToken()
        try await withStub({ _, count in
            count == 1 ? .json(502, Fixture.failed("Bad Gateway")) : .json(200, Fixture.requestToken(token: token))
        }) { server in
            try await withClient { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                guard case .granted(let grant) = outcome else {
                    Issue.record("expected granted, got \(outcome)")
                    return
                }
                #expect(grant.token == token)
                #expect(server.requests(to: "request_token").count == 2)
            }
        }
    }

    @Test func serviceUnavailableExhaustsTheRetries() async throws {
        try await withStub({ _, _ in .json(503, Fixture.failed("System in maintenance mode")) }) { server in
            try await withClient { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                #expect(outcome == .serverError(status: 503, message: "System in maintenance mode"))
                #expect(server.requests(to: "request_token").count == 3)
            }
        }
    }

    @Test func internalServerErrorIsNotRetried() async throws {
        try await withStub({ _, _ in .json(500, Fixture.failed("Out of resource")) }) { server in
            try await withClient { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet",
                    displayName: "B",
                    pin: nil
                )
                #expect(outcome == .serverError(status: 500, message: "Out of resource"))
                #expect(server.requests(to: "request_token").count == 1)
            }
        }
    }

    @Test func proxyGatewayErrorWithoutEnvelopeIsAServerError() async throws {
        var configuration = InfinityClientConfiguration.fastTests
        configuration.retriesForIdempotent = 0
        let (outcome, _) = try await outcome(
            for: .raw(504, contentType: "text/html", body: "<html>504</html>"),
            configuration: configuration
        )
        #expect(outcome == .serverError(status: 504, message: "Gateway Timeout"))
    }

    @Test func aliasIsPercentEncodedInThePath() async throws {
        try await withStub({ _, _ in .json(200, Fixture.requestToken(token: "t")) }) { server in
            try await withClient { client in
                _ = try await client.requestToken(
                    node: server.node,
                    alias: "meet alice@example.com",
                    displayName: "B",
                    pin: nil
                )
                #expect(server.requests.first?.rawAlias == "meet%20alice%40example.com")
            }
        }
    }
}
