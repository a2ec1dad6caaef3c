import BridgeProtocol
import Foundation
import InfinityClient
import Logging

extension BridgeEngine {
    // MARK: requests that act on sessions

    func resolveNode(_ text: String) -> Result<NodeAddress, ErrorBody> {
        if text == "simulator", let embedded = embeddedNode { return .success(embedded) }
        let address: NodeAddress
        do {
            address = try NodeAddress(parsing: text)
        } catch {
            return .failure(ErrorBody(.badRequest, "join: field 'node' is not a host, host:port or http(s) URL"))
        }
        if !address.isSecure && !configuration.allowInsecureNodes && address != embeddedNode {
            return .failure(
                ErrorBody(
                    .insecureNode,
                    "plain-HTTP nodes are refused; use https or start the bridge with --allow-insecure-nodes"
                )
            )
        }
        return .success(address)
    }

    /// `join`: makes a session, subscribes its creator, and asks the node for a token.
    func join(_ parameters: JoinParameters, _ target: ReplyTarget) {
        guard !work.isStopping else {
            return reply(target, .failure(ErrorBody(.shuttingDown, "the bridge is shutting down")))
        }
        guard let nodeText = parameters.node else { return discoverAndJoin(parameters, target) }
        let node: NodeAddress
        switch resolveNode(nodeText) {
        case .success(let address): node = address
        case .failure(let error): return reply(target, .failure(error))
        }
        startJoin(parameters, node: node, nodeText: nodeText, target)
    }

    /// The rest of `join`, once the node is known.
    func startJoin(_ parameters: JoinParameters, node: NodeAddress, nodeText: String, _ target: ReplyTarget) {
        if let refused = sessionLimits.refusal(client: target.client, alias: parameters.alias, of: configuration) {
            return reply(target, .failure(refused))
        }
        if parameters.pin != nil, let held = pinHeldBack(pinAttempt(node: node, alias: parameters.alias, by: target)) {
            return reply(target, .failure(held))
        }
        let id = newSessionID()
        nextSessionOrdinal += 1
        let record = SessionRecord(
            id: id,
            ordinal: nextSessionOrdinal,
            owner: target.client,
            node: node,
            nodeText: nodeText,
            alias: parameters.alias,
            displayName: parameters.displayName,
            maxPINAttempts: configuration.maxPINAttempts
        )
        record.extras.conferenceExtension = parameters.extension
        sessions[id] = record
        sessionLimits.opened(client: target.client, alias: parameters.alias)
        subscriptions.addSession(id)
        subscriptions.subscribe(target.client, to: id)
        metrics.session(from: nil, to: .connecting)
        record.capabilities = Capabilities.of(state: .connecting, role: nil, conference: nil)
        logger.info(
            "session created",
            metadata: [
                "session": "\(id)", "node": "\(node)", "alias": "\(LogText.clean(parameters.alias))",
                "client": "\(target.client)",
            ]
        )
        publish(
            .state(
                StateChange(
                    state: .connecting,
                    capabilities: record.capabilities,
                    node: nodeText,
                    alias: parameters.alias,
                    displayName: parameters.displayName
                )
            ),
            in: record
        )
        apply(.start(pin: parameters.pin), to: record, from: target)
    }

    /// `pin`: sends a PIN for a session waiting for one, unless the conference's PIN budget is spent.
    func submitPIN(_ pin: String, session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        if case .awaitingPIN = record.machine.phase,
            let held = pinHeldBack(pinAttempt(node: record.node, alias: record.alias, by: target))
        {
            return reply(target, .failure(held))
        }
        apply(.pinSubmitted(pin.trimmingCharacters(in: .whitespaces)), to: record, from: target)
    }

    /// Who is guessing what, for the PIN guard's budgets.
    func pinAttempt(node: NodeAddress, alias: String, by requester: ReplyTarget?) -> PINGuard.Attempt {
        let peer = requester.flatMap { clients[$0.client]?.peer ?? proxyPeer($0.client) } ?? "?"
        return PINGuard.Attempt(alias: alias, node: node.host, client: AuthFailureKey.of(peer: peer))
    }

