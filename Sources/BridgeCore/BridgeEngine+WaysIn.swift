import BridgeProtocol
import Foundation
import InfinityClient
import Logging

extension BridgeEngine {
    /// `extension`, `idp`, `sso_token`: a client's answer at a way in. A conference extension is a guess like a
    /// PIN: it is held back while the conference's PIN budget is spent.
    func answerWayIn(_ answer: WayInAnswer, session: String, _ target: ReplyTarget) {
        guard let record = sessions[session] else {
            return reply(target, .failure(ErrorBody(.unknownSession, "no live session with that id")))
        }
        if case .conferenceExtension = answer,
            case .wayIn(.conferenceExtension, submitting: false) = record.machine.phase
        {
            let attempt = pinAttempt(node: record.node, alias: record.alias, by: target)
            if let wait = pinGuard.holdBack(attempt, now: now) {
                countRateLimited()
                return reply(
                    target,
                    .failure(
                        ErrorBody(
                            .rateLimited,
                            "too many wrong PINs or extensions for this conference; try again in "
                                + "\(wait.components.seconds + 1) s"
                        )
                    )
                )
            }
        }
        let trimmed: WayInAnswer =
            switch answer {
            case .conferenceExtension(let target): .conferenceExtension(target.trimmingCharacters(in: .whitespaces))
            case .idp, .ssoToken: answer
            }
        apply(.wayIn(.answer(trimmed)), to: record, from: target)
    }

    /// A `refer` from the node: the session follows it (the machine releases the old token and asks the new room).
    func follow(_ target: ReferTarget, in record: SessionRecord) {
        let alias = NodeText.cut(target.alias, maxBytes: NodeText.nameBytes)
        logger.info(
            "session transferred by the node",
            metadata: [
                "session": "\(record.id)", "from": "\(LogText.clean(record.alias))", "to": "\(LogText.clean(alias))",
            ]
        )
        apply(.wayIn(.referred(alias: alias, token: target.token)), to: record)
    }

    /// Carries out `.transfer`: the session is about `alias` from now on, and the old room's roster and state go
    /// (subscribers see each participant leave, so a client that follows events stays in step with snapshots).
    func moveRoom(_ record: SessionRecord, to alias: String, token: String) {
        for participant in record.roster.participants {
            publish(.participantLeft(uuid: participant.uuid), in: record)
        }
        record.roster = Roster()
        record.conference = nil
        record.selfUUID = nil
        record.chatEnabled = true
        record.grant = nil
        // The per-conference session count follows the session to its new conference.
        sessionLimits.closed(client: record.owner, alias: record.alias)
        sessionLimits.opened(client: record.owner, alias: alias)
        record.alias = alias
        record.extras = TokenRequestExtras(oneTimeToken: token.isEmpty ? nil : token)
    }

    /// `join` without `node`: the node is found from the alias's domain.
    func discoverAndJoin(_ parameters: JoinParameters, _ target: ReplyTarget) {
        guard let domain = Self.domain(ofAlias: parameters.alias) else {
            return reply(
                target,
                .failure(ErrorBody(.badRequest, "join: without 'node', 'alias' must be name@domain to find the node"))
            )
        }
        let upstream = self.upstream
        spawn {
            let found: Result<NodeAddress, InfinityError>
            do throws(InfinityError) {
                found = .success(try await upstream.discoverNode(domain: domain))
            } catch {
                found = .failure(error)
            }
            await self.discovered(found, for: parameters, target)
        }
    }

    /// Continues a `join` without `node` once discovery has answered.
    private func discovered(
        _ found: Result<NodeAddress, InfinityError>,
        for parameters: JoinParameters,
        _ target: ReplyTarget
    ) {
        guard !work.isStopping else {
            return reply(target, .failure(ErrorBody(.shuttingDown, "the bridge is shutting down")))
        }
        switch found {
        case .success(let node):
            let nodeText = node.port.map { "\(node.host):\($0)" } ?? node.host
            logger.info("node found", metadata: ["alias": "\(LogText.clean(parameters.alias))", "node": "\(node)"])
            startJoin(parameters, node: node, nodeText: nodeText, target)
        case .failure(let error):
            reply(target, .failure(.upstream(error)))
        }
    }

