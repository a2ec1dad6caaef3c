/// Strings a conference node wrote, cut before the bridge publishes them: one display name or chat message from
/// a hostile node (up to the 4 MiB an event may carry) would otherwise travel in every snapshot and event of its
/// session, and push every client that lists or subscribes past its outbox limit.
enum NodeText {
    /// Display names and the node's short messages (disconnect reasons).
    static let nameBytes = 256
    /// Chat messages, like the cap on what clients may send.
    static let chatBytes = 4096
    /// Identifiers and labels (uuids, service types, protocols).
    static let tokenBytes = 128

    /// `text` cut to at most `maxBytes` UTF-8 bytes on a character boundary; a cut ends in "…" (within the
    /// budget).
    static func cut(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        let ellipsis = "…"
        let budget = maxBytes - ellipsis.utf8.count
        var out = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > budget { break }
            out.append(character)
            used += size
        }
        return out + ellipsis
    }
}
