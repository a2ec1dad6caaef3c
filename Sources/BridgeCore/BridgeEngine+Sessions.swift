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
            return .failure(ErrorBody(
                .insecureNode, "plain-HTTP nodes are refused; use https or start the bridge with --allow-insecure-nodes"))
        }
        return .success(address)
    }

    func join(_ parameters: JoinParameters, _ target: ReplyTarget) {
        guard !shuttingDown else { return reply(target, .failure(ErrorBody(.shuttingDown, "the bridge is shutting down"))) }
        let node: NodeAddress
        switch resolveNode(parameters.node) {
        case .success(let address): node = address
        case .failure(let error): return reply(target, .failure(error))
        }
        if parameters.pin != nil, let held = pinHeldBack(node: node, alias: parameters.alias) {
            return reply(target, .failure(held))
        }
        let id = newSessionID()
        let record = SessionRecord(
            id: id, node: node, nodeText: parameters.node, alias: parameters.alias,
            displayName: parameters.displayName, maxPINAttempts: configuration.maxPINAttempts)
        sessions[id] = record
        sessionOrder.append(id)
        addSubscriber(target.client, to: record)
        record.capabilities = Capabilities.of(state: .connecting, role: nil, conference: nil)
        logger.info("session created", metadata: [
            "session": "\(id)", "node": "\(node)", "alias": "\(parameters.alias)", "client": "\(target.client)",
        ])
        publish(.state(StateChange(
            state: .connecting, capabilities: record.capabilities, node: parameters.node, alias: parameters.alias,
            displayName: parameters.displayName)), in: record)
        apply(.start(pin: parameters.pin), to: record, replyTo: target)
    }

    func submitPIN(_ pin: String, session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        if case .awaitingPIN = record.machine.phase, let held = pinHeldBack(node: record.node, alias: record.alias) {
            return reply(target, .failure(held))
        }
        apply(.pinSubmitted(pin.trimmingCharacters(in: .whitespaces)), to: record, replyTo: target)
    }

    /// The brute-force guard: one conference's wrong PINs, from any client and session, are throttled. The key is
    /// the alias alone (case-folded): a cluster's nodes, a node's other names and ports all reach the same room.
    func pinGuardKey(alias: String) -> String {
        alias.lowercased()
    }

    private func pinHeldBack(node: NodeAddress, alias: String) -> ErrorBody? {
        let key = pinGuardKey(alias: alias)
        guard let wait = pinFailures.holdBack(key, pending: pinsInFlight[key] ?? 0) else { return nil }
        counters.rateLimited += 1
        logger.notice("PIN attempt throttled", metadata: ["node": "\(node)", "alias": "\(alias)"])
        return ErrorBody(
            .rateLimited, "too many wrong PINs for this conference; try again in \(wait.components.seconds + 1) s")
    }

    func leave(_ session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        apply(.leave, to: record, replyTo: target)
    }

    func perform(_ control: ConferenceControl, session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        guard case .connected(let role) = record.machine.phase, let link = record.link else {
            return reply(target, .failure(ErrorBody(
                .invalidState, "\(control.requestType.rawValue) needs a connected session (it is \(record.machine.state.rawValue))")))
        }
        if control.requiresHost && role != .host {
            return reply(target, .failure(ErrorBody(.notHost, "\(control.requestType.rawValue) is for hosts; this session is a guest")))
        }
        if case .sendMessage = control, !record.chatEnabled {
            return reply(target, .failure(ErrorBody(.refused, "chat is disabled in this conference")))
        }
        if let participant = control.participant, record.roster[participant] == nil {
            return reply(target, .failure(ErrorBody(.unknownParticipant, "no participant with that uuid in this session")))
        }
        let sessionID = record.id
        logger.info("host control", metadata: ["session": "\(sessionID)", "control": "\(control.requestType.rawValue)"])
        startTask {
            do throws(InfinityError) {
                switch control.upstreamCommand {
                case .conference(let command): try await link.perform(command)
                case .participant(let command, let uuid): try await link.perform(command, participant: uuid)
                }
                if case .sendMessage(let text) = control { await self.echoOwnMessage(text, session: sessionID) }
                await self.reply(target, .success(.empty))
            } catch {
                await self.reply(target, .failure(.upstream(error, participantCall: control.participant != nil)))
            }
        }
    }

    /// The node does not send a participant its own chat; subscribers still see what this session said.
    private func echoOwnMessage(_ text: String, session: String) {
        guard let record = sessions[session], case .connected = record.machine.phase else { return }
        let name = record.selfUUID.flatMap { record.roster[$0]?.displayName } ?? record.displayName
        publish(.message(ChatMessage(from: MessageSender(uuid: record.selfUUID ?? "", displayName: name), text: text)), in: record)
    }

    private func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        return "s-" + String((0..<10).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    // MARK: the state machine, applied

    /// Runs one input through a session's machine and carries out the effects, then answers.
    func apply(_ input: SessionMachine.Input, to record: SessionRecord, replyTo target: ReplyTarget?) {
        let before = record.machine.state
        let transition = record.machine.handle(input)
        var waitsForUpstream = false
        var releasing: (any UpstreamLink)?
        for effect in transition.effects {
            switch effect {
            case .requestToken(let pin):
                waitsForUpstream = true
                requestToken(for: record, pin: pin)
            case .openConnection:
                openConnection(for: record)
            case .releaseConnection:
                releasing = record.link
                record.link = nil
            case .closeConnection:
                if let link = record.link {
                    record.link = nil
                    startTask { await link.close() }
                }
            case .releaseLateGrant:
                break
            case .emit(let change):
                emit(change, in: record, from: before)
            }
        }
        if waitsForUpstream, let target {
            record.pendingReply = target
        }
        var answers: [(ReplyTarget, Result<ResultData, ErrorBody>)] = []
        if let verdict = transition.verdict {
            let outcome: Result<ResultData, ErrorBody> = switch verdict {
            case .accepted:
                switch input {
                case .leave, .shutdown: .success(.empty)
                default: .success(.session(record.snapshot()))
                }
            case .rejected(let error): .failure(error)
            }
            let endedEarly: Result<ResultData, ErrorBody> = .failure(input == .shutdown
                ? ErrorBody(.shuttingDown, "the bridge shut down before the node answered")
                : ErrorBody(.invalidState, "the session ended before the node answered"))
            if let target {
                answers.append((target, outcome))
                // A join still waiting on the node when a leave overtook it hears why.
                if record.machine.isFinal, let pending = record.pendingReply {
                    record.pendingReply = nil
                    answers.append((pending, endedEarly))
                }
            } else if let pending = record.pendingReply {
                record.pendingReply = nil
                answers.append((pending, input == .shutdown ? endedEarly : outcome))
            }
        }
        if let releasing {
            // Results of `leave` (and shutdown) go out once the node has released the token.
            let sessionID = record.id
            let answers = answers
            startTask {
                await releasing.release()
                await self.released(sessionID: sessionID)
                for (target, outcome) in answers { await self.reply(target, outcome) }
            }
        } else {
            for (target, outcome) in answers { reply(target, outcome) }
        }
    }

    private func released(sessionID: String) {
        logger.debug("session released upstream", metadata: ["session": "\(sessionID)"])
    }

    private func requestToken(for record: SessionRecord, pin: SessionMachine.PINValue?) {
        let upstream = self.upstream
        let (id, node, alias, name) = (record.id, record.node, record.alias, record.displayName)
        let header: PINHeader? = switch pin {
        case .none?: PINHeader.none
        case .digits(let digits)?: .pin(digits)
        case nil: nil
        }
        // A PIN in flight counts against the conference's brute-force budget until the node has answered, so
        // PINs sent at once through many sessions cannot all slip past the guard before the first one fails.
        let guardKey: String? = if case .digits? = pin { pinGuardKey(alias: alias) } else { nil }
        if let guardKey { pinsInFlight[guardKey, default: 0] += 1 }
        startTask {
            let result: Result<TokenRequestOutcome, InfinityError>
            do throws(InfinityError) {
                result = .success(try await upstream.requestToken(node: node, alias: alias, displayName: name, pin: header))
            } catch {
                result = .failure(error)
            }
            await self.tokenOutcome(session: id, node: node, alias: alias, pinGuardKey: guardKey, result)
        }
    }

    private func tokenOutcome(
        session: String, node: NodeAddress, alias: String, pinGuardKey: String?,
        _ result: Result<TokenRequestOutcome, InfinityError>
    ) {
        if let pinGuardKey {
            let left = (pinsInFlight[pinGuardKey] ?? 1) - 1
            pinsInFlight[pinGuardKey] = left > 0 ? left : nil
        }
        guard let record = sessions[session] else {
            if case .success(.granted(let grant)) = result {
                // The session ended while the node was granting: give the token straight back.
                let link = upstream.connect(node: node, alias: alias, grant: grant)
                startTask { await link.release() }
            }
            return
        }
        switch result {
        case .success(let outcome):
            if case .granted(let grant) = outcome {
                record.grant = grant
                record.selfUUID = grant.participantUUID
                record.chatEnabled = grant.chatEnabled ?? true
            }
            apply(.from(outcome), to: record, replyTo: nil)
        case .failure(let error):
            apply(.failure(.upstream(error)), to: record, replyTo: nil)
        }
    }

    private func openConnection(for record: SessionRecord) {
        guard let grant = record.grant else { return }
        let link = upstream.connect(node: record.node, alias: record.alias, grant: grant)
        record.link = link
        record.grant = nil
        let id = record.id
        startTask {
            await link.start()
            for await update in link.updates {
                await self.upstreamUpdate(session: id, update)
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
        if state == .pinRequired || state == .pinOptional {
            record.lastPINError = change.error
            if change.error?.code == .invalidPIN {
                counters.pinFailures += 1
                pinFailures.record(pinGuardKey(alias: record.alias))
            }
        } else {
            record.lastPINError = nil
        }
        if change.error?.code == .tooManyPINAttempts {
            counters.pinFailures += 1
            pinFailures.record(pinGuardKey(alias: record.alias))
        }
        if state == .connected { change.role = role }
        let capabilities = Capabilities.of(
            state: state, role: role, conference: record.conference, chatEnabled: record.chatEnabled,
            waiting: record.isWaiting)
        record.capabilities = capabilities
        change.capabilities = capabilities
        if before != state {
            var metadata: Logger.Metadata = ["session": "\(record.id)", "from": "\(before.rawValue)", "to": "\(state.rawValue)"]
            if let reason = change.reason { metadata["reason"] = "\(reason.rawValue)" }
            if let error = change.error { metadata["error"] = "\(error.code.rawValue)" }
            logger.info("session transition", metadata: metadata)
        }
        publish(.state(change), in: record)
        if state.isFinal { retire(record) }
    }

    /// Removes a final session from the registry and from every subscription.
    private func retire(_ record: SessionRecord) {
        sessions[record.id] = nil
        sessionOrder.removeAll { $0 == record.id }
        for client in record.subscribers { clients[client]?.sessions.remove(record.id) }
        subscriptionVersion += 1
    }

    // MARK: upstream updates

    func upstreamUpdate(session: String, _ update: ConnectionUpdate) {
        guard let record = sessions[session], case .connected = record.machine.phase else { return }
        switch update {
        case .event(let event):
            handle(event, in: record)
        case .health(let health):
            publish(.upstream(UpstreamStatus(health)), in: record)
        case .roleChanged(let role):
            apply(.roleChanged(role == .host ? .host : .guest), to: record, replyTo: nil)
        case .ended(let reason):
            switch reason {
            case .released, .closed: return
            case .remoteDisconnect(let message):
                apply(.upstreamEnded(.remoteDisconnect, message: message), to: record, replyTo: nil)
            case .tokenExpired:
                apply(.upstreamEnded(.tokenExpired, message: "the node's token expired and could not be refreshed"),
                      to: record, replyTo: nil)
            case .upstreamLost:
                apply(.upstreamEnded(.upstreamLost, message: "the event stream could not be re-established"),
                      to: record, replyTo: nil)
            }
        }
    }

    private func handle(_ event: InfinityEvent, in record: SessionRecord) {
        let changes: [Roster.Change]
        switch event {
        case .participantSyncBegin:
            record.roster.beginSync()
            return
        case .participantSyncEnd:
            changes = record.roster.endSync()
        case .participantCreate(let p), .participantUpdate(let p):
            changes = record.roster.upsert(Participant(p, selfUUID: record.selfUUID))
        case .participantDelete(let uuid):
            changes = record.roster.remove(uuid: uuid)
        case .conferenceUpdate(let status):
            let fresh = ConferenceStatus(locked: status.locked, guestsMuted: status.guestsMuted, started: status.started)
            guard fresh != record.conference else { return }
            record.conference = fresh
            publish(.conference(fresh), in: record)
            refreshCapabilities(record)
            return
        case .messageReceived(let message):
            publish(.message(ChatMessage(
                from: MessageSender(uuid: message.senderUUID, displayName: message.origin), text: message.payload)), in: record)
            return
        case .disconnect, .refreshToken, .other:
            return
        }
        for change in changes {
            switch change {
            case .joined(let p): publish(.participantJoined(p), in: record)
            case .updated(let p): publish(.participantUpdated(p), in: record)
            case .left(let uuid): publish(.participantLeft(uuid: uuid), in: record)
            }
        }
        if !changes.isEmpty { refreshCapabilities(record) }
    }

    private func refreshCapabilities(_ record: SessionRecord) {
        let capabilities = Capabilities.of(
            state: record.machine.state, role: record.machine.role, conference: record.conference,
            chatEnabled: record.chatEnabled, waiting: record.isWaiting)
        guard capabilities != record.capabilities else { return }
        record.capabilities = capabilities
        publish(.state(StateChange(state: record.machine.state, role: record.machine.role, capabilities: capabilities)),
                in: record)
    }

    // MARK: shutdown

    /// Ends every session (releasing upstream), tells subscribers `bridge_shutdown`, waits for running work.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        shuttingDown = true
        let live = liveSessions()
        logger.info("shutting down", metadata: ["sessions": "\(live.count)"])
        for record in live {
            apply(.shutdown, to: record, replyTo: nil)
        }
        // `apply` started the releases as tasks; wait for every task, bounded.
        let deadline = ContinuousClock.now + timeout
        while !tasks.isEmpty, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !tasks.isEmpty {
            logger.warning("shutdown timed out waiting for upstream", metadata: ["tasks": "\(tasks.count)"])
        }
    }
}

extension ConferenceControl {
    enum UpstreamCommand {
        case conference(ConferenceCommand)
        case participant(ParticipantCommand, String)
    }

    var upstreamCommand: UpstreamCommand {
        switch self {
        case .lock: .conference(.lock)
        case .unlock: .conference(.unlock)
        case .muteGuests: .conference(.muteGuests)
        case .unmuteGuests: .conference(.unmuteGuests)
        case .startConference: .conference(.startConference)
        case .disconnectAll: .conference(.disconnectAll)
        case .sendMessage(let text): .conference(.message(text))
        case .mute(let p): .participant(.mute, p)
        case .unmute(let p): .participant(.unmute, p)
        case .spotlight(let p, let on): .participant(on ? .spotlightOn : .spotlightOff, p)
        case .admit(let p): .participant(.admit, p)
        case .disconnectParticipant(let p): .participant(.disconnect, p)
        }
    }
}

extension Participant {
    /// Normalises the node's participant.
    init(_ p: InfinityParticipant, selfUUID: String?) {
        self.init(
            uuid: p.uuid, displayName: p.displayName, role: p.role == .host ? .host : .guest, muted: p.isMuted,
            presenting: p.isPresenting, spotlight: p.isSpotlight, serviceType: p.serviceType,
            isSelf: p.uuid == selfUUID, callProtocol: p.protocolName)
    }
}

extension UpstreamStatus {
    init(_ health: UpstreamHealth) {
        switch health {
        case .ok: self.init(status: .ok)
        case .reconnecting(let attempt, let delay):
            let ms = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            self.init(status: .reconnecting, attempt: attempt, delayMs: Int(ms))
        case .tokenRefreshFailed(let attempt): self.init(status: .tokenRefreshFailed, attempt: attempt)
        }
    }
}
