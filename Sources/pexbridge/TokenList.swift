import ArgumentParser
import BridgeCore
import BridgeProtocol
import Foundation

/// Parses client secrets from arguments, a file and the environment.
enum TokenList {
    static func load(arguments: [String], file: String?, environment: String?) throws -> [AuthToken] {
        var entries = arguments
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("cannot read --token-file \(file)")
            }
            entries += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        }
        if let environment {
            entries += environment.split(whereSeparator: { $0 == "," || $0.isNewline }).map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        return try entries.map(parse)
    }

    static func parse(_ entry: String) throws -> AuthToken {
        guard let colon = entry.lastIndex(of: ":") else {
            throw ValidationError("a token must look like SECRET:controller or SECRET:observer")
        }
        let secret = String(entry[..<colon])
        guard let role = ClientRole(rawValue: String(entry[entry.index(after: colon)...]).lowercased()) else {
            throw ValidationError("a token's role must be controller or observer")
        }
        guard secret.count >= 8 else { throw ValidationError("a token secret must be at least 8 characters") }
        return AuthToken(secret: secret, role: role)
    }
}
