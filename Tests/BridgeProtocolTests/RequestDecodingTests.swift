import BridgeProtocol
import Foundation
import Testing

@Suite("Request decoding")
struct RequestDecodingTests {
    func decode(_ text: String) -> Result<RequestEnvelope, RequestDecodingError> {
        RequestCodec.decode(Array(text.utf8))
    }

    @Test func idsMayBeStringsOrIntegers() throws {
        #expect(try decode(#"{"type":"ping","id":7}"#).get().id == .int(7))
        #expect(try decode(#"{"type":"ping","id":"abc"}"#).get().id == .string("abc"))
    }

    @Test func unknownFieldsAreIgnored() throws {
        let envelope = try decode(#"{"type":"leave","id":1,"session":"s","colour":"blue","nested":{"a":[1]}}"#).get()
        #expect(envelope.request == .leave(session: "s"))
    }

    @Test func joinCarriesAnOptionalPIN() throws {
        #expect(
            try decode(#"{"type":"join","id":1,"node":"n","alias":"a","display_name":"d"}"#).get().request
                == .join(JoinParameters(node: "n", alias: "a", displayName: "d"))
        )
        #expect(
            try decode(#"{"type":"join","id":1,"node":"n","alias":"a","display_name":"d","pin":"12"}"#).get().request
                == .join(JoinParameters(node: "n", alias: "a", displayName: "d", pin: "12"))
        )
    }

    @Test func unreadableFramesSayWhy() {
        #expect(decode("{") == .failure(.unreadable("frame is not valid JSON")))
        #expect(decode("3") == .failure(.unreadable("a message must be a JSON object, not integer")))
        #expect(decode(#"{"id":1}"#) == .failure(.unreadable("missing field 'type'")))
        #expect(decode(#"{"type":"ping"}"#) == .failure(.unreadable("missing field 'id' (a string or an integer)")))
        #expect(
            decode(#"{"type":"ping","id":1.5}"#) == .failure(.unreadable("field 'id' must be a string or an integer"))
        )
    }

    @Test func unknownTypeKeepsTheID() {
        #expect(decode(#"{"type":"dance","id":"x"}"#) == .failure(.unknownType(id: .string("x"), type: "dance")))
    }

    @Test func wrongFieldsNameTheFieldButNeverItsValue() {
        guard
            case .failure(.invalidFields(_, _, let message)) = decode(
                #"{"type":"pin","id":1,"session":"s","pin":987654}"#
            )
        else {
            Issue.record("decoded")
            return
        }
        #expect(message == "pin: field 'pin' must be a string, not integer")
        #expect(!message.contains("987654"))
        guard
            case .failure(.invalidFields(_, _, let missing)) = decode(
                #"{"type":"join","id":1,"node":"n","display_name":"d"}"#
            )
        else {
            Issue.record("decoded")
            return
        }
        #expect(missing == "join: missing field 'alias'")
    }

    @Test func everyRequestRoundTrips() throws {
        let requests: [Request] = [
            .auth(token: "t"), .ping, .join(JoinParameters(node: "n", alias: "a", displayName: "d", pin: "1")),
            .pin(session: "s", pin: ""), .leave(session: "s"), .list, .subscribe(session: nil, sinceSeq: nil),
            .subscribe(session: "s", sinceSeq: 4), .unsubscribe(session: nil), .control(session: "s", .lock),
            .control(session: "s", .spotlight(participant: "p", on: false)),
            .control(session: "s", .sendMessage(text: "hi")), .control(session: "s", .admit(participant: "p")),
        ]
        for request in requests {
            let envelope = RequestEnvelope(id: .int(1), request: request)
            #expect(try RequestCodec.decode(RequestCodec.encode(envelope)).get() == envelope)
        }
    }
}

@Suite("Server message encoding")
struct ServerMessageTests {
    @Test func snapshotsSpellAbsentValuesAsNull() throws {
        let snapshot = SessionSnapshot(id: "s", seq: 1, state: .connecting, node: "n", alias: "a", displayName: "d")
        let text = String(decoding: WireJSON.encode(.result(id: .int(1), .success(.session(snapshot)))), as: UTF8.self)
        #expect(text.contains(#""role":null"#))
        #expect(text.contains(#""pin":null"#))
        #expect(text.contains(#""error":null"#))
        #expect(text.contains(#""conference":null"#))
    }

    @Test func eventsAreFlatWithTypeSessionAndSeq() throws {
        let event = ServerMessage.event(SessionEvent(session: "s", seq: 3, payload: .participantLeft(uuid: "u")))
        let value = try JSONDecoder().decode(JSONValue.self, from: .init(WireJSON.encode(event)))
        #expect(
            value
                == .object([
                    "type": .string("participant_left"), "session": .string("s"), "seq": .int(3), "uuid": .string("u"),
                ])
        )
    }
}