    /// The domain of `name@domain`, lowercased, or nil when the alias has none (or one that is no host name).
    static func domain(ofAlias alias: String) -> String? {
        guard let at = alias.lastIndex(of: "@") else { return nil }
        let domain = alias[alias.index(after: at)...].lowercased()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.")
        guard !domain.isEmpty, domain.count <= 253, domain.allSatisfy(allowed.contains), !domain.hasPrefix("."),
            !domain.hasSuffix("."), !domain.contains("..")
        else { return nil }
        return domain
    }
}

extension SessionRecord {
    /// Keeps a client's answer for the session's token requests.
    func remember(_ answer: WayInAnswer) {
        switch answer {
        case .conferenceExtension(let target): extras.conferenceExtension = target
        case .idp(let uuid):
            extras.chosenIdP = uuid
            // A new provider needs a new sign-in.
            extras.ssoToken = nil
        case .ssoToken(let token): extras.ssoToken = token
        }
    }
}

extension SessionSnapshot {
    /// Adds the field that describes `step`.
    mutating func addWayIn(_ step: WayInStep) {
        switch step {
        case .conferenceExtension(let kind): self.extension = ExtensionRequirement(kind: kind)
        case .idp(let list): idps = list
        case .sso(let redirect): sso = redirect
        }
    }
}

extension SessionState {
    /// True in the states that wait for a client's answer (a PIN or a way in); they expire after
    /// `pinStateTimeout`.
    var waitsForClient: Bool {
        switch self {
        case .pinRequired, .pinOptional, .extensionRequired, .idpRequired, .ssoRequired: true
        case .connecting, .connected, .disconnected, .error: false
        }
    }
}

extension WayInInput {
    /// The machine's view of a way-in outcome of a token request; the node's strings are cut to `NodeText`'s
    /// limits.
    static func from(_ outcome: TokenRequestOutcome) -> WayInInput {
        func info(_ idp: IdentityProvider) -> IdPInfo {
            IdPInfo(
                uuid: NodeText.cut(idp.uuid, maxBytes: NodeText.tokenBytes),
                name: NodeText.cut(idp.name, maxBytes: NodeText.nameBytes)
            )
        }
        switch outcome {
        case .extensionRequired(let kind):
            return .challenge(.conferenceExtension(kind == "mssip" ? .mssip : .standard))
        case .identityProviders(let list):
            return .challenge(.idp(Array(list.prefix(32)).map(info)))
        case .ssoRedirect(let url, let idp):
            return .challenge(.sso(SSORedirect(redirectURL: url, idp: info(idp))))
        case .extensionNotFound(let message):
            return .extensionNotFound(
                ErrorBody(
                    .extensionNotFound,
                    "the Virtual Reception does not know that conference (\(quoted(message)))"
                )
            )
        case .ssoFailed(let message):
            return .ssoFailed(ErrorBody(.ssoFailed, "the conference node refused the sign-in (\(quoted(message)))"))
        case .granted, .pinChallenge, .invalidPIN, .conferenceNotFound, .unsupportedChallenge, .refused, .serverError:
            preconditionFailure("not a way-in outcome")
        }
    }
}

extension NodeText {
    /// The longest disconnect reason clients see, in characters (contract Part 2).
    static let reasonCharacters = 200

    /// The node's words as one line for people: control characters (newlines included) become spaces, runs of
    /// spaces collapse, and the text is cut to `maxCharacters` (a cut ends in "…").
    static func line(_ text: String, maxCharacters: Int) -> String {
        var out = ""
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            let isControl =
                scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
            if isControl || scalar == " " {
                if !lastWasSpace { out.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        while out.hasSuffix(" ") { out.removeLast() }
        guard out.count > maxCharacters else { return out }
        return String(out.prefix(maxCharacters - 1)) + "…"
    }
}
