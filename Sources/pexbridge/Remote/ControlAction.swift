import ArgumentParser
import BridgeProtocol

/// A host control as `pexbridge control` names it.
enum ControlAction: String, CaseIterable, ExpressibleByArgument, Sendable {
    case lock
    case unlock
    case muteGuests = "mute-guests"
    case unmuteGuests = "unmute-guests"
    case mute
    case unmute
    case spotlightOn = "spotlight-on"
    case spotlightOff = "spotlight-off"
    case admit
    case disconnectParticipant = "disconnect-participant"
    case startConference = "start-conference"
    case disconnectAll = "disconnect-all"

    /// True for the actions on one participant.
    var needsParticipant: Bool {
        switch self {
        case .mute, .unmute, .spotlightOn, .spotlightOff, .admit, .disconnectParticipant: true
        default: false
        }
    }

    /// The protocol control; `participant` is a uuid and is used only when `needsParticipant`.
    func control(participant: String) -> ConferenceControl {
        switch self {
        case .lock: .lock
        case .unlock: .unlock
        case .muteGuests: .muteGuests
        case .unmuteGuests: .unmuteGuests
        case .startConference: .startConference
        case .disconnectAll: .disconnectAll
        case .mute: .mute(participant: participant)
        case .unmute: .unmute(participant: participant)
        case .spotlightOn: .spotlight(participant: participant, on: true)
        case .spotlightOff: .spotlight(participant: participant, on: false)
        case .admit: .admit(participant: participant)
        case .disconnectParticipant: .disconnectParticipant(participant: participant)
        }
    }
}
