import BridgeProtocol

/// Human one-liners for a session snapshot.
enum SessionSummary {
    /// `s-abc  connected  meet.pin  host  3`: the columns of `list` (role `-` when unknown).
    static func listLine(_ snapshot: SessionSnapshot, widths: ListWidths) -> String {
        [
            pad(snapshot.id, widths.id), pad(snapshot.state.rawValue, widths.state), pad(snapshot.alias, widths.alias),
            pad(snapshot.role?.rawValue ?? "-", 5), "\(snapshot.participants.count)",
        ].joined(separator: "  ")
    }

    /// Column widths that fit every row.
    struct ListWidths {
        var id = 0
        var state = 0
        var alias = 0

        init(_ snapshots: [SessionSnapshot]) {
            for s in snapshots {
                id = max(id, s.id.count)
                state = max(state, s.state.rawValue.count)
                alias = max(alias, s.alias.count)
            }
        }
    }

    /// A sentence saying where a session stands, for standard error.
    static func sentence(_ s: SessionSnapshot) -> String {
        let place = "\(s.alias) on \(s.node) as \"\(s.displayName)\""
        switch s.state {
        case .connected:
            let others = s.participants.filter { !$0.isSelf }.count
            return
                "\(s.id): connected to \(place), role \(s.role?.rawValue ?? "unknown"), \(others) other participant\(others == 1 ? "" : "s")"
        case .pinRequired, .pinOptional:
            var text = "\(s.id): \(s.state.rawValue): \(place) "
            text +=
                s.state == .pinRequired
                ? "needs a PIN (host or guest)"
                : "has a host PIN; an empty PIN joins as a guest"
            if let left = s.pinAttemptsLeft { text += " (\(left) attempts left)" }
            if let error = s.error { text += "; last try: \(error.code.rawValue)" }
            return text
        case .connecting:
            return "\(s.id): connecting to \(place)"
        case .disconnected:
            return "\(s.id): disconnected from \(place)"
        case .error:
            let why = s.error.map { ": \($0.code.rawValue): \($0.message)" } ?? ""
            return "\(s.id): error\(why)"
        case .extensionRequired, .idpRequired, .ssoRequired:
            return wayInSentence(s, place: place)
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
