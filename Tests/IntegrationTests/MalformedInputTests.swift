import BridgeClient
import BridgeProtocol
import Foundation
import Testing

@Suite("Bad input gets a coded answer and the connection keeps working")
struct MalformedInputTests {
    static let unreadable: [String] = [
        "this is not json", "[1,2,3]", "\"a string\"", "42", "null", #"{"id":1}"#, #"{"type":"ping"}"#,
        #"{"type":7,"id":1}"#, #"{"type":"ping","id":{"x":1}}"#, #"{"type":"ping","id":1.5}"#, "{\"type\":\"ping\",",
    ]

    @Test func unreadableFramesGetBadRequestErrors() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        for (index, frame) in Self.unreadable.enumerated() {
            try await client.connection.sendText(frame)
            // Each bad frame is followed by a ping, whose result proves the connection still works.
            #expect(try await client.request(.ping) == .success(.empty), "after frame \(index)")
        }
        let errors = client.messages.compactMap { if case .error(let e) = $0 { e } else { nil } }
        #expect(errors.count == Self.unreadable.count)
        #expect(errors.allSatisfy { $0.code == .badRequest })
        await client.close()
        await bridge.stop()
    }

    @Test(arguments: [
        (#"{"type":"teleport","id":"t1"}"#, ErrorCode.unknownType),
        (#"{"type":"join","id":"t1","node":"simulator","display_name":"x"}"#, .badRequest),
        (#"{"type":"join","id":"t1","node":"simulator","alias":["a"],"display_name":"x"}"#, .badRequest),
        (#"{"type":"join","id":"t1","node":"simulator","alias":"","display_name":"x"}"#, .badRequest),
        (#"{"type":"pin","id":"t1","session":"s-none"}"#, .badRequest),
        (#"{"type":"pin","id":"t1","session":"s-none","pin":1234}"#, .badRequest),
        (#"{"type":"pin","id":"t1","session":"s-none","pin":"1"}"#, .unknownSession),
        (#"{"type":"leave","id":"t1"}"#, .badRequest),
        (#"{"type":"subscribe","id":"t1","session":"s-none"}"#, .unknownSession),
        (#"{"type":"subscribe","id":"t1","since_seq":"x"}"#, .badRequest),
        (#"{"type":"spotlight","id":"t1","session":"s","participant":"p","on":"yes"}"#, .badRequest),
        (#"{"type":"join","id":"t1","node":"http://[::1","alias":"a","display_name":"x"}"#, .badRequest),
    ])
    func invalidRequestsGetAFailedResultWithTheirID(frame: String, code: ErrorCode) async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        try await client.connection.sendText(frame)
        let m = try await client.waitFor { if case .result(.string("t1"), _) = $0 { true } else { false } }
        guard case .result(_, .failure(let error)) = m else {
            Issue.record("not a failure: \(m)")
            return
        }
        #expect(error.code == code)
        #expect(try await client.request(.ping) == .success(.empty))
        await client.close()
        await bridge.stop()
    }

    @Test func requestsInTheWrongStateAreInvalidState() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let s = try await client.join("t.open")
        #expect(try await client.failure(.pin(session: s.id, pin: "1")).code == .invalidState)
        let pinSession = try await client.join("t.pin")
        #expect(try await client.failure(.control(session: pinSession.id, .lock)).code == .invalidState)
        await client.close()
        await bridge.stop()
    }

    @Test func binaryFramesAreRefusedWithUnsupportedFrame() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        try await client.connection.sendBinary([0x7b, 0x7d])
        let m = try await client.waitFor { $0.type == .error }
        #expect(m == .error(ErrorBody(.unsupportedFrame, "binary frames are not supported; send JSON in text frames")))
        #expect(try await client.request(.ping) == .success(.empty))
        await client.close()
        await bridge.stop()
    }

    @Test func fragmentedMessagesAreReassembled() async throws {
        let bridge = try await TestBridge.start()
        let client = try await bridge.client()
        let text = String(
            decoding: RequestCodec.encode(
                RequestEnvelope(
                    id: .string("frag"),
                    request: .join(
                        JoinParameters(
                            node: "simulator",
                            alias: "t.open",
                            displayName: String(repeating: "n", count: 250)
                        )
                    )
                )
            ),
            as: UTF8.self
        )
        try await client.connection.sendFragmented(text, fragmentSize: 37)
        let m = try await client.waitFor { if case .result(.string("frag"), _) = $0 { true } else { false } }
        guard case .result(_, .success(.session(let s))) = m else {
            Issue.record("\(m)")
            return
        }
        #expect(s.state == .connected)
        await client.close()
        await bridge.stop()
    }

    @Test func anOversizedFrameClosesThatClientWith1009AndNobodyElse() async throws {
        let bridge = try await TestBridge.start { $0.maxMessageBytes = 4096 }
        let victim = try await bridge.client()
        let bystander = try await bridge.client()
        let big = #"{"type":"ping","id":1,"pad":""# + String(repeating: "x", count: 5000) + #""}"#
        try await victim.connection.sendText(big)
        #expect(await victim.connection.waitUntilClosed())
        #expect(victim.connection.closeCode == 1009)
        #expect(try await bystander.request(.ping) == .success(.empty))
        let under = #"{"type":"ping","id":"ok","pad":""# + String(repeating: "x", count: 3000) + #""}"#
        try await bystander.connection.sendText(under)
        try await bystander.waitFor { if case .result(.string("ok"), .success) = $0 { true } else { false } }
        await bystander.close()
        await bridge.stop()
    }

    @Test func theSubprotocolIsEchoedWhenOffered() async throws {
        let bridge = try await TestBridge.start()
        // On the wire: the 101 carries the offered subprotocol back (a client that offered one must see it).
        let response = try await rawUpgrade(
            port: bridge.port,
            headers: ["Sec-WebSocket-Protocol": ProtocolInfo.subprotocol]
        )
        #expect(response.status == 101)
        #expect(response.headers["sec-websocket-protocol"] == ProtocolInfo.subprotocol)
        // Without an offer, none is named.
        let plain = try await rawUpgrade(port: bridge.port, headers: [:])
        #expect(plain.status == 101)
        #expect(plain.headers["sec-websocket-protocol"] == nil)
        let connection = try await BridgeConnection.connect(url: bridge.url, subprotocol: ProtocolInfo.subprotocol)
        #expect(connection.hello.protocolVersion == 1)
        #expect(try await connection.request(.ping) == .success(.empty))
        await connection.close()
        await bridge.stop()
    }
}
