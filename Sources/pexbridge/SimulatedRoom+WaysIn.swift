import BridgeServer
import InfinitySimulator

extension SimulatedRoom {
    /// The demo line's words for the ways in.
    var waysInSummary: [String] {
        var parts: [String] = []
        if let kind = receptionKind { parts.append("Virtual Reception (\(kind)): give a room, e.g. meet.open") }
        if !identityProviders.isEmpty {
            parts.append("sign-in with \(identityProviders.map(\.name).joined(separator: " or ")) (any user name)")
        }
        if let target = referTo { parts.append("moves you to \(target)") }
        return parts
    }

    /// How the page labels a room with a way in; nil for the PIN-only rooms.
    var waysInAccess: EmbeddedNode.DemoRoom.Access? {
        if receptionKind != nil { return .reception }
        if !identityProviders.isEmpty { return .sso }
        return nil
    }
}
