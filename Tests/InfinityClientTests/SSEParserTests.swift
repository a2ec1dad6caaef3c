import Testing

@testable import InfinityClient

@Suite struct SSEParserTests {
    private func parse(_ text: String) throws -> [SSEMessage] {
        var parser = SSEParser()
        return try parser.feed(Array(text.utf8))
    }

    @Test func parsesEventWithLFFraming() throws {
        let messages = try parse("event: participant_sync_begin\ndata: null\n\n")
        #expect(messages == [SSEMessage(event: "participant_sync_begin", data: "null")])
    }

    @Test func parsesCRLFAndCRFraming() throws {
        let crlf = try parse("event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n")
        #expect(crlf.map(\.event) == ["a", "b"])
        #expect(crlf.map(\.data) == ["1", "2"])
        let cr = try parse("event: a\rdata: 1\r\r")
        #expect(cr == [SSEMessage(event: "a", data: "1")])
    }

    @Test func joinsMultiLineData() throws {
        let messages = try parse("event: message_received\ndata: {\"a\":\ndata: 1}\n\n")
        #expect(messages.first?.data == "{\"a\":\n1}")
    }

    @Test func ignoresCommentsAndUnknownFields() throws {
        let messages = try parse(": keep-alive\nfoo: bar\nevent: x\n:another\ndata: y\n\n")
        #expect(messages == [SSEMessage(event: "x", data: "y")])
    }

    @Test func tracksLastEventIDAcrossEvents() throws {
        let messages = try parse("id: MjdfNw==\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\nid\nevent: c\ndata: 3\n\n")
        #expect(messages.map(\.id) == ["MjdfNw==", "MjdfNw==", ""])
    }

    @Test func defaultsEventNameToMessage() throws {
        #expect(try parse("data: hi\n\n") == [SSEMessage(event: "message", data: "hi")])
    }

    @Test func keepsOnlyOneLeadingSpaceAndAcceptsNoSpace() throws {
        let messages = try parse("event:x\ndata:  two spaces\n\n")
        #expect(messages == [SSEMessage(event: "x", data: " two spaces")])
    }

    @Test func emptyDataLineStillDispatches() throws {
        #expect(try parse("event: x\ndata:\n\n") == [SSEMessage(event: "x", data: "")])
    }

    @Test func eventWithoutDataIsNotDispatched() throws {
        #expect(try parse("event: x\n\nevent: y\ndata: 1\n\n") == [SSEMessage(event: "y", data: "1")])
    }

    @Test func incompleteTrailingEventIsHeldBack() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("event: x\ndata: 1\n".utf8)).isEmpty)
        #expect(try parser.feed(Array("\n".utf8)) == [SSEMessage(event: "x", data: "1")])
    }

    @Test func stripsLeadingBOM() throws {
        var parser = SSEParser()
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("event: x\ndata: 1\n\n".utf8)
        #expect(try parser.feed(bytes) == [SSEMessage(event: "x", data: "1")])
    }

    @Test func retryFieldIsRecorded() throws {
        var parser = SSEParser()
        _ = try parser.feed(Array("retry: 1500\nretry: nope\n\n".utf8))
        #expect(parser.retry == 1500)
    }

    @Test func chunkBoundariesAnywhereGiveTheSameEvents() throws {
        let text =
            Fixture.syncBurst(selfUUID: "me")
            + "event: message_received\r\ndata: {\"payload\":\"h\u{e9}llo \u{1F44B}\"}\r\n\r\n"
            + ": comment\r\n" + Fixture.sse("refresh_token")
        let bytes = Array(text.utf8)
        var whole = SSEParser()
        let expected = try whole.feed(bytes)
        #expect(expected.count == 6)

        var byteByByte = SSEParser()
        var collected: [SSEMessage] = []
        for byte in bytes { collected += try byteByByte.feed([byte]) }
        #expect(collected == expected)

        for split in stride(from: 1, to: bytes.count, by: 7) {
            var parser = SSEParser()
            let parts = try parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(parts == expected, "split at \(split)")
        }
    }

    @Test func crlfSplitAcrossChunksIsOneLineBreak() throws {
        var parser = SSEParser()
        var messages = try parser.feed(Array("event: a\r".utf8))
        messages += try parser.feed(Array("\ndata: 1\r".utf8))
        messages += try parser.feed(Array("\n\r".utf8))
        messages += try parser.feed(Array("\n".utf8))
        #expect(messages == [SSEMessage(event: "a", data: "1")])
    }

    @Test func rejectsOversizedEvents() throws {
        var parser = SSEParser(maxEventBytes: 64)
        #expect(throws: SSEParserError.eventTooLarge(limit: 64)) {
            try parser.feed(Array(("data: " + String(repeating: "x", count: 100) + "\n\n").utf8))
        }
        #expect(try parser.feed(Array("data: ok\n\n".utf8)) == [SSEMessage(event: "message", data: "ok")])
    }

    @Test func messagesBecomeTypedEvents() throws {
        let messages = try parse(
            Fixture.syncBurst(selfUUID: "me")
                + Fixture.sse(
                    "participant_update",
                    Fixture.participant(uuid: "p-guest", muted: "YES", spotlight: "1700484999.5")
                )
                + Fixture.sse("participant_delete", #"{"uuid":"p-guest"}"#)
                + Fixture.sse("conference_update", Fixture.conferenceUpdate)
                + Fixture.sse(
                    "message_received",
                    #"{"origin":"George","type":"text/plain","payload":"hello","uuid":"dc46","direct":true}"#
                )
                + Fixture.sse("disconnect", #"{"reason":"Conference host ended the conference"}"#)
                + Fixture.sse("refresh_token") + Fixture.sse("presentation_stop", "{}")
                + Fixture.sse("stage", #"[{"participant_uuid":"me","stage_index":0,"vad":0}]"#)
                + Fixture.sse("fecc", #"{"action":"start"}"#)
        )
        let events = messages.compactMap(InfinityEvent.init(message:))
        #expect(events.count == messages.count)
        #expect(events.first == .participantSyncBegin)
        #expect(events[3] == .participantSyncEnd)
        guard case .participantUpdate(let updated) = events[4] else {
            Issue.record("expected participant_update, got \(events[4])")
            return
        }
        #expect(updated.isMuted && updated.isSpotlight)
        #expect(events[5] == .participantDelete(uuid: "p-guest"))
        #expect(
            events[6]
                == .conferenceUpdate(
                    InfinityConferenceStatus(
                        locked: false,
                        guestsMuted: false,
                        started: true,
                        allMuted: false,
                        presentationAllowed: true,
                        guestsCanUnmute: false
                    )
                )
        )
        #expect(
            events[7]
                == .messageReceived(
                    InfinityChatMessage(
                        origin: "George",
                        senderUUID: "dc46",
                        type: "text/plain",
                        payload: "hello",
                        direct: true
                    )
                )
        )
        #expect(events[8] == .disconnect(reason: "Conference host ended the conference"))
        #expect(events[9] == .refreshToken)
        // Whole-conference events are typed (ConferenceMappingTests has their shapes); the rest stay `other`.
        #expect(events[10] == .presentationStop)
        #expect(events[11] == .stage([InfinityStageEntry(participantUUID: "me", stageIndex: 0, vad: 0)]))
        #expect(events[12] == .other(name: "fecc"))
    }

    @Test func malformedKnownPayloadIsRejected() {
        #expect(InfinityEvent(message: SSEMessage(event: "participant_create", data: "null")) == nil)
        #expect(InfinityEvent(message: SSEMessage(event: "participant_delete", data: "{}")) == nil)
    }
}
