import CLibWebSockets

/// The protocol callback lws calls for every event of a server's connections.
///
/// A plain function (a C function pointer) that finds its ``ServiceLoop`` through the context user pointer.
func libWebSocketsCallback(
    _ wsi: OpaquePointer?,
    _ reason: lws_callback_reasons,
    _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?,
    _ length: Int
) -> Int32 {
    guard let wsi, let context = lws_get_context(wsi), let loopPointer = lws_context_user(context) else { return 0 }
    let loop = Unmanaged<ServiceLoop>.fromOpaque(loopPointer).takeUnretainedValue()
    return loop.handle(wsi, reason: reason, user: user, input: input, length: length)
}

extension ServiceLoop {
    /// Dispatches one lws callback.
    func handle(
        _ wsi: OpaquePointer,
        reason: lws_callback_reasons,
        user: UnsafeMutableRawPointer?,
        input: UnsafeMutableRawPointer?,
        length: Int
    ) -> Int32 {
        switch reason {
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return writeable(wsi, user: user)
        case LWS_CALLBACK_RECEIVE:
            return receive(wsi, user: user, data: input, length: length)
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            drainCommands()
            return 0
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return confirmUpgrade(wsi, upgrade: input)
        case LWS_CALLBACK_ESTABLISHED:
            return established(wsi, user: user)
        case LWS_CALLBACK_TIMER:
            rateTimerFired(user: user)
            return 0
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            return peerInitiatedClose(length: length)
        case LWS_CALLBACK_CLOSED:
            connectionClosed(user: user)
            return 0
        case LWS_CALLBACK_HTTP:
            return httpRequest(wsi, user: user, uri: input, length: length)
        case LWS_CALLBACK_HTTP_BODY:
            return httpBody(wsi, user: user, data: input, length: length)
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return httpBodyComplete(wsi, user: user)
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return httpWriteable(wsi, user: user)
        case LWS_CALLBACK_CLOSED_HTTP, LWS_CALLBACK_HTTP_DROP_PROTOCOL:
            dropExchange(user: user)
            return 0
        case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
            return acceptedConnection(wsi) ? 0 : -1
        case LWS_CALLBACK_WSI_DESTROY:
            releaseHTTPConnection(wsi)
            connectionClosed(user: user)
            dropExchange(user: user)
            return 0
        default:
            return 0
        }
    }
}
