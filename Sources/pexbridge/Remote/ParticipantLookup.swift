import BridgeProtocol

/// Finds the participant a command line names, by uuid or by display name.
enum ParticipantLookup {
    /// The uuid of the participant named `text` in `session`: a uuid in the roster, else the one participant
    /// with that display name (exact, then ignoring case), else `text` unchanged for the bridge to judge.
    static func uuid(for text: String, in session: SessionSnapshot?) throws(RemoteFailure) -> String {
        guard let roster = session?.participants else { return text }
        if roster.contains(where: { $0.uuid == text }) { return text }
        for matches in [
            roster.filter { $0.displayName == text },
            roster.filter { $0.displayName.lowercased() == text.lowercased() },
        ] {
            if matches.count == 1 { return matches[0].uuid }
            if matches.count > 1 {
                throw .input(
                    "\(matches.count) participants are called \"\(text)\"; give the uuid (see pexbridge list --json)"
                )
            }
        }
        return text
    }
}
