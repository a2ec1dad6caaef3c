import CLibWebSockets

extension ServiceLoop {
    /// Decides on an upgrade before it happens: path, origin, subprotocol, limits. Non-zero refuses.
    func confirmUpgrade(_ wsi: OpaquePointer, upgrade: UnsafeMutableRawPointer?) -> Int32 {
        let kind = upgrade.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? ""
        guard kind.lowercased() == "websocket" else {
            return refuseUpgrade(wsi, status: 400, message: "unsupported upgrade")
        }
        let path = header(wsi, WSI_TOKEN_GET_URI) ?? ""
        guard path == configuration.webSocketPath || (configuration.echoPath.map { $0 == path } ?? false) else {
            return refuseUpgrade(wsi, status: 404, message: "no WebSocket endpoint here")
        }
        guard !draining else {
            return refuseUpgrade(wsi, status: 503, message: "shutting down")
        }
        guard originPolicy.allows(origin: header(wsi, WSI_TOKEN_ORIGIN), host: header(wsi, WSI_TOKEN_HOST)) else {
            return refuseUpgrade(wsi, status: 403, message: "origin not allowed")
        }
        // After the Origin check, so a browser page under a rebinding name keeps getting its 403; a client without
        // an Origin but with such a Host gets 421.
        if let refusal = edgeRefusal(wsi) {
            return refuseUpgrade(wsi, status: refusal.status, message: refusal.reason)
        }
        if let offered = header(wsi, WSI_TOKEN_PROTOCOL) {
            let names = offered.split(separator: ",").map { $0.filter { $0 != " " && $0 != "\t" } }
            guard names.contains(configuration.subprotocol) else {
                return refuseUpgrade(wsi, status: 400, message: "unsupported subprotocol")
            }
        }
        let peer = clientAddress(wsi)
        guard connections.count < configuration.maxConnections,
            connectionsPerAddress[peer, default: 0] < configuration.maxConnectionsPerAddress
        else {
            return refuseUpgrade(wsi, status: 503, message: "too many connections")
        }
        if !configuration.promoteOnOpen, path == configuration.webSocketPath {
            guard unauthenticatedCount < configuration.maxUnauthenticatedConnections,
                unauthenticatedPerAddress[peer, default: 0] < configuration.maxUnauthenticatedConnectionsPerAddress
            else {
                return refuseUpgrade(wsi, status: 503, message: "too many unauthenticated connections")
            }
        }
        return 0
    }

    private func refuseUpgrade(_ wsi: OpaquePointer, status: Int, message: String) -> Int32 {
        counters.upgradesRefused.add(1)
        logger.debug("WebSocket upgrade refused", metadata: ["status": "\(status)", "reason": "\(message)"])
        _ = writeRefusal(wsi, status: status, reason: message)
        return -1  // hang up after the response
    }