    private func pinHeldBack(_ attempt: PINGuard.Attempt) -> ErrorBody? {
        guard let wait = pinGuard.holdBack(attempt, now: now) else { return nil }
        countRateLimited()
        logger.notice(
            "PIN attempt throttled",
            metadata: ["node": "\(LogText.clean(attempt.node))", "alias": "\(LogText.clean(attempt.alias))"]
        )
        return ErrorBody(
            .rateLimited,
            "too many wrong PINs for this conference; try again in \(wait.components.seconds + 1) s"
        )
    }

    /// `leave`: ends a session; the result goes out once the node has released the token.
    func leave(_ session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        apply(.leave, to: record, from: target)
    }

    /// A host control or chat: checked here, sent upstream as child work, answered after the node.
    func perform(_ control: ConferenceControl, session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        guard case .connected(let role) = record.machine.phase, let link = record.link else {
            return reply(
                target,
                .failure(
                    ErrorBody(
                        .invalidState,
                        "\(control.requestType.rawValue) needs a connected session (it is \(record.machine.state.rawValue))"
                    )
                )
            )
        }
        // Held in the waiting room, the participant is not in the conference yet: the node would carry out a
        // host's control all the same, so the bridge refuses it (capabilities already say only `leave` is allowed).
        if record.isWaiting {
            return reply(
                target,
                .failure(
                    ErrorBody(
                        .invalidState,
                        "\(control.requestType.rawValue) is not possible while the session waits to be let in; it may only leave"
                    )
                )
            )
        }
        if control.requiresHost && role != .host && !control.isOwn(selfUUID: record.selfUUID) {
            return reply(
                target,
                .failure(
                    ErrorBody(
                        .notHost,
                        "\(control.requestType.rawValue) is for hosts; this session is a guest"
                    )
                )
            )
        }
        if case .sendMessage = control, !record.chatEnabled {
            return reply(target, .failure(ErrorBody(.refused, "chat is disabled in this conference")))
        }
        if let participant = control.participant, record.roster[participant] == nil {
            return reply(
                target,
                .failure(
                    ErrorBody(
                        .unknownParticipant,
                        "no participant with that uuid in this session"
                    )
                )
            )
        }
        let spotlit = record.roster.participants.filter(\.spotlight).map(\.uuid)
        guard let command = control.upstreamCommand(selfUUID: record.selfUUID, spotlit: spotlit) else {
            return reply(
                target,
                .failure(ErrorBody(.invalidState, "the node has not told the bridge its own participant yet"))
            )
        }
        let sessionID = record.id
        // Only the request type is logged: a transfer's PIN (and any other value) stays out of the log.
        logger.info(
            "host control",
            metadata: ["session": "\(sessionID)", "control": "\(control.requestType.rawValue)"]
        )
        spawn {
            do throws(InfinityError) {
                let data = try await command.run(on: link)
                if case .sendMessage(let text) = control { await self.echoOwnMessage(text, session: sessionID) }
                await self.reply(target, .success(data))
            } catch {
                await self.reply(target, .failure(.upstream(error, participantCall: control.participant != nil)))
            }
        }
    }

    /// The node does not send a participant its own chat; subscribers still see what this session said.
    private func echoOwnMessage(_ text: String, session: String) {
        guard let record = sessions[session], case .connected = record.machine.phase else { return }
        let name = record.selfUUID.flatMap { record.roster[$0]?.displayName } ?? record.displayName
        publish(
            .message(ChatMessage(from: MessageSender(uuid: record.selfUUID ?? "", displayName: name), text: text)),
            in: record
        )
    }

