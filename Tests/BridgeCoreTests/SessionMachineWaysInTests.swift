import BridgeProtocol
import Testing

@testable import BridgeCore

/// The ways in as pure transitions: no engine, no I/O.
@Suite("Session state machine: ways in")
struct SessionMachineWaysInTests {
    typealias M = SessionMachine
    static let okta = IdPInfo(uuid: "u-okta", name: "Okta")
    static let redirect = SSORedirect(redirectURL: "https://idp.example/x", idp: okta)
    let joiner = ReplyTarget(client: 1, id: .int(1))
    let asker = ReplyTarget(client: 1, id: .int(2))

    private func emitted(_ t: M.Transition) -> [StateChange] {
        t.effects.compactMap { if case .emit(let c) = $0 { c } else { nil } }
    }

    private func rejection(_ t: M.Transition) -> ErrorCode? {
        if case .rejected(let error) = t.verdict { return error.code }
        return nil
    }

    private func at(_ step: WayInStep) -> M {
        var m = M()
        _ = m.handle(.start(pin: nil), from: joiner)
        _ = m.handle(.wayIn(.challenge(step)))
        return m
    }

    @Test func aReceptionChallengeAnswersTheJoinWithItsState() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: joiner)
        let t = m.handle(.wayIn(.challenge(.conferenceExtension(.mssip))))
        #expect(t.verdict == .accepted)
        #expect(t.replies == [M.Reply(to: joiner, outcome: .snapshot)])
        #expect(m.state == .extensionRequired)
        #expect(emitted(t).first?.extension == ExtensionRequirement(kind: .mssip))
        #expect(m.wayInStep == .conferenceExtension(.mssip))
    }

    @Test func anExtensionIsRememberedAndSentThenRefusedKeepsTheState() {
        var m = at(.conferenceExtension(.standard))
        let t = m.handle(.wayIn(.answer(.conferenceExtension("meet.x"))), from: asker)
        #expect(t.effects == [.remember(.conferenceExtension("meet.x")), .requestToken(pin: nil)])
        #expect(t.verdict == nil)
        #expect(m.isSubmittingExtension)
        let again = m.handle(.wayIn(.answer(.conferenceExtension("meet.y"))), from: joiner)
        #expect(rejection(again) == .invalidState)
        let refused = m.handle(.wayIn(.extensionNotFound(ErrorBody(.extensionNotFound, "no"))))
        #expect(refused.replies.first?.to == asker)
        #expect(rejection(refused) == .extensionNotFound)
        #expect(emitted(refused).first?.error?.code == .extensionNotFound)
        #expect(m.state == .extensionRequired && !m.isSubmittingExtension)
    }

    @Test func afterTheReceptionTheTargetsPIN() {
        var m = at(.conferenceExtension(.standard))
        _ = m.handle(.wayIn(.answer(.conferenceExtension("meet.pin"))), from: asker)
        let t = m.handle(.challenge(PINRequirement(host: true, guest: false)))
        #expect(t.verdict == .accepted)
        #expect(m.state == .pinOptional)
    }

    @Test func anIdPNotOfferedIsInvalidValueAndNothingIsSent() {
        var m = at(.idp([Self.okta]))
        let t = m.handle(.wayIn(.answer(.idp("u-evil"))), from: asker)
        #expect(rejection(t) == .invalidValue)
        #expect(t.effects.isEmpty)
        #expect(m.state == .idpRequired)
        let ok = m.handle(.wayIn(.answer(.idp("u-okta"))), from: asker)
        #expect(ok.effects == [.remember(.idp("u-okta")), .requestToken(pin: nil)])
        let redirect = m.handle(.wayIn(.challenge(.sso(Self.redirect))))
        #expect(redirect.verdict == .accepted)
        #expect(m.state == .ssoRequired)
        #expect(emitted(redirect).first?.sso == Self.redirect)
    }

    @Test func aRefusedSignInStaysAndARightOneConnects() {
        var m = at(.sso(Self.redirect))
        _ = m.handle(.wayIn(.answer(.ssoToken("t1"))), from: asker)
        let refused = m.handle(.wayIn(.ssoFailed(ErrorBody(.ssoFailed, "no"))))
        #expect(rejection(refused) == .ssoFailed)
        #expect(m.state == .ssoRequired)
        _ = m.handle(.wayIn(.answer(.ssoToken("t2"))), from: asker)
        let t = m.handle(.granted(.guest))
        #expect(t.effects.first == .openConnection)
        #expect(m.state == .connected)
    }

    @Test func answersOutsideTheirStateAreInvalidState() {
        var m = at(.sso(Self.redirect))
        #expect(rejection(m.handle(.wayIn(.answer(.conferenceExtension("x"))), from: asker)) == .invalidState)
        #expect(rejection(m.handle(.wayIn(.answer(.idp("u-okta"))), from: asker)) == .invalidState)
        #expect(rejection(m.handle(.pinSubmitted("1234"), from: asker)) == .invalidState)
        var open = M()
        _ = open.handle(.start(pin: nil), from: joiner)
        _ = open.handle(.granted(.host))
        #expect(rejection(open.handle(.wayIn(.answer(.ssoToken("t"))), from: asker)) == .invalidState)
    }

    @Test func anUnknownExtensionGivenWithJoinAsksAgainWithoutIt() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: joiner)
        let probe = m.handle(.wayIn(.extensionNotFound(ErrorBody(.extensionNotFound, "no"))))
        #expect(probe.effects == [.forgetExtension, .requestToken(pin: nil)])
        #expect(probe.verdict == nil)
        let t = m.handle(.wayIn(.challenge(.conferenceExtension(.standard))))
        #expect(t.replies == [M.Reply(to: joiner, outcome: .snapshot)])
        #expect(emitted(t).first?.error?.code == .extensionNotFound)
        // Without a reception behind it, the second miss ends the join.
        var lost = M()
        _ = lost.handle(.start(pin: nil), from: joiner)
        _ = lost.handle(.wayIn(.extensionNotFound(ErrorBody(.extensionNotFound, "no"))))
        let gone = lost.handle(.failure(ErrorBody(.conferenceNotFound, "no")))
        #expect(rejection(gone) == .conferenceNotFound)
        #expect(lost.state == .error)
    }

    @Test func referReleasesTransfersAnnouncesAndAsksTheNewRoom() {
        var m = M()
        _ = m.handle(.start(pin: nil), from: joiner)
        _ = m.handle(.granted(.host))
        let t = m.handle(.wayIn(.referred(alias: "meet.next", token: "one-time")))
        #expect(
            t.effects == [
                .releaseConnection, .transfer(alias: "meet.next", token: "one-time"),
                .emit(StateChange(state: .connecting, reason: .transferred, alias: "meet.next")),
                .requestToken(pin: nil),
            ]
        )
        #expect(t.replies.isEmpty)
        #expect(m.state == .connecting)
        let refused = m.handle(.failure(ErrorBody(.conferenceNotFound, "Neither conference nor gateway found")))
        #expect(emitted(refused).first?.state == .error)
        #expect(m.state == .error)
    }

    @Test func aReferOutsideConnectedIsIgnoredAndWaitingAtAWayInExpires() {
        var m = at(.idp([Self.okta]))
        #expect(m.handle(.wayIn(.referred(alias: "x", token: "t"))) == M.Transition(effects: [], verdict: nil))
        let t = m.handle(.expired)
        #expect(rejection(t) == .sessionExpired)
        #expect(m.state == .error)
    }
}
