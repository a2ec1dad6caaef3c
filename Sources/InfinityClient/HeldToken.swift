/// A held participant's current token and how long it stays valid. The token is secret: it is redacted when
/// printed.
public struct HeldToken: Sendable, Equatable, CustomStringConvertible {
    public var token: String
    public var validFor: Duration

    /// - Parameters:
    ///   - token: the token in use.
    ///   - validFor: how long from now the node accepts it unless refreshed.
    public init(token: String, validFor: Duration) {
        self.token = token
        self.validFor = validFor
    }

    public var description: String { "HeldToken(token: <redacted>, validFor: \(validFor))" }
}
