import BridgeClient
import BridgeProtocol
import BridgeServer
import Foundation
import Testing

@Suite("Resuming without loss")
struct ResumeTests {
    @Test func aClientCutOffMidStreamResumesAndEndsUpWithExactlyWhatAStayingClientSaw() async throws {
        let room = try await HostedRoom.open()
        let s = room.session.id
        let leaver = try await room.bridge.client()
        _ = try await leaver.request(.subscribe(session: s, sinceSeq: nil))
        var uuids: [String] = []
        for i in 0..<3 {
            uuids.append(
                try room.simulator.addParticipant(
                    alias: "t.open",
                    displayName: "Before \(i)",
                    role: .guest,
                    muted: false
                )
            )
        }
        try await leaver.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload {
                p.displayName == "Before 2"
            } else {
                false
            }
        }
        let lastSeen = try #require(leaver.events.filter { $0.session == s }.last?.seq)
        await leaver.close()

        // Events happen while it is away.
        for i in 0..<4 {
            uuids.append(
                try room.simulator.addParticipant(alias: "t.open", displayName: "Away \(i)", role: .guest, muted: false)
            )
        }
        try room.simulator.setMuted(alias: "t.open", uuid: uuids[0], true)
        try room.simulator.sendChat(alias: "t.open", fromUUID: uuids[1], text: "while you were out")
        try await room.watcher.waitFor { if case .event(let e) = $0, case .message = e.payload { true } else { false } }

        let back = try await room.bridge.client()
        let result = try await back.request(.subscribe(session: s, sinceSeq: lastSeen))
        guard case .success(.sessions(let snapshots, let replayed)) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(replayed == true)
        let target = try #require(room.watcher.events.filter { $0.session == s }.last?.seq)
        #expect(snapshots.first?.seq == target)
        try await back.waitFor { if case .event(let e) = $0 { e.seq == target } else { false } }
        let stayed = room.watcher.events.filter { $0.session == s && $0.seq > lastSeen }
        let replay = back.events.filter { $0.session == s }
        #expect(replay == stayed)
        #expect(replay.map(\.seq) == Array((lastSeen + 1)...target))
        await back.close()
        await leaver.close()
        await room.close()
    }

    @Test func aGapOlderThanTheBufferGetsAFreshSnapshot() async throws {
        let room = try await HostedRoom.open("t.open", pin: nil) { $0.core.replayDepth = 4 }
        let s = room.session.id
        for i in 0..<8 {
            _ = try room.simulator.addParticipant(alias: "t.open", displayName: "P\(i)", role: .guest, muted: false)
        }
        try await room.watcher.waitFor {
            if case .event(let e) = $0, case .participantJoined(let p) = e.payload {
                p.displayName == "P7"
            } else {
                false
            }
        }
        let back = try await room.bridge.client()
        let result = try await back.request(.subscribe(session: s, sinceSeq: 1))
        guard case .success(.sessions(let snapshots, let replayed)) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(replayed == false)
        #expect(snapshots.first?.participants.filter { $0.displayName.hasPrefix("P") }.count == 8)
        await back.close()
        await room.close()
    }
}
