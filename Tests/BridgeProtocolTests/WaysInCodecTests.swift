import BridgeProtocol
import Testing

/// The way-in requests on the wire: decoding, caps, and the SSO token kept out of printed values.
@Suite struct WaysInCodecTests {
    @Test func theWayInRequestsDecode() throws {
        let ext = try RequestCodec.decode(
            Array(#"{"type":"extension","id":1,"session":"s","extension":" meet.x "}"#.utf8)
        ).get()
        #expect(ext.request == .wayIn(session: "s", .conferenceExtension(" meet.x ")))
        let idp = try RequestCodec.decode(Array(#"{"type":"idp","id":2,"session":"s","idp":"u"}"#.utf8)).get()
        #expect(idp.request == .wayIn(session: "s", .idp("u")))
        let long = String(repeating: "t", count: 3000)
        let sso = try RequestCodec.decode(Array(#"{"type":"sso_token","id":3,"session":"s","token":"\#(long)"}"#.utf8))
            .get()
        #expect(sso.request == .wayIn(session: "s", .ssoToken(long)))
    }

    @Test func joinWithoutNodeAndWithAnExtension() throws {
        let join = try RequestCodec.decode(
            Array(#"{"type":"join","id":1,"alias":"meet@example.com","display_name":"D","extension":"meet.x"}"#.utf8)
        ).get()
        #expect(
            join.request
                == .join(JoinParameters(node: nil, alias: "meet@example.com", displayName: "D", extension: "meet.x"))
        )
    }

    @Test(arguments: [
        #"{"type":"extension","id":1,"session":"s","extension":""}"#,
        #"{"type":"idp","id":1,"session":"s"}"#,
        #"{"type":"sso_token","id":1,"session":"s","token":""}"#,
        #"{"type":"join","id":1,"node":"","alias":"a","display_name":"d"}"#,
    ])
    func emptyOrMissingFieldsAreBadRequest(frame: String) {
        guard case .failure(.invalidFields) = RequestCodec.decode(Array(frame.utf8)) else {
            Issue.record("accepted: \(frame)")
            return
        }
    }

    @Test func anOversizedSSOTokenIsRefusedWithoutQuotingIt() {
        let huge = String(repeating: "S", count: RequestCodec.maxSSOTokenBytes + 1)
        let result = RequestCodec.decode(Array(#"{"type":"sso_token","id":1,"session":"s","token":"\#(huge)"}"#.utf8))
        guard case .failure(.invalidFields(_, _, let message)) = result else {
            Issue.record("accepted")
            return
        }
        #expect(!message.contains("SSSS"))
    }

    @Test func theSSOTokenNeverPrints() {
        let request = Request.wayIn(session: "s", .ssoToken("sso-secret-42"))
        for text in ["\(request)", String(reflecting: request), "\(WayInAnswer.ssoToken("sso-secret-42"))"] {
            #expect(!text.contains("sso-secret-42"), "\(text)")
        }
    }
}
