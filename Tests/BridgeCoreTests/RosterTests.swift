import BridgeProtocol
import Testing

@testable import BridgeCore

@Suite("Roster diffing")
struct RosterTests {
    func p(_ id: String, muted: Bool = false) -> Participant {
        Participant(uuid: id, displayName: "P \(id)", role: .guest, muted: muted)
    }

    @Test func firstSyncReportsEveryoneAsJoined() {
        var r = Roster()
        r.beginSync()
        #expect(r.upsert(p("a")).isEmpty)
        #expect(r.upsert(p("b")).isEmpty)
        #expect(r.endSync() == [.joined(p("a")), .joined(p("b"))])
        #expect(r.participants.map(\.uuid) == ["a", "b"])
    }

    @Test func resyncReportsOnlyRealChanges() {
        var r = Roster()
        r.beginSync()
        _ = r.upsert(p("a"))
        _ = r.upsert(p("b"))
        _ = r.endSync()
        r.beginSync()
        _ = r.upsert(p("a"))
        _ = r.upsert(p("b", muted: true))
        _ = r.upsert(p("c"))
        #expect(r.endSync() == [.updated(p("b", muted: true)), .joined(p("c"))])
        r.beginSync()
        _ = r.upsert(p("c"))
        #expect(r.endSync() == [.left(uuid: "a"), .left(uuid: "b")])
    }

    @Test func liveChangesOutsideSync() {
        var r = Roster()
        #expect(r.upsert(p("a")) == [.joined(p("a"))])
        #expect(r.upsert(p("a")).isEmpty)
        #expect(r.upsert(p("a", muted: true)) == [.updated(p("a", muted: true))])
        #expect(r.remove(uuid: "a") == [.left(uuid: "a")])
        #expect(r.remove(uuid: "a").isEmpty)
    }
}

@Suite("Capabilities")
struct CapabilitiesTests {
    @Test func hostsMayRunTheConferenceGuestsMayChat() {
        let host = Capabilities.of(state: .connected, role: .host, conference: ConferenceStatus(started: false))
        #expect(host.lock && host.muteGuests && host.admit && host.startConference && host.chat)
        let started = Capabilities.of(state: .connected, role: .host, conference: ConferenceStatus(started: true))
        #expect(!started.startConference)
        let guest = Capabilities.of(state: .connected, role: .guest, conference: nil)
        #expect(guest.chat && guest.leave && !guest.lock && !guest.mute && !guest.admit)
        #expect(Capabilities.of(state: .pinRequired, role: nil, conference: nil) == Capabilities(leave: true))
        #expect(Capabilities.of(state: .error, role: nil, conference: nil) == .none)
    }
}
