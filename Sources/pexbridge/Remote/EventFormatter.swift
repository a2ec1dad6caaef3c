import BridgeProtocol
import Foundation
import InfinityClient

/// Turns session events into the human lines of `watch`, remembering participants' names.
struct EventFormatter {
    /// Display names by participant uuid, so `participant_left` can name who left.
    private var names: [String: String] = [:]

    /// Learns the participants of the snapshots a subscription starts from.
    mutating func learn(_ snapshots: [SessionSnapshot]) {
        for snapshot in snapshots {
            for p in snapshot.participants { names[p.uuid] = p.displayName }
        }
    }

    /// `HH:MM:SS s-abc  #12 participant_joined  Alice (guest)`.
    ///
    /// Names, chat and the node's words come from other people: control characters (escape sequences that could
    /// rewrite the terminal, set its title or write to the clipboard) and bidirectional overrides are printed
    /// escaped, never raw (security review, finding 13).
    mutating func line(_ event: SessionEvent, at date: Date = Date()) -> String {
        let details = details(event.payload).escapedForLog(limit: 8192)
        return "\(Self.clock(date)) \(event.session)  #\(event.seq) \(event.payload.type.rawValue)  \(details)"
    }

    private mutating func details(_ payload: EventPayload) -> String {
        switch payload {
        case .state(let change):
            return Self.describe(change)
        case .participantJoined(let p):
            names[p.uuid] = p.displayName
            return Self.describe(p)
        case .participantUpdated(let p):
            names[p.uuid] = p.displayName
            return Self.describe(p)
        case .participantLeft(let uuid):
            return names.removeValue(forKey: uuid) ?? uuid
        case .conference(let c):
            return [
                c.locked ? "locked" : "unlocked", c.guestsMuted ? "guests muted" : "guests unmuted",
                c.started ? "started" : "not started", c.guestsCanUnmute ? "guests can unmute" : "guests cannot unmute",
            ].joined(separator: ", ")
        case .message(let m):
            return "\(m.from.displayName): \(m.text)"
        case .upstream(let u):
            var parts: [String] = []
            if let attempt = u.attempt { parts.append("attempt \(attempt)") }
            if let delay = u.delayMs { parts.append("next in \(delay) ms") }
            return u.status.rawValue + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))")
        case .presentation(let p):
            guard p.active else { return "stopped" }
            return "started by " + (p.presenter.map { names[$0.uuid] ?? $0.displayName } ?? "someone")
        case .layout(let l):
            var parts = [l.layout ?? "?"]
            if let host = l.hostLayout { parts.append("hosts \(host)") }
            if let guest = l.guestLayout { parts.append("guests \(guest)") }
            if let overlay = l.overlayTextEnabled { parts.append(overlay ? "names shown" : "names hidden") }
            return parts.joined(separator: ", ")
        }
    }

    /// `HH:MM:SS s-abc  speakers  Alice, Bob` (ephemeral events have no `#seq`).
    func line(_ event: EphemeralEvent, at date: Date = Date()) -> String {
        let details: String
        switch event.payload {
        case .speakers(let uuids):
            details = uuids.isEmpty ? "nobody" : uuids.map { names[$0] ?? $0 }.joined(separator: ", ")
        case .captions(let caption):
            details = (caption.final ? "" : "… ") + caption.text
        }
        return
            "\(Self.clock(date)) \(event.session)  \(event.payload.type.rawValue)  "
            + details.escapedForLog(limit: 8192)
    }

    private static func describe(_ p: Participant) -> String {
        var flags = [p.role.rawValue]
        if p.isSelf { flags.append("this bridge") }
        if p.muted { flags.append("muted") }
        if p.presenting { flags.append("presenting") }
        if p.spotlight { flags.append("spotlight") }
        if p.handRaisedAt != nil { flags.append("hand raised") }
        if p.videoMuted { flags.append("video muted") }
        if p.callDirection == .out { flags.append("dialled out") }
        if p.serviceType != "conference" { flags.append(p.serviceType) }
        return "\(p.displayName) (\(flags.joined(separator: ", ")))"
    }

    private static func describe(_ change: StateChange) -> String {
        var text = change.state.rawValue
        var extras: [String] = []
        if let alias = change.alias { extras.append(alias) }
        if let role = change.role { extras.append(role.rawValue) }
        if let reason = change.reason { extras.append(reason.rawValue) }
        if let error = change.error { extras.append("\(error.code.rawValue): \(error.message)") }
        if let left = change.pinAttemptsLeft { extras.append("\(left) PIN attempts left") }
        if let message = change.message { extras.append(message) }
        if !extras.isEmpty { text += " (\(extras.joined(separator: "; ")))" }
        return text
    }

    /// Local wall-clock time as HH:MM:SS.
    static func clock(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
