/// What `request_token` decided about a PIN.
enum PINCheck {
    /// Let in with this role.
    case granted(SimulatedRole)
    /// Answered with this refusal (challenge, wrong PIN, lockout).
    case refused(APIAnswer)
}
