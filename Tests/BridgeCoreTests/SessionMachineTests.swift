import BridgeProtocol
import Testing

@testable import BridgeCore

@Suite("Session state machine")
struct SessionMachineTests {
    typealias M = SessionMachine

    private func emitted(_ t: M.Transition) -> [StateChange] {
        t.effects.compactMap { if case .emit(let c) = $0 { c } else { nil } }
    }

    @Test func openRoomConnects() {
        var m = M()
        #expect(m.handle(.start(pin: nil)) == M.Transition(effects: [.requestToken(pin: nil)], verdict: nil))
        #expect(m.state == .connecting)
        let t = m.handle(.granted(.guest))
        #expect(t.verdict == .accepted)
        #expect(t.effects.first == .openConnection)
        #expect(emitted(t).map(\.state) == [.connected])
        #expect(m.state == .connected)
        #expect(m.role == .guest)
    }

    @Test func bothPINsMeanPinRequiredAndEmptyPINIsRefusedWithoutUpstream() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        let t = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        #expect(t.verdict == .accepted)
        #expect(m.state == .pinRequired)
        #expect(emitted(t).first?.pin == PINRequirement(host: true, guest: true))
        let empty = m.handle(.pinSubmitted(""))
        #expect(empty.effects.isEmpty)
        if case .rejected(let e) = empty.verdict {
            #expect(e.code == .pinRequired)
        } else {
            Issue.record("not rejected")
        }
        #expect(m.state == .pinRequired)
    }

    @Test func hostPINOnlyMeansPinOptionalAndEmptyPINSendsNone() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: false)))
        #expect(m.state == .pinOptional)
        let t = m.handle(.pinSubmitted(""))
        #expect(t.effects == [.requestToken(pin: M.PINValue.none)])
        #expect(t.verdict == nil)
        let granted = m.handle(.granted(.guest))
        #expect(granted.verdict == .accepted)
        #expect(m.role == .guest)
    }

    @Test func wrongPINStaysInPINStateThenRightPINConnects() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        #expect(m.handle(.pinSubmitted("0000")).effects == [.requestToken(pin: .digits("0000"))])
        let wrong = m.handle(.invalidPIN)
        guard case .rejected(let error) = wrong.verdict else {
            Issue.record("expected rejection")
            return
        }
        #expect(error.code == .invalidPIN)
        #expect(error.attemptsLeft == 4)
        #expect(m.state == .pinRequired)
        #expect(emitted(wrong).first?.error?.code == .invalidPIN)
        _ = m.handle(.pinSubmitted("1234"))
        #expect(m.handle(.granted(.host)).verdict == .accepted)
        #expect(m.role == .host)
        #expect(m.wrongPINs == 0)
    }

    @Test func fiveWrongPINsLockTheSessionOut() {
        var m = M(maxPINAttempts: 5)
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        var last: M.Transition?
        for _ in 0..<5 {
            _ = m.handle(.pinSubmitted("9"))
            last = m.handle(.invalidPIN)
        }
        guard case .rejected(let error)? = last?.verdict else {
            Issue.record("expected rejection")
            return
        }
        #expect(error.code == .tooManyPINAttempts)
        #expect(m.state == .error)
        #expect(m.isFinal)
        #expect(m.handle(.pinSubmitted("1234")).effects.isEmpty)
    }

    @Test func aRepeatedChallengeAfterAPINCountsAsWrong() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: false)))
        _ = m.handle(.pinSubmitted("1"))
        let t = m.handle(.challenge(PINRequirement(host: true, guest: false)))
        if case .rejected(let e) = t.verdict {
            #expect(e.code == .invalidPIN)
        } else {
            Issue.record("not rejected")
        }
        #expect(m.state == .pinOptional)
    }

    @Test func wrongPINInJoinStillJoinsWithTheErrorSet() {
        var m = M()
        #expect(m.handle(.start(pin: "1111")).effects == [.requestToken(pin: .digits("1111"))])
        // The node says Invalid PIN without telling which PINs exist: the machine asks again without PIN.
        #expect(m.handle(.invalidPIN).effects == [.requestToken(pin: nil)])
        let t = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        #expect(t.verdict == .accepted)
        #expect(m.state == .pinRequired)
        #expect(emitted(t).first?.error?.code == .invalidPIN)
        #expect(m.attemptsLeft == 4)
    }

    @Test func aPINOutsideThePINStatesIsInvalidState() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        if case .rejected(let e) = m.handle(.pinSubmitted("1")).verdict {
            #expect(e.code == .invalidState)
        } else {
            Issue.record("not rejected")
        }
        _ = m.handle(.granted(.guest))
        if case .rejected(let e) = m.handle(.pinSubmitted("1")).verdict {
            #expect(e.code == .invalidState)
        } else {
            Issue.record("not rejected")
        }
    }

    @Test func aSecondPINWhileOneIsInFlightIsRefused() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        _ = m.handle(.pinSubmitted("1"))
        let t = m.handle(.pinSubmitted("2"))
        #expect(t.effects.isEmpty)
        if case .rejected(let e) = t.verdict {
            #expect(e.code == .invalidState)
        } else {
            Issue.record("not rejected")
        }
    }

    @Test func transientFailureDuringPINKeepsThePINState() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        _ = m.handle(.pinSubmitted("1"))
        let t = m.handle(.failure(ErrorBody(.upstreamTimeout, "slow")))
        if case .rejected(let e) = t.verdict {
            #expect(e.code == .upstreamTimeout)
        } else {
            Issue.record("not rejected")
        }
        #expect(m.state == .pinRequired)
        #expect(m.wrongPINs == 0)
    }

    @Test func joinFailureEndsInError() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        let t = m.handle(.failure(ErrorBody(.conferenceNotFound, "no")))
        #expect(m.state == .error)
        #expect(emitted(t).first?.error?.code == .conferenceNotFound)
        if case .rejected(let e) = t.verdict {
            #expect(e.code == .conferenceNotFound)
        } else {
            Issue.record("not rejected")
        }
    }

    @Test func leaveWhenConnectedReleasesUpstream() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.granted(.host))
        let t = m.handle(.leave)
        #expect(t.effects.first == .releaseConnection)
        #expect(emitted(t).first == StateChange(state: .disconnected, reason: .left))
        #expect(m.state == .disconnected)
    }

    @Test func leaveInAPINStateNeedsNoUpstream() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: false)))
        let t = m.handle(.leave)
        #expect(!t.effects.contains(.releaseConnection))
        #expect(m.state == .disconnected)
    }

    @Test func aGrantAfterTheSessionEndedIsReleased() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.leave)
        #expect(m.handle(.granted(.guest)).effects == [.releaseLateGrant])
    }

    @Test func remoteDisconnectClosesWithTheNodesWords() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.granted(.guest))
        let t = m.handle(.upstreamEnded(.remoteDisconnect, message: "Disconnected by host"))
        #expect(t.effects.first == .closeConnection)
        #expect(emitted(t).first?.reason == .remoteDisconnect)
        #expect(emitted(t).first?.message == "Disconnected by host")
    }

    @Test func shutdownReleasesConnectedSessions() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.granted(.guest))
        let t = m.handle(.shutdown)
        #expect(t.effects.first == .releaseConnection)
        #expect(emitted(t).first?.reason == .bridgeShutdown)
    }

    @Test func roleChangeIsAnnounced() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.granted(.guest))
        let t = m.handle(.roleChanged(.host))
        #expect(emitted(t).first?.role == .host)
        #expect(m.role == .host)
        #expect(m.handle(.roleChanged(.host)).effects.isEmpty)
    }

    // MARK: who hears what

    let join = ReplyTarget(client: 1, id: .int(1))
    let other = ReplyTarget(client: 2, id: .string("p"))

    @Test func theJoinWaitsForTheNodeAndHearsItsAnswer() {
        var m = M()
        let started = m.handle(.start(pin: nil), from: join)
        #expect(started.replies.isEmpty)
        #expect(m.waiting == join)
        let granted = m.handle(.granted(.host))
        #expect(granted.replies == [M.Reply(to: join, outcome: .snapshot)])
        #expect(m.waiting == nil)
    }

    @Test func aPINRequestWaitsAndHearsAWrongPIN() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: join)
        #expect(
            m.handle(.challenge(PINRequirement(host: true, guest: true))).replies
                == [M.Reply(to: join, outcome: .snapshot)]
        )
        #expect(m.handle(.pinSubmitted("1"), from: other).replies.isEmpty)
        // A second PIN while the first is in flight is refused to its sender; the first still waits.
        let third = ReplyTarget(client: 3, id: .int(9))
        let refused = m.handle(.pinSubmitted("2"), from: third)
        guard case .failure(let busy)? = refused.replies.first?.outcome, refused.replies.first?.to == third else {
            Issue.record("the second PIN was not refused to its sender: \(refused.replies)")
            return
        }
        #expect(busy.code == .invalidState)
        #expect(m.waiting == other)
        let wrong = m.handle(.invalidPIN)
        guard case .failure(let error)? = wrong.replies.first?.outcome, wrong.replies.first?.to == other else {
            Issue.record("the waiting PIN did not hear the wrong PIN: \(wrong.replies)")
            return
        }
        #expect(error.code == .invalidPIN)
        #expect(wrong.replies.count == 1)
    }

    @Test func aLeaveThatOvertakesAJoinAnswersBoth() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: join)
        let left = m.handle(.leave, from: other)
        #expect(
            left.replies == [
                M.Reply(to: other, outcome: .empty),
                M.Reply(
                    to: join,
                    outcome: .failure(ErrorBody(.invalidState, "the session ended before the node answered"))
                ),
            ]
        )
        // The grant that comes later is given back and answers nobody.
        let late = m.handle(.granted(.guest))
        #expect(late.effects == [.releaseLateGrant])
        #expect(late.replies.isEmpty)
    }

    @Test func leavingAConnectedSessionAnswersAfterTheRelease() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: join)
        _ = m.handle(.granted(.guest))
        let left = m.handle(.leave, from: other)
        #expect(left.effects.first == .releaseConnection)
        #expect(left.replies == [M.Reply(to: other, outcome: .empty, afterRelease: true)])
    }

    @Test func shutdownAndExpiryTellTheWaitingRequestWhy() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: join)
        #expect(
            m.handle(.shutdown).replies == [
                M.Reply(
                    to: join,
                    outcome: .failure(ErrorBody(.shuttingDown, "the bridge shut down before the node answered"))
                )
            ]
        )
        var n = M()
        _ = n.handle(.start(pin: nil))
        _ = n.handle(.challenge(PINRequirement(host: true, guest: false)))
        _ = n.handle(.pinSubmitted("1"), from: other)
        let expired = n.handle(.expired)
        #expect(n.state == .error)
        guard case .failure(let error)? = expired.replies.first?.outcome, expired.replies.first?.to == other else {
            Issue.record("the waiting PIN did not hear of the expiry: \(expired.replies)")
            return
        }
        #expect(error.code == .sessionExpired)
        #expect(emitted(expired).first?.error?.code == .sessionExpired)
    }

    @Test func aSessionAwaitingAPINExpiresButAConnectedOneDoesNot() {
        var m = M()
        _ = m.handle(.start(pin: nil))
        _ = m.handle(.challenge(PINRequirement(host: true, guest: true)))
        let t = m.handle(.expired)
        #expect(!t.effects.contains(.releaseConnection))
        #expect(m.state == .error)
        var n = M()
        _ = n.handle(.start(pin: nil))
        _ = n.handle(.granted(.host))
        #expect(n.handle(.expired) == M.Transition(effects: [], verdict: nil))
        #expect(n.state == .connected)
    }
}
