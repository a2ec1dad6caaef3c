import ArgumentParser

/// A client auth token; its text never prints.
struct ClientToken: ExpressibleByArgument, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret sent in `auth`.
    let secret: String

    init(secret: String) {
        self.secret = secret
    }

    init?(argument: String) {
        self.secret = argument
    }

    var description: String { "ClientToken(<redacted>)" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
    var defaultValueDescription: String { "<redacted>" }
}
