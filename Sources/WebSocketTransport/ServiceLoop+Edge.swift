import CLibWebSockets

/// Checks every request (plain HTTP and WebSocket upgrades alike) must pass before anything else happens, and
/// the peer address the core is told.
extension ServiceLoop {
    /// Why a request is refused at its headers (status and a one-line reason), or nil.
    ///
    /// - On a loopback listener the Host must be a loopback name: a page served under another name (DNS
    ///   rebinding) must not read `/metrics` or drive the bridge. Any port is accepted: a loopback bridge is
    ///   reached through local port forwards (`ssh -L 9000:localhost:8080`) whose Host names the forward's port,
    ///   and a rebinding page cannot name a loopback host at all.
    /// - With ``TransportConfiguration/refuseProxiedRequests``, a request that came through a reverse proxy is
    ///   refused: a bridge without tokens is safe only while just this machine can reach it.
    func edgeRefusal(_ wsi: OpaquePointer) -> (status: Int, reason: String)? {
        if configuration.isLoopback, !isLoopbackHost(header(wsi, WSI_TOKEN_HOST)) {
            return (421, "misdirected request: the Host header must name this loopback bridge")
        }
        if configuration.refuseProxiedRequests, hasProxyHeaders(wsi) {
            return (403, "proxied requests are refused: this bridge requires no tokens, so it serves this machine only")
        }
        return nil
    }

    private func isLoopbackHost(_ host: String?) -> Bool {
        guard let host = host?.lowercased(), !host.isEmpty else { return false }
        let (name, port) = OriginPolicy.splitAuthority(host)
        guard let name, OriginPolicy.isLoopbackName(name) else { return false }
        return port.map { Int($0) != nil } ?? true
    }

    private func hasProxyHeaders(_ wsi: OpaquePointer) -> Bool {
        header(wsi, WSI_TOKEN_X_FORWARDED_FOR) != nil || header(wsi, WSI_TOKEN_HTTP_X_REAL_IP) != nil
            || customHeader(wsi, "forwarded:") != nil
    }

    /// The client's address: the TCP peer, or, when that is a trusted proxy, the client the proxy names.
    func clientAddress(_ wsi: OpaquePointer) -> String {
        let peer = peerAddress(wsi)
        guard !configuration.trustedProxies.isEmpty,
            configuration.trustedProxies.contains(where: { $0.contains(peer) })
        else { return peer }
        let named = ForwardedClient.address(
            forwarded: customHeader(wsi, "forwarded:"),
            forwardedFor: header(wsi, WSI_TOKEN_X_FORWARDED_FOR),
            realIP: header(wsi, WSI_TOKEN_HTTP_X_REAL_IP),
            trusted: configuration.trustedProxies
        )
        guard let named else { return peer }
        return named.hasPrefix("::ffff:") && named.contains(".") ? String(named.dropFirst(7)) : named
    }

    /// A header lws has no token for (name in lower case with its colon), or nil when absent.
    func customHeader(_ wsi: OpaquePointer, _ name: String) -> String? {
        var nameBytes = Array(name.utf8CString)
        let count = Int32(name.utf8.count)
        let length = nameBytes.withUnsafeMutableBufferPointer { lws_hdr_custom_length(wsi, $0.baseAddress, count) }
        guard length > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let copied = nameBytes.withUnsafeMutableBufferPointer { namePointer in
            lws_hdr_custom_copy(wsi, &buffer, Int32(buffer.count), namePointer.baseAddress, count)
        }
        guard copied >= 0 else { return nil }
        return String(decoding: buffer[..<Int(copied)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: - TCP connections per address (plain HTTP and upgrades in progress)

    /// A TCP connection was accepted; false (close it) when its address already holds the most allowed.
    func acceptedConnection(_ wsi: OpaquePointer) -> Bool {
        let peer = peerAddress(wsi)
        if configuration.trustedProxies.contains(where: { $0.contains(peer) }) { return true }
        guard httpConnectionsPerAddress[peer, default: 0] < configuration.maxHTTPConnectionsPerAddress else {
            counters.httpConnectionsRefused.add(1)
            return false
        }
        httpConnectionsPerAddress[peer, default: 0] += 1
        httpConnectionPeers[UInt(bitPattern: wsi)] = peer
        counters.httpConnections.add(1)
        return true
    }

    /// The connection upgraded to WebSocket or went away: it no longer counts as an HTTP connection.
    func releaseHTTPConnection(_ wsi: OpaquePointer) {
        guard let peer = httpConnectionPeers.removeValue(forKey: UInt(bitPattern: wsi)) else { return }
        counters.httpConnections.add(-1)
        if let count = httpConnectionsPerAddress[peer], count > 1 {
            httpConnectionsPerAddress[peer] = count - 1
        } else {
            httpConnectionsPerAddress[peer] = nil
        }
    }

    // MARK: - Promotion (pre-auth limits)

    /// The core authenticated the connection: lift the pre-auth limits.
    func promote(_ id: ConnectionID) {
        guard let connection = connections[id.rawValue], !connection.promoted else { return }
        connection.promoted = true
        connection.maxMessageBytes = configuration.maxMessageBytes
        releaseUnauthenticated(connection.peerAddress)
    }

    func releaseUnauthenticated(_ peer: String) {
        unauthenticatedCount -= 1
        if let count = unauthenticatedPerAddress[peer], count > 1 {
            unauthenticatedPerAddress[peer] = count - 1
        } else {
            unauthenticatedPerAddress[peer] = nil
        }
    }
}
