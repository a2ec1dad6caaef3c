import Testing

@testable import InfinityClient

/// The connection's decisions, without a clock, a node or a task: inputs in, actions out.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine<FixedRandom>

    static let policy = ConnectionPolicy()  // the defaults: 200 ms...10 s refresh retry, 250 ms...5 s reconnect

    static func machine(
        expires: Int = 120,
        role: InfinityRole = .host,
        policy: ConnectionPolicy = Self.policy,
        idle: Duration? = .seconds(120),
        random: FixedRandom = .lowest
    ) -> Machine {
        let grant = TokenGrant(token: "t0", expires: expires, participantUUID: "me", role: role, displayName: "B")
        return Machine(grant: grant, policy: policy, idleTimeout: idle, random: random)
    }

    /// A started machine whose stream 1 is open and has delivered a whole roster.
    static func syncedMachine(expires: Int = 120, idle: Duration? = .seconds(120)) -> Machine {
        var machine = machine(expires: expires, idle: idle)
        _ = machine.start(at: .zero)
        _ = machine.streamOpened(generation: 1, at: .zero)
        _ = machine.streamEvent(.participantSyncBegin, generation: 1, at: .zero)
        _ = machine.streamEvent(.participantSyncEnd, generation: 1, at: .zero)
        return machine
    }

    static func participant(_ uuid: String, role: InfinityRole) -> InfinityParticipant {
        InfinityParticipant(
            json: decodeJSON(Fixture.participant(uuid: uuid, role: role == .host ? "chair" : "guest"))!
        )!
    }

    // MARK: Refresh

    @Test func startSchedulesTheRefreshAtAThirdOfExpiryAndOpensTheStream() {
        var machine = Self.machine(expires: 12)
        #expect(machine.start(at: .seconds(1)) == [.schedule(.refresh, at: .seconds(5)), .openStream(generation: 1)])
        #expect(machine.isRunning)
        #expect(machine.start(at: .seconds(2)) == [])
        // The fire before the deadline is a replaced timer's: ignored.
        #expect(machine.timerFired(.refresh, at: .seconds(4)) == [])
        #expect(machine.timerFired(.refresh, at: .seconds(5)) == [.refreshNow])
        // Fired twice (a stale timer): one refresh only.
        #expect(machine.timerFired(.refresh, at: .seconds(5)) == [])
    }

    @Test func aRefreshAppliesTheNewTokenLifetimeAndRole() {
        var machine = Self.machine(expires: 12)
        _ = machine.start(at: .zero)
        _ = machine.timerFired(.refresh, at: .seconds(4))
        let actions = machine.refreshSucceeded(TokenRefresh(token: "t1", expires: 30, role: .guest), at: .seconds(5))
        #expect(actions == [.schedule(.refresh, at: .seconds(15)), .emit(.roleChanged(.guest))])
        #expect(machine.token == "t1")
        #expect(machine.role == .guest)
        // The same role again is no change.
        _ = machine.timerFired(.refresh, at: .seconds(15))
        #expect(
            machine.refreshSucceeded(TokenRefresh(token: "t2", expires: 30, role: .guest), at: .seconds(15))
                == [.schedule(.refresh, at: .seconds(25))]
        )
        // An answer nobody asked for is ignored.
        #expect(machine.refreshSucceeded(TokenRefresh(token: "t3", expires: 30), at: .seconds(16)) == [])
        #expect(machine.token == "t2")
    }

    @Test func nodeLifetimesAreClampedSoExpiresZeroCannotLoopTheRefresh() {
        var zero = Self.machine(expires: 0)
        let tenSecondsThird = Duration.nanoseconds(3_333_333_333)
        #expect(zero.start(at: .zero).first == .schedule(.refresh, at: tenSecondsThird))
        _ = zero.timerFired(.refresh, at: tenSecondsThird)
        #expect(
            zero.refreshSucceeded(TokenRefresh(token: "t1", expires: -5), at: tenSecondsThird)
                == [.schedule(.refresh, at: tenSecondsThird * 2)]
        )
        var huge = Self.machine(expires: Int.max)
        #expect(huge.start(at: .zero).first == .schedule(.refresh, at: .seconds(8 * 3600)))
        // The floor is the policy's: a simulator with 3 s tokens is refreshed every second.
        var policy = Self.policy
        policy.tokenLifetimeRange = 1...86_400
        var short = Self.machine(expires: 3, policy: policy)
        #expect(short.start(at: .zero).first == .schedule(.refresh, at: .seconds(1)))
    }

    @Test func failedRefreshesBackOffWithJitterUntilTheTokenExpires() {
        var machine = Self.machine(expires: 3)  // clamped to 10 s: refresh at 3.33 s, expiry at 10 s
        _ = machine.start(at: .zero)
        var now = Duration.seconds(4)
        #expect(machine.timerFired(.refresh, at: now) == [.refreshNow])
        // Attempt n waits 200 ms × 2^(n-1) × (1 - 0.2) with the lowest jitter, capped at 10 s and at the expiry.
        let expected: [Duration] = [.milliseconds(160), .milliseconds(320), .milliseconds(640), .milliseconds(1280)]
        for attempt in 1...4 {
            let actions = machine.refreshFailed(.http(status: 500, message: "x"), at: now)
            #expect(
                actions == [
                    .emit(.health(.tokenRefreshFailed(attempt: attempt))),
                    .schedule(.refresh, at: now + expected[attempt - 1]),
                ]
            )
            now += expected[attempt - 1]
            #expect(machine.timerFired(.refresh, at: now) == [.refreshNow])
        }
        // At 6.4 s: attempt 5 would wait 2.56 s; 3.6 s remain.
        now = .milliseconds(6400)
        #expect(
            machine.refreshFailed(.timeout, at: now)
                == [.emit(.health(.tokenRefreshFailed(attempt: 5))), .schedule(.refresh, at: .milliseconds(8960))]
        )
        _ = machine.timerFired(.refresh, at: .milliseconds(8960))
        // Attempt 6 would wait 5.12 s: capped at the expiry.
        #expect(
            machine.refreshFailed(.unreachable("refused"), at: .seconds(9))
                == [.emit(.health(.tokenRefreshFailed(attempt: 6))), .schedule(.refresh, at: .seconds(10))]
        )
        // The retry timer fires at the expiry: the token is gone.
        #expect(machine.timerFired(.refresh, at: .seconds(10)) == [.finish(.tokenExpired)])
        #expect(!machine.isRunning)
        #expect(machine.hasEnded)
    }

    @Test func jitterStaysInsideItsBand() {
        for random in [FixedRandom.lowest, .highest] {
            var machine = Self.machine(random: random)
            _ = machine.start(at: .zero)
            _ = machine.timerFired(.refresh, at: .seconds(40))
            let actions = machine.refreshFailed(.timeout, at: .seconds(40))
            guard case .schedule(.refresh, let at) = actions.last else {
                Issue.record("expected a scheduled retry, got \(actions)")
                continue
            }
            let delay = at - .seconds(40)
            #expect(delay >= .milliseconds(160) && delay <= .milliseconds(240), "\(delay)")
            #expect(random.word == FixedRandom.lowest.word ? delay == .milliseconds(160) : delay == .milliseconds(240))
        }
    }

    @Test func aFailureAnsweredAfterTheExpiryEndsAtOnce() {
        var machine = Self.machine(expires: 12)
        _ = machine.start(at: .zero)
        _ = machine.timerFired(.refresh, at: .seconds(4))
        #expect(
            machine.refreshFailed(.timeout, at: .seconds(12))
                == [.emit(.health(.tokenRefreshFailed(attempt: 1))), .finish(.tokenExpired)]
        )
    }

    @Test func invalidTokenOnRefreshIsARemoteDisconnectUnlessRefreshesWereFailing() {
        var fresh = Self.machine(expires: 12)
        _ = fresh.start(at: .zero)
        _ = fresh.timerFired(.refresh, at: .seconds(4))
        #expect(fresh.refreshFailed(.invalidToken, at: .seconds(4)) == [.finish(.remoteDisconnect("Invalid token"))])

        var failing = Self.machine(expires: 12)
        _ = failing.start(at: .zero)
        _ = failing.timerFired(.refresh, at: .seconds(4))
        _ = failing.refreshFailed(.timeout, at: .seconds(4))
        _ = failing.timerFired(.refresh, at: .seconds(5))
        #expect(failing.refreshFailed(.invalidToken, at: .seconds(5)) == [.finish(.tokenExpired)])

        var gone = Self.machine(expires: 12)
        _ = gone.start(at: .zero)
        _ = gone.timerFired(.refresh, at: .seconds(4))
        #expect(
            gone.refreshFailed(.notFound("no conference"), at: .seconds(4)) == [
                .finish(.remoteDisconnect("no conference"))
            ]
        )
    }

    @Test func aRefreshTokenEventRefreshesAtOnceButNeverTwiceInFlight() {
        var machine = Self.syncedMachine()
        #expect(
            machine.streamEvent(.refreshToken, generation: 1, at: .seconds(3))
                == [.emit(.event(.refreshToken)), .stop(.timer(.refresh)), .refreshNow]
        )
        #expect(machine.streamEvent(.refreshToken, generation: 1, at: .seconds(3)) == [.emit(.event(.refreshToken))])
        // The replaced scheduled refresh no longer fires.
        #expect(machine.timerFired(.refresh, at: .seconds(40)) == [])
        #expect(
            machine.refreshSucceeded(TokenRefresh(token: "t1", expires: 120), at: .seconds(4))
                == [.schedule(.refresh, at: .seconds(44))]
        )
    }

    // MARK: Stream

    @Test func theStreamReportsHealthEventsAndRoleChanges() {
        var machine = Self.machine(role: .guest)
        _ = machine.start(at: .zero)
        #expect(
            machine.streamOpened(generation: 1, at: .seconds(1))
                == [.emit(.health(.ok)), .schedule(.idleWatchdog, at: .seconds(121))]
        )
        #expect(
            machine.streamEvent(.participantSyncBegin, generation: 1, at: .seconds(1)) == [
                .emit(.event(.participantSyncBegin))
            ]
        )
        let other = Self.participant("other", role: .host)
        #expect(
            machine.streamEvent(.participantCreate(other), generation: 1, at: .seconds(1))
                == [.emit(.event(.participantCreate(other)))]
        )
        let promoted = Self.participant("me", role: .host)
        #expect(
            machine.streamEvent(.participantUpdate(promoted), generation: 1, at: .seconds(2))
                == [.emit(.event(.participantUpdate(promoted))), .emit(.roleChanged(.host))]
        )
        #expect(
            machine.streamEvent(.participantUpdate(promoted), generation: 1, at: .seconds(2))
                == [.emit(.event(.participantUpdate(promoted)))]
        )
        #expect(machine.role == .host)
        // Another stream's events are not this one's.
        #expect(machine.streamEvent(.participantSyncEnd, generation: 7, at: .seconds(2)) == [])
    }

    @Test func aDisconnectEventEndsTheConnection() {
        var machine = Self.syncedMachine()
        #expect(
            machine.streamEvent(.disconnect(reason: "bye"), generation: 1, at: .seconds(1))
                == [.emit(.event(.disconnect(reason: "bye"))), .finish(.remoteDisconnect("bye"))]
        )
        #expect(!machine.isReading(generation: 1))
        #expect(machine.streamEnded(generation: 1, failure: .cancelled, at: .seconds(1)) == [])
    }

    @Test func aLostStreamReconnectsWithBackoffAndGivesUpAfterTheWindow() {
        var machine = Self.machine()
        _ = machine.start(at: .zero)
        var now = Duration.zero
        var generation = 1
        // Refused every time: 250 ms × 2^(n-1) × 0.8, capped at 5 s × 0.8... and at the 30 s window.
        var attempts: [Duration] = []
        while true {
            let actions = machine.streamEnded(generation: generation, failure: .unreachable("refused"), at: now)
            guard actions.count == 3, case .emit(.health(.reconnecting(let attempt, let delay))) = actions[1] else {
                #expect(actions.contains(.releaseToken), "\(actions)")
                #expect(
                    actions == [
                        .stop(.timer(.idleWatchdog)), .stop(.timer(.refresh)), .stop(.timer(.reconnect)),
                        .stop(.timer(.idleWatchdog)), .stop(.refreshRequest), .stop(.stream), .releaseToken,
                        .schedule(.releaseDeadline, at: now + .seconds(3)),
                    ]
                )
                break
            }
            #expect(attempt == attempts.count + 1)
            #expect(actions[2] == .schedule(.reconnect, at: now + delay))
            attempts.append(delay)
            now += delay
            generation += 1
            #expect(machine.timerFired(.reconnect, at: now) == [.openStream(generation: generation)])
        }
        #expect(
            Array(attempts.prefix(6)) == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
                .milliseconds(3200), .milliseconds(4000),
            ]
        )
        #expect(now == .seconds(30), "gave up at \(now)")
        #expect(attempts.reduce(.zero, +) == .seconds(30))
        #expect(!machine.acceptsCalls)
        // The release is bounded: its deadline ends the connection even when the node never answers.
        #expect(machine.timerFired(.releaseDeadline, at: now + .seconds(3)) == [.finish(.upstreamLost)])
        #expect(machine.releaseFinished() == [])
    }

    @Test func theBackoffResetsOnlyAfterAWholeRosterSync() {
        var machine = Self.machine()
        _ = machine.start(at: .zero)
        _ = machine.streamOpened(generation: 1, at: .zero)
        // Open but never synced: the node accepts and closes; the attempts go on counting.
        #expect(
            machine.streamEnded(generation: 1, failure: nil, at: .seconds(1))[1]
                == .emit(.health(.reconnecting(attempt: 1, delay: .milliseconds(200))))
        )
        _ = machine.timerFired(.reconnect, at: .milliseconds(1200))
        _ = machine.streamOpened(generation: 2, at: .milliseconds(1200))
        _ = machine.streamEvent(.participantSyncBegin, generation: 2, at: .milliseconds(1200))
        #expect(
            machine.streamEnded(generation: 2, failure: nil, at: .seconds(2))[1]
                == .emit(.health(.reconnecting(attempt: 2, delay: .milliseconds(400))))
        )
        _ = machine.timerFired(.reconnect, at: .milliseconds(2400))
        _ = machine.streamOpened(generation: 3, at: .milliseconds(2400))
        _ = machine.streamEvent(.participantSyncBegin, generation: 3, at: .milliseconds(2400))
        _ = machine.streamEvent(.participantSyncEnd, generation: 3, at: .milliseconds(2400))
        // Synced: back to attempt 1, and the give-up window restarts from this loss.
        #expect(
            machine.streamEnded(generation: 3, failure: .timeout, at: .seconds(29))[1]
                == .emit(.health(.reconnecting(attempt: 1, delay: .milliseconds(200))))
        )
        _ = machine.timerFired(.reconnect, at: .milliseconds(29_200))
        #expect(
            machine.streamEnded(generation: 4, failure: .timeout, at: .seconds(31))[1]
                == .emit(.health(.reconnecting(attempt: 2, delay: .milliseconds(400))))
        )
    }

    @Test func theLastReconnectIsCutToTheWindow() {
        var policy = Self.policy
        policy.giveUpAfter = .seconds(1)
        var machine = Self.machine(policy: policy)
        _ = machine.start(at: .zero)
        #expect(
            machine.streamEnded(generation: 1, failure: .timeout, at: .milliseconds(900))
                == [
                    .stop(.timer(.idleWatchdog)), .emit(.health(.reconnecting(attempt: 1, delay: .milliseconds(100)))),
                    .schedule(.reconnect, at: .seconds(1)),
                ]
        )
    }

    @Test func invalidTokenOrAVanishedConferenceOnTheStreamEnds() {
        var machine = Self.machine()
        _ = machine.start(at: .zero)
        #expect(
            machine.streamEnded(generation: 1, failure: .invalidToken, at: .zero) == [
                .finish(.remoteDisconnect("Invalid token"))
            ]
        )

        var failing = Self.machine(expires: 12)
        _ = failing.start(at: .zero)
        _ = failing.timerFired(.refresh, at: .seconds(4))
        _ = failing.refreshFailed(.timeout, at: .seconds(4))
        #expect(failing.streamEnded(generation: 1, failure: .invalidToken, at: .seconds(5)) == [.finish(.tokenExpired)])

        var vanished = Self.machine()
        _ = vanished.start(at: .zero)
        #expect(
            vanished.streamEnded(generation: 1, failure: .notFound("gone"), at: .zero) == [
                .finish(.remoteDisconnect("gone"))
            ]
        )
    }

    @Test func aSilentStreamIsReopened() {
        var machine = Self.syncedMachine(idle: .seconds(10))
        // Activity at 4 s: the watchdog at 10 s re-arms for 14 s.
        #expect(
            machine.timerFired(.idleWatchdog, lastActivity: .seconds(4), at: .seconds(10)) == [
                .schedule(.idleWatchdog, at: .seconds(14))
            ]
        )
        // Nothing since: the stream is stopped and reopened like a lost one (synced, so from attempt 1).
        #expect(
            machine.timerFired(.idleWatchdog, lastActivity: .seconds(4), at: .seconds(14))
                == [
                    .stop(.stream), .stop(.timer(.idleWatchdog)),
                    .emit(.health(.reconnecting(attempt: 1, delay: .milliseconds(200)))),
                    .schedule(.reconnect, at: .milliseconds(14_200)),
                ]
        )
        // The stopped reader's last words are ignored.
        #expect(machine.streamEnded(generation: 1, failure: .cancelled, at: .seconds(14)) == [])
        #expect(machine.timerFired(.reconnect, at: .milliseconds(14_200)) == [.openStream(generation: 2)])
        var unwatched = Self.syncedMachine(idle: nil)
        #expect(unwatched.timerFired(.idleWatchdog, lastActivity: .zero, at: .seconds(1000)) == [])
    }

    // MARK: Release and close in every state

    @Test func releaseBeforeTheStartReleasesTheToken() {
        var machine = Self.machine()
        #expect(machine.acceptsCalls)
        #expect(
            machine.releaseRequested(at: .seconds(1)) == [.releaseToken, .schedule(.releaseDeadline, at: .seconds(4))]
        )
        #expect(!machine.acceptsCalls)
        #expect(machine.start(at: .seconds(1)) == [])
        #expect(machine.releaseFinished() == [.finish(.released)])
        #expect(machine.timerFired(.releaseDeadline, at: .seconds(4)) == [])
    }

    @Test func releaseWhileRunningStopsEverythingFirst() {
        var machine = Self.syncedMachine()
        #expect(
            machine.releaseRequested(at: .seconds(5))
                == [
                    .stop(.timer(.refresh)), .stop(.timer(.reconnect)), .stop(.timer(.idleWatchdog)),
                    .stop(.refreshRequest), .stop(.stream), .releaseToken,
                    .schedule(.releaseDeadline, at: .seconds(8)),
                ]
        )
        // Whatever the stopped work still reports is ignored; a second release or a close changes nothing.
        #expect(machine.streamEvent(.participantSyncBegin, generation: 1, at: .seconds(5)) == [])
        #expect(machine.streamEnded(generation: 1, failure: .cancelled, at: .seconds(5)) == [])
        #expect(machine.timerFired(.refresh, at: .seconds(40)) == [])
        #expect(machine.releaseRequested(at: .seconds(6)) == [])
        #expect(machine.closeRequested() == [])
        #expect(machine.timerFired(.releaseDeadline, at: .seconds(8)) == [.finish(.released)])
        #expect(machine.releaseFinished() == [])
    }

    @Test func closeEndsWithoutReleasingInEveryLiveState() {
        var idle = Self.machine()
        #expect(idle.closeRequested() == [.finish(.closed)])
        var running = Self.syncedMachine()
        #expect(running.closeRequested() == [.finish(.closed)])
        var waiting = Self.syncedMachine()
        _ = waiting.streamEnded(generation: 1, failure: nil, at: .seconds(1))
        #expect(waiting.closeRequested() == [.finish(.closed)])
        #expect(waiting.timerFired(.reconnect, at: .seconds(2)) == [])
    }

    @Test func anEndedMachineIgnoresEveryInput() {
        var machine = Self.syncedMachine()
        _ = machine.closeRequested()
        #expect(machine.hasEnded)
        #expect(machine.closeRequested() == [])
        #expect(machine.releaseRequested(at: .seconds(1)) == [])
        #expect(machine.releaseFinished() == [])
        #expect(machine.start(at: .seconds(1)) == [])
        #expect(machine.streamOpened(generation: 1, at: .seconds(1)) == [])
        #expect(machine.streamEvent(.refreshToken, generation: 1, at: .seconds(1)) == [])
        #expect(machine.streamEnded(generation: 1, failure: nil, at: .seconds(1)) == [])
        #expect(machine.refreshFailed(.timeout, at: .seconds(1)) == [])
        for timer in ConnectionStateMachine<FixedRandom>.Timer.allCases {
            #expect(machine.timerFired(timer, at: .seconds(1000)) == [])
        }
        #expect(!machine.acceptsCalls)
    }
}
