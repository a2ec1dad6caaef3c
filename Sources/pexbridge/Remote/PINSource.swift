import ArgumentParser

/// Where `join` takes the PIN from when the conference asks for one.
enum PINSource: String, EnumerableFlag, Sendable {
    case pinPrompt
    case pinStdin

    static func help(for value: PINSource) -> ArgumentHelp? {
        switch value {
        case .pinPrompt: "If a PIN is asked for, prompt for it on the terminal (not echoed)."
        case .pinStdin:
            "If a PIN is asked for, read it from the first line of standard input (prompted, not echoed, on a terminal)."
        }
    }
}
