import BridgeProtocol
import Logging

extension BridgeEngine {
    /// `auth`: grants the role of the matching token, or refuses and closes after a delay; repeated failures
    /// from one address are held back.
    func authenticate(_ token: String, _ target: ReplyTarget) {
        guard configuration.authRequired else { return reply(target, .success(.role(.controller))) }
        let peer = clients[target.client]?.peer ?? "?"
        let key = AuthFailureKey.of(peer: peer)
        let waits = [authFailures.holdBack(key, now: now), authGlobalFailures.holdBack("*", now: now)]
        if let wait = waits.compactMap({ $0 }).max() {
            countAuthFailure()
            logger.notice(
                "auth attempt held back",
                metadata: ["client": "\(target.client)", "peer": "\(LogText.clean(peer))"]
            )
            reply(
                target,
                .failure(
                    ErrorBody(
                        .rateLimited,
                        "too many failed attempts from this address; try again in \(wait.components.seconds + 1) s"
                    )
                )
            )
            return closeAfterDelay(target.client, reason: "authentication held back")
        }
        let secret = Array(token.utf8)
        // Compare against every token, in constant time per token, so timing reveals nothing.
        var granted: ClientRole?
        for candidate in configuration.authTokens where constantTimeEqual(Array(candidate.secret.utf8), secret) {
            granted = granted ?? candidate.role
        }
        if let granted {
            let before = clients[target.client]?.role?.rawValue ?? "unauthenticated"
            clients.authenticate(target.client, as: granted)
            sink.promote(target.client)
            metrics.client(from: before, to: granted.rawValue)
            logger.info(
                "client authenticated",
                metadata: ["client": "\(target.client)", "role": "\(granted.rawValue)"]
            )
            return reply(target, .success(.role(granted)))
        }
        countAuthFailure()
        authFailures.record(key, now: now)
        authGlobalFailures.record("*", now: now)
        logger.notice(
            "client failed to authenticate",
            metadata: ["client": "\(target.client)", "peer": "\(LogText.clean(peer))"]
        )
        reply(target, .failure(ErrorBody(.unauthorized, "unknown token")))
        closeAfterDelay(target.client, reason: "authentication failed")
    }

    private func countAuthFailure() {
        counters.authFailures += 1
        metrics.authFailures.increment()
    }

    /// Closes a client with 1008 after the configured delay; it is ignored meanwhile.
    private func closeAfterDelay(_ client: ClientID, reason: String) {
        clients.markClosing(client)
        let sink = self.sink
        schedule(at: now + configuration.authFailureCloseDelay) { _ in
            sink.close(client, code: 1008, reason: reason)
        }
    }
}

/// What auth failures are counted by: the peer's address, with IPv6 peers grouped by their /64 (one host
/// usually owns a whole /64, and rotating through it must not reset the budget). IPv4-mapped IPv6 addresses count
/// as the IPv4 address they carry.
enum AuthFailureKey {
    static func of(peer: String) -> String {
        var text = peer
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<close])
        }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        guard text.contains(":"), let groups = ipv6Groups(text) else { return peer }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xFFFF {
            return "\(groups[6] >> 8).\(groups[6] & 0xFF).\(groups[7] >> 8).\(groups[7] & 0xFF)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address in text form (with `::` and a trailing dotted IPv4 part).
    static func ipv6Groups(_ text: String) -> [UInt16]? {
        var text = Substring(text)
        var tail: [UInt16] = []
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            let parts = text[text.index(after: lastColon)...].split(separator: ".", omittingEmptySubsequences: false)
            let bytes = parts.compactMap { UInt8($0) }
            guard parts.count == 4, bytes.count == 4 else { return nil }
            tail = [UInt16(bytes[0]) << 8 | UInt16(bytes[1]), UInt16(bytes[2]) << 8 | UInt16(bytes[3])]
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        func parse(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            let values = pieces.compactMap { $0.count <= 4 ? UInt16($0, radix: 16) : nil }
            return values.count == pieces.count ? values : nil
        }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        let groups: [UInt16]
        switch halves.count {
        case 1:
            guard let all = parse(halves[0]) else { return nil }
            groups = all + tail
        case 2:
            guard let head = parse(halves[0]), let rest = parse(halves[1]) else { return nil }
            let missing = 8 - head.count - rest.count - tail.count
            guard missing >= 1 else { return nil }
            groups = head + Array(repeating: 0, count: missing) + rest + tail
        default:
            return nil
        }
        return groups.count == 8 ? groups : nil
    }
}

/// Compares two byte strings in time that depends only on their lengths (every byte of the longer is read).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = a.count == b.count ? 0 : 1
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= Int(x ^ y)
    }
    return difference == 0
}
