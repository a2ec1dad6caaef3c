import Testing

@testable import InfinityClient

@Suite struct DecodingTests {
    private func json(_ text: String) throws -> JSONValue {
        try #require(decodeJSON(text))
    }

    @Test func participantWithYesNoStringsAndFloats() throws {
        let participant = try #require(
            InfinityParticipant(
                json: json(Fixture.participant(uuid: "p1", role: "chair", muted: "YES", spotlight: "1700484999.25"))
            )
        )
        #expect(participant.uuid == "p1")
        #expect(participant.displayName == "George R")
        #expect(participant.role == .host)
        #expect(participant.isMuted)
        #expect(!participant.isPresenting)
        #expect(participant.isSpotlight)
        #expect(participant.serviceType == "conference")
        #expect(participant.protocolName == "api")
        #expect(participant.hasMedia == false)
        #expect(participant.isVideoMuted == false)
        #expect(participant.startTime == 1700484383.846972)
        #expect(participant.buzzTime == nil)
        #expect(participant.isVideoCall == false)
        #expect(participant.callDirection == "in")
    }

    @Test func participantAcceptsBooleansAndNumericStrings() throws {
        let participant = try #require(
            InfinityParticipant(
                json: json(
                    #"{"uuid":"p2","display_name":"Bob","role":"guest","is_muted":true,"is_presenting":"YES","spotlight":"0","start_time":"1700000000.5","buzz_time":"1700000001","has_media":"YES","is_video_muted":"NO","service_type":"waiting_room","unknown_field":{"x":[1,2]}}"#
                )
            )
        )
        #expect(participant.role == .guest)
        #expect(participant.isMuted)
        #expect(participant.isPresenting)
        #expect(!participant.isSpotlight)
        #expect(participant.startTime == 1700000000.5)
        #expect(participant.buzzTime == 1_700_000_001)
        #expect(participant.hasMedia == true)
        #expect(participant.isVideoMuted == false)
        #expect(participant.serviceType == "waiting_room")
    }

    @Test func participantWithOnlyAUUIDUsesDefaults() throws {
        let participant = try #require(InfinityParticipant(json: json(#"{"uuid":"p3"}"#)))
        #expect(participant == InfinityParticipant(uuid: "p3", displayName: "", role: .guest, serviceType: ""))
        #expect(InfinityParticipant(json: try json(#"{"display_name":"no uuid"}"#)) == nil)
    }

    @Test func conferenceStatusFromAndroidFixture() throws {
        let status = try #require(InfinityConferenceStatus(json: json(Fixture.conferenceUpdate)))
        #expect(
            status
                == InfinityConferenceStatus(
                    locked: false,
                    guestsMuted: false,
                    started: true,
                    allMuted: false,
                    presentationAllowed: true,
                    guestsCanUnmute: false
                )
        )
        let minimal = try #require(
            InfinityConferenceStatus(json: json(#"{"locked":true,"guests_muted":"YES","started":false}"#))
        )
        #expect(minimal == InfinityConferenceStatus(locked: true, guestsMuted: true, started: false))
    }

    @Test func grantFromAndroidV36Fixture() throws {
        let envelope = try #require(Envelope.decode(Array(Fixture.requestToken(token: "secret-value").utf8)))
        let grant = try #require(TokenGrant(result: envelope.result))
        #expect(grant.token == "secret-value")
        #expect(grant.expires == 120)
        #expect(grant.participantUUID == "614221f4-3a5c-4d1f-8df6-3ae27188df54")
        #expect(grant.role == .host)
        #expect(grant.displayName == "George")
        #expect(grant.currentServiceType == "conference")
        #expect(grant.serviceType == "conference")
        #expect(grant.chatEnabled == true)
        #expect(grant.conferenceName == "example")
        #expect(grant.version == "36")
    }

    @Test func grantAndRefreshRedactTheToken() throws {
        let grant = TokenGrant(
            token: "super-secret-token",
            expires: 120,
            participantUUID: "u",
            role: .guest,
            displayName: "n"
        )
        let refresh = TokenRefresh(token: "super-secret-token", expires: 120, role: .host)
        let renderings = [
            "\(grant)", String(reflecting: grant), String(describing: Mirror(reflecting: grant).children.map { $0 }),
            "\(TokenRequestOutcome.granted(grant))", String(reflecting: TokenRequestOutcome.granted(grant)),
            "\(refresh)", String(reflecting: refresh), "\(Mirror(reflecting: refresh).children.map { $0 })",
            "\(PINHeader.pin("9876"))", String(reflecting: PINHeader.pin("9876")),
        ]
        for text in renderings {
            #expect(!text.contains("super-secret-token"), "\(text)")
            #expect(!text.contains("9876"), "\(text)")
        }
        var dumped = ""
        dump(grant, to: &dumped)
        #expect(!dumped.contains("super-secret-token"))
    }

    @Test func pinHeaderValues() {
        #expect(PINHeader.none.headerValue == "none")
        #expect(PINHeader.pin(" 1234 \n").headerValue == "1234")
        #expect(PINHeader.pin("   ").headerValue == "none")
        #expect(!PINHeader.pin("12\r\n34").isSendable)
    }

    @Test func aliasIsPercentEncoded() {
        #expect(percentEncodedPathSegment("meet.alice") == "meet.alice")
        #expect(percentEncodedPathSegment("meet alice@example.com") == "meet%20alice%40example.com")
        #expect(percentEncodedPathSegment("a/b?c#d+e~f_g-h") == "a%2Fb%3Fc%23d%2Be~f_g-h")
        #expect(percentEncodedPathSegment("caf\u{e9}") == "caf%C3%A9")
    }

    @Test func backoffDoublesUpToTheCapWithJitter() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.2)
        // A generator with state: ThreadSanitizer (Swift 6.3.1) crashes on an `inout` of the zero-sized
        // SystemRandomNumberGenerator held in a local variable.
        var random = XorShiftRandom()
        for _ in 0..<50 {
            let first = backoff.delay(attempt: 1, using: &random)
            #expect(first >= .milliseconds(80) && first <= .milliseconds(120))
            let third = backoff.delay(attempt: 3, using: &random)
            #expect(third >= .milliseconds(320) && third <= .milliseconds(480))
            let late = backoff.delay(attempt: 40, using: &random)
            #expect(late >= .milliseconds(800) && late <= .milliseconds(1200))
        }
        let flat = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0)
        #expect(flat.delay(attempt: 2, using: &random) == .milliseconds(200))
    }

    @Test func backoffJitterSpansExactlyTheConfiguredBand() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.2)
        var low = FixedRandom.lowest
        var high = FixedRandom.highest
        #expect(backoff.delay(attempt: 1, using: &low) == .milliseconds(80))
        let top = backoff.delay(attempt: 1, using: &high)
        #expect(top == .milliseconds(120))
        #expect(backoff.delay(attempt: 62, using: &low) == .milliseconds(800))
        #expect(backoff.delay(attempt: .max, using: &low) == .milliseconds(800))
    }
}

/// A "random" source that always answers the same word: `.lowest` pins jitter to its lower bound, `.highest` to its
/// upper bound (a constant 0 would spin forever in the standard library's rejection sampling).
/// A small deterministic generator (xorshift64*), seeded once.
struct XorShiftRandom: RandomNumberGenerator, Sendable {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

struct FixedRandom: RandomNumberGenerator, Sendable {
    var word: UInt64

    static let lowest = FixedRandom(word: 1)
    static let highest = FixedRandom(word: .max)

    mutating func next() -> UInt64 { word }
}
