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
        case .connecting, .pinRequired, .pinOptional:
            return Capabilities(leave: true)
        case .extensionRequired:
            var reception = Capabilities(leave: true)
            reception.extension = true
            return reception
        case .idpRequired:
            var choosing = Capabilities(leave: true)
            choosing.idp = true
            return choosing
        case .ssoRequired:
            var signingIn = Capabilities(leave: true)
            signingIn.ssoToken = true
            return signingIn
        case .disconnected, .error:
            return .none
        case .connected:
            // Held in the waiting room (a locked conference): nothing to run until someone lets us in.
            guard !waiting else { return Capabilities(leave: true) }
            guard role == .host else {
                var guest = Capabilities(leave: true, chat: chatEnabled)
                guest.raiseHand = true
                guest.lowerHand = true
                guest.layouts = true
                guest.captions = true
                return guest
            }
            var host = Capabilities(
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
            host.raiseHand = true
            host.lowerHand = true
            host.lowerAllHands = true
            host.setRole = true
            host.videoMute = true
            host.videoUnmute = true
            host.guestsCanUnmute = true
            host.layouts = true
            host.setLayout = true
            host.clearSpotlights = true
            host.overlayText = true
            host.dial = true
            host.transfer = true
            host.dtmf = true
            host.captions = true
            return host
        }
    }
}
