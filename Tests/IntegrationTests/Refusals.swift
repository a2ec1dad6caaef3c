import BridgeClient
import Foundation
import Testing

/// Expects `body` to fail because the server refused the connection: `BridgeClientError.connectFailed` (an HTTP
/// refusal, a reset, a failed TLS handshake). Never `.timeout`, so a server that accepts TCP and then hangs cannot
/// pass for one that refuses; never a close after `hello`, so a server that let the client in cannot either.
/// - Parameters:
///   - detail: text the error's description must contain (case-insensitive), when given.
///   - body: the connection attempt.
/// - Returns: the error, for further checks (nil when nothing or something else was thrown; an issue is recorded).
@discardableResult
func expectRefused(
    containing detail: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> BridgeClientError? {
    do {
        try await body()
        Issue.record("expected a refusal, but the connection succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as BridgeClientError {
        switch error {
        case .timeout:
            Issue.record("expected a refusal, got a timeout (a server that hangs)", sourceLocation: sourceLocation)
        case .closed, .protocolViolation:
            Issue.record("expected a refusal before hello, got \(error)", sourceLocation: sourceLocation)
        case .connectFailed(let why):
            if let detail, !why.lowercased().contains(detail.lowercased()) {
                Issue.record("the refusal does not say '\(detail)': \(why)", sourceLocation: sourceLocation)
            }
        }
        return error
    } catch {
        Issue.record("expected a BridgeClientError refusal, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
