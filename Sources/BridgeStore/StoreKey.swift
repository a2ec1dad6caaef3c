import Crypto
import Foundation

/// The AES-256-GCM key that encrypts node tokens at rest (`--store-key-file`).
///
/// A store remembers which key made it through a key check row (a known text sealed with the key): opening it
/// with another key is ``StoreError/wrongKey`` at start-up, never tokens that silently fail to decrypt later.
public struct StoreKey: Sendable {
    let key: SymmetricKey

    /// - Parameter contents: the key file's bytes: 32 raw bytes, or those 32 bytes in base64 (whitespace ignored).
    /// - Throws: ``StoreError/badKey(_:)`` for anything else.
    public init(fileContents contents: [UInt8]) throws {
        if contents.count == 32 {
            key = SymmetricKey(data: contents)
            return
        }
        let text = String(decoding: contents, as: UTF8.self).filter { !$0.isWhitespace }
        guard let decoded = Data(base64Encoded: text), decoded.count == 32 else {
            throw StoreError.badKey("the key file must hold 32 bytes, raw or in base64 (head -c 32 /dev/urandom)")
        }
        key = SymmetricKey(data: decoded)
    }

    /// Reads a key file.
    /// - Parameter path: the file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError.badKey("cannot read \(path)")
        }
        try self.init(fileContents: Array(data))
    }

    /// Seals `plaintext`, bound to `context` (the session id) so a ciphertext cannot be moved to another row.
    func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw StoreError.corrupt("AES-GCM without a combined form") }
        return Array(combined)
    }

    /// Opens what ``seal(_:context:)`` made; nil when the key or context differ or the bytes were altered.
    func open(_ sealed: [UInt8], context: String) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
            let plain = try? AES.GCM.open(box, using: key, authenticating: Array(context.utf8))
        else { return nil }
        return Array(plain)
    }

    static let checkText = Array("pexbridge store key check v1".utf8)
    static let checkContext = "pexbridge-key-check"
}
