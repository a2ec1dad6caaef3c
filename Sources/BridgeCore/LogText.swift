/// Text from a client or a node, made safe for a log line: control characters (C0, C1, DEL) and bidirectional
/// overrides are escaped as `\u{…}`, and the result is capped, so a display name or a node's message cannot
/// forge log lines, move a terminal's cursor, write its clipboard (OSC 52) or flood the log.
enum LogText {
    /// The most characters of client or node text a log line carries.
    static let limit = 200

    /// - Parameters:
    ///   - text: what a client or a node wrote.
    ///   - limit: the most characters kept (an ellipsis marks a cut).
    static func clean(_ text: String, limit: Int = LogText.limit) -> String {
        var out = ""
        var kept = 0
        for scalar in text.unicodeScalars {
            if kept >= limit {
                out += "…"
                break
            }
            if needsEscape(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
            kept += 1
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidirectional embeddings, overrides and isolates; line and paragraph separators.
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029: true
        default: false
        }
    }
}
