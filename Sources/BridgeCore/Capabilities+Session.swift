import BridgeProtocol

extension Capabilities {
    /// What a session in `state` with `role` may do, given the conference's state.
    public static func of(
        state: SessionState,
        role: Role?,
        conference: ConferenceStatus?,
        chatEnabled: Bool = true,
        waiting: Bool = false
    ) -> Capabilities {
        switch state {
        case .connecting, .pinRequired, .pinOptional, .extensionRequired, .idpRequired, .ssoRequired:
            return Capabilities(leave: true)
        case .disconnected, .error:
            return .none
        case .connected:
            // Held in the waiting room (a locked conference): nothing to run until someone lets us in.
            guard !waiting else { return Capabilities(leave: true) }
            guard role == .host else { return Capabilities(leave: true, chat: chatEnabled) }
            return Capabilities(
                leave: true,
                chat: chatEnabled,
                lock: true,
                muteGuests: true,
                mute: true,
                spotlight: true,
                admit: true,
                disconnectParticipant: true,
                startConference: !(conference?.started ?? true),
                disconnectAll: true
            )
        }
    }
}