    /// Ten characters from a 32-letter alphabet without look-alikes, from the system's random numbers. (No local
    /// `SystemRandomNumberGenerator` passed `inout`: ThreadSanitizer mishandles that zero-sized value's address.)
    private func newSessionID() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        return "s-" + String((0..<10).map { _ in alphabet.randomElement() ?? "a" })
    }

    // MARK: the state machine, carried out

    /// Runs one input through a session's machine, carries out its effects in order, and sends the replies it
    /// names (after the node has released the token when the transition says so).
    func apply(_ input: SessionMachine.Input, to record: SessionRecord, from requester: ReplyTarget? = nil) {
        let before = record.machine.state
        let transition = record.machine.handle(input, from: requester)
        var releasing: (any UpstreamLink)?
        for effect in transition.effects {
            switch effect {
            case .requestToken(let pin):
                requestToken(for: record, pin: pin)
            case .openConnection:
                openConnection(for: record)
            case .releaseConnection:
                releasing = record.link
                record.link = nil
            case .closeConnection:
                if let link = record.link {
                    record.link = nil
                    spawn { await link.close() }
                }
            case .releaseLateGrant:
                // Only reachable for a session still registered; a retired one's grant is released in
                // `tokenOutcome`.
                break
            case .emit(let change):
                emit(change, in: record, from: before)
            case .remember(let answer):
                record.remember(answer)
            case .forgetExtension:
                record.extras.conferenceExtension = nil
            case .transfer(let alias, let token):
                moveRoom(record, to: alias, token: token)
            }
        }
        var immediate: [(ReplyTarget, Result<ResultData, ErrorBody>)] = []
        var later: [(ReplyTarget, Result<ResultData, ErrorBody>)] = []
        for reply in transition.replies {
            let outcome: Result<ResultData, ErrorBody> =
                switch reply.outcome {
                case .snapshot: .success(.session(record.snapshot()))
                case .empty: .success(.empty)
                case .failure(let error): .failure(error)
                }
            if reply.afterRelease && releasing != nil {
                later.append((reply.to, outcome))
            } else {
                immediate.append((reply.to, outcome))
            }
        }
        for (target, outcome) in immediate { reply(target, outcome) }
        if let releasing {
            let sessionID = record.id
            let answers = later
            spawn {
                await releasing.release()
                await self.released(sessionID: sessionID, answers: answers)
            }
        }
    }

    private func released(sessionID: String, answers: [(ReplyTarget, Result<ResultData, ErrorBody>)]) {
        logger.debug("session released upstream", metadata: ["session": "\(sessionID)"])
        for (target, outcome) in answers { reply(target, outcome) }
    }

    private func requestToken(for record: SessionRecord, pin: SessionMachine.PINValue?) {
        let upstream = self.upstream
        let (id, node, alias, name) = (record.id, record.node, record.alias, record.displayName)
        let extras = record.extras
        // A `refer` one-time token is good for one request.
        record.extras.oneTimeToken = nil
        let header: PINHeader? =
            switch pin {
            case .none?: PINHeader.none
            case .digits(let digits)?: .pin(digits)
            case nil: nil
            }
        // A PIN in flight counts against the brute-force budgets until the node has answered.
        // So does a conference extension: guessing a reception's targets is guessing PINs by another name.
        let pinSent: Bool = if case .digits? = pin { true } else { false }
        let guarded: PINGuard.Attempt? =
            if pinSent || record.machine.isSubmittingExtension {
                pinAttempt(node: node, alias: alias, by: record.machine.waiting)
            } else {
                nil
            }
        if let guarded { pinGuard.sent(guarded) }
        let started = now
        spawn {
            let result: Result<TokenRequestOutcome, InfinityError>
            do throws(InfinityError) {
                result = .success(
                    try await upstream.requestToken(
                        node: node,
                        alias: alias,
                        displayName: name,
                        pin: header,
                        extras: extras
                    )
                )
            } catch {
                result = .failure(error)
            }
            await self.tokenOutcome(
                session: id,
                node: node,
                alias: alias,
                guarded: guarded,
                pinSent: pinSent,
                started: started,
                result
            )
        }
    }

    private func tokenOutcome(
        session: String,
        node: NodeAddress,
        alias: String,
        guarded: PINGuard.Attempt?,
        pinSent: Bool,
        started: Moment,
        _ result: Result<TokenRequestOutcome, InfinityError>
    ) {
        metrics.tokenRequests.recordNanoseconds(nanoseconds(now - started))
        if let guarded { pinGuard.answered(guarded) }
        guard let record = sessions[session] else {
            if case .success(.granted(let grant)) = result {
                // The session ended while the node was granting: give the token straight back.
                let link = upstream.connect(node: node, alias: alias, grant: grant)
                spawn { await link.release() }
            }
            return
        }
        if case .success(.granted(let grant)) = result {
            record.grant = grant
            record.selfUUID = grant.participantUUID
            record.chatEnabled = grant.chatEnabled ?? true
        }
        record.lastPINAttempt = guarded
        apply(.answer(result, pinSent: pinSent), to: record)
        record.lastPINAttempt = nil
    }

    private func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Holds the granted token: the link's updates are followed by a child task until the link ends.
    func openConnection(for record: SessionRecord) {
        guard let grant = record.grant else { return }
        let id = record.id
        let link =
            store == nil
            ? upstream.connect(node: record.node, alias: record.alias, grant: grant)
            : upstream.connect(
                node: record.node,
                alias: record.alias,
                grant: grant,
                refreshPermit: { [weak self] in await self?.permitRefresh(id) ?? false },
                tokenRefreshed: { [weak self] held in await self?.tokenRefreshed(held, of: id) }
            )
        record.link = link
        if store != nil { storeGrant(grant, of: record) }
        record.grant = nil
        record.linkGeneration += 1
        let generation = record.linkGeneration
        spawn {
            // The link's own work (refresh, event stream, timers) runs beside the reader of its updates; both end
            // when the link has ended (released, closed, or given up).
            await withDiscardingTaskGroup { group in
                group.addTask { await link.run() }
                for await update in link.updates {
                    await self.upstreamUpdate(session: id, generation: generation, update)
                }
            }
        }
    }

    /// Publishes a state change with what changed alongside it, and retires the session when final.
    private func emit(_ change: StateChange, in record: SessionRecord, from before: SessionState) {
        var change = change
        // One copy of the machine: reading `record.machine.role` twice here crashes the Swift 6.3.1
        // optimizer (CopyPropagation ownership verifier) in release builds.
        let machine = record.machine
        let state = machine.state
        let role = machine.role
        if state.waitsForClient {
            record.lastPINError = change.error
            if change.error?.code == .invalidPIN || change.error?.code == .extensionNotFound {
                countWrongPIN(in: record)
            }
            if record.pinDeadline == nil { startPINClock(record) }
        } else {
            record.lastPINError = nil
            record.pinDeadline = nil
        }
        if change.error?.code == .tooManyPINAttempts { countWrongPIN(in: record) }
        if state == .connected { change.role = role }
        let capabilities = Capabilities.of(
            state: state,
            role: role,
            conference: record.conference,
            chatEnabled: record.chatEnabled,
            waiting: record.isWaiting
        )
        record.capabilities = capabilities
        change.capabilities = capabilities
        if before != state {
            var metadata: Logger.Metadata = [
                "session": "\(record.id)", "from": "\(before.rawValue)", "to": "\(state.rawValue)",
            ]
            if let reason = change.reason { metadata["reason"] = "\(reason.rawValue)" }
            if let error = change.error { metadata["error"] = "\(error.code.rawValue)" }
            logger.info("session transition", metadata: metadata)
            metrics.session(from: before, to: state.isFinal ? nil : state)
        }
        publish(.state(change), in: record)
        if state.isFinal { retire(record) }
    }

    private func countWrongPIN(in record: SessionRecord) {
        counters.pinFailures += 1
        metrics.pinFailures.increment()
        let attempt = record.lastPINAttempt ?? pinAttempt(node: record.node, alias: record.alias, by: nil)
        pinGuard.failed(attempt, now: now)
    }

    /// A session entering a PIN state has `pinStateTimeout` to leave it. One ticker sleeps for every session
    /// (`runPINTicker`): the timeout is the same for all, so deadlines come in order.
    private func startPINClock(_ record: SessionRecord) {
        let deadline = now + configuration.pinStateTimeout
        record.pinDeadline = deadline
        if pinDeadlines.push(deadline, record.id) { pinWake.continuation.yield() }
    }

    /// Expires sessions whose PIN-state deadline passed; runs as one child task of `run()` until cancelled.
    func runPINTicker() async {
        for await _ in pinWake.stream {
            while let deadline = pinDeadlines.next {
                do {
                    try await clock.sleepUntil(deadline)
                } catch {
                    return
                }
                for session in pinDeadlines.popDue(now: now) { pinClockRanOut(session: session) }
            }
        }
    }

    private func pinClockRanOut(session: String) {
        guard let record = sessions[session], let deadline = record.pinDeadline, now >= deadline else { return }
        logger.notice("session waited too long for a PIN", metadata: ["session": "\(session)"])
        apply(.expired, to: record)
    }

    /// Removes a final session from the registry and from every subscription: O(its subscribers).
    private func retire(_ record: SessionRecord) {
        sessions[record.id] = nil
        sessionLimits.closed(client: record.owner, alias: record.alias)
        subscriptions.removeSession(record.id)
        if store != nil { storeEnded(record.id) }
    }
}
