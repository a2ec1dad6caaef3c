import BridgeProtocol
import Testing

@testable import BridgeCore

/// Following sessions other instances hold: every frame once, in seq order, gaps read from the store.
@Suite struct RemoteSessionsTests {
    static func frame(_ seq: Int) -> [UInt8] { Array("e\(seq)".utf8) }

    @Test func inOrderEventsAreHandedOnAsTheyCome() {
        var remote = RemoteSessions(depth: 8)
        #expect(remote.received("s", seq: 5, frame: Self.frame(5)) == [.deliver("s", [Self.frame(5)])])
        #expect(remote.received("s", seq: 6, frame: Self.frame(6)) == [.deliver("s", [Self.frame(6)])])
        #expect(remote.received("s", seq: 6, frame: Self.frame(6)) == [], "a duplicate is dropped")
        #expect(remote.seq(of: "s") == 6)
        #expect(remote.frames(of: "s", after: 5) == [Self.frame(6)])
        #expect(remote.frames(of: "s", after: 3) == nil, "not kept that far back")
    }

    @Test func aGapIsReadFromTheStoreAndWhatWaitedFollowsInOrder() {
        var remote = RemoteSessions(depth: 8)
        _ = remote.received("s", seq: 1, frame: Self.frame(1))
        #expect(remote.received("s", seq: 4, frame: Self.frame(4)) == [.fill("s", after: 1)])
        #expect(remote.received("s", seq: 5, frame: Self.frame(5)) == [], "waits behind the gap; one fill at a time")
        let filled = remote.filled("s", events: [(2, Self.frame(2)), (3, Self.frame(3)), (4, Self.frame(4))])
        #expect(filled == [.deliver("s", [2, 3, 4, 5].map(Self.frame))])
        #expect(remote.seq(of: "s") == 5)
    }

    @Test func aGapTheStoreNoLongerHasIsSkipped() {
        var remote = RemoteSessions(depth: 8)
        _ = remote.received("s", seq: 1, frame: Self.frame(1))
        _ = remote.received("s", seq: 9, frame: Self.frame(9))
        #expect(remote.filled("s", events: []) == [.deliver("s", [Self.frame(9)])])
        #expect(remote.received("s", seq: 10, frame: Self.frame(10)) == [.deliver("s", [Self.frame(10)])])
    }

    @Test func aSubscribeReadBringsAFollowerUpToDateAndKeepsHistoryForResumes() {
        var remote = RemoteSessions(depth: 8)
        let stored = (1...6).map { (seq: $0, frame: Self.frame($0)) }
        #expect(remote.read("s", snapshotSeq: 4, events: stored) == [.deliver("s", [5, 6].map(Self.frame))])
        #expect(remote.frames(of: "s", after: 2) == [3, 4, 5, 6].map(Self.frame))
        #expect(remote.received("s", seq: 6, frame: Self.frame(6)) == [], "already handed on from the store")
        #expect(remote.received("s", seq: 7, frame: Self.frame(7)) == [.deliver("s", [Self.frame(7)])])
    }

    @Test func afterTheBusReconnectsEveryFollowedSessionIsReadAgain() {
        var remote = RemoteSessions(depth: 8)
        _ = remote.received("s", seq: 3, frame: Self.frame(3))
        _ = remote.received("t", seq: 7, frame: Self.frame(7))
        let steps = remote.refillAll()
        #expect(
            Set(steps.map { "\($0)" })
                == Set([RemoteSessions.Step.fill("s", after: 3), .fill("t", after: 7)].map { "\($0)" })
        )
        #expect(remote.received("s", seq: 4, frame: Self.frame(4)) == [], "waits for the fill")
        #expect(remote.filled("s", events: [(4, Self.frame(4))]) == [.deliver("s", [Self.frame(4)])])
    }

    @Test func historyIsBoundedByTheReplayDepth() {
        var remote = RemoteSessions(depth: 3)
        for seq in 1...10 { _ = remote.received("s", seq: seq, frame: Self.frame(seq)) }
        #expect(remote.frames(of: "s", after: 7) == [8, 9, 10].map(Self.frame))
        #expect(remote.frames(of: "s", after: 6) == nil)
        remote.forget("s")
        #expect(!remote.follows("s"))
    }

    @Test func whatWaitsBehindALongFillIsBoundedAndEndedSessionsAreForgotten() {
        var remote = RemoteSessions(depth: 4)
        _ = remote.received("s", seq: 1, frame: Self.frame(1))
        for seq in 3...20 { _ = remote.received("s", seq: seq, frame: Self.frame(seq)) }
        // Only the newest 4 waited; the store gives what it keeps of the rest.
        let steps = remote.filled("s", events: (14...16).map { (seq: $0, frame: Self.frame($0)) })
        #expect(steps == [.deliver("s", [14, 15, 16, 17, 18, 19, 20].map(Self.frame))])
        _ = remote.received("t", seq: 1, frame: Self.frame(1))
        #expect(remote.keep(only: ["s"]) == ["t"])
        #expect(remote.follows("s") && !remote.follows("t"))
    }

    @Test func instanceMessagesSurviveTheirEncoding() {
        let messages: [InstanceMessage] = [
            .event(session: "s-1", seq: 42, frame: Array(#"{"type":"state"}"#.utf8) + [0x0A, 0x00]),
            .ephemeral(session: "s-1", kind: .speakers, frame: [1, 2, 3]),
            .ended(session: "s-2"),
            .released(session: "s-3"),
            .request(ref: 7, peer: "::1", role: .observer, frame: Array(#"{"type":"pin"}"#.utf8)),
            .answer(ref: 7, frame: []),
            .notHolder(ref: UInt64.max),
        ]
        for message in messages { #expect(InstanceMessage(decoding: message.encoded) == message) }
        #expect(InstanceMessage(decoding: []) == nil)
        #expect(InstanceMessage(decoding: Array("Xwhatever".utf8)) == nil)
        #expect(InstanceMessage(decoding: Array("Es-1\nnot a number\n".utf8)) == nil)
        // A peer with a newline cannot add a field.
        let odd = InstanceMessage.request(ref: 1, peer: "a\nb", role: .controller, frame: [])
        #expect(InstanceMessage(decoding: odd.encoded) == .request(ref: 1, peer: "a b", role: .controller, frame: []))
    }
}
