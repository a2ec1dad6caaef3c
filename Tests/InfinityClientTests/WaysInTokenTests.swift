import Foundation
import Testing

@testable import InfinityClient

/// The request_token outcomes of infinity-api.md §3 and the extras a resend carries.
@Suite struct WaysInTokenTests {
    private func call(
        _ response: StubResponse,
        extras: TokenRequestExtras = .init()
    ) async throws -> (TokenRequestOutcome, [RecordedRequest]) {
        try await withStub({ _, _ in response }) { server in
            try await withClient(.fastTests) { client in
                let outcome = try await client.requestToken(
                    node: server.node,
                    alias: "meet.reception",
                    displayName: "Bridge",
                    pin: nil,
                    extras: extras
                )
                return (outcome, server.requests)
            }
        }
    }

    private func body(_ request: RecordedRequest) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
    }

    @Test func mssipReceptionInTheSchemaShape() async throws {
        let json =
            #"{"status":"success","result":{"conference_extension":"required","conference_extension_type":"mssip","version":{"version_id":"36"}}}"#
        let (outcome, _) = try await call(.json(403, json))
        #expect(outcome == .extensionRequired(kind: "mssip"))
    }

    @Test func resendCarriesTheAnswers() async throws {
        let extras = TokenRequestExtras(
            conferenceExtension: "meet.target",
            chosenIdP: "idp-1",
            ssoToken: "sso-secret-1",
            oneTimeToken: "one-time-secret-1"
        )
        let (_, requests) = try await call(.json(200, Fixture.requestToken(token: Fixture.newToken())), extras: extras)
        let sent = try body(try #require(requests.first))
        #expect(sent["conference_extension"] as? String == "meet.target")
        #expect(sent["chosen_idp"] as? String == "idp-1")
        #expect(sent["sso_token"] as? String == "sso-secret-1")
        #expect(sent["token"] as? String == "one-time-secret-1")
        #expect(sent["display_name"] as? String == "Bridge")
    }

    @Test func withoutAnswersTheDefaultsOfPexipsClients() async throws {
        let (_, requests) = try await call(.json(200, Fixture.requestToken(token: Fixture.newToken())))
        let sent = try body(try #require(requests.first))
        #expect(sent["chosen_idp"] as? String == "none")
        #expect(sent["sso_token"] as? String == "none")
        #expect(sent["conference_extension"] == nil)
        #expect(sent["token"] == nil)
    }

    @Test func notFoundAfterAnExtensionIsExtensionNotFound() async throws {
        let (outcome, _) = try await call(.json(404, Fixture.notFound), extras: .init(conferenceExtension: "nope"))
        #expect(outcome == .extensionNotFound(message: "Neither conference nor gateway found"))
        let (plain, _) = try await call(.json(404, Fixture.notFound))
        #expect(plain == .conferenceNotFound(message: "Neither conference nor gateway found"))
    }

    @Test func ssoAuthenticationFailed() async throws {
        let (outcome, _) = try await call(
            .json(403, Fixture.failed("SSO Authentication Failed")),
            extras: .init(chosenIdP: "idp-1", ssoToken: "bad")
        )
        #expect(outcome == .ssoFailed(message: "SSO Authentication Failed"))
    }

    @Test func emptyIdPListAndNamelessProvider() async throws {
        let json = #"{"status":"success","result":{"idp":[{"uuid":"u-1"},{"name":"no uuid"}],"version":{}}}"#
        let (outcome, _) = try await call(.json(403, json))
        #expect(outcome == .identityProviders([IdentityProvider(uuid: "u-1", name: "u-1")]))
    }

    @Test func referEventIsDecodedAndItsTokenRedacted() throws {
        let event = InfinityEvent(
            message: SSEMessage(event: "refer", data: #"{"alias":"meet.next","token":"one-time-secret-2"}"#)
        )
        guard case .refer(let target)? = event else {
            Issue.record("expected refer, got \(String(describing: event))")
            return
        }
        #expect(target.alias == "meet.next")
        #expect(target.token == "one-time-secret-2")
        #expect(!"\(target)".contains("one-time-secret-2"))
        #expect(!String(reflecting: target).contains("one-time-secret-2"))
        #expect(InfinityEvent(message: SSEMessage(event: "refer", data: #"{"token":"x"}"#)) == nil)
    }

    @Test func disconnectEventCarriesTheReason() {
        let event = InfinityEvent(message: SSEMessage(event: "disconnect", data: #"{"reason":"Conference ended"}"#))
        #expect(event == .disconnect(reason: "Conference ended"))
    }

    @Test func extrasNeverPrintTheirSecrets() {
        let extras = TokenRequestExtras(ssoToken: "sso-secret-3", oneTimeToken: "one-time-secret-3")
        for text in ["\(extras)", String(reflecting: extras), "\(Mirror(reflecting: extras).children.map(\.value))"] {
            #expect(!text.contains("sso-secret-3") && !text.contains("one-time-secret-3"))
        }
    }
}
