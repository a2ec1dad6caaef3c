import BridgeProtocol
import Testing

@testable import BridgeCore

@Suite("Subscription index: who asked for ephemeral events")
struct EphemeralSubscriptionTests {
    @Test func onlyClientsThatAskedHearEphemeralEventsByIdOrWithSubscribeAll() {
        var index = SubscriptionIndex()
        index.addSession("a")
        index.addSession("b")
        index.subscribe(1, to: "a", include: [.speakers])
        index.subscribe(2, to: "a")
        index.subscribeAll(3, include: [.captions, .speakers])
        index.subscribeAll(4)
        #expect(Set(index.recipients(of: "a")) == [1, 2, 3, 4])
        #expect(Set(index.ephemeralRecipients(of: "a", kind: .speakers)) == [1, 3])
        #expect(index.ephemeralRecipients(of: "a", kind: .captions) == [3])
        #expect(index.ephemeralRecipients(of: "b", kind: .speakers) == [3])
        #expect(index.ephemeralRecipients(of: "nope", kind: .speakers) == [])
    }

    @Test func aLaterSubscribeReplacesWhatWasAskedAndLeavingForgetsIt() {
        var index = SubscriptionIndex()
        index.addSession("a")
        index.subscribe(1, to: "a", include: [.speakers])
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [1])
        // The cache follows every change.
        index.subscribe(1, to: "a")
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [])
        index.subscribe(1, to: "a", include: [.captions])
        #expect(index.ephemeralRecipients(of: "a", kind: .captions) == [1])
        index.unsubscribe(1, from: "a")
        #expect(index.ephemeralRecipients(of: "a", kind: .captions) == [])

        index.subscribeAll(2, include: [.speakers])
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [2])
        // A subscribe-all client that opts out of a session hears none of its events, ephemeral or not.
        index.unsubscribe(2, from: "a")
        #expect(index.recipients(of: "a") == [])
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [])
        index.subscribeAll(2, include: [.speakers])
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [2])
        index.removeClient(2)
        #expect(index.ephemeralRecipients(of: "a", kind: .speakers) == [])
    }
}
