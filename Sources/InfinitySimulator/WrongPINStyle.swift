/// How the simulator answers a `request_token` that carries a wrong PIN.
///
/// The real envelope is not documented (infinity-api.md §2), so both plausible answers exist.
public enum WrongPINStyle: Sendable, Hashable {
    /// HTTP 403 `{"status":"failed","result":"Invalid PIN"}` (the inferred real behaviour).
    case invalidPINString
    /// HTTP 403 with the PIN challenge again (what Swift's SDK also reads as a wrong PIN).
    case repeatChallenge
    /// HTTP 403 `{"status":"failed","result":<words>}`: a node (or a version) that words its refusal otherwise
    /// than "Invalid PIN"; the bridge must count it as a wrong PIN all the same.
    case refusal(String)
}