    /// A connection completed its upgrade.
    func established(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer?) -> Int32 {
        guard let user else { return -1 }
        let key = nextKey()
        releaseHTTPConnection(wsi)
        let isEcho = configuration.echoPath != nil && header(wsi, WSI_TOKEN_GET_URI) == configuration.echoPath
        let peer = clientAddress(wsi)
        let promoted = isEcho || configuration.promoteOnOpen
        let connection = Connection(
            id: ConnectionID(rawValue: key),
            wsi: wsi,
            peerAddress: peer,
            isEcho: isEcho,
            maxMessageBytes: isEcho
                ? TransportConfiguration.echoMaxMessageBytes
                : promoted
                    ? configuration.maxMessageBytes
                    : min(configuration.unauthenticatedMaxMessageBytes, configuration.maxMessageBytes),
            outboxLimitBytes: isEcho
                ? max(TransportConfiguration.echoOutboxLimitBytes, configuration.outboxLimitBytes)
                : configuration.outboxLimitBytes,
            promoted: promoted
        )
        if !promoted {
            unauthenticatedCount += 1
            unauthenticatedPerAddress[peer, default: 0] += 1
        }
        if !isEcho, let limit = configuration.messageRate {
            connection.rateMeter = MessageRateMeter(limit: limit, now: now)
        }
        connections[key] = connection
        ConnectionSlot.setKey(user, key)
        ConnectionSlot.setConnection(user, connection)
        connectionsPerAddress[peer, default: 0] += 1
        if !isEcho {
            let offered = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL) > 0
            let info = ConnectionInfo(
                peerAddress: peer,
                origin: header(wsi, WSI_TOKEN_ORIGIN),
                subprotocol: offered ? configuration.subprotocol : nil
            )
            counters.connections.add(1)
            counters.connectionsOpened.add(1)
            events.yield(.opened(connection.id, info))
        }
        return 0
    }

    /// A chunk of a message arrived; whole messages become events (or echoes).
    func receive(
        _ wsi: OpaquePointer,
        user: UnsafeMutableRawPointer?,
        data: UnsafeMutableRawPointer?,
        length: Int
    ) -> Int32 {
        guard let connection = connection(for: user), connection.pendingClose == nil else { return 0 }
        let isFirst = lws_is_first_fragment(wsi) != 0
        let isFinal = lws_is_final_fragment(wsi) != 0
        if isFirst {
            connection.incomingIsBinary = lws_frame_is_binary(wsi) != 0
            connection.incomingSize = 0
            connection.incoming = []
        }
        connection.incomingSize += length
        // What arrived plus what the current frame header still announces: a too-big frame is refused
        // at its first chunk, before its bytes are read.
        let announced = connection.incomingSize + lws_remaining_packet_payload(wsi)
        if announced > connection.maxMessageBytes {
            counters.oversizeCloses.add(1)
            connection.incoming = []
            setCloseReason(wsi, code: CloseCode.messageTooBig, reason: Array("message too big".utf8))
            connection.pendingClose = .init(code: CloseCode.messageTooBig, reason: [])  // no more sends
            return -1  // lws sends the close frame with the reason set above
        }
        let chunk = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : length)
        let keepsBytes = !connection.incomingIsBinary || connection.isEcho
        guard isFinal else {
            if keepsBytes {
                if isFirst { connection.incoming.reserveCapacity(announced) }
                connection.incoming.append(contentsOf: chunk)
            }
            return 0
        }
        counters.messagesReceived.add(1)
        // Charged before the message is queued: one token per whole message, text or binary alike.
        guard chargeRate(connection) else {
            connection.incoming = []
            return 0
        }
        if isFirst {
            deliver(connection, chunk)
        } else {
            if keepsBytes { connection.incoming.append(contentsOf: chunk) }
            let message = connection.incoming
            connection.incoming = []
            message.withUnsafeBytes { deliver(connection, $0) }
        }
        updateReading(connection)
        return 0
    }

    private func deliver(_ connection: Connection, _ message: UnsafeRawBufferPointer) {
        let credit: InboundQueue.Credit
        if connection.isEcho {
            let frame = OutboundFrame(copying: message, binary: connection.incomingIsBinary)
            enqueue(frame.owned(by: serverKey), to: connection)
            return
        } else if connection.incomingIsBinary {
            credit = events.yieldMessage(.binary(connection.id), of: connection.id)
        } else {
            credit = events.yieldMessage(.text(connection.id, Array(message)), of: connection.id)
        }
        if credit == .pauseReads, !connection.pausedForBacklog {
            connection.pausedForBacklog = true
            counters.readsPausedForBacklog.add(1)
        }
    }

    /// Charges one message to the connection's rate meter; false when the connection is closed for it.
    private func chargeRate(_ connection: Connection) -> Bool {
        guard var meter = connection.rateMeter else { return true }
        let decision = meter.charge(now: now)
        connection.rateMeter = meter
        switch decision {
        case .proceed:
            return true
        case .pause(let wait):
            connection.pausedForRate = true
            counters.readsPausedForRate.add(1)
            let micros = wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000
            lws_set_timer_usecs(connection.wsi, lws_usec_t(max(1, micros)))
            return true
        case .close:
            counters.rateLimitCloses.add(1)
            logger.notice(
                "closing connection over the message rate",
                metadata: [
                    "connection": "\(connection.id)", "peer": "\(connection.peerAddress)",
                ]
            )
            beginClose(
                connection,
                code: CloseCode.policyViolation,
                reason: "message rate exceeded",
                graceSeconds: configuration.slowConsumerGraceSeconds
            )
            return false
        }
    }

    /// The rate pause of a connection is over.
    func rateTimerFired(user: UnsafeMutableRawPointer?) {
        guard let connection = connection(for: user) else { return }
        connection.pausedForRate = false
        updateReading(connection)
    }

    /// Tells lws whether to read the connection: not while a pause holds, always once it is closing (so the
    /// peer's close frame is read; messages that arrive then are dropped).
    func updateReading(_ connection: Connection) {
        let read = connection.pendingClose != nil || (!connection.pausedForBacklog && !connection.pausedForRate)
        guard read != connection.reading else { return }
        connection.reading = read
        lws_rx_flow_control(connection.wsi, read ? 1 : 0)
    }

    /// The socket can take data: write one frame, or the close once the outbox is empty.
    func writeable(_ wsi: OpaquePointer, user: UnsafeMutableRawPointer?) -> Int32 {
        guard let connection = connection(for: user) else { return 0 }
        if let frame = connection.outbox.popFirst() {
            counters.bytesQueued.add(-frame.count)
            let written = lws_write(wsi, frame.payload, frame.count, frame.isBinary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT)
            guard written >= frame.count else { return -1 }
            counters.framesSent.add(1)
            if !connection.outbox.isEmpty || connection.pendingClose != nil {
                lws_callback_on_writable(wsi)
            }
            return 0
        }
        if let close = connection.pendingClose {
            setCloseReason(wsi, code: close.code, reason: close.reason)
            return -1
        }
        return 0
    }

    /// The peer sent a close frame; lws answers it unless this returns non-zero.
    ///
    /// A close body is empty or starts with a 2-byte code, so a 1-byte body is a protocol error. lws 4.1.6
    /// would echo those bytes back as its own (equally malformed) close frame; returning -1 instead fails
    /// the connection, which RFC 6455 (7.1.7) does by closing TCP. No close reason is set here, so lws
    /// sends no close frame and does not wait for an acknowledgement the peer will never send.
    func peerInitiatedClose(length: Int) -> Int32 {
        length == 1 ? -1 : 0
    }

    /// The connection is gone (CLOSED, or WSI_DESTROY as a safety net).
    func connectionClosed(user: UnsafeMutableRawPointer?) {
        guard let user else { return }
        let key = ConnectionSlot.key(user)
        guard key != 0, let connection = connections.removeValue(forKey: key) else { return }
        ConnectionSlot.setKey(user, 0)
        ConnectionSlot.setConnection(user, nil)
        let dropped = connection.outbox.removeAll()
        if dropped.frames > 0 {
            counters.framesDropped.add(dropped.frames)
            counters.bytesQueued.add(-dropped.bytes)
        }
        if !connection.promoted { releaseUnauthenticated(connection.peerAddress) }
        if let count = connectionsPerAddress[connection.peerAddress], count > 1 {
            connectionsPerAddress[connection.peerAddress] = count - 1
        } else {
            connectionsPerAddress[connection.peerAddress] = nil
        }
        if !connection.isEcho {
            counters.connections.add(-1)
            events.yield(.closed(connection.id))
        }
        if draining && connections.isEmpty { drained.fire() }
    }

    /// Queues a frame, or closes the connection as a slow consumer when its outbox would pass the bound.
    func enqueue(_ frame: OutboundFrame, to connection: Connection) {
        guard connection.pendingClose == nil else {
            counters.framesDropped.add(1)
            return
        }
        // One frame over the limit may pass through an empty outbox (a big snapshot to an idle client is not a
        // slow consumer), up to a hard cap.
        let fits =
            connection.outbox.bytes + frame.count <= connection.outboxLimitBytes
            || (connection.outbox.isEmpty && frame.count <= TransportConfiguration.oversizeFrameHardCapBytes)
        guard fits else {
            let dropped = connection.outbox.removeAll()
            counters.framesDropped.add(dropped.frames + 1)
            counters.bytesQueued.add(-dropped.bytes)
            counters.slowConsumerCloses.add(1)
            logger.notice(
                "closing slow consumer",
                metadata: [
                    "connection": "\(connection.id)", "peer": "\(connection.peerAddress)",
                ]
            )
            beginClose(
                connection,
                code: CloseCode.policyViolation,
                reason: "slow consumer",
                graceSeconds: configuration.slowConsumerGraceSeconds
            )
            return
        }
        let wasEmpty = connection.outbox.isEmpty
        connection.outbox.append(frame)
        counters.bytesQueued.add(frame.count)
        if wasEmpty { lws_callback_on_writable(connection.wsi) }
    }

    /// Closes after the queued frames; a peer that does not take them within `graceSeconds` is dropped.
    func beginClose(_ connection: Connection, code: UInt16, reason: String, graceSeconds: Int32) {
        connection.pendingClose = .init(code: code, reason: Self.closeReasonBytes(reason))
        lws_set_timeout(connection.wsi, PENDING_TIMEOUT_USER_OK, graceSeconds)
        lws_callback_on_writable(connection.wsi)
        updateReading(connection)
    }

    private func connection(for user: UnsafeMutableRawPointer?) -> Connection? {
        guard let user else { return nil }
        return ConnectionSlot.connection(user)
    }

    private func setCloseReason(_ wsi: OpaquePointer, code: UInt16, reason: [UInt8]) {
        var bytes = reason.isEmpty ? [0] : reason
        let count = reason.count
        bytes.withUnsafeMutableBufferPointer {
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), $0.baseAddress, count)
        }
    }

    /// A close reason fits in a control frame: at most 123 bytes, cut at a character boundary.
    static func closeReasonBytes(_ reason: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard bytes.count + encoded.count <= 123 else { break }
            bytes += encoded
        }
        return bytes
    }

}
