/// A live token: whom it belongs to and when it stops being valid.
struct TokenRecord: Sendable {
    /// The participant holding the token.
    let participantUUID: String
    /// The instant after which the token is invalid unless refreshed.
    let expiresAt: ContinuousClock.Instant
}
