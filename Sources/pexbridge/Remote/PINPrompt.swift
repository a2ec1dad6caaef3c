import BridgeProtocol

/// The prompt shown before a PIN is typed.
enum PINPrompt {
    /// Names the conference and says what an empty PIN does.
    static func text(for s: SessionSnapshot?) -> String {
        guard let s else { return "PIN (empty for none): " }
        switch s.state {
        case .pinOptional: return "Host PIN for \(s.alias) (empty to join as a guest): "
        default: return "PIN for \(s.alias): "
        }
    }
}
