import BridgeProtocol
import Testing

@testable import BridgeCore

@Suite("Token bucket and failure window (time as input)")
struct BudgetTests {
    @Test func aBucketAllowsItsBurstThenRefillsAtItsRate() {
        var bucket = TokenBucket(rate: 2, burst: 3, now: .zero)
        func take(now: Moment) -> Bool { bucket.take(now: now) }
        for _ in 0..<3 { #expect(take(now: .zero)) }
        #expect(!take(now: .zero))
        #expect(!take(now: Moment(.milliseconds(499))))
        #expect(take(now: Moment(.milliseconds(500))))
        #expect(!take(now: Moment(.milliseconds(500))))
        // A long pause refills to the burst, never beyond.
        let later = Moment(.seconds(60))
        for _ in 0..<3 { #expect(take(now: later)) }
        #expect(!take(now: later))
    }

    @Test func aBucketIgnoresTimeGoingBackwards() {
        var bucket = TokenBucket(rate: 1, burst: 1, now: Moment(.seconds(10)))
        func take(now: Moment) -> Bool { bucket.take(now: now) }
        #expect(take(now: Moment(.seconds(10))))
        #expect(!take(now: Moment(.seconds(5))))
        #expect(!take(now: Moment(.milliseconds(10_500))))
        #expect(take(now: Moment(.seconds(11))))
    }

    @Test func aWindowHoldsBackAKeyUntilItsOldestCountedFailureAgesOut() {
        var window = FailureWindow(limit: 3, window: .seconds(60))
        for s in [0, 10, 20] { window.record("a", now: Moment(.seconds(s))) }
        #expect(window.holdBack("b", now: Moment(.seconds(20))) == nil)
        #expect(window.holdBack("a", now: Moment(.seconds(20))) == .seconds(40))
        #expect(window.holdBack("a", now: Moment(.seconds(59))) == .seconds(1))
        #expect(window.holdBack("a", now: Moment(.seconds(60))) == nil)
        window.reset("a")
        #expect(window.count("a", now: Moment(.seconds(20))) == 0)
    }

    @Test func pendingAttemptsCountAsFailures() {
        var window = FailureWindow(limit: 2, window: .seconds(60))
        #expect(window.holdBack("a", pending: 2, now: .zero) == .seconds(1))
        window.record("a", now: .zero)
        #expect(window.holdBack("a", pending: 1, now: .zero) == .seconds(1))
        #expect(window.holdBack("a", pending: 0, now: .zero) == nil)
    }

    @Test func keysThatStoppedFailingArePrunedOncePerWindow() {
        var window = FailureWindow(limit: 5, window: .seconds(60))
        for i in 0..<1000 { window.record("k\(i)", now: .zero) }
        #expect(window.keyCount == 1000)
        window.record("late", now: Moment(.seconds(59)))
        #expect(window.keyCount == 1001)
        window.record("later", now: Moment(.seconds(61)))
        #expect(window.keyCount == 2)
    }
}

@Suite("Client table")
struct ClientTableTests {
    @Test func withoutAuthAClientIsAControllerWithNoDeadline() {
        var table = ClientTable(requestRate: 1, requestBurst: 2)
        func admit(_ client: ClientID, now: Moment) -> ClientTable.Admission { table.admit(client, now: now) }
        func markClosing(_ client: ClientID) -> Bool { table.markClosing(client) }
        func disconnect(_ client: ClientID) -> Bool { table.disconnect(client) }
        table.connect(1, peer: "p", authTimeout: nil, now: .zero)
        #expect(table[1]?.role == .controller)
        #expect(table[1]?.authDeadline == nil)
        #expect(!table.authDeadlinePassed(1, now: Moment(.seconds(3600))))
    }

    @Test func anUnauthenticatedClientMissesItsDeadlineUnlessItAuthenticates() {
        var table = ClientTable(requestRate: 1, requestBurst: 2)
        func admit(_ client: ClientID, now: Moment) -> ClientTable.Admission { table.admit(client, now: now) }
        func markClosing(_ client: ClientID) -> Bool { table.markClosing(client) }
        func disconnect(_ client: ClientID) -> Bool { table.disconnect(client) }
        table.connect(1, peer: "p", authTimeout: .seconds(10), now: .zero)
        table.connect(2, peer: "p", authTimeout: .seconds(10), now: .zero)
        #expect(table[1]?.role == nil)
        #expect(!table.authDeadlinePassed(1, now: Moment(.milliseconds(9999))))
        #expect(table.authDeadlinePassed(1, now: Moment(.seconds(10))))
        table.authenticate(2, as: .observer)
        #expect(!table.authDeadlinePassed(2, now: Moment(.seconds(10))))
        #expect(table.countsByRole == ["unauthenticated": 1, "observer": 1])
        #expect(markClosing(1))
        #expect(!markClosing(1))
        #expect(!table.authDeadlinePassed(1, now: Moment(.seconds(10))))
    }

    @Test func admissionChargesTheBudgetAndIgnoresClosingAndUnknownClients() {
        var table = ClientTable(requestRate: 1, requestBurst: 2)
        func admit(_ client: ClientID, now: Moment) -> ClientTable.Admission { table.admit(client, now: now) }
        func markClosing(_ client: ClientID) -> Bool { table.markClosing(client) }
        func disconnect(_ client: ClientID) -> Bool { table.disconnect(client) }
        table.connect(1, peer: "p", authTimeout: nil, now: .zero)
        #expect(admit(1, now: .zero) == .admit)
        #expect(admit(1, now: .zero) == .admit)
        #expect(admit(1, now: .zero) == .rateLimited)
        #expect(admit(1, now: Moment(.seconds(1))) == .admit)
        #expect(admit(9, now: .zero) == .ignore)
        table.markClosing(1)
        #expect(admit(1, now: Moment(.seconds(5))) == .ignore)
        #expect(disconnect(1))
        #expect(!disconnect(1))
        #expect(table.count == 0)
    }
}

@Suite("Subscription index")
struct SubscriptionIndexTests {
    @Test func subscribersAndSubscribeAllClientsHearASession() {
        var index = SubscriptionIndex()
        func subscribe(_ client: ClientID, to session: String) -> Bool { index.subscribe(client, to: session) }
        func unsubscribe(_ client: ClientID, from session: String) -> Bool { index.unsubscribe(client, from: session) }
        func recipients(_ session: String) -> [ClientID] { index.recipients(of: session) }
        index.addSession("a")
        index.addSession("b")
        #expect(subscribe(1, to: "a"))
        #expect(!subscribe(1, to: "nope"))
        index.subscribeAll(2)
        #expect(Set(recipients("a")) == [1, 2])
        #expect(recipients("b") == [2])
        #expect(index.sessions(of: 1) == ["a"])
        #expect(index.isSubscribedToAll(2))
    }

    @Test func anOptOutSilencesOneSessionUntilSubscribedAgainOrToAll() {
        var index = SubscriptionIndex()
        func subscribe(_ client: ClientID, to session: String) -> Bool { index.subscribe(client, to: session) }
        func unsubscribe(_ client: ClientID, from session: String) -> Bool { index.unsubscribe(client, from: session) }
        func recipients(_ session: String) -> [ClientID] { index.recipients(of: session) }
        index.addSession("a")
        index.addSession("b")
        index.subscribeAll(2)
        #expect(unsubscribe(2, from: "a"))
        #expect(recipients("a") == [])
        #expect(recipients("b") == [2])
        index.subscribe(2, to: "a")
        #expect(recipients("a") == [2])
        index.unsubscribe(2, from: "a")
        index.subscribeAll(2)
        #expect(recipients("a") == [2])
    }

    @Test func theRecipientCacheFollowsEveryChange() {
        var index = SubscriptionIndex()
        func subscribe(_ client: ClientID, to session: String) -> Bool { index.subscribe(client, to: session) }
        func unsubscribe(_ client: ClientID, from session: String) -> Bool { index.unsubscribe(client, from: session) }
        func recipients(_ session: String) -> [ClientID] { index.recipients(of: session) }
        index.addSession("a")
        index.subscribe(1, to: "a")
        #expect(recipients("a") == [1])
        index.subscribe(2, to: "a")
        #expect(Set(recipients("a")) == [1, 2])
        index.removeClient(1)
        #expect(recipients("a") == [2])
        index.unsubscribeAll(2)
        #expect(recipients("a") == [])
    }

    @Test func removingASessionForgetsItsSubscriptionsAndOptOuts() {
        var index = SubscriptionIndex()
        func subscribe(_ client: ClientID, to session: String) -> Bool { index.subscribe(client, to: session) }
        func unsubscribe(_ client: ClientID, from session: String) -> Bool { index.unsubscribe(client, from: session) }
        func recipients(_ session: String) -> [ClientID] { index.recipients(of: session) }
        index.addSession("a")
        index.subscribe(1, to: "a")
        index.subscribeAll(2)
        index.unsubscribe(2, from: "a")
        index.removeSession("a")
        #expect(index.sessions(of: 1).isEmpty)
        #expect(recipients("a") == [])
        #expect(!unsubscribe(1, from: "a"))
        // A new session with the same id starts with nobody opted out.
        index.addSession("a")
        #expect(recipients("a") == [2])
    }
}

@Suite("PIN guard and session limits")
struct GuardTests {
    func guardian(conference: Int = 2, node: Int = 100, client: Int = 100) -> PINGuard {
        var configuration = BridgeConfiguration()
        configuration.conferencePINFailureLimit = conference
        configuration.nodePINFailureLimit = node
        configuration.clientPINFailureLimit = client
        configuration.conferencePINFailureWindow = .seconds(300)
        configuration.maxPINLockout = .seconds(3600)
        return PINGuard(configuration: configuration)
    }

    func attempt(_ alias: String, node: String = "n.example.com", client: String = "198.51.100.1") -> PINGuard.Attempt {
        PINGuard.Attempt(alias: alias, node: node, client: client)
    }

    @Test func wrongPINsForOneConferenceAreThrottledWhateverTheCase() {
        var pins = guardian()
        pins.failed(attempt("Room"), now: .zero)
        #expect(pins.holdBack(attempt("room"), now: .zero) == nil)
        pins.failed(attempt("ROOM", client: "203.0.113.5"), now: .zero)
        #expect(pins.holdBack(attempt("room", client: "192.0.2.9"), now: .zero) == .seconds(300))
        #expect(pins.holdBack(attempt("other"), now: .zero) == nil)
        #expect(pins.holdBack(attempt("room"), now: Moment(.seconds(300))) == nil)
    }

    @Test func pinsInFlightCountUntilAnswered() {
        var pins = guardian()
        pins.sent(attempt("room"))
        pins.sent(attempt("room"))
        #expect(pins.pending(attempt("room")) == 2)
        #expect(pins.holdBack(attempt("room"), now: .zero) != nil)
        pins.answered(attempt("room"))
        #expect(pins.holdBack(attempt("room"), now: .zero) == nil)
        pins.answered(attempt("room"))
        pins.answered(attempt("room"))
        #expect(pins.pending(attempt("room")) == 0)
    }

    @Test func aNodeAndAClientHaveBudgetsOfTheirOwnAcrossConferences() {
        var pins = guardian(conference: 100, node: 3, client: 2)
        // One client guessing across many conferences runs out of its own budget.
        pins.failed(attempt("a"), now: .zero)
        pins.failed(attempt("b"), now: .zero)
        #expect(pins.holdBack(attempt("c"), now: .zero) != nil)
        #expect(pins.holdBack(attempt("c", client: "192.0.2.7"), now: .zero) == nil)
        // Many clients guessing across one node's conferences run out of the node's budget.
        pins.failed(attempt("d", client: "192.0.2.7"), now: .zero)
        #expect(pins.holdBack(attempt("e", client: "192.0.2.8"), now: .zero) != nil)
        #expect(pins.holdBack(attempt("e", node: "other.example.com", client: "192.0.2.8"), now: .zero) == nil)
    }

    @Test func repeatedLockoutsEscalate() {
        var pins = guardian(conference: 2)
        let room = attempt("room")
        // First lockout: until the oldest counted failure ages out (300 s).
        pins.failed(room, now: .zero)
        pins.failed(room, now: .zero)
        #expect(pins.holdBack(room, now: .zero) == .seconds(300))
        #expect(pins.strikes(room) == 1)
        // Second: 2 × 300 s; third: 4 × 300 s; then capped at an hour.
        var t = Moment(.seconds(300))
        for wait in [600, 1200, 2400, 3600, 3600] {
            pins.failed(room, now: t)
            pins.failed(room, now: t)
            #expect(pins.holdBack(room, now: t) == .seconds(wait))
            t = t + .seconds(wait)
        }
        // After a quiet hour past the last lockout, the count starts over.
        t = t + .seconds(3601)
        pins.failed(room, now: t)
        pins.failed(room, now: t)
        #expect(pins.strikes(room) == 1)
    }

    @Test func answersToAPINOtherThanGrantsChallengesAndNodeFailuresAreWrongPINs() {
        typealias I = SessionMachine.Input
        #expect(I.answer(.success(.refused(status: 403, message: "Forbidden")), pinSent: true) == .invalidPIN)
        #expect(I.answer(.success(.refused(status: 429, message: "Slow down")), pinSent: true) == .invalidPIN)
        #expect(I.answer(.failure(.http(status: 401, message: "no")), pinSent: true) == .invalidPIN)
        #expect(I.answer(.failure(.invalidRole), pinSent: true) == .invalidPIN)
        #expect(I.answer(.success(.invalidPIN), pinSent: true) == .invalidPIN)
        // Not counted: grants, challenges, node failures, and the same refusals without a PIN.
        #expect(I.answer(.success(.serverError(status: 503, message: "busy")), pinSent: true) != .invalidPIN)
        #expect(I.answer(.failure(.timeout), pinSent: true) != .invalidPIN)
        #expect(I.answer(.failure(.http(status: 502, message: "bad gateway")), pinSent: true) != .invalidPIN)
        #expect(
            I.answer(.success(.pinChallenge(hostPINRequired: true, guestPINRequired: false)), pinSent: true)
                == .challenge(PINRequirement(host: true, guest: false))
        )
        #expect(I.answer(.success(.refused(status: 403, message: "Forbidden")), pinSent: false) != .invalidPIN)
    }

    @Test func sessionLimitsCountTheBridgeEachClientAndEachConference() {
        var configuration = BridgeConfiguration()
        configuration.maxSessions = 4
        configuration.maxSessionsPerClient = 2
        configuration.maxSessionsPerAlias = 3
        var limits = SessionLimits()
        #expect(limits.refusal(client: 1, alias: "a", of: configuration) == nil)
        limits.opened(client: 1, alias: "a")
        limits.opened(client: 1, alias: "A")
        #expect(limits.refusal(client: 1, alias: "b", of: configuration)?.code == .tooManySessions)
        limits.opened(client: 2, alias: "a")
        #expect(limits.refusal(client: 3, alias: "a", of: configuration)?.code == .tooManySessions)
        limits.opened(client: 3, alias: "b")
        #expect(limits.refusal(client: 4, alias: "c", of: configuration)?.code == .tooManySessions)
        limits.closed(client: 1, alias: "a")
        #expect(limits.refusal(client: 4, alias: "c", of: configuration) == nil)
        #expect(limits.refusal(client: 1, alias: "a", of: configuration) == nil)
        #expect(limits.count(alias: "A") == 2)
        #expect(limits.total == 3)
    }
}

@Suite("Request id peeking and field caps")
struct PeekAndCapTests {
    @Test(arguments: [
        (#"{"type":"ping","id":7}"#, RequestID.int(7)),
        (#"{"id":"abc","type":"ping"}"#, RequestID.string("abc")),
        (#" { "type" : "join", "display_name":"x\"id\":5", "nested":{"id":9}, "id" : -3 }"#, RequestID.int(-3)),
        (#"{"list":[1,{"id":2},"]"],"id":"ok"}"#, RequestID.string("ok")),
    ])
    func theTopLevelIDIsFound(frame: String, id: RequestID) {
        #expect(RequestCodec.peekID(Array(frame.utf8)) == id)
    }

    @Test(arguments: [
        "not json", "[1]", #"{"type":"ping"}"#, #"{"id":1.5}"#, #"{"id":"a\"b"}"#, #"{"id":true}"#, #"{"id":12"#,
        #"{"type":"x","payload":""# + String(repeating: "a", count: 2000) + #"","id":1}"#,
        #"{"id":""# + String(repeating: "a", count: 129) + #""}"#,
    ])
    func noIDIsGuessed(frame: String) {
        #expect(RequestCodec.peekID(Array(frame.utf8)) == nil)
    }

    @Test(arguments: [
        ("display_name", 256), ("alias", 256), ("node", 256), ("pin", 32),
    ])
    func joinFieldsAreCappedAndTheErrorNamesTheFieldNotTheValue(field: String, cap: Int) {
        var object: [String: String] = ["node": "n.example.com", "alias": "a", "display_name": "d"]
        let value = String(repeating: "7", count: cap + 1)
        object[field] = value
        let members = object.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        let frame = #"{"type":"join","id":1,\#(members)}"#
        guard case .failure(.invalidFields(let id, _, let message)) = RequestCodec.decode(Array(frame.utf8)) else {
            Issue.record("an over-long \(field) was accepted")
            return
        }
        #expect(id == .int(1))
        #expect(message.contains(field))
        #expect(!message.contains(value))
        object[field] = String(repeating: "7", count: cap)
        let fitting = object.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        guard case .success = RequestCodec.decode(Array(#"{"type":"join","id":1,\#(fitting)}"#.utf8)) else {
            Issue.record("a \(field) of exactly \(cap) bytes was refused")
            return
        }
    }

    @Test func chatTextAndIDsAreCapped() {
        let text = String(repeating: "x", count: 4097)
        let chat = #"{"type":"send_message","id":1,"session":"s","text":"\#(text)"}"#
        guard case .failure(.invalidFields(_, _, let message)) = RequestCodec.decode(Array(chat.utf8)) else {
            Issue.record("4 KiB + 1 of chat was accepted")
            return
        }
        #expect(message.contains("'text'"))
        let longID = String(repeating: "i", count: 129)
        let frame = #"{"type":"ping","id":"\#(longID)"}"#
        guard case .failure(.unreadable(let why)) = RequestCodec.decode(Array(frame.utf8)) else {
            Issue.record("a 129-byte id was accepted")
            return
        }
        #expect(why.contains("'id'"))
        #expect(!why.contains(longID))
    }
}

@Suite("Log text")
struct LogTextTests {
    @Test func controlAndBidiCharactersAreEscapedAndLengthIsCapped() {
        #expect(LogText.clean("Alice\u{1B}]52;c;aGk=\u{07}") == "Alice\\u{1b}]52;c;aGk=\\u{7}")
        #expect(LogText.clean("a\nb\r\u{202E}c\u{9B}") == "a\\u{a}b\\u{d}\\u{202e}c\\u{9b}")
        #expect(LogText.clean(String(repeating: "z", count: 500)).count == LogText.limit + 1)
        #expect(LogText.clean("Zoë 🎉") == "Zoë 🎉")
    }
}

@Suite("Auth failure keys")
struct AuthFailureKeyTests {
    @Test(arguments: [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("[2001:DB8:1:2::99]", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80:0:0:0::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("::1", "0:0:0:0::/64"),
        ("not an address", "not an address"),
    ])
    func addressesAreGroupedAsOneHostOwnsThem(peer: String, key: String) {
        #expect(AuthFailureKey.of(peer: peer) == key)
    }
}

@Suite("Roster bounds and node text")
struct RosterBoundsTests {
    func p(_ id: String) -> Participant {
        Participant(uuid: id, displayName: "P \(id)", role: .guest, muted: false)
    }

    @Test func theRosterKeepsAtMostItsCapacityLiveAndInASync() {
        var r = Roster(capacity: 3)
        for id in ["a", "b", "c", "d"] { _ = r.upsert(p(id)) }
        #expect(r.participants.map(\.uuid) == ["a", "b", "c"])
        r.beginSync()
        for i in 0..<10_000 { _ = r.upsert(p("x\(i)")) }
        // A sync that never ends holds no more than the capacity either.
        let changes = r.endSync()
        #expect(r.participants.map(\.uuid) == ["x0", "x1", "x2"])
        #expect(changes.count == 6)
    }

    @Test func aParticipantRemovedAndAddedAgainDuringASyncKeepsOnePlace() {
        var r = Roster()
        r.beginSync()
        _ = r.upsert(p("a"))
        _ = r.upsert(p("b"))
        _ = r.remove(uuid: "a")
        _ = r.upsert(p("a"))
        #expect(r.endSync() == [.joined(p("a")), .joined(p("b"))])
        #expect(r.participants.map(\.uuid) == ["a", "b"])
    }

    @Test func nodeTextIsCutOnACharacterBoundaryWithinItsBudget() {
        #expect(NodeText.cut("short", maxBytes: 256) == "short")
        let long = String(repeating: "é", count: 300)
        let cut = NodeText.cut(long, maxBytes: 256)
        #expect(cut.utf8.count <= 256)
        #expect(cut.hasSuffix("…"))
        #expect(cut.dropLast().allSatisfy { $0 == "é" })
    }
}

@Suite("Deadline queue")
struct DeadlineQueueTests {
    @Test func deadlinesComeOutInOrderWhenDue() {
        var queue = DeadlineQueue<String>()
        func push(_ seconds: Int64, _ id: String) -> Bool { queue.push(Moment(.seconds(seconds)), id) }
        func popDue(_ seconds: Int64) -> [String] { queue.popDue(now: Moment(.seconds(seconds))) }
        #expect(push(10, "a"))
        #expect(!push(20, "b"))
        #expect(!push(15, "c"))
        #expect(queue.next == Moment(.seconds(10)))
        #expect(popDue(9).isEmpty)
        #expect(popDue(15) == ["a", "c"])
        #expect(queue.count == 1)
        #expect(popDue(60) == ["b"])
        #expect(queue.isEmpty)
        #expect(push(70, "d"))
    }

    @Test func manyDeadlinesCostNoMoreThanTheirEntries() {
        var queue = DeadlineQueue<Int>()
        for i in 0..<10_000 { queue.push(Moment(.milliseconds(i)), i) }
        let due = queue.popDue(now: Moment(.milliseconds(4999)))
        #expect(due.count == 5000)
        #expect(queue.count == 5000)
        #expect(queue.next == Moment(.milliseconds(5000)))
    }
}
