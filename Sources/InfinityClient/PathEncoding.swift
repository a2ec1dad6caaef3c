/// Percent-encodes a string as one URL path segment, keeping only RFC 3986 unreserved characters.
///
/// A segment made only of dots has every dot encoded (`%2E`): `.` and `..` would otherwise be dot-segments that
/// clients, proxies and servers normalise away (`conferences/../request_token`).
func percentEncodedPathSegment(_ text: String) -> String {
    let hex: [Character] = Array("0123456789ABCDEF")
    let dotsOnly = !text.isEmpty && text.utf8.allSatisfy { $0 == UInt8(ascii: ".") }
    var encoded = ""
    encoded.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: ".") where dotsOnly:
            encoded.append("%2E")
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            encoded.append(Character(Unicode.Scalar(byte)))
        default:
            encoded.append("%")
            encoded.append(hex[Int(byte >> 4)])
            encoded.append(hex[Int(byte & 0x0F)])
        }
    }
    return encoded
}

/// The longest conference alias accepted, in UTF-8 bytes.
let maxAliasBytes = 256

/// Refuses an alias no conference can have before anything is sent: empty, longer than `maxAliasBytes`, made
/// only of dots (a path dot-segment), or with control characters (C0, DEL, C1).
func validateAlias(_ alias: String) throws(InfinityError) {
    if alias.isEmpty { throw .invalidAlias("the alias is empty") }
    if alias.utf8.count > maxAliasBytes { throw .invalidAlias("the alias is longer than \(maxAliasBytes) bytes") }
    if alias.utf8.allSatisfy({ $0 == UInt8(ascii: ".") }) { throw .invalidAlias("the alias is made only of dots") }
    if alias.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
        throw .invalidAlias("the alias contains control characters")
    }
}
