import BridgeProtocol
import Logging

extension BridgeEngine {
    /// `auth`: grants the role of the matching token, or refuses and closes after a delay; repeated failures
    /// from one address are held back.
    func authenticate(_ token: String, _ target: ReplyTarget) {
        guard configuration.authRequired else { return reply(target, .success(.role(.controller))) }
        let peer = clients[target.client]?.peer ?? "?"
        let key = AuthFailureKey.of(peer: peer)
        if let wait = authFailures.holdBack(key, now: now) {
            countAuthFailure()
            logger.notice(
                "auth attempt held back", metadata: ["client": "\(target.client)", "peer": "\(LogText.clean(peer))"])
            reply(target, .failure(ErrorBody(
                .rateLimited,
                "too many failed attempts from this address; try again in \(wait.components.seconds + 1) s")))
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
            logger.info("client authenticated", metadata: ["client": "\(target.client)", "role": "\(granted.rawValue)"])
            return reply(target, .success(.role(granted)))
        }
        countAuthFailure()
        authFailures.record(key, now: now)
        logger.notice(
            "client failed to authenticate", metadata: ["client": "\(target.client)", "peer": "\(LogText.clean(peer))"])
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
/// usually owns a whole /64, and rotating through it must not reset the budget).
enum AuthFailureKey {
    static func of(peer: String) -> String {
        peer
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
