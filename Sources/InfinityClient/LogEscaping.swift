extension StringProtocol {
    /// This text made safe for one log line.
    ///
    /// A node (or anyone who can name a participant or write chat) controls these strings; written raw they could
    /// forge log lines (CR/LF), drive a terminal (ESC sequences) or reorder what an operator reads (bidi controls).
    /// C0 and C1 controls, DEL, the Unicode bidi controls and the line/paragraph separators become `\u{XX}` escapes,
    /// a backslash becomes `\\`, and the result is cut to `limit` characters with "…" appended.
    ///
    /// - Parameter limit: The most characters kept from the text (escapes count as the characters they replace).
    /// - Returns: A single-line, printable rendering of the text.
    public func escapedForLog(limit: Int = 200) -> String {
        var result = ""
        var kept = 0
        for character in self {
            if kept >= Swift.max(0, limit) {
                result += "…"
                break
            }
            kept += 1
            for scalar in character.unicodeScalars {
                if scalar == "\\" {
                    result += "\\\\"
                } else if Self.needsEscape(scalar) {
                    result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidi controls
        case 0x2028, 0x2029: true  // line and paragraph separators
        default: false
        }
    }
}

extension InfinityError {
    /// The error for a log line: a node's own words in it are escaped and cut (`escapedForLog`).
    var logDescription: String { description.escapedForLog() }
}

extension ConnectionEndReason {
    /// The reason for a log line: a node's disconnect reason in it is escaped and cut (`escapedForLog`).
    var logDescription: String {
        switch self {
        case .remoteDisconnect(let reason): "remoteDisconnect(\(reason.escapedForLog()))"
        case .tokenExpired: "tokenExpired"
        case .upstreamLost: "upstreamLost"
        case .released: "released"
        case .closed: "closed"
        }
    }
}
