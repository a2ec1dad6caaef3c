import BridgeProtocol
import Logging

/// Where a request goes: every frame from a client enters here, is charged against the client's budget before it
/// is decoded, passes the auth and role gates, and is handed to exactly one handler.
extension BridgeEngine {
    /// A text frame arrived from a client.
    /// - Parameters:
    ///   - client: the transport's connection id.
    ///   - text: the frame's bytes (UTF-8 JSON, validated by the transport).
    public func receive(_ client: ClientID, text: [UInt8]) {
        switch clients.admit(client, now: now) {
        case .ignore:
            return
        case .rateLimited:
            refuseOverBudget(client, text: text)
        case .admit:
            let limit = configuration.maxFrameBytesBeforeAuth
            if clients[client]?.role == nil, text.count > limit {
                let why = "authenticate first: frames before auth are at most \(limit) bytes"
                return send(.error(ErrorBody(.badRequest, why)), to: client)
            }
            route(RequestCodec.decode(text), text: text, from: client)
        }
    }

    /// A binary frame arrived: the protocol is text only. It costs the same budget as a text frame.
    /// - Parameter client: the transport's connection id.
    public func receiveBinary(_ client: ClientID) {
        switch clients.admit(client, now: now) {
        case .ignore: return
        case .rateLimited: countRateLimited()
        case .admit:
            send(
                .error(ErrorBody(.unsupportedFrame, "binary frames are not supported; send JSON in text frames")),
                to: client
            )
        }
    }

    /// Answers a frame over the client's budget without decoding it: only its `id` is looked for, in a bounded
    /// prefix, so a flood costs little.
    private func refuseOverBudget(_ client: ClientID, text: [UInt8]) {
        countRateLimited()
        let error = ErrorBody(.rateLimited, "too many requests; slow down")
        if let id = RequestCodec.peekID(text) {
            reply(ReplyTarget(client: client, id: id), .failure(error))
        } else {
            send(.error(error), to: client)
        }
    }

    func countRateLimited() {
        counters.rateLimited += 1
        metrics.rateLimited.increment()
    }

    private func route(_ decoded: Result<RequestEnvelope, RequestDecodingError>, text: [UInt8], from client: ClientID) {
        let envelope: RequestEnvelope
        switch decoded {
        case .failure(.unreadable(let why)):
            return send(.error(ErrorBody(.badRequest, why)), to: client)
        case .failure(.unknownType(let id, let type)):
            return reply(
                ReplyTarget(client: client, id: id),
                .failure(
                    ErrorBody(
                        .unknownType,
                        "unknown message type '\(LogText.clean(type, limit: 64))'"
                    )
                )
            )
        case .failure(.invalidFields(let id, _, let why)):
            return reply(ReplyTarget(client: client, id: id), .failure(ErrorBody(.badRequest, why)))
        case .failure(.invalidValue(let id, _, let why)):
            return reply(ReplyTarget(client: client, id: id), .failure(ErrorBody(.invalidValue, why)))
        case .success(let decoded):
            envelope = decoded
        }
        let target = ReplyTarget(client: client, id: envelope.id)
        if case .auth(let token) = envelope.request {
            return authenticate(token, target)
        }
        guard let role = clients[client]?.role else {
            return reply(target, .failure(ErrorBody(.unauthorized, "authenticate first: send auth with a token")))
        }
        guard role == .controller || envelope.request.type.allowedForObservers else {
            return reply(
                target,
                .failure(
                    ErrorBody(
                        .forbidden,
                        "observers may only list, subscribe, unsubscribe and ping"
                    )
                )
            )
        }
        if let session = envelope.request.sessionActedOn {
            // With several instances on one store, the session's holder acts on it; this instance relays.
            if isElsewhere(session) { return forward(text, session: session, role: role, target: target) }
            if store != nil, let refusal = leaseRefusal(session) { return reply(target, .failure(refusal)) }
        }
        dispatch(envelope.request, target)
    }

    /// Hands a request that passed the gates to its handler (a client's here, or one forwarded by another
    /// instance).
    func dispatch(_ request: Request, _ target: ReplyTarget) {
        switch request {
        case .auth: preconditionFailure("auth is routed before the role gate")
        case .ping: reply(target, .success(.empty))
        case .list: list(target)
        case .subscribe(let session, let since, let include):
            subscribe(target, session: session, since: since, include: include)
        case .unsubscribe(let session): unsubscribe(target, session: session)
        case .join(let parameters): join(parameters, target)
        case .pin(let session, let pin): submitPIN(pin, session: session, target)
        case .leave(let session): leave(session, target)
        case .control(let session, let control): perform(control, session: session, target)
        case .wayIn(let session, let answer): answerWayIn(answer, session: session, target)
        }
    }
}
