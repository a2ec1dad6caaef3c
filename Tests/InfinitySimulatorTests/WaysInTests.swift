import AsyncHTTPClient
import Foundation
import InfinitySimulator
import Testing

/// The simulator's Virtual Reception, identity providers with their sign-in page, and `refer`.
@Suite("Simulator: every way in", .timeLimit(.minutes(1)))
struct SimulatorWaysInTests {
    static let idp = SimulatedIdentityProvider(uuid: "idp-1", name: "Example Sign-In")
    static var rooms: [SimulatedRoom] {
        var reception = SimulatedRoom(alias: "vr")
        reception.receptionKind = "standard"
        var legacy = SimulatedRoom(alias: "vr.old")
        legacy.receptionKind = "mssip"
        legacy.receptionLegacyForm = true
        var sso = SimulatedRoom(alias: "sso")
        sso.identityProviders = [idp]
        return [reception, legacy, sso, SimulatedRoom(alias: "open"), SimulatedRoom(alias: "pin", hostPIN: "1234")]
    }

    func token(_ h: Harness, _ alias: String, _ body: String) async throws -> Reply {
        try await h.call("POST", alias, "request_token", body: body)
    }

    @Test func receptionAsksForTheExtensionThenAnswersAsTheTarget() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let ask = try await token(h, "vr", #"{"display_name":"T"}"#)
            #expect(ask.status == 403)
            #expect(ask.result?["conference_extension"]?.string == "required")
            #expect(ask.result?["conference_extension_type"]?.string == "standard")
            let old = try await token(h, "vr.old", #"{"display_name":"T"}"#)
            #expect(old.result?["conference_extension"]?.string == "mssip")
            let unknown = try await token(h, "vr", #"{"display_name":"T","conference_extension":"nope"}"#)
            #expect(unknown.status == 404)
            let pin = try await token(h, "vr", #"{"display_name":"T","conference_extension":"pin"}"#)
            #expect(pin.status == 403 && pin.result?["pin"]?.string == "required")
            let ok = try await token(h, "vr", #"{"display_name":"T","conference_extension":"open"}"#)
            #expect(ok.status == 200)
            // The reception's alias keeps working with the target's token.
            let grant = try #require(ok.result?["token"]?.string)
            let status = try await h.call("GET", "vr", "conference_status", token: grant)
            #expect(status.status == 200)
            let events = try await h.syncedEvents("vr", token: grant)
            events.close()
            #expect(try await h.call("GET", "open", "participants", token: grant).status == 200)
        }
    }

    @Test func identityProviderChoiceRedirectAndToken() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let choice = try await token(h, "sso", #"{"display_name":"T","chosen_idp":"none","sso_token":"none"}"#)
            #expect(choice.status == 403)
            #expect(choice.result?["idp"]?[0]?["uuid"]?.string == "idp-1")
            let redirect = try await token(h, "sso", #"{"display_name":"T","chosen_idp":"idp-1"}"#)
            #expect(redirect.status == 403)
            let url = try #require(redirect.result?["redirect_url"]?.string)
            #expect(url.hasPrefix(h.sim.baseURL + "/sso/signin?idp=idp-1&conference=sso"))
            #expect(redirect.result?["redirect_idp"]?["name"]?.string == "Example Sign-In")
            let refused = try await token(h, "sso", #"{"display_name":"T","chosen_idp":"idp-1","sso_token":"forged"}"#)
            #expect(refused.status == 403 && refused.result?.string == "SSO Authentication Failed")
            let minted = h.sim.mintSSOToken(idp: "idp-1", user: "ann")
            let ok = try await token(h, "sso", #"{"display_name":"T","chosen_idp":"idp-1","sso_token":"\#(minted)"}"#)
            #expect(ok.status == 200)
        }
    }

    @Test func signInPageMintsATokenAndHandsItBackByPostMessage() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let form = try await page(h.sim.baseURL + "/sso/signin?idp=idp-1&conference=sso")
            #expect(form.status == 200)
            #expect(form.text.contains(#"<label for="user">User name</label>"#))
            #expect(form.text.contains("Sign in"))
            let done = try await page(h.sim.baseURL + "/sso/signin", form: "idp=idp-1&conference=sso&user=Ann+Lee")
            #expect(done.status == 200)
            #expect(done.text.contains(#"window.opener.postMessage({ type: "pexip-sso", token: token }, "*")"#))
            #expect(done.text.contains("pexbridge sso-token"))
            let start = try #require(done.text.range(of: #"<code id="sso-token">"#), "no token on the page")
            let end = try #require(done.text[start.upperBound...].range(of: "</code>"))
            let token = String(done.text[start.upperBound..<end.lowerBound])
            let ok = try await self.token(
                h,
                "sso",
                #"{"display_name":"T","chosen_idp":"idp-1","sso_token":"\#(token)"}"#
            )
            #expect(ok.status == 200)
            #expect(try await page(h.sim.baseURL + "/sso/signin?idp=nope").status == 400)
        }
    }

    @Test func referSendsTheEventAndTheTargetTakesTheOneTimeToken() async throws {
        try await Harness.run(rooms: Self.rooms) { h in
            let me = try await h.join("open")
            let stream = try await h.syncedEvents("open", token: me.token)
            let oneTime = try h.sim.refer(alias: "open", uuid: me.uuid, to: "pin")
            let event = try await stream.next("refer")
            #expect(event.json?["alias"]?.string == "pin")
            #expect(event.json?["token"]?.string == oneTime)
            stream.close()
            let body = #"{"display_name":"T","token":"\#(oneTime)"}"#
            let reply = try await h.call("POST", "pin", "request_token", pin: "1234", body: body)
            #expect(reply.status == 200)
            #expect(h.sim.oneTimeTokensUsed(alias: "pin") == 1)
        }
    }

    private func page(_ url: String, form: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        if let form {
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(Array(form.utf8))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var bytes: [UInt8] = []
        for try await chunk in response.body { bytes += chunk.readableBytesView }
        return Reply(status: Int(response.status.code), text: String(decoding: bytes, as: UTF8.self))
    }

    @Test func theDemoLobbyMovesWhoeverJoinsToItsTarget() async throws {
        var lobby = SimulatedRoom(alias: "lobby", initialParticipants: [ScriptedParticipant(displayName: "Host")])
        lobby.referTo = "open"
        var configuration = SimulatorConfiguration(rooms: [lobby, SimulatedRoom(alias: "open")])
        configuration.demoActivity = true
        configuration.demoActivityInterval = .milliseconds(50)
        try await Harness.run(configuration) { h in
            let me = try await h.join("lobby")
            let stream = try await h.syncedEvents("lobby", token: me.token)
            let refer = try await stream.next("refer")
            #expect(refer.json?["alias"]?.string == "open")
            let token = try #require(refer.json?["token"]?.string)
            stream.close()
            let body = #"{"display_name":"T","token":"\#(token)"}"#
            #expect(try await h.call("POST", "open", "request_token", body: body).status == 200)
            #expect(h.sim.oneTimeTokensUsed(alias: "open") == 1)
        }
    }
}
