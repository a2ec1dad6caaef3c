import BridgeProtocol
import Foundation
import Testing

@Suite("Whole-conference request decoding")
struct ConferenceRequestTests {
    func decode(_ text: String) -> Result<RequestEnvelope, RequestDecodingError> {
        RequestCodec.decode(Array(text.utf8))
    }

    func request(_ fields: String) throws -> Request {
        try decode(#"{"id":1,"session":"s",\#(fields)}"#).get().request
    }

    /// The message of a refusal, and whether it is `invalid_value` (true) or `bad_request` (false).
    func refusal(_ fields: String) -> (message: String, invalidValue: Bool)? {
        switch decode(#"{"id":1,"session":"s",\#(fields)}"#) {
        case .failure(.invalidValue(_, _, let message)): (message, true)
        case .failure(.invalidFields(_, _, let message)): (message, false)
        case .success, .failure(.unreadable), .failure(.unknownType): nil
        }
    }

    @Test func everyRequestDecodes() throws {
        #expect(try request(#""type":"raise_hand""#) == .control(session: "s", .raiseHand))
        #expect(try request(#""type":"lower_hand""#) == .control(session: "s", .lowerHand(participant: nil)))
        #expect(
            try request(#""type":"lower_hand","participant":"p""#)
                == .control(session: "s", .lowerHand(participant: "p"))
        )
        #expect(
            try request(#""type":"set_role","participant":"p","role":"guest""#)
                == .control(session: "s", .setRole(participant: "p", role: .guest))
        )
        #expect(
            try request(#""type":"set_layout","host_layout":"1:7""#)
                == .control(session: "s", .setLayout(LayoutChange(hostLayout: "1:7")))
        )
        #expect(
            try request(#""type":"dial","destination":"rtmp://x/y","protocol":"rtmp","role":"guest","streaming":true"#)
                == .control(
                    session: "s",
                    .dial(DialParameters(destination: "rtmp://x/y", callProtocol: .rtmp, role: .guest, streaming: true))
                )
        )
        #expect(
            try request(#""type":"dtmf","participant":"p","digits":"0123456789*#ABCD""#)
                == .control(session: "s", .dtmf(participant: "p", digits: "0123456789*#ABCD"))
        )
        #expect(try request(#""type":"captions","on":false"#) == .control(session: "s", .captions(on: false)))
        #expect(
            try decode(#"{"type":"subscribe","id":1,"include":["captions","speakers"]}"#).get().request
                == .subscribe(session: nil, sinceSeq: nil, include: [.speakers, .captions])
        )
    }

    @Test func refusedValuesAreInvalidValueAndMissingOrMistypedFieldsBadRequest() {
        for fields in [
            #""type":"dtmf","participant":"p","digits":"12e""#, #""type":"dtmf","participant":"p","digits":"""#,
            #""type":"dtmf","participant":"p","digits":"abcd""#,
            #""type":"dtmf","participant":"p","digits":"\#(String(repeating: "1", count: 33))""#,
            #""type":"set_role","participant":"p","role":"chair""#,
            #""type":"dial","destination":"d","protocol":"webrtc","role":"guest""#,
            #""type":"transfer","participant":"p","alias":"a","role":"admin""#,
        ] {
            #expect(refusal(fields)?.invalidValue == true, "\(fields)")
        }
        #expect(
            decode(#"{"type":"subscribe","id":1,"include":["speakers","video"]}"#).isInvalidValue,
            "an unknown include"
        )
        for fields in [
            #""type":"dtmf","participant":"p""#, #""type":"dtmf","participant":"p","digits":12"#,
            #""type":"set_role","participant":"p""#, #""type":"dial","protocol":"sip","role":"guest""#,
            #""type":"guests_can_unmute","allowed":"yes""#, #""type":"set_layout""#, #""type":"captions""#,
            #""type":"transfer","alias":"a","role":"guest""#,
        ] {
            #expect(refusal(fields)?.invalidValue == false, "\(fields)")
        }
    }

    @Test func capsNameTheFieldNeverTheValue() throws {
        let long = String(repeating: "x", count: 2000)
        for (fields, field) in [
            (#""type":"dial","destination":"sip:\#(long)","protocol":"sip","role":"guest""#, "destination"),
            (#""type":"transfer","participant":"p","alias":"\#(long)","role":"guest""#, "alias"),
            (#""type":"overlay_text","participant":"p","text":"\#(long)""#, "text"),
            (#""type":"set_layout","layout":"\#(long)""#, "layout"),
            (#""type":"transfer","participant":"p","alias":"a","role":"guest","pin":"\#(long)""#, "pin"),
        ] {
            let refused = try #require(refusal(fields), "\(field)")
            #expect(!refused.invalidValue)
            #expect(refused.message.contains("'\(field)'"))
            #expect(!refused.message.contains("xxxx"))
        }
    }

    @Test func aTransfersPINIsNeverShown() throws {
        let envelope = try decode(
            #"{"type":"transfer","id":1,"session":"s","participant":"p","alias":"a","role":"guest","pin":"86420"}"#
        ).get()
        guard case .control(_, .transfer(let transfer)) = envelope.request else {
            Issue.record("not a transfer: \(envelope.request)")
            return
        }
        #expect(transfer.pin == "86420")
        #expect(!"\(envelope)".contains("86420"))
        #expect(!String(reflecting: envelope).contains("86420"))
        var dumped = ""
        dump(envelope, to: &dumped)
        #expect(!dumped.contains("86420"))
        // A wrong role in the same request does not echo the PIN either.
        let refused = decode(
            #"{"type":"transfer","id":1,"session":"s","participant":"p","alias":"a","role":"x","pin":"86420"}"#
        )
        #expect(!"\(refused)".contains("86420"))
    }
}

extension Result where Success == RequestEnvelope, Failure == RequestDecodingError {
    var isInvalidValue: Bool {
        if case .failure(.invalidValue) = self { return true }
        return false
    }
}
