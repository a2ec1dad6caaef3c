extension InfinitySimulator {
    /// Rooms for demos: `meet.open` (no PIN), `meet.pin` (host 1234, guest 5678),
    /// `meet.hostpin` (host 4321, guests without PIN), `meet.waiting` (guests wait for a host;
    /// host 2468, guests without PIN) and `meet.locked` (locked, no PIN: joiners are HOST but wait
    /// in `waiting_room` until admitted or the room is unlocked, as on a real node).
    public static let demoRooms: [SimulatedRoom] = [
        SimulatedRoom(
            alias: "meet.open",
            name: "Open Room",
            initialParticipants: [
                ScriptedParticipant(displayName: "Alice Martin", role: .host, protocolName: "webrtc"),
                ScriptedParticipant(displayName: "Room 4.12", role: .host, protocolName: "sip", isMuted: true),
            ]
        ),
        SimulatedRoom(
            alias: "meet.pin",
            name: "PIN Room",
            hostPIN: "1234",
            guestPIN: "5678",
            initialParticipants: [
                ScriptedParticipant(displayName: "Bob Chen", role: .host, protocolName: "webrtc"),
                ScriptedParticipant(displayName: "Carla Diaz", role: .guest, protocolName: "sip", isMuted: true),
                ScriptedParticipant(
                    displayName: "Dial-in +44 20 7946 0000",
                    role: .guest,
                    protocolName: "sip",
                    isAudioOnly: true
                ),
            ]
        ),
        SimulatedRoom(
            alias: "meet.hostpin",
            name: "Host PIN Room",
            hostPIN: "4321",
            initialParticipants: [
                ScriptedParticipant(displayName: "Dev Patel", role: .host, protocolName: "h323"),
                ScriptedParticipant(
                    displayName: "Eun-ji Kim",
                    role: .guest,
                    protocolName: "webrtc",
                    isVideoMuted: true
                ),
            ]
        ),
        SimulatedRoom(
            alias: "meet.waiting",
            name: "Waiting Room",
            hostPIN: "2468",
            guestsWaitForHost: true,
            initialParticipants: [
                ScriptedParticipant(displayName: "Farid Haddad", role: .guest, protocolName: "webrtc")
            ]
        ),
        SimulatedRoom(
            alias: "meet.locked",
            name: "Locked Room",
            locked: true,
            initialParticipants: [
                ScriptedParticipant(displayName: "Grace Okafor", role: .host, protocolName: "sip")
            ]
        ),
    ]
}
