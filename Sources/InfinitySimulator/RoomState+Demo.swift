/// Scripted activity for demos.
extension RoomState {
    private enum DemoAction: CaseIterable {
        case join, leave, toggleMute, chat, speak, present, raiseHand
    }

    static let demoNames = [
        "Alice Martin", "Bob Chen", "Carla Diaz", "Dev Patel", "Eun-ji Kim", "Farid Haddad", "Grace Okafor",
        "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kofi Mensah", "Lena Vogel",
    ]
    static let demoLines = [
        "Hi all, joining from the train.", "Can you see my screen?", "Sorry, I was on mute.",
        "Let's start in two minutes.", "I'll share the notes afterwards.", "Thanks, that works for me.",
        "Could you repeat the last point?", "Back in five.",
    ]
    private static let demoProtocols = ["sip", "webrtc", "webrtc", "h323"]
    private static let maxScripted = 6

    /// Does one random demo action: a scripted participant joins, leaves, toggles mute or chats.
    mutating func demoStep(
        now: ContinuousClock.Instant,
        wallClock: Double,
        using generator: inout some RandomNumberGenerator
    ) {
        let scripted = roster.filter(\.isScripted)
        var actions: [DemoAction] = []
        if scripted.count < Self.maxScripted { actions.append(.join) }
        if scripted.count > 1 { actions.append(.leave) }
        if !scripted.isEmpty { actions += [.toggleMute, .chat, .chat, .speak, .speak, .speak, .present, .raiseHand] }
        guard let action = actions.randomElement(using: &generator) else { return }
        switch action {
        case .join:
            let present = Set(roster.map(\.displayName))
            let name =
                Self.demoNames.filter { !present.contains($0) }.randomElement(using: &generator)
                ?? "Guest \(Int.random(in: 100...999, using: &generator))"
            let newcomer = ScriptedParticipant(
                displayName: name,
                role: config.hostPIN == nil ? .host : .guest,
                protocolName: Self.demoProtocols.randomElement(using: &generator) ?? "webrtc",
                isMuted: Bool.random(using: &generator)
            )
            join(.scripted(newcomer, localAlias: config.alias, now: wallClock), now: now)
        case .leave:
            if let leaver = scripted.randomElement(using: &generator) {
                remove(leaver.uuid, reason: nil, now: now)
            }
        case .toggleMute:
            if let target = scripted.randomElement(using: &generator) {
                update(target.uuid, now: now) { $0.isMuted.toggle() }
            }
        case .chat:
            if let speaker = scripted.randomElement(using: &generator),
                let line = Self.demoLines.randomElement(using: &generator)
            {
                chat(origin: speaker.displayName, senderUUID: speaker.uuid, type: "text/plain", payload: line, now: now)
            }
        case .speak:
            // Someone talks: they lead the stage, and what they say goes out as captions to whoever asked.
            if let speaker = scripted.randomElement(using: &generator) {
                emitStage(speaking: [speaker.uuid], now: now)
                if let line = Self.demoLines.randomElement(using: &generator) {
                    emitCaption("\(speaker.displayName): \(line)", final: true, now: now, wallClock: wallClock)
                }
            }
        case .present:
            if let presenter = roster.first(where: \.isPresenting) {
                _ = setPresenting(presenter.uuid, false, now: now)
            } else if let presenter = scripted.randomElement(using: &generator) {
                _ = setPresenting(presenter.uuid, true, now: now)
            }
        case .raiseHand:
            if let target = scripted.randomElement(using: &generator) {
                update(target.uuid, now: now) { $0.buzzTime = $0.buzzTime == 0 ? wallClock : 0 }
            }
        }
    }
}
